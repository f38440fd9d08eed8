"""管理 › 评比标准: names and weights of the star criteria and the participation weight."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core.roles import User


def criteria_page(db: Database, actor: User) -> None:
    """The criteria table and the leaders-score-all switch."""
    st.info("评比标准正在建设中。")
