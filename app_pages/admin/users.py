"""管理 › 用户: staff look users up; admins change roles, reset passwords, disable accounts."""
from lib.core import ui
from lib.people import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-users")
admin.users(db, user)
