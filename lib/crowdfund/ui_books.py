"""管理 › 众筹账目: the tabs staff keep the books in (到账确认, 出勤登记, 支出登记).

The domain functions check the role again, whatever this page showed.
"""
from __future__ import annotations

from typing import Callable

from sqlite_utils import Database

from lib.core import ui
from lib.core.roles import User
from lib.crowdfund.ui_ledger import spending_tab
from lib.crowdfund.ui_labour import attendance_tab
from lib.crowdfund.ui_pledge import receipts_tab


BOOKS_TAB_KEY = "crowdfund_books_tab"  # the tabs widget's own state


# title -> function(db, user): the tabs of 管理 › 众筹账目, in order. 到账确认 (pledges) and
# 出勤登记 (labour) add their lines here; only the open tab runs.
BOOKS_TABS: dict[str, Callable[[Database, User], None]] = {
    "到账确认": receipts_tab,
    "出勤登记": attendance_tab,
    "支出登记": spending_tab,
}


def books_page(db: Database, actor: User) -> None:
    """The page's tabs; only the open one runs (a queue of pledges costs nothing elsewhere)."""
    ui.open_tab_only(BOOKS_TABS, BOOKS_TAB_KEY, db, actor)
