"""管理 › 规则: the time limits and points each community sets for itself."""
from lib.core import ui
from lib.core import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-rules")
ui_admin.community_rules(db, user)
