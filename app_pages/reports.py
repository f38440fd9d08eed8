"""问题墙: the public wall, one report's progress (from its follow link), my reports, staff desk."""
import streamlit as st

from lib.core import ui
from lib.core.roles import STAFF
from lib.people import ui as people_ui
from lib.reports import ui as reports_ui


db = ui.portal_db()
user = people_ui.current_user(db)

st.title("问题墙")
reports_ui.menu_leaves_report()
number = st.query_params.get("n")
if number is not None:
    # A button whose callback clears ?n= (not a page link to this same page, which keeps the old
    # query in the address bar and loses it on the next rerun).
    st.button("返回问题墙", icon=":material/arrow_back:", key="reports_back",
              on_click=reports_ui.close_report)
    report_id = reports_ui.report_number(number)
    if report_id is not None:
        reports_ui.detail(db, user, report_id, st.query_params.get("t"))
    else:
        st.error("问题编号不正确，请检查链接。")
    st.stop()

tabs = ["全部问题", "我的反映"] + (["处理台"] if user.at_least(STAFF) else [])
last = st.session_state.get(reports_ui.LAST_TAB)
parts = {"全部问题": reports_ui.wall, "我的反映": reports_ui.mine, "处理台": reports_ui.desk}
for tab, title in zip(st.tabs(tabs, default=last if last in tabs else None), tabs):
    with tab:
        parts[title](db, user)
