"""管理 › 积分发放 (staff): find a resident, see their points, grant or deduct a special award
after a confirmation, and print their passbook for a resident who prefers paper."""
from __future__ import annotations

import re
import unicodedata
import uuid

import streamlit as st
from sqlite_utils import Database

from lib.core import rules, ui
from lib.core.clock import local_text
from lib.core.errors import PortalError, ValidationError
from lib.core.roles import User
from lib.people import holders
from lib.people import ui as people_ui
from lib.points import ledger
from lib.points import ui as points_ui


KEY = "admin_points"
_WHOLE = re.compile(r"[+-]?[0-9]{1,7}")
LABELS = {"amount": "积分数", "reason": "理由", "user_id": "居民", "key": "操作"}


def parse_amount(text: str, *, deduct: bool) -> int:
    """The typed points as a signed whole number; ２０ (full width) is 20. Raises ValidationError."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not _WHOLE.fullmatch(folded):
        raise ValidationError({"amount": "请填写整数积分，例如 20。"})
    value = int(folded)
    if value <= 0:
        raise ValidationError({"amount": "积分数必须大于 0；扣减请选择“扣减”。"})
    return -value if deduct else value


def grant_page(db: Database, actor: User) -> None:
    chosen = people_ui.find_holder(db, actor, KEY)
    if chosen is None:
        return
    st.metric(f"{chosen.display_name} 的积分", f"{ledger.balance(db, chosen.user_id)} 分")
    recent = ledger.history(db, chosen.user_id, limit=10)
    if recent:
        st.dataframe([{"时间": local_text(e.created_at), "类型": e.kind_label,
                       "收支": f"{e.amount:+d}", "理由": e.reason} for e in recent],
                     hide_index=True, width="stretch")
    _award_form(db, actor, chosen)
    _print_passbook(db, actor, chosen)


def _award_form(db: Database, actor: User, holder: holders.Holder) -> None:
    cap = rules.get(db, "points.special_max")
    st.subheader("特别奖励 / 扣减")
    st.caption(f"单次不超过 {cap} 分；扣减不会使积分低于 0。每次操作都记入审计日志。")
    # outside the form, so the submit button says at once what it will do
    direction = st.radio("操作", ["发放", "扣减"], horizontal=True, key=f"{KEY}_direction")
    with st.form(f"{KEY}_form"):
        amount_text = st.text_input("积分数", key=f"{KEY}_amount", max_chars=10, placeholder="例如 20")
        reason = st.text_area("理由", key=f"{KEY}_reason", max_chars=ledger.MAX_REASON,
                              placeholder="例如：让出自家菜地修路")
        confirmed = st.checkbox("我已核对居民、积分数和理由", key=f"{KEY}_confirmed")
        submitted = st.form_submit_button("确认" + direction, type="primary")
    if not submitted:
        return
    try:
        amount = parse_amount(amount_text, deduct=direction == "扣减")
        if not confirmed:
            raise ValidationError({"confirm": "请先勾选“我已核对居民、积分数和理由”。"})
        entry = ledger.special(db, actor, user_id=holder.user_id, amount=amount, reason=reason,
                               key=_award_key(holder.user_id, amount, reason))
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    st.success(f"已为 {ui.esc(holder.display_name)} {direction} {abs(entry.amount)} 分，"
               f"当前余额 {ledger.balance(db, holder.user_id)} 分。")


def _award_key(user_id: int, amount: int, reason: str) -> str:
    """The award's idempotency key: the same one while the form says the same thing.

    Two quick taps on 确认 submit the form twice; the second then finds the first entry by its
    key instead of granting again. A different resident, amount or reason is a new award.
    """
    what = f"{user_id}|{amount}|{reason.strip()}"
    last = st.session_state.get(f"{KEY}_last")
    if not last or last[0] != what:
        last = (what, f"special:{uuid.uuid4().hex}")
        st.session_state[f"{KEY}_last"] = last
    return last[1]


def _print_passbook(db: Database, actor: User, holder: holders.Holder) -> None:
    st.subheader("打印积分存折")
    points_ui.passbook_button(db, actor, holder.user_id, label="生成积分存折（PDF）",
                              key=f"{KEY}_passbook", file_name=f"积分存折-{holder.username}.pdf")
