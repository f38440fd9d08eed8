"""管理 › 评比发布: staff see what is still unscored, preview the month's ranking and publish it."""
from lib.core import ui
from lib.ranking import ui_publish
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-ranking")
ui_publish.publish_page(db, user)
