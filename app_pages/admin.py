"""管理: household checks for leaders; users and QR posters for staff; places and audit for admins."""
import streamlit as st

from lib import ui, ui_admin
from lib.roles import LEADER

db = ui.portal_db()
user = ui.require_page_role(db, LEADER, "admin")
st.title("管理")
st.caption(f"{ui.esc(user.display_name)} · {user.role_label}")
sections = ui_admin.sections_for(user)
for tab, (_, render) in zip(st.tabs([title for title, _ in sections]), sections):
    with tab:
        render(db, user)
