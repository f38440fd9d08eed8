"""管理 › 众筹账目 (the books staff keep) and the 公示 tab every visitor reads.

The domain functions check the role again, whatever this page showed.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.roles import User
from lib.crowdfund.ui_labour import attendance_tab


BOOKS_TAB_KEY = "crowdfund_books_tab"  # the tabs widget's own state


def spending_tab(db: Database, actor: User) -> None:
    """支出登记: amount, item, date and receipt of one spending, against a project's balance."""
    st.info("支出登记即将开放。")


# title -> function(db, user): the tabs of 管理 › 众筹账目, in order. 到账确认 (pledges) and
# 出勤登记 (labour) add their lines here; only the open tab runs.
BOOKS_TABS: dict[str, Callable[[Database, User], None]] = {
    "出勤登记": attendance_tab,
    "支出登记": spending_tab,
}


def books_page(db: Database, actor: User) -> None:
    """The page's tabs; only the open one runs (a queue of pledges costs nothing elsewhere)."""
    ui.open_tab_only(BOOKS_TABS, BOOKS_TAB_KEY, db, actor)
