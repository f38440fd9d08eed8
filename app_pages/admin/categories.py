"""管理 › 问题类别: the categories a 随手拍 report is filed under."""
from lib.core import ui
from lib.reports import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-categories")
ui_admin.report_categories(db, user)
