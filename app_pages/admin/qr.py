"""管理 › 二维码: a QR code and poster for each place, or all as a printable A4 sheet."""
from lib.core import ui
from lib.people import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-qr")
admin.qr_codes(db, user)
