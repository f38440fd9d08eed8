"""积分超市: everyone browses the goods; a logged-in resident redeems points for them."""
import streamlit as st

from lib.core import ui
from lib.people import ui as people_ui
from lib.shop import ui as shop_ui


db = ui.portal_db()
user = people_ui.current_user(db)

st.title("积分超市")
st.caption("参加社区活动攒积分，积分换生活用品。")
shop_ui.shop(db, user)
