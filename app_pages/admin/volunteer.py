"""管理 › 志愿审核: leaders (their micro-grid) and staff review hours and credit events."""
from lib.core import ui
from lib.site import ui_navigation
from lib.volunteer import ui_admin


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-volunteer")
ui_admin.review_page(db, user)
