"""Shared Streamlit pieces: the per-run database, the logged-in user, page guards, places.

The one module of lib/ that imports streamlit; pages stay thin by calling these.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass

import streamlit as st
from sqlite_utils import Database

from lib import accounts, bootstrap, org, sweeper
from lib.config import Settings, load_settings, origin_of
from lib.db import open_db
from lib.errors import ValidationError
from lib.roles import GUEST_USER, ROLE_LABELS, User

COOKIE_NAME = "wwsg_session"
AUTH_TOKEN = "auth_token"
AFTER_LOGIN = "after_login"
PLACE_CODE = "place_code"

# url_path -> script: the stable public URLs of DESIGN §3 ("" is the home page).
PAGE_FILES = {
    "": "pages/home.py",
    "report": "pages/report.py",
    "reports": "pages/reports.py",
    "account": "pages/account.py",
    "admin": "pages/admin.py",
}

# A sqlite3 connection may not cross threads, and Streamlit runs each session's scripts in
# their own thread: one connection per script thread, reused by the reruns it executes.
_thread_local = threading.local()


@dataclass(frozen=True)
class Portal:
    settings: Settings
    cookie_key: str


@st.cache_resource(show_spinner=False)
def _prepare(settings: Settings) -> str:
    """Migrate and seed once per server process; returns the cookie key."""
    db = bootstrap.prepare(settings)
    bootstrap.sweep_orphan_photos(db, settings)
    db.conn.close()
    sweeper.start(settings.database_path)  # auto-confirm off the read path, one thread per process
    return bootstrap.cookie_key(settings)


def portal() -> Portal:
    settings = load_settings()
    return Portal(settings=settings, cookie_key=_prepare(settings))


def public_base_url() -> str:
    """The address QR codes, follow links and posters print.

    PORTAL_BASE_URL wins when set; otherwise the address this person is using (scheme, host
    and port of ``st.context.url``), so a portal served on another port or host prints codes
    that open it instead of ``localhost:8501``.
    """
    configured = portal().settings.base_url
    return configured or origin_of(st.context.url)


def portal_db() -> Database:
    """This script run's database connection (migrations were applied at start-up)."""
    path = str(portal().settings.database_path)
    cached = getattr(_thread_local, "db", None)
    if cached is None or _thread_local.path != path:
        _thread_local.db = open_db(path, migrate=False)
        _thread_local.path = path
    return _thread_local.db


def current_user(db: Database) -> User:
    """Who is using this session, re-read from the database on every run.

    A demoted or disabled user loses access at once, and a cookie whose server-side session was
    revoked (logout, password change) logs nobody in, even when copied to another browser.
    """
    token = st.session_state.get(AUTH_TOKEN)
    if token is None:
        token = st.context.cookies.get(COOKIE_NAME)
    user = accounts.session_user(db, token)
    if user is None:
        st.session_state.pop(AUTH_TOKEN, None)
        return GUEST_USER
    st.session_state[AUTH_TOKEN] = token
    return user


def require_page_role(db: Database, role: str, url_path: str) -> User:
    """Stop the page unless the user has ``role``; a guest is offered login and brought back."""
    user = current_user(db)
    if user.at_least(role):
        return user
    if user.is_guest:
        # Remembered now, so logging in by any route (button or menu) comes back here.
        st.session_state[AFTER_LOGIN] = url_path
        st.info("此页面需要登录后使用。")
        if st.button("登录 / 注册", type="primary", key=f"{url_path}_login_first"):
            go_to("account")
    else:
        st.error(f"此页面仅限{ROLE_LABELS[role]}及以上使用，您当前的身份是{user.role_label}。")
        if st.button("返回首页", key=f"{url_path}_back_home"):
            go_to("")
    st.stop()
    raise AssertionError("unreachable")


def session_key() -> str:
    """A random id for this browser session (one +1 per session for guests)."""
    return st.session_state.setdefault("portal_session_key", uuid.uuid4().hex)


