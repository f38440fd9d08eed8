"""管理 › 众筹账目: staff confirm money received, mark attendance and record spending."""
from lib.core import ui
from lib.crowdfund import ui_books
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-crowdfund-books")
ui_books.books_page(db, user)
