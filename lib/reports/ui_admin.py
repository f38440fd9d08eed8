"""管理 screens of the reports feature: the 随手拍 categories residents choose from."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core.ui_admin import attempt
from lib.core.roles import User
from lib.reports import categories


def report_categories(db: Database, actor: User) -> None:
    """Admins add, rename and retire the categories a report is filed under."""
    rows = categories.all_categories(db)
    st.dataframe([{"类别": c["name"], "状态": "使用中" if c["active"] else "已停用"} for c in rows],
                 hide_index=True, width="stretch")
    with st.form("admin_category_add", clear_on_submit=True):
        name = st.text_input("新增类别", key="admin_category_name", placeholder="例如：电梯故障")
        if st.form_submit_button("新增类别"):
            attempt(lambda: categories.add_category(db, actor, name=name), "已新增。")
    with st.form("admin_category_edit"):
        chosen = st.selectbox("选择类别", rows, index=None, placeholder="请选择",
                              key="admin_category_pick",
                              format_func=lambda c: c["name"] + ("" if c["active"] else "（已停用）"))
        new_name = st.text_input("新名称（不改名可留空）", key="admin_category_rename")
        active = st.toggle("在随手拍中可选", value=True, key="admin_category_active")
        if st.form_submit_button("保存类别"):
            if chosen is None:
                st.error("请选择类别。")
            else:
                def save() -> None:
                    if new_name.strip():
                        categories.rename_category(db, actor, category_id=chosen["id"], name=new_name)
                    categories.set_category_active(db, actor, category_id=chosen["id"], active=active)
                attempt(save, "已保存。")
