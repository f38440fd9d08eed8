"""管理 › 规则: the time limits and points each community sets for itself."""
from lib.core import ui
from lib.core import admin
from lib.site import navigation


db = ui.portal_db()
user = navigation.admin_task(db, "admin-rules")
admin.community_rules(db, user)
