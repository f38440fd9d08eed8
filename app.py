"""微网实格 community portal: page config, the user of this run, and navigation by role."""
import streamlit as st

from lib import ui

st.set_page_config(page_title="微网实格 · 社区自助服务", page_icon="🏘️", layout="centered")
db = ui.portal_db()
user = ui.current_user(db)
ui.apply_style()
page = st.navigation(ui.navigation_pages(user))
ui.remember_page(page)  # where logging in brings a person back to
page.run()
