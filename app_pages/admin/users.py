"""管理 › 用户: staff look users up; admins change roles, reset passwords, disable accounts."""
from lib.core import ui
from lib.people import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-users")
ui_admin.users(db, user)
