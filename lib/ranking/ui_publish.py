"""管理 › 评比发布: the month's completeness, the draft ranking, publishing it and (admins) a correction.

The domain functions (lib.ranking.publish) check the role and the month's state again, whatever
this page showed.
"""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core.roles import User
from lib.ranking import months


def publish_page(db: Database, actor: User) -> None:
    """The page: a month picker, then what that month needs (filled in as lib lands)."""
    month = months.current_month()
    st.subheader(months.month_label(month))
    st.info("评比发布功能正在建设中。")
