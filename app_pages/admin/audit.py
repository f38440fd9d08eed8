"""管理 › 审计日志: the newest recorded actions, in Chinese."""
from lib.core import ui
from lib.site import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-audit")
ui_admin.audit_log(db, user)
