"""管理: household checks for leaders; users and QR posters for staff; places and audit for admins."""
import streamlit as st

from lib.core import ui
from lib.core.roles import LEADER
from lib.people import ui as people_ui
from lib.site import admin


db = ui.portal_db()
user = people_ui.require_page_role(db, LEADER, "admin")
st.title("管理")
st.caption(f"{ui.esc(user.display_name)} · {user.role_label}")
sections = admin.sections_for(user)
for tab, (_, render) in zip(st.tabs([title for title, _ in sections]), sections):
    with tab:
        render(db, user)
