"""随手拍: a resident (or a guest from the gate QR code) reports a problem with photos."""
import streamlit as st

from lib.core import ui
from lib.people import ui as people_ui
from lib.reports import ui as reports_ui
from lib.reports import ui_form


db = ui.portal_db()
user = people_ui.current_user(db)
place = people_ui.current_place(db)
device = reports_ui.device_key()  # the cookie is written on the first page a guest opens

st.title("随手拍")
st.caption("看到问题，拍下来告诉社区。不登录也可以提交。")
if not ui_form.show_filed(db, user):
    ui_form.report_form(db, user, place, device)
