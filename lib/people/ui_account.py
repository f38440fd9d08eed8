"""Streamlit screens of 登录 / 注册 and 我的账户: logging in leads on to where the person was
going (home by default), never to a dead end on 我的账户."""
from __future__ import annotations

import time

import streamlit as st
from sqlite_utils import Database

from lib.core.errors import PortalError
from lib.core.roles import User
from lib.core.ui import esc, go_to, portal, show_error
from lib.people import accounts, households, org
from lib.people.ui import AFTER_LOGIN, AUTH_TOKEN, after_login_target, authenticator, begin_session, login_form, logout, place_select


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
            st.caption("演示账号（仅演示模式显示）：resident、leader（另有 leader2 至 leader5）、staff、admin，密码均为 Demo@2026")
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
