"""管理 › 兑换核销: staff hand goods over by the pickup code (typed or scanned), or cancel."""
from lib.core import ui
from lib.shop import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-redemptions")
ui_admin.desk(db, user)
