"""Streamlit pieces of the people: who is logged in, page guards by role, the place picker,
and the screens of 登录 / 注册 and 我的账户."""
from __future__ import annotations

import time

import streamlit as st
from sqlite_utils import Database

from lib.core.clock import utc_now
from lib.core.errors import LoginFailed, PortalError
from lib.core.roles import GUEST_USER, ROLE_LABELS, User
from lib.core.ui import PAGE_FILES, PLACE_CODE, esc, go_to, portal, show_error
from lib.people import accounts, households, login, org, sessions


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


# --- 登录 / 注册 and 我的账户 ---------------------------------------------------------------

ACCOUNT_LABELS = {"username": "用户名", "display_name": "称呼", "password": "密码",
                  "password_repeat": "确认密码", "mobile": "手机号", "place": "楼栋", "room": "房号",
                  "old_password": "原密码"}
# The cookie component reruns the page once or twice after login, and a late rerun can arrive
# after we have already moved on: every run this long after logging in goes to the target again.
CONTINUE_WINDOW_SECONDS = 5
_LOGOUT_REQUESTED = "account_logout_requested"


def logout_if_asked(db: Database):
    """On the run after 退出登录: log out and say so; returns the authenticator it had to build.

    Only called before current_user, so this run already sees a guest.
    """
    if not st.session_state.pop(_LOGOUT_REQUESTED, False):
        return None
    auth = authenticator(db)
    logout(db, auth)
    st.success("您已退出登录。")
    return auth


def _carry_on(message: str) -> None:
    """Just logged in: say so and lead on to where the person was going.

    Rerunning now would drop the cookie being set in the browser; the browser reruns the page
    itself once the cookie is stored, and that run (or 继续) moves on.
    """
    target = after_login_target()
    st.session_state["account_continue"] = (target, time.time())
    st.success(message)
    st.button("继续", type="primary", key="account_continue_button",
              on_click=lambda: st.session_state.update(account_go=target))


def login_or_register(db: Database, auth, place: org.Place | None) -> None:
    """A guest's 登录 and 注册新账号 tabs; either one logs this browser in."""
    if st.session_state.get(AFTER_LOGIN):
        st.info("请先登录，登录后将回到您刚才要打开的页面。")
    auth = auth or authenticator(db)  # every run: its cookie component must be in place
    login_tab, register_tab = st.tabs(["登录", "注册新账号"])
    with login_tab:
        if login_form(db, auth) is not None:
            _carry_on("登录成功！")
        if portal().settings.is_demo:
            st.caption("演示账号（仅演示模式显示）：resident、leader、staff、admin，密码均为 Demo@2026")
        st.caption("忘记密码？请联系社区工作人员或管理员为您重置。")
    with register_tab:
        _register_form(db, auth, place)


def _register_form(db: Database, auth, place: org.Place | None) -> None:
    with st.form("account_register"):
        st.text_input("用户名", key="account_reg_username", max_chars=20,
                      help="3-20 位小写字母、数字或下划线，以字母开头，用于登录")
        st.text_input("称呼", key="account_reg_display_name", max_chars=20, placeholder="例如：王阿姨")
        st.text_input("密码", type="password", key="account_reg_password",
                      help="至少 8 位，需同时包含字母和数字")
        st.text_input("确认密码", type="password", key="account_reg_password_repeat")
        st.text_input("手机号（可选）", key="account_reg_mobile", max_chars=14)
        st.caption("填写楼栋和房号后，由本微网格的微网格长核实您的住户身份。")
        chosen = place_select(db, key="account_reg_place", label="楼栋（可选）", kind="building",
                              place=place)
        st.text_input("房号（可选）", key="account_reg_room", max_chars=10, placeholder="例如：302")
        submitted = st.form_submit_button("注册", type="primary")
    if not submitted:
        return
    state = st.session_state
    try:
        registered = accounts.register(
            db, username=state.account_reg_username, display_name=state.account_reg_display_name,
            password=state.account_reg_password, password_repeat=state.account_reg_password_repeat,
            mobile=state.account_reg_mobile, place_id=chosen.id if chosen else None,
            room=state.account_reg_room)
    except PortalError as error:
        show_error(error, ACCOUNT_LABELS)
        return
    begin_session(db, auth, registered.username)
    _carry_on("注册成功，已为您登录！")


def continue_after_login() -> None:
    """Just logged in (继续 tapped, or the cookie's own rerun): go where the person was going."""
    if (chosen := st.session_state.pop("account_go", None)) is not None:
        st.session_state.pop("account_continue", None)
        go_to(chosen)
    pending = st.session_state.get("account_continue")
    if pending is not None:
        target, since = pending
        if time.time() - since < CONTINUE_WINDOW_SECONDS:
            go_to(target)
        st.session_state.pop("account_continue", None)


def account_summary(db: Database, user: User) -> None:
    """Who is logged in, their role and their household's verification."""
    st.write(f"**{esc(user.display_name)}**（{user.username}） · {user.role_label}")
    st.caption(f"住户核实：{households.HOUSEHOLD_STATUS_LABELS[user.household_status]}")
    household = households.household_summary(db, user)
    if household:
        st.write(f"住户：{esc(household)}")


def bind_household(db: Database, user: User, place: org.Place | None) -> None:
    """绑定住户: a user with no household (or a refused one) asks a leader to verify one."""
    if user.household_status not in ("none", "rejected"):
        return
    with st.form("account_bind"):
        st.subheader("绑定住户")
        chosen = place_select(db, key="account_bind_place", label="楼栋", kind="building",
                              place=place)
        st.text_input("房号", key="account_bind_room", max_chars=10, placeholder="例如：302")
        if not st.form_submit_button("提交核实"):
            return
        try:
            households.request_household(db, user, place_id=chosen.id if chosen else None,
                                         room=st.session_state.account_bind_room)
        except PortalError as error:
            show_error(error, ACCOUNT_LABELS)
            return
    st.success("已提交，请等待微网格长核实。")
    st.rerun()


def privacy_settings(db: Database, user: User) -> None:
    with st.expander("隐私设置"):
        show = st.toggle("在公开榜单上显示我的称呼", value=user.show_name_publicly,
                         key="account_show_name")
        if show != user.show_name_publicly:  # written only when the person flips it
            accounts.set_privacy(db, user, show_name_publicly=show)
            st.success("已保存。")


def change_password(db: Database, user: User) -> None:
    """修改密码: a change logs out every device, this one too."""
    with st.expander("修改密码"):
        with st.form("account_password", clear_on_submit=True):
            st.text_input("原密码", type="password", key="account_old_password")
            st.text_input("新密码", type="password", key="account_new_password")
            st.text_input("确认新密码", type="password", key="account_new_password_repeat")
            changed = st.form_submit_button("修改密码")
        if not changed:
            return
        try:
            accounts.change_own_password(
                db, user, old_password=st.session_state.account_old_password,
                new_password=st.session_state.account_new_password,
                new_password_repeat=st.session_state.account_new_password_repeat)
        except PortalError as error:
            show_error(error, {**ACCOUNT_LABELS, "password": "新密码"})
            return
        st.session_state.pop(AUTH_TOKEN, None)
        st.success("密码已修改，所有设备均已退出，请用新密码重新登录。")


def leave_buttons() -> None:
    """退出登录 (acted on at the top of the next run) and 返回首页."""
    st.button("退出登录", key="account_logout",
              on_click=lambda: st.session_state.update({_LOGOUT_REQUESTED: True}))
    if st.button("返回首页", key="account_home"):
        go_to("")
