"""Shared Streamlit pieces: the per-run database, the logged-in user, page guards, places.

The one module of lib/ that imports streamlit; pages stay thin by calling these.
"""
from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass

import streamlit as st
from sqlite_utils import Database

from lib import accounts, bootstrap, org, sweeper
from lib.clock import utc_now
from lib.config import Settings, load_settings, origin_of
from lib.db import open_db
from lib.errors import ValidationError
from lib.roles import GUEST_USER, ROLE_LABELS, User

COOKIE_NAME = "wwsg_session"
AUTH_TOKEN = "auth_token"
AFTER_LOGIN = "after_login"
RETURN_TO = "return_to"
PLACE_CODE = "place_code"

# url_path -> script: the stable public URLs of DESIGN §3 ("" is the home page).
PAGE_FILES = {
    "": "app_pages/home.py",
    "report": "app_pages/report.py",
    "reports": "app_pages/reports.py",
    "account": "app_pages/account.py",
    "admin": "app_pages/admin.py",
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


SESSION_LOGIN_FAILURES = "account_session_failures"


def authenticator(db: Database):
    """streamlit-authenticator, used only for its cookie: build it at most once per run.

    Passwords are checked by lib.accounts.authenticate, never by the library: its login form
    cannot take a primary button, skips bcrypt for unknown names (timing tells which exist) and
    locks a name out after max_login_attempts, which is why neither its form nor that is used.
    """
    import streamlit_authenticator as stauth

    return stauth.Authenticate({"usernames": {}}, cookie_name=COOKIE_NAME,
                               cookie_key=portal().cookie_key,
                               cookie_expiry_days=accounts.SESSION_DAYS, auto_hash=False,
                               login_sleep_time=0)


def login_form(db: Database, auth) -> User | None:
    """The login form; returns the user on the run their login succeeds (the cookie is then set).

    Wrong passwords are throttled per username (in the database, so a new browser does not
    reset it) and per browser session (any names it tries); see lib.accounts.
    """
    with st.form("account_login"):
        st.subheader("登录")
        st.text_input("用户名", key="account_login_username", max_chars=40,
                      autocomplete="username")
        st.text_input("密码", type="password", key="account_login_password", max_chars=80,
                      autocomplete="current-password")
        submitted = st.form_submit_button("登录", type="primary", width="stretch")
    if not submitted:
        return None
    failures = st.session_state.get(SESSION_LOGIN_FAILURES, [])
    try:
        user = accounts.authenticate(db, st.session_state.account_login_username,
                                     st.session_state.account_login_password,
                                     client_failures=failures)
    except accounts.LoginThrottled as error:
        st.error(str(error))
        return None
    except accounts.LoginFailed as error:
        now = utc_now()
        st.session_state[SESSION_LOGIN_FAILURES] = [
            moment for moment in failures if now - moment < accounts.LOGIN_FAILURE_WINDOW] + [now]
        st.error(str(error))
        return None
    st.session_state[SESSION_LOGIN_FAILURES] = []
    return begin_session(db, auth, user.username)


def begin_session(db: Database, auth, username: str) -> User:
    """Log this browser in: a server-side session and the library's signed cookie for it.

    Shared by logging in and registering. Do not rerun or switch page in this run: that would
    drop the cookie before the browser stores it; the browser reruns the page once it has.
    ``auth`` must have been built on the runs before as well: its cookie component, drawn for
    the first time in this run, would rerun the page before the cookie is set.
    """
    st.session_state["username"] = username  # the library signs this name into its cookie
    auth.cookie_controller.set_cookie()
    token = auth.cookie_controller.cookie_model._token_encode()  # the value just set
    user = accounts.start_session(db, username, token)
    st.session_state[AUTH_TOKEN] = token
    return user


def remember_page(page) -> None:
    """Note the page a person is on, so logging in or registering brings them back to it.

    The account page itself is not noted; a page guard (require_page_role) notes its own page
    again as AFTER_LOGIN when it asks a guest to log in.
    """
    if page.url_path != "account" and page.url_path in PAGE_FILES:
        st.session_state.pop(AFTER_LOGIN, None)
        st.session_state[RETURN_TO] = page.url_path


def after_login_target() -> str:
    """Where to go once logged in: the guarded page, else the last page seen, else home."""
    target = st.session_state.pop(AFTER_LOGIN, None)
    if target is None:
        target = st.session_state.get(RETURN_TO, "")
    return target if target in PAGE_FILES and target != "account" else ""


def logout(db: Database, auth) -> None:
    """End the server-side session and ask the browser to forget the cookie."""
    accounts.end_session(db, st.session_state.pop(AUTH_TOKEN, None))
    st.session_state["authentication_status"] = True  # the library only logs out a logged-in user
    auth.logout(location="unrendered")
