"""管理 › 住户核实: leaders (their micro-grid) and staff confirm who lives where."""
from lib.core import ui
from lib.people import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-households")
admin.household_checks(db, user)