def go_to(url_path: str) -> None:
    """Switch page, keeping the scanned place in the URL."""
    code = st.session_state.get(PLACE_CODE)
    st.switch_page(PAGE_FILES[url_path], query_params={"b": code} if code else None)


def current_place(db: Database) -> org.Place | None:
    """The place from ``?b=`` (the QR code scanned), remembered while the user moves on.

    An unknown code gets a clear message and preselects nothing.
    """
    if "b" in st.query_params:
        code = st.query_params.get("b", "")
        place = org.place_by_code(db, code)
        if place is None:
            st.session_state.pop(PLACE_CODE, None)
            shown = esc(code if len(code) <= 20 else code[:20] + "…")
            st.warning(f"没有找到编号为“{shown}”的楼栋或地点，请从列表中选择。", icon="⚠️")
            return None
        st.session_state[PLACE_CODE] = place.code
        return place
    code = st.session_state.get(PLACE_CODE)
    place = org.place_by_code(db, code) if code else None
    if place is not None:
        st.query_params["b"] = place.code
    return place


def place_select(db: Database, *, key: str, label: str = "楼栋 / 地点",
                 kind: str | None = None, place: org.Place | None = None) -> org.Place | None:
    """A place chooser that starts on the scanned place, if any.

    When the scanned place changes (another QR code, or an unknown ``?b=``), the chooser
    starts again from it: a widget keeps its value across runs, so it would otherwise go on
    showing the previously remembered place.
    """
    wanted = place.code if place is not None else None
    marker = f"{key}_preselected"
    if marker in st.session_state and st.session_state[marker] != wanted:
        st.session_state.pop(key, None)
    st.session_state[marker] = wanted
    places = org.list_places(db, kind=kind)
    codes = [p.code for p in places]
    index = codes.index(place.code) if place is not None and place.code in codes else None
    chosen = st.selectbox(label, places, index=index, key=key, placeholder="请选择",
                          format_func=lambda p: f"{p.name}（{p.code}）")
    return chosen


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def esc(text: object) -> str:
    """User or admin text made inert inside Streamlit markdown (no links, HTML, LaTeX, icons)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def show_errors(error: ValidationError, labels: dict[str, str] | None = None) -> None:
    """Show each refused field with its reason, in the words of the form."""
    labels = labels or {}
    for field, message in error.fields.items():
        prefix = f"{labels[field]}：" if field in labels else ""
        st.error(prefix + esc(message))  # a message may quote what the user typed


# Static CSS only (never user text): big touch targets on phones, no gap from hidden iframes.
_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4rem; }
[data-testid="stElementContainer"]:has(iframe[height="0"]) { display: none; }
[data-testid="stPageLink"] a { border: 1px solid #e3ddd3; border-radius: 0.8rem;
  padding: 0.9rem 1rem; background: #f6f3ee; min-height: 3.2rem; }
[data-testid="stPageLink"] a p { font-size: 1.15rem; font-weight: 600; }
/* "Press Enter to submit form" is English and drawn over the typed text on a phone. */
[data-testid="InputInstructions"] { display: none; }
/* Touch targets for elderly fingers: every button at least 44 px tall. */
[data-testid="stButton"] button, [data-testid="stFormSubmitButton"] button,
[data-testid="stDownloadButton"] button, [data-testid="stLinkButton"] a,
[data-testid="stPopover"] button { min-height: 44px; }
</style>"""


def apply_style() -> None:
    st.html(_STYLE)


def navigation_pages(user: User) -> list:
    """Every page is registered so its URL always works; the menu lists what the role may use."""
    from lib.roles import LEADER

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


LOGIN_FIELDS = {"Form name": "登录", "Username": "用户名", "Password": "密码", "Login": "登录"}


