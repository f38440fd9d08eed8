"""Streamlit parts of 筹资: the 认捐 tab of a project's page and 管理 › 众筹账目 › 到账确认.

A resident types an amount (text, never a float), sees what it becomes with the match, and
pledges; staff confirm the money when it arrives, or pledge for a resident without a phone.
lib.crowdfund.pledges checks every rule again, whatever these screens showed.
"""
from __future__ import annotations

import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.errors import PortalError, ValidationError
from lib.core.roles import User
from lib.crowdfund import pledges, projects
from lib.crowdfund.money import parse_yuan, yuan_text
from lib.crowdfund.ui_parts import log_in_to_act
from lib.people import ui as people_ui


_NOTE = "pledge_note"  # (message, ok) said once on the run after an action
AMOUNT = "pledge_amount"
METHOD = "pledge_method"
ANONYMOUS = "pledge_anonymous"
_CLEAR = "pledge_clear"  # the form is emptied at the start of the run after a pledge
SUBMISSION_KEY = "pledge_submission_key"  # one per form: a double tap pledges once
PROXY = "pledge_proxy"  # the 代办 form's widget keys start with this
LABELS = {"amount": "认捐金额", "method": "交款方式", "project": "项目", "key": "操作",
          "user": "居民"}
SHOWN_PENDING = 20  # cards drawn at once in 到账确认: the oldest first


def _say(message: str, ok: bool = True) -> None:
    ui.leave_note(_NOTE, message, ok)


def short_yuan(fen: int) -> str:
    """"100" for 100 yuan, "100.50" with fen: how the 你的100元 → 600元 line says it."""
    text = yuan_text(fen)
    return text.removesuffix(".00")


def _key(name: str) -> str:
    """This form's submission key, made once and kept until the pledge is stored."""
    return st.session_state.setdefault(name, uuid.uuid4().hex)


def _clear_form(prefix: str) -> None:
    if st.session_state.pop(f"{prefix}_clear", False):
        st.session_state.pop(f"{prefix}_amount", None)
        st.session_state.pop(f"{prefix}_anonymous", None)


def amount_fields(prefix: str) -> tuple[str, str, bool]:
    """Amount (typed text), 现金/转账 and 匿名: the same three widgets for a resident and 代办."""
    amount = st.text_input("认捐金额（元）", key=f"{prefix}_amount", max_chars=12,
                           placeholder="例如 100")
    method = st.radio("交款方式", list(pledges.METHOD_LABELS), key=f"{prefix}_method",
                      format_func=pledges.METHOD_LABELS.get, horizontal=True)
    anonymous = st.checkbox("公示时不显示姓名（匿名）", key=f"{prefix}_anonymous")
    return amount, method, anonymous


def show_preview(db: Database, project_id: int, typed: str) -> None:
    """"你的100元 → 600元" and the match pool left, as soon as an amount is typed."""
    if not typed.strip():
        st.caption("输入金额后，这里显示加上配套后的金额。")
        return
    try:
        fen = parse_yuan(typed, field="amount")
    except ValidationError as error:
        st.warning(ui.esc(error.fields["amount"]))
        return
    shown = pledges.preview(db, project_id, fen)
    if not shown.match_percent:
        st.caption("本项目没有配套资金，认捐全部用于项目。")
        return
    st.markdown(f"#### 你的{short_yuan(shown.amount_fen)}元 → {short_yuan(shown.total_fen)}元")
    st.caption(f"{ui.esc(shown.sponsor)}配套 {yuan_text(shown.match_fen)} 元（按已到账金额估算，"
               "以工作人员确认到账时为准）。")
    if shown.match_left_fen is None:
        st.caption("配套资金不设上限。")
    elif shown.match_left_fen == 0:
        st.warning("配套资金已达上限，配套到此为止；您的认捐仍全部用于项目。")
    else:
        st.caption(f"配套资金还剩 {yuan_text(shown.match_left_fen)} 元。")
        if shown.capped:
            st.warning(f"配套资金只剩 {yuan_text(shown.match_left_fen)} 元，配套到此为止：您的认捐"
                       f"只能配套 {yuan_text(shown.match_fen)} 元。")


# --- the 认捐 tab of a project's page ------------------------------------------------------

def pledge_tab(db: Database, user: User, project: projects.Project) -> None:
    """认捐: the amount with its match, 现金/转账, 匿名, 确认认捐; then my pledges here."""
    ui.show_note(_NOTE)
    closed = pledges.closed_reason(db, project.id)
    if closed:
        st.info(closed)
    elif user.is_guest:
        st.info("登录后可以认捐。认捐后把钱交到社区服务站或转账，工作人员确认到账后计入项目。")
        log_in_to_act(project.id, "登录后认捐", key="pledge_login")
    else:
        _pledge_form(db, user, project)
    if not user.is_guest:
        _my_pledges(user, pledges.mine(db, user, project_id=project.id))


def _pledge_form(db: Database, user: User, project: projects.Project) -> None:
    _clear_form("pledge")
    typed, method, anonymous = amount_fields("pledge")
    show_preview(db, project.id, typed)
    problem = st.container()  # a refusal shows just above the button that was tapped
    st.caption("认捐后请把钱交到社区服务站（现金）或按工作人员告知的账户转账；确认到账后计入"
               "项目，并按规则得积分。")
    if not st.button("确认认捐", type="primary", key="pledge_submit", width="stretch"):
        return
    try:
        made = pledges.pledge(db, user, project_id=project.id, amount=typed, method=method,
                              anonymous=anonymous, key=_key(SUBMISSION_KEY))
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": problem})
        return
    st.session_state.pop(SUBMISSION_KEY, None)
    st.session_state[_CLEAR] = True
    _say(f"认捐已登记：{yuan_text(made.amount_fen)} 元（{made.method_label}）。"
         "工作人员确认到账后计入项目。")
    st.rerun()


