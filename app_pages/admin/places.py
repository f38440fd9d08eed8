"""管理 › 楼栋与地点: the community, grids, micro-grids and places, and the household roster import."""
from lib.core import ui
from lib.people import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-places")
admin.places(db, user)
