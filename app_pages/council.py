"""议事: everyone reads the topic board and each topic; verified residents propose and support."""
from lib.core import ui
from lib.council import ui as council_ui
from lib.people import ui as people_ui


db = ui.portal_db()
council_ui.council_page(db, people_ui.current_user(db))
