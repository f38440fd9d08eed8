"""问题墙: the public wall, one report's progress (from its follow link), my reports, staff desk."""
import streamlit as st

from lib import ui, ui_reports
from lib.roles import STAFF

db = ui.portal_db()
user = ui.current_user(db)

st.title("问题墙")
number = st.query_params.get("n")
if number is not None:
    st.page_link(ui.PAGE_FILES["reports"], label="返回问题墙", icon=":material/arrow_back:")
    if number.isdigit() and len(number) < 12:
        ui_reports.detail(db, user, int(number), st.query_params.get("t"))
    else:
        st.error("问题编号不正确，请检查链接。")
    st.stop()

tabs = ["全部问题"] + (["我的反映"] if not user.is_guest else []) + (
    ["处理台"] if user.at_least(STAFF) else [])
parts = {"全部问题": ui_reports.wall, "我的反映": ui_reports.mine, "处理台": ui_reports.desk}
for tab, title in zip(st.tabs(tabs), tabs):
    with tab:
        parts[title](db, user)
