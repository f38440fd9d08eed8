"""首页: where the gate QR code lands — the community, the scanned place, the way in."""
import streamlit as st

from lib.core import ui
from lib.core.roles import LEADER
from lib.people import org
from lib.people import ui as people_ui
from lib.points import ledger


db = ui.portal_db()
user = people_ui.current_user(db)
place = people_ui.current_place(db)
query = {"b": place.code} if place else None

st.title(ui.esc(org.community_name(db)) or "社区自助服务")
st.caption("微网实格 · 社区自助服务平台")

if place is not None:
    st.success(f"您所在的位置：**{ui.esc(place.name)}**（{ui.esc(place.code)}）", icon=":material/location_on:")

st.page_link(ui.PAGE_FILES["report"], label="随手拍 · 反映问题", icon=":material/photo_camera:",
             query_params=query, width="stretch")
st.page_link(ui.PAGE_FILES["reports"], label="问题墙 · 看处理进度", icon=":material/forum:",
             query_params=query, width="stretch")

if user.is_guest:
    st.write("登录后可查看积分、绑定住户；微网格长和社区工作人员登录后可进入管理。")
    st.page_link(ui.PAGE_FILES["account"], label="登录 / 注册", icon=":material/person:",
                 query_params=query, width="stretch")
else:
    st.subheader(f"您好，{ui.esc(user.display_name)}")
    st.metric("我的积分", ledger.balance(db, user.id))
    if user.household_status == "pending":
        st.info("您的住户信息正在等待微网格长核实。")
    elif user.household_status in ("none", "rejected"):
        st.info("您还没有绑定住户，可在“我的账户”中提交楼栋和房号。")
    st.page_link(ui.PAGE_FILES["account"], label="我的账户", icon=":material/person:",
                 query_params=query, width="stretch")
    if user.at_least(LEADER):
        st.page_link(ui.PAGE_FILES["admin"], label="管理", icon=":material/settings:",
                     query_params=query, width="stretch")
