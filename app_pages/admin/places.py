"""管理 › 楼栋与地点: the community, grids, micro-grids and places, and the household roster import."""
from lib.core import ui
from lib.people import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-places")
ui_admin.places(db, user)
