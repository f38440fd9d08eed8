"""管理 › 议事: staff sort topics, run meetings and votes, publish results and track the plans."""
from lib.core import ui
from lib.council import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-council")
ui_admin.council_admin(db, user)
