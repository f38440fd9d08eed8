"""微网实格 community portal: page config, the user of this run, and navigation by role."""
import streamlit as st

from lib.core import ui
from lib.core.run_slots import PAGE_RUNS
from lib.people import ui as people_ui
from lib.site import ui_navigation


with PAGE_RUNS.slot():  # a few runs compute at once; a QR-scan burst queues instead of thrashing
    st.set_page_config(page_title="微网实格 · 社区自助服务", page_icon="🏘️", layout="centered")
    ui_navigation.start()  # once per server process: migrate, seed, start the sweeper
    db = ui.portal_db()
    user = people_ui.current_user(db)
    ui.apply_style()
    page = st.navigation(ui_navigation.navigation_pages(user))
    ui_navigation.remember_page(page)  # where logging in brings a person back to
    page.run()
