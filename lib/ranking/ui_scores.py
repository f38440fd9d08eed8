"""管理 › 楼栋评分: the month picker and the compact score table a leader fills in."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core.roles import User


def scores_page(db: Database, actor: User) -> None:
    """The month, then one row per building the actor may rate."""
    st.info("楼栋评分正在建设中。")
