"""管理 › 积分发放: special awards and deductions, and a resident's passbook printed at the desk."""
from lib.core import ui
from lib.points import ui_admin as points_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-points")
points_admin.grant_page(db, user)
