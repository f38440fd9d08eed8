"""管理 › 备份: a copy of the database and photos, taken while the portal runs."""
from lib.core import ui
from lib.core import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-backup")
admin.backups(db, user)
