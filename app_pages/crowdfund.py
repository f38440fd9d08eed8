"""众筹: everyone reads the open projects and each one's page; residents back them there."""
from lib.core import ui
from lib.crowdfund import ui as crowdfund_ui
from lib.people import ui as people_ui


db = ui.portal_db()
crowdfund_ui.crowdfund_page(db, people_ui.current_user(db))
