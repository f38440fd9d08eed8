"""首页: where the gate QR code lands — the community, the scanned place, the way in."""
import streamlit as st

from lib.core import ui
from lib.core.roles import LEADER
from lib.crowdfund import ui as crowdfund_ui
from lib.people import org
from lib.people import ui as people_ui
from lib.points import ledger
from lib.ranking import ui as ranking_ui
from lib.volunteer import queries as volunteer_queries


db = ui.portal_db()
user = people_ui.current_user(db)
place = people_ui.current_place(db)

st.title(ui.esc(org.community_name(db)) or "社区自助服务")
st.caption("微网实格 · 社区自助服务平台")
people_ui.scanned_place(place)
ui.page_button("report", "随手拍 · 反映问题", ":material/photo_camera:")
ui.page_button("reports", "问题墙 · 看处理进度", ":material/forum:")
ui.page_button("shop", "积分超市 · 积分换生活用品", ":material/storefront:")
ranking_ui.home_section(db, place)
crowdfund_ui.home_section(db, place)

if user.is_guest:
    st.write("登录后可查看积分、绑定住户；微网格长和社区工作人员登录后可进入管理。")
    ui.page_button("account", "登录 / 注册", ":material/person:")
    st.stop()

st.subheader(f"您好，{ui.esc(user.display_name)}")
st.metric("我的积分", ledger.balance(db, user.id))
ui.page_button("points", "我的积分 · 明细与排行榜", ":material/stars:")
ui.page_button("volunteer", "志愿服务 · 登记服务时长", ":material/diversity_1:")
people_ui.household_hint(user)
ui.page_button("account", "我的账户", ":material/person:")
if user.at_least(LEADER):
    waiting = len(volunteer_queries.pending_for(db, user))
    if waiting:
        st.info(f"有 {waiting} 条志愿时长等待您审核。")
        ui.page_button("admin-volunteer", "志愿审核", ":material/volunteer_activism:")
    ui.page_button("admin", "管理", ":material/settings:")