def _withdraw(user: User, pledge_id: int) -> None:
    """Callback: before the page is drawn, so the list shows it at once."""
    try:
        pledges.withdraw(ui.portal_db(), user, pledge_id=pledge_id)
    except PortalError as error:
        _say(str(error), ok=False)
    else:
        _say("认捐已撤回。")


def _my_pledges(user: User, mine: list[pledges.Pledge]) -> None:
    if not mine:
        return
    st.subheader("我的认捐")
    for row in mine:
        with st.container(border=True, key=f"pledge_mine_{row.id}"):
            st.markdown(f"**{yuan_text(row.amount_fen)} 元** · {row.method_label} · "
                        f"{row.status_label}")
            extra = []
            if row.status == pledges.RECEIVED:
                extra.append(f"配套 {yuan_text(row.match_fen)} 元 · 得 {row.points} 积分")
            if row.anonymous:
                extra.append("公示匿名")
            if row.proxy_by:
                extra.append("工作人员代办")
            st.caption(" · ".join([local_text(row.created_at), *extra]))
            if row.is_pending:
                st.button("撤回认捐", key=f"pledge_withdraw_{row.id}", on_click=_withdraw,
                          args=(user, row.id))


# --- 管理 › 众筹账目 › 到账确认 -----------------------------------------------------------------

def _decide(actor: User, pledge_id: int, received: bool) -> None:
    """Callback: 已到账 / 未到账 before the queue is drawn again."""
    try:
        if received:
            done = pledges.confirm(ui.portal_db(), actor, pledge_id=pledge_id)
            _say(f"已确认到账：{done.user_name} {yuan_text(done.amount_fen)} 元，配套 "
                 f"{yuan_text(done.match_fen)} 元，积分 +{done.points}。")
        else:
            done = pledges.mark_not_received(ui.portal_db(), actor, pledge_id=pledge_id)
            _say(f"已标记未到账：{done.user_name} {yuan_text(done.amount_fen)} 元。")
    except PortalError as error:
        _say(str(error), ok=False)


def receipts_tab(db: Database, actor: User) -> None:
    """到账确认: pledges waiting for their money, by project, oldest first; then 代办认捐."""
    ui.show_note(_NOTE)
    waiting = pledges.pending_by_project(db, actor)
    if not waiting:
        st.info("没有等待确认到账的认捐。")
    else:
        chosen = st.selectbox(
            "项目", waiting, key="pledge_books_project",
            format_func=lambda p: f"{p['title']}（{p['count']} 笔，{yuan_text(p['sum_fen'])} 元）")
        queue = pledges.pending(db, actor, project_id=chosen["id"], limit=SHOWN_PENDING)
        if chosen["count"] > len(queue):
            st.caption(f"共 {chosen['count']} 笔，先显示最早的 {len(queue)} 笔。")
        for row in queue:
            _pending_card(actor, row)
    with st.expander("代居民认捐（代办）"):
        proxy_form(db, actor)


def _pending_card(actor: User, row: pledges.Pledge) -> None:
    with st.container(border=True, key=f"pledge_pending_{row.id}"):
        st.markdown(f"**{ui.esc(row.user_name)}** · {yuan_text(row.amount_fen)} 元 · "
                    f"{row.method_label}")
        notes = [ui.esc(row.address) if row.address else "未绑定住户", local_text(row.created_at)]
        if row.anonymous:
            notes.append("公示匿名")
        if row.proxy_by:
            notes.append("代办")
        st.caption(" · ".join(notes))
        left, right = st.columns(2)
        left.button("已到账", key=f"pledge_received_{row.id}", type="primary", width="stretch",
                    on_click=_decide, args=(actor, row.id, True))
        right.button("未到账", key=f"pledge_missing_{row.id}", width="stretch",
                     on_click=_decide, args=(actor, row.id, False))


def proxy_form(db: Database, actor: User) -> None:
    """代办认捐: find the resident, pick a raising project, amount, 现金/转账, 匿名."""
    raising = projects.list_projects(db, statuses=(projects.RAISING,))
    if not raising:
        st.caption("没有正在众筹的项目。")
        return
    holder = people_ui.find_holder(db, actor, PROXY)
    chosen = st.selectbox("项目", raising, key=f"{PROXY}_project",
                          format_func=lambda p: p.title)
    _clear_form(PROXY)
    typed, method, anonymous = amount_fields(PROXY)
    problem = st.container()
    if not st.button("代为认捐", type="primary", key=f"{PROXY}_submit", width="stretch"):
        return
    if holder is None:
        st.error("请先查找并选择居民。")
        return
    try:
        made = pledges.pledge(db, actor, project_id=chosen.id, amount=typed, method=method,
                              anonymous=anonymous, key=_key(f"{PROXY}_key"),
                              for_user_id=holder.user_id)
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": problem})
        return
    st.session_state.pop(f"{PROXY}_key", None)
    st.session_state[f"{PROXY}_clear"] = True
    _say(f"已为 {made.user_name} 登记认捐 {yuan_text(made.amount_fen)} 元（{made.method_label}），"
         "请由其他工作人员确认到账。")
    st.rerun()
