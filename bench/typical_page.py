"""The second floor: a page with the widgets a typical portal page draws, and no database.

A form with a few inputs, an Altair chart and a 16-row table, all from constants, so that a
portal page's median can be read as "so many times what Streamlit itself costs for a page like
this" rather than against an empty page that draws nothing.
"""
import altair as alt
import pandas as pd
import streamlit as st


CATEGORIES = ["漏水", "照明", "垃圾", "噪音", "停车", "绿化", "电梯", "门禁"]
STATUSES = ["待受理", "处理中", "已解决", "已关闭"]
ROWS = pd.DataFrame({
    "编号": range(1001, 1017),
    "地点": [f"{n // 2 + 1}栋{n % 2 + 1}单元" for n in range(16)],
    "类别": [CATEGORIES[n % len(CATEGORIES)] for n in range(16)],
    "状态": [STATUSES[n % len(STATUSES)] for n in range(16)],
    "反映人数": [(n * 7) % 13 + 1 for n in range(16)],
})
COUNTS = ROWS.groupby("类别", as_index=False)["反映人数"].sum()

st.title("典型页面")
st.caption("表单、图表和一张十六行的表：基准测试的第二个参照页。")
with st.form("typical_form"):
    st.selectbox("问题在哪里", ROWS["地点"], index=None, placeholder="请选择")
    st.selectbox("问题类别", CATEGORIES, index=None, placeholder="请选择")
    st.text_area("问题描述", max_chars=500)
    st.text_input("联系电话")
    st.form_submit_button("提交", type="primary")
st.subheader("各类别反映人数")
st.altair_chart(alt.Chart(COUNTS).mark_bar().encode(x=alt.X("类别:N", sort="-y"), y="反映人数:Q"))
st.subheader("最近的问题")
st.dataframe(ROWS, hide_index=True)
