"""管理 › 二维码: a QR code and poster for each place, or all as a printable A4 sheet."""
from lib.core import ui
from lib.people import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-qr")
ui_admin.qr_codes(db, user)
