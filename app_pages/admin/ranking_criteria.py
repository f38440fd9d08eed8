"""管理 › 评比标准: the star criteria, their weights and the participation weight (ADMIN)."""
from lib.core import ui
from lib.ranking import ui_criteria
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-ranking-criteria")
ui_criteria.criteria_page(db, user)
