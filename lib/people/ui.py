"""Streamlit pieces of the people: who is logged in, page guards by role, the place picker,
the login form and the session cookie. The account screens are in ui_account.py."""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core.clock import utc_now
from lib.core.errors import LoginFailed, PortalError
from lib.core.roles import GUEST_USER, ROLE_LABELS, User
from lib.core.ui import PAGE_FILES, PLACE_CODE, esc, go_to, portal, show_error
from lib.people import holders, login, org, sessions


COOKIE_NAME = "wwsg_session"
AUTH_TOKEN = "auth_token"
AFTER_LOGIN = "after_login"
RETURN_TO = "return_to"
SESSION_LOGIN_FAILURES = "account_session_failures"


def current_user(db: Database) -> User:
    """Who is using this session, re-read from the database on every run.

    A demoted or disabled user loses access at once, and a cookie whose server-side session was
    revoked (logout, password change) logs nobody in, even when copied to another browser.
    """
    token = st.session_state.get(AUTH_TOKEN)
    if token is None:
        token = st.context.cookies.get(COOKIE_NAME)
    user = sessions.session_user(db, token)
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


def scanned_place(place: org.Place | None) -> None:
    """Say which place the QR code scanned names, if any."""
    if place is not None:
        st.success(f"您所在的位置：**{esc(place.name)}**（{esc(place.code)}）",
                   icon=":material/location_on:")


def household_hint(user: User) -> None:
    """Remind a logged-in person whose household is not yet verified what happens next."""
    if user.household_status == "pending":
        st.info("您的住户信息正在等待微网格长核实。")
    elif user.household_status in ("none", "rejected"):
        st.info("您还没有绑定住户，可在“我的账户”中提交楼栋和房号。")


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


def authenticator(db: Database):
    """streamlit-authenticator, used only for its cookie: build it at most once per run.

    Passwords are checked by lib.people.login.authenticate, never by the library: its login form
    cannot take a primary button, skips bcrypt for unknown names (timing tells which exist) and
    locks a name out after max_login_attempts, which is why neither its form nor that is used.
    """
    import streamlit_authenticator as stauth

    return stauth.Authenticate({"usernames": {}}, cookie_name=COOKIE_NAME,
                               cookie_key=portal().cookie_key,
                               cookie_expiry_days=sessions.SESSION_DAYS, auto_hash=False,
                               login_sleep_time=0)


def login_form(db: Database, auth) -> User | None:
    """The login form; returns the user on the run their login succeeds (the cookie is then set).

    Wrong passwords are throttled per username (in the database, so a new browser does not
    reset it) and per browser session (any names it tries); see lib.people.login.
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
        user = login.authenticate(db, st.session_state.account_login_username,
                                  st.session_state.account_login_password,
                                  client_failures=failures)
    except PortalError as error:
        if isinstance(error, LoginFailed):
            st.session_state[SESSION_LOGIN_FAILURES] = login.client_failures_after(failures,
                                                                                  utc_now())
        show_error(error)
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
    user = sessions.start_session(db, username, token)
    st.session_state[AUTH_TOKEN] = token
    return user


def after_login_target() -> str:
    """Where to go once logged in: the guarded page, else the last page seen, else home."""
    target = st.session_state.pop(AFTER_LOGIN, None)
    if target is None:
        target = st.session_state.get(RETURN_TO, "")
    return target if target in PAGE_FILES and target != "account" else ""


def logout(db: Database, auth) -> None:
    """End the server-side session and ask the browser to forget the cookie."""
    sessions.end_session(db, st.session_state.pop(AUTH_TOKEN, None))
    st.session_state["authentication_status"] = True  # the library only logs out a logged-in user
    auth.logout(location="unrendered")


def find_holder(db: Database, actor: User, key: str) -> holders.Holder | None:
    """Staff find the person they act for by name, username or "1-1 302", then pick one.

    A search, not a list of every resident: at 6,000 households a selectbox of all of them
    is slow to draw and useless on a phone.
    """
    query = st.text_input("查找居民", key=f"{key}_query", max_chars=holders.MAX_QUERY,
                          placeholder="姓名、用户名，或楼栋 房号（如 1-1 302）")
    if not query.strip():
        st.caption("输入姓名、用户名或“楼栋 房号”查找居民。")
        return None
    found = holders.find(db, actor, query)
    if not found:
        st.warning("没有找到匹配的居民。")
        return None
    return st.selectbox("选择居民", found, key=f"{key}_holder",
                        format_func=lambda h: f"{h.display_name}（{h.username}）· {h.address}")
