"""管理 › 住户核实: leaders (their micro-grid) and staff confirm who lives where."""
from lib.core import ui
from lib.people import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-households")
ui_admin.household_checks(db, user)
