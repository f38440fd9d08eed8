"""Opening 众筹's pages in AppTest as a person would land on them: a project's tab, or a tab of
管理 › 众筹账目. Shared by the pledge, labour, books and project page tests."""
from __future__ import annotations

from lib.core.db import scalar
from lib.crowdfund import ui as crowdfund_ui
from lib.crowdfund import ui_books
from lib.people.users import load_user
from tests.app.conftest import login

DETAIL = "app_pages/crowdfund.py"
BOOKS = "app_pages/admin/crowdfund_books.py"


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def open_tab(app, username: str | None, project_id: int, tab: str):
    """A project's page (``?p=``) on ``tab``, as a guest (None) or logged in."""
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(DETAIL)
    at.query_params["p"] = str(project_id)
    at.session_state[crowdfund_ui.TAB_KEY] = tab
    at.run()
    assert not at.exception
    return at


def open_books(app, username: str, tab: str):
    """管理 › 众筹账目 on ``tab``."""
    at = login(app(), username)
    at.switch_page(BOOKS)
    at.session_state[ui_books.BOOKS_TAB_KEY] = tab
    at.run()
    assert not at.exception
    return at
