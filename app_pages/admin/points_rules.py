"""管理 › 积分规则: how many points each action earns, and the cap on one special award."""
import streamlit as st

from lib.core import ui
from lib.core import ui_admin
from lib.site import ui_navigation


db = ui.portal_db()
user = ui_navigation.admin_task(db, "admin-points-rules")
st.info("修改只对以后发放的积分生效，已发放的积分不变。每次修改都记入审计日志。")
ui_admin.community_rules(db, user, prefix="points.")
