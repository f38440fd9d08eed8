"""管理 › 备份: a copy of the database and photos, taken while the portal runs."""
from lib.core import ui
from lib.core import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-backup")
ui_admin.backups(db, user)
