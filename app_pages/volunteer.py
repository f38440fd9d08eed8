"""志愿服务: a resident logs volunteer hours and follows their review; guests are offered login."""
import streamlit as st

from lib.core import ui
from lib.volunteer import ui as volunteer_ui


db = ui.portal_db()
st.title("志愿服务")
st.caption("参加楼道清扫、垃圾分类值守、敬老探访等志愿服务后，在这里登记时长。")
volunteer_ui.volunteer_page(db)
