"""积分: my balance, history and passbook; the person and building boards for everyone."""
from lib.core import ui
from lib.people import ui as people_ui
from lib.points import ui as points_ui


db = ui.portal_db()
points_ui.points_page(db, people_ui.current_user(db))
