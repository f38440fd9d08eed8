"""星级楼栋: everyone reads the published months, the red flag and each building's history."""
from lib.core import ui
from lib.people import ui as people_ui
from lib.ranking import ui as ranking_ui


db = ui.portal_db()
ranking_ui.ranking_page(db, people_ui.current_user(db))
