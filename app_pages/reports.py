"""问题墙: the public wall, one report's progress (from its follow link), my reports, staff desk."""
import streamlit as st

from lib.core import ui
from lib.people import ui as people_ui
from lib.reports import ui as reports_ui


db = ui.portal_db()
user = people_ui.current_user(db)

st.title("问题墙")
reports_ui.menu_leaves_report()
reports_ui.report_or_tabs(db, user)