class _AccountsOnDemand(dict):
    """streamlit-authenticator's credentials, read from the users table one username at a time.

    The library only ever looks up the username typed into the form, so a community's 15,000
    accounts need not be loaded on every run of the login page.
    """

    def __init__(self, db: Database):
        super().__init__()
        self._db = db

    def _load(self, username: object) -> bool:
        if not isinstance(username, str):
            return False
        if not dict.__contains__(self, username):
            record = accounts.authenticator_record(self._db, username)
            if record is None:
                return False
            dict.__setitem__(self, username, record)
        return True

    def __contains__(self, username: object) -> bool:
        return self._load(username)

    def __getitem__(self, username: str) -> dict:
        if not self._load(username):
            raise KeyError(username)
        return dict.__getitem__(self, username)

    def get(self, username: str, default=None):
        return self[username] if self._load(username) else default


def authenticator(db: Database):
    """streamlit-authenticator over our users table; build it once per run, on the account page."""
    import streamlit_authenticator as stauth

    auth = stauth.Authenticate({"usernames": {}}, cookie_name=COOKIE_NAME,
                               cookie_key=portal().cookie_key,
                               cookie_expiry_days=accounts.SESSION_DAYS, auto_hash=False,
                               login_sleep_time=0)
    # The library keeps this dict by reference; wrong-password counts come with each record,
    # so its own lock-out applies across browsers.
    auth.authentication_controller.authentication_model.credentials["usernames"] = \
        _AccountsOnDemand(db)
    return auth


def login_form(db: Database, auth) -> User | None:
    """The library's login form; returns the user on the run their login succeeds.

    Wrong passwords are counted per username in the database (a new browser does not reset
    them) and per browser session (an unknown username is limited too).
    """
    from streamlit_authenticator.utilities import LoginError

    credentials = auth.authentication_controller.authentication_model.credentials["usernames"]
    before = {name: record.get("failed_login_attempts", 0) for name, record in credentials.items()}
    # Our session record, not the library's cookie, decides who is logged in.
    st.session_state["logout"] = True
    st.session_state["authentication_status"] = None
    window = accounts.LOGIN_FAILURE_WINDOW.total_seconds()
    recent = [at for at in st.session_state.get("account_session_failures", [])
              if time.time() - at < window]
    st.session_state["account_session_failures"] = recent
    if len(recent) >= accounts.MAX_LOGIN_FAILURES:
        st.error("登录失败次数过多，请 15 分钟后再试。")
        return None
    logged_in: list[str] = []
    try:
        auth.login(fields=LOGIN_FIELDS, key="account_login",
                   max_login_attempts=accounts.MAX_LOGIN_FAILURES,
                   callback=lambda event: logged_in.append(event["username"]))
    except LoginError:
        st.error("登录失败次数过多，请 15 分钟后再试。")
        return None
    if logged_in:
        # The library has just signed this cookie value; our session row is keyed by its hash.
        token = auth.cookie_controller.cookie_model._token_encode()
        user = accounts.start_session(db, logged_in[0], token)
        st.session_state[AUTH_TOKEN] = token
        st.session_state["account_session_failures"] = []
        return user
    if st.session_state.get("authentication_status") is False:
        recent.append(time.time())
        remaining = accounts.MAX_LOGIN_FAILURES - len(recent)
        for name, record in credentials.items():
            if record.get("failed_login_attempts", 0) > before.get(name, 0):
                remaining = min(remaining, accounts.record_login_failure(db, name))
        if remaining <= 0:
            st.error("用户名或密码错误，失败次数过多，请 15 分钟后再试。")
        else:
            st.error(f"用户名或密码错误，还可以尝试 {remaining} 次。")
    return None


def logout(db: Database, auth) -> None:
    """End the server-side session and ask the browser to forget the cookie."""
    accounts.end_session(db, st.session_state.pop(AUTH_TOKEN, None))
    st.session_state["authentication_status"] = True  # the library only logs out a logged-in user
    auth.logout(location="unrendered")
