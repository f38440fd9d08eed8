"""The portal's pages by role (the 管理 section a page per task), and what runs once per server
process before any page."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st
from sqlite_utils import Database

from lib.core.config import Settings, load_settings
from lib.core.roles import ADMIN, LEADER, STAFF, User
from lib.core.ui import PAGE_FILES, esc
from lib.people.ui import AFTER_LOGIN, RETURN_TO, require_page_role
from lib.reports import sweeper
from lib.site import bootstrap


ADMIN_ENTRY = "admin"  # /admin: old bookmarks and printed links, opens the first task


@dataclass(frozen=True)
class AdminTask:
    """One page of the 管理 section: its stable URL, its menu entry and the lowest role using it."""
    url_path: str
    title: str
    icon: str
    role: str


# The 管理 section, in the order the tasks matter most; a later feature appends its own pages
# here (and their files to PAGE_FILES). The URLs are stable: bookmarks point at them.
ADMIN_TASKS = (
    AdminTask("admin-households", "住户核实", ":material/how_to_reg:", LEADER),
    AdminTask("admin-volunteer", "志愿审核", ":material/volunteer_activism:", LEADER),
    AdminTask("admin-ranking-scores", "楼栋评分", ":material/star_rate:", LEADER),
    AdminTask("admin-users", "用户", ":material/group:", STAFF),
    AdminTask("admin-qr", "二维码", ":material/qr_code_2:", STAFF),
    AdminTask("admin-points", "积分发放", ":material/workspace_premium:", STAFF),
    AdminTask("admin-redemptions", "兑换核销", ":material/qr_code_scanner:", STAFF),
    AdminTask("admin-crowdfund", "众筹项目", ":material/handshake:", STAFF),
    AdminTask("admin-crowdfund-books", "众筹账目", ":material/receipt_long:", STAFF),
    AdminTask("admin-ranking", "评比发布", ":material/military_tech:", STAFF),
    AdminTask("admin-council", "议事", ":material/groups:", STAFF),
    AdminTask("admin-places", "楼栋与地点", ":material/apartment:", ADMIN),
    AdminTask("admin-categories", "问题类别", ":material/category:", ADMIN),
    AdminTask("admin-rules", "规则", ":material/tune:", ADMIN),
    AdminTask("admin-points-rules", "积分规则", ":material/rule:", ADMIN),
    AdminTask("admin-ranking-criteria", "评比标准", ":material/checklist:", ADMIN),
    AdminTask("admin-shop", "积分商品", ":material/inventory_2:", ADMIN),
    AdminTask("admin-backup", "备份", ":material/backup:", ADMIN),
    AdminTask("admin-audit", "审计日志", ":material/history:", ADMIN),
)
_TASKS = {task.url_path: task for task in ADMIN_TASKS}
ADMIN_SECTION = "管理"


_started: set[Settings] = set()
_start_lock = threading.Lock()


def start() -> None:
    """Migrate and seed once per server process, and start the auto-confirm sweeper.

    Called at the top of every run, so the usual case is one set lookup; the lock makes the
    first runs of several sessions wait for one preparation instead of seeding twice.
    """
    settings = load_settings()
    if settings in _started:
        return
    with _start_lock:
        if settings in _started:
            return
        db = bootstrap.prepare(settings)
        bootstrap.sweep_orphan_photos(db, settings)
        db.conn.close()
        sweeper.start(settings.database_path)  # auto-confirm off the read path, one per process
        _started.add(settings)


def admin_tasks_for(user: User) -> list[AdminTask]:
    """The 管理 pages this role may use, in menu order (none for guests and residents)."""
    return [task for task in ADMIN_TASKS if user.at_least(task.role)]


def navigation_pages(user: User) -> dict[str, list]:
    """Every page is registered so its URL always works; the menu lists what the role may use.

    The 管理 section holds only the tasks the role may use; the others (and /admin) are
    registered hidden, so their address gives the role message instead of "page not found".
    """
    allowed = admin_tasks_for(user)
    hidden = [st.Page(PAGE_FILES[ADMIN_ENTRY], url_path=ADMIN_ENTRY, title="管理",
                      icon=":material/settings:", visibility="hidden")]
    hidden += [_admin_page(task, visibility="hidden") for task in ADMIN_TASKS if task not in allowed]
    pages = {"": [
        st.Page(PAGE_FILES[""], title="首页", icon=":material/home:", default=True),
        st.Page(PAGE_FILES["report"], url_path="report", icon=":material/photo_camera:",
                title="随手拍"),
        st.Page(PAGE_FILES["reports"], url_path="reports", icon=":material/forum:", title="问题墙"),
        st.Page(PAGE_FILES["crowdfund"], url_path="crowdfund", icon=":material/savings:",
                title="众筹"),
        st.Page(PAGE_FILES["ranking"], url_path="ranking", icon=":material/flag:",
                title="星级楼栋"),
        st.Page(PAGE_FILES["council"], url_path="council", icon=":material/groups:",
                title="议事"),
        st.Page(PAGE_FILES["points"], url_path="points", icon=":material/stars:", title="积分"),
        st.Page(PAGE_FILES["shop"], url_path="shop", icon=":material/storefront:",
                title="积分超市"),
        st.Page(PAGE_FILES["volunteer"], url_path="volunteer", icon=":material/diversity_1:",
                title="志愿服务"),
        st.Page(PAGE_FILES["account"], url_path="account", icon=":material/person:",
                title="登录 / 注册" if user.is_guest else "我的账户"),
        *hidden,
    ]}
    if allowed:
        pages[ADMIN_SECTION] = [_admin_page(task) for task in allowed]
    return pages


def _admin_page(task: AdminTask, visibility: str = "visible"):
    return st.Page(PAGE_FILES[task.url_path], url_path=task.url_path, title=task.title,
                   icon=task.icon, visibility=visibility)


def admin_task(db: Database, url_path: str) -> User:
    """Open one 管理 task page: stop unless the role may use it, then its title.

    The domain functions the page calls check the role again; this only keeps a lower role
    (or a guest, who is offered to log in and brought back) from seeing the page at all.
    """
    task = _TASKS[url_path]
    user = require_page_role(db, task.role, url_path)
    st.title(task.title)
    st.caption(f"{ADMIN_SECTION} · {esc(user.display_name)} · {user.role_label}")
    return user


def open_admin(db: Database) -> None:
    """/admin: go on to the first task the role may use, keeping the address's query (?b=)."""
    user = require_page_role(db, ADMIN_TASKS[0].role, ADMIN_ENTRY)
    first = admin_tasks_for(user)[0]
    st.switch_page(PAGE_FILES[first.url_path], query_params=st.query_params.to_dict() or None)


def remember_page(page) -> None:
    """Note the page a person is on, so logging in or registering brings them back to it.

    The account page itself is not noted; a page guard (require_page_role) notes its own page
    again as AFTER_LOGIN when it asks a guest to log in.
    """
    if page.url_path != "account" and page.url_path in PAGE_FILES:
        st.session_state.pop(AFTER_LOGIN, None)
        st.session_state[RETURN_TO] = page.url_path
