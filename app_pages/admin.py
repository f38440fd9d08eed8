"""管理 (/admin): old bookmarks and printed links open the first task the role may use.

A guest is asked to log in and comes back here; a resident gets the role message.
"""
from lib.core import ui
from lib.site import ui_navigation


ui_navigation.open_admin(ui.portal_db())
