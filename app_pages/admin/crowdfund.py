"""管理 › 众筹项目: staff set up projects and their labour slots, launch, finish or cancel them."""
from lib.core import ui
from lib.crowdfund import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-crowdfund")
ui_admin.projects_admin(db, user)
