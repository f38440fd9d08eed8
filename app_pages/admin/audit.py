"""管理 › 审计日志: the newest recorded actions, in Chinese."""
from lib.core import ui
from lib.site import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-audit")
admin.audit_log(db, user)
