"""管理 › 积分商品: admins keep the points shop's goods, photos, prices, limits and stock."""
from lib.core import ui
from lib.shop import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-shop")
ui_admin.items(db, user)
