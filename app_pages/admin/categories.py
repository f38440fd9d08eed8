"""管理 › 问题类别: the categories a 随手拍 report is filed under."""
from lib.core import ui
from lib.reports import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-categories")
admin.report_categories(db, user)
