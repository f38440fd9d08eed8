"""The portal's pages by role, and what runs once per server process before any page."""
from __future__ import annotations

import streamlit as st

from lib.core.config import Settings, load_settings
from lib.core.roles import LEADER, User
from lib.core.ui import PAGE_FILES
from lib.people.ui import AFTER_LOGIN, RETURN_TO
from lib.reports import sweeper
from lib.site import bootstrap


@st.cache_resource(show_spinner=False)
def _start(settings: Settings) -> None:
    """Migrate and seed once per server process, and start the auto-confirm sweeper."""
    db = bootstrap.prepare(settings)
    bootstrap.sweep_orphan_photos(db, settings)
    db.conn.close()
    sweeper.start(settings.database_path)  # auto-confirm off the read path, one thread per process


def start() -> None:
    _start(load_settings())


def navigation_pages(user: User) -> list:
    """Every page is registered so its URL always works; the menu lists what the role may use."""
    def visible(allowed: bool) -> str:
        return "visible" if allowed else "hidden"

    return [
        st.Page(PAGE_FILES[""], title="首页", icon=":material/home:", default=True),
        st.Page(PAGE_FILES["report"], url_path="report", icon=":material/photo_camera:",
                title="随手拍"),
        st.Page(PAGE_FILES["reports"], url_path="reports", icon=":material/forum:", title="问题墙"),
        st.Page(PAGE_FILES["account"], url_path="account", icon=":material/person:",
                title="登录 / 注册" if user.is_guest else "我的账户"),
        st.Page(PAGE_FILES["admin"], url_path="admin", icon=":material/settings:", title="管理",
                visibility=visible(user.at_least(LEADER))),
    ]


def remember_page(page) -> None:
    """Note the page a person is on, so logging in or registering brings them back to it.

    The account page itself is not noted; a page guard (require_page_role) notes its own page
    again as AFTER_LOGIN when it asks a guest to log in.
    """
    if page.url_path != "account" and page.url_path in PAGE_FILES:
        st.session_state.pop(AFTER_LOGIN, None)
        st.session_state[RETURN_TO] = page.url_path
