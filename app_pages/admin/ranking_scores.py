"""管理 › 楼栋评分: a leader scores the buildings of their micro-grid for a month (a draft until published)."""
from lib.core import ui
from lib.ranking import ui_scores
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-ranking-scores")
ui_scores.scores_page(db, user)
