"""Streamlit parts of 一户一票: a topic's 表决 tab and 管理 › 议事 › 投票.

表决 (residents): the question and options, 投票 / 改票 for a verified household, "你家已投：…",
every refusal in lib's Chinese words, and the public count once the vote has opened (totals by
option, turnout against the quorum, per building, with charts). Who voted what is not public.

投票 (staff): open a vote on a 待表决 plan, type paper ballots by building + room (a ballot
for a household that already voted online is kept on the record and the page says the count is
unchanged), the ballot record with the rule of each ballot, and cancelling a vote.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import SHANGHAI, local_text, local_today, utc_now
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.council import charts, votes
from lib.council.tally import OUTCOME_LABELS, Tally, outcome, tally, version
from lib.council.ui_parts import log_in_to_act


NOTE_KEY = "council_vote_note"
ADMIN_NOTE_KEY = "council_vote_admin_note"
PAPER_NOTE_KEY = "council_vote_paper_note"  # shown under the paper form, where staff look
OPEN_LABELS = {"question": "表决事项", "options": "选项", "adopting": "表示通过的选项",
               "opens_at": "开始时间", "closes_at": "截止时间", "quorum": "法定户数",
               "scope": "表决范围", "plan": "方案"}
RECORD_ROWS = 200  # the ballot record's latest rows; a 6,000-household vote has thousands
PAPER_LABELS = {"building": "楼栋", "room": "房号", "option": "选项", "signed_by": "签名人",
                "collected_at": "收票时间", "vote": "表决"}


def _key(name: str) -> str:
    """A submission key kept across reruns until the write succeeds (a double tap writes once)."""
    return st.session_state.setdefault(name, uuid.uuid4().hex)


def _at(day, clock) -> datetime | None:
    """A Shanghai date + time from the form as an aware datetime (None if either is missing)."""
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=SHANGHAI)


# --- residents: the topic's 表决 tab ---------------------------------------------------------


def vote_tab(db: Database, user: User, topic) -> None:
    """表决: every vote on the topic's plans, newest first; cancelled ones folded away."""
    ui.show_note(NOTE_KEY)
    shown = votes.votes_of_topic(db, topic.id)
    live = [vote for vote in shown if vote.status != "cancelled"]
    if not live:
        st.info("这个议题还没有发起表决。方案协商好后，社区会在这里发起“一户一票”表决。")
    for vote in live:
        with st.container(border=True, key=f"council_vote_{vote.id}"):
            vote_section(db, user, vote)
    cancelled = [vote for vote in shown if vote.status == "cancelled"]
    if cancelled:
        with st.expander(f"已取消的表决（{len(cancelled)}）"):
            for vote in cancelled:
                st.markdown(f"**{ui.esc(vote.question)}**")
                st.caption(f"已取消：{ui.esc(vote.cancel_reason)}")


def vote_section(db: Database, user: User, vote: votes.Vote) -> None:
    """One vote: what is asked, the household's part, then the public count."""
    st.markdown(f"**{ui.esc(vote.question)}**")
    st.caption(f"方案：{ui.esc(vote.plan_title)} · {vote.state_label}")
    st.caption(f"投票时间：{local_text(vote.opens_at)} 至 {local_text(vote.closes_at)} · "
               f"范围：{ui.esc(vote.scope_label)}（{vote.eligible}户）· 法定户数：{vote.quorum}户")
    st.caption("一户一票：家里任何一位成员都可以投，截止前可以改票，以最后一次为准；"
               "已交纸质选票的住户请联系社区更改。")
    household_part(db, user, vote)
    if vote.state != votes.UPCOMING:
        count_part(db, vote)


def household_part(db: Database, user: User, vote: votes.Vote) -> None:
    """你家已投 / the ballot form / why this account cannot vote."""
    if vote.state in (votes.UPCOMING, votes.OPEN) and user.is_guest:
        st.info("登录并核实住户后，可以代表你家投票。")
        log_in_to_act("登录后投票", key=f"council_vote_login_{vote.id}", topic_id=vote.topic_id)
        return
    if user.is_guest:
        return
    choice = votes.household_choice(db, vote.id, user.household_id)
    if choice is not None:
        st.success(ui.esc(choice.text), icon=":material/how_to_vote:")
    if vote.state == votes.UPCOMING:
        st.info(f"投票尚未开始，开始时间：{local_text(vote.opens_at)}。")
        return
    if vote.state == votes.CLOSED:  # also what a tap on a form drawn before closing gets
        st.info(f"投票已于{local_text(vote.closes_at)}截止，不能再投票或改票。")
        return
    if vote.state != votes.OPEN:
        return
    if choice is not None and choice.channel == "paper":
        st.info("你家已交纸质选票，如需更改请联系社区。")
        return
    ballot_form(db, user, vote, changing=choice is not None)


def ballot_form(db: Database, user: User, vote: votes.Vote, *, changing: bool) -> None:
    labels = {option.id: option.label for option in vote.options}
    with st.form(f"council_ballot_form_{vote.id}"):
        chosen = st.radio("你家的选择", list(labels), format_func=labels.get, index=None,
                          key=f"council_ballot_choice_{vote.id}")
        # keyed: a page drawn before another member voted says 投票, its rerun says 改票;
        # without a key the relabelled button would be a new widget and the tap lost
        submitted = st.form_submit_button("改票" if changing else "投票", type="primary",
                                          width="stretch", key=f"council_ballot_submit_{vote.id}")
        place = st.empty()
    if not submitted:
        return
    if chosen is None:
        place.error("请选择一个选项。")
        return
    key_name = f"council_ballot_key_{vote.id}"
    try:
        result = votes.cast(db, user, vote_id=vote.id, option_id=chosen, key=_key(key_name))
    except PortalError as error:
        st.session_state.pop(key_name, None)  # refused: a later try is a new ballot
        ui.show_error(error, {"option": "选项"}, places={"*": place})
        return
    st.session_state.pop(key_name, None)
    verb = "已改票" if result.rule == votes.RULE_CHANGE else "已投票"
    ui.leave_note(NOTE_KEY, f"{verb}：{result.option_label}（{result.rule}）。")
    st.rerun()


@dataclass(frozen=True)
class Drawn:
    """A count with its charts' specs built (Altair's to_dict costs more than the count)."""

    result: Tally
    option_chart: dict
    building_chart: dict


def draw_count(db: Database, vote_id: int) -> Drawn:
    result = tally(db, vote_id)
    return Drawn(result, charts.option_chart(result).to_dict(),
                 charts.building_chart(result).to_dict())


@st.cache_resource(max_entries=32, show_spinner=False)
def _drawn(_db: Database, database_path: str, vote_id: int, counted: tuple) -> Drawn:
    """Keyed by tally.version: a new ballot makes a new entry, so nobody reads a stale count."""
    return draw_count(_db, vote_id)


def count_part(db: Database, vote: votes.Vote) -> None:
    """The public count: totals, turnout against the quorum, online/paper, per building."""
    drawn = _drawn(db, str(ui.portal().settings.database_path), vote.id, version(db, vote.id))
    result = drawn.result
    st.markdown("**计票（公开）**")
    left, right = st.columns(2)
    left.metric("已投户数", f"{result.voted} / {result.eligible}",
                help="范围内的户数以发起表决时为准")
    right.metric("法定户数", f"{result.quorum}户", "已达到" if result.quorum_met else "未达到",
                 delta_color="normal" if result.quorum_met else "inverse")
    st.caption(f"投票率 {result.turnout_percent}% · 线上 {result.online}户 · 纸质 {result.paper}户")
    for option in result.options:
        share = round(100 * option.households / result.voted, 1) if result.voted else 0.0
        st.caption(f"{ui.esc(option.label)}：{option.households}户（{share}%）")
    st.vega_lite_chart(spec=drawn.option_chart, width="stretch")  # built once per count
    if vote.state in (votes.CLOSED, votes.PUBLISHED):
        decided, _ = outcome(result)
        st.info(f"计票结果（按规则）：{OUTCOME_LABELS[decided]}。"
                "规则：达到法定户数，且票数最多的选项为“通过方案”的选项并多于其他每个选项。")
    if len(result.buildings) > 1 or vote.scope_place_id is None:
        with st.expander("各楼栋投票率"):
            st.vega_lite_chart(spec=drawn.building_chart, width="stretch")
            # one table, however many buildings: a caption each cost 300 elements a run
            st.dataframe([{"楼栋": row.name, "已投户数": row.voted, "户数": row.households,
                           "投票率%": row.percent} for row in result.buildings],
                         hide_index=True, width="stretch", height=240)


# --- staff: 管理 › 议事 › 投票 -----------------------------------------------------------------


def votes_admin(db: Database, user: User) -> None:
    """投票: open a vote, type paper ballots, read the record, cancel."""
    if not user.at_least(STAFF):
        st.warning("只有社区工作人员可以管理表决。")
        return
    ui.show_note(ADMIN_NOTE_KEY)
    with st.expander("发起表决", icon=":material/how_to_vote:"):
        open_form(db, user)
    current = votes.open_votes(db)
    if not current:
        st.info("目前没有进行中或待公示的表决。")
        return
    names = {vote.id: f"{vote.plan_title}（{vote.state_label}）" for vote in current}
    vote_id = st.selectbox("选择表决", list(names), format_func=names.get,
                           key="council_admin_vote")
    vote = next(vote for vote in current if vote.id == vote_id)
    st.caption(f"{ui.esc(vote.question)} · {local_text(vote.opens_at)} 至 "
               f"{local_text(vote.closes_at)} · 范围：{ui.esc(vote.scope_label)}")
    st.subheader("录入纸质选票")
    paper_form(db, user, vote)
    st.subheader("选票记录")
    record_part(db, user, vote)
    with st.expander("取消表决"):
        cancel_form(db, user, vote)


def open_form(db: Database, user: User) -> None:
    plans = votes.draft_plans(db)
    if not plans:
        st.caption("没有“待表决”的方案：先在“会议”中记录方案。")
        return
    plan_names = {plan["id"]: f"{plan['title']}（议题：{plan['topic_title']}）" for plan in plans}
    scopes = {0: "全体住户", **{row["id"]: row["name"] for row in votes.buildings(db)}}
    today = local_today()
    now = utc_now().astimezone(SHANGHAI)  # opens now unless staff pick a later time
    with st.form("council_open_vote"):
        plan_id = st.selectbox("方案", list(plan_names), format_func=plan_names.get,
                               key="council_open_plan")
        question = st.text_input(OPEN_LABELS["question"], key="council_open_question",
                                 max_chars=200, placeholder="如：是否同意在大门加装雨棚？")
        options = st.text_area("选项（每行一个）", value="同意\n不同意\n弃权",
                               key="council_open_options")
        adopting = st.text_input("表示通过方案的选项（多个用逗号分开）", value="同意",
                                 key="council_open_adopting")
        opens_day = st.date_input("开始日期", value=today, key="council_open_day")
        opens_clock = st.time_input("开始时间", value=now.time().replace(second=0, microsecond=0),
                                    key="council_open_clock")
        closes_day = st.date_input("截止日期", value=today + timedelta(days=7),
                                   key="council_close_day")
        closes_clock = st.time_input("截止时间", value=time(20, 0), key="council_close_clock")
        quorum = st.number_input("法定户数（至少多少户参加才有效）", min_value=1, value=1, step=1,
                                 key="council_open_quorum")
        scope = st.selectbox(OPEN_LABELS["scope"], list(scopes), format_func=scopes.get,
                             key="council_open_scope")
        submitted = st.form_submit_button("发起表决", type="primary", width="stretch")
        place = st.empty()
    if not submitted:
        return
    opens_at = _at(opens_day, opens_clock)
    if opens_at is not None and opens_day == today and opens_at < utc_now():
        opens_at = utc_now()  # "today 08:00" already passed: open now
    try:
        votes.open_vote(
            db, user, plan_id=plan_id, question=question, options=options.splitlines(),
            adopting=adopting.replace("，", ",").split(","), opens_at=opens_at,
            closes_at=_at(closes_day, closes_clock), quorum=int(quorum),
            scope_place_id=scope or None)
    except PortalError as error:
        ui.show_error(error, OPEN_LABELS, places={"*": place})
        return
    ui.leave_note(ADMIN_NOTE_KEY, "已发起表决，住户可以在议题的“表决”页投票。")
    st.rerun()


def paper_form(db: Database, user: User, vote: votes.Vote) -> None:
    buildings = {row["id"]: row["name"] for row in votes.buildings(db)}
    labels = {option.id: option.label for option in vote.options}
    now = utc_now().astimezone(SHANGHAI)
    with st.form(f"council_paper_{vote.id}"):
        building = st.selectbox("楼栋", list(buildings), format_func=buildings.get, index=None,
                                key="council_paper_building", placeholder="选择楼栋")
        room = st.text_input("房号", key="council_paper_room", max_chars=20, placeholder="如：302")
        option_id = st.radio("选票上的选择", list(labels), format_func=labels.get, index=None,
                             key="council_paper_option")
        signed_by = st.text_input("签名人", key="council_paper_signed", max_chars=40)
        day = st.date_input("收票日期", value=now.date(), key="council_paper_day")
        clock = st.time_input("收票时间", value=now.time().replace(second=0, microsecond=0),
                              key="council_paper_clock")
        submitted = st.form_submit_button("录入纸质选票", type="primary", width="stretch")
        place = st.empty()
    ui.show_note(PAPER_NOTE_KEY)
    if not submitted:
        return
    if option_id is None:
        place.error("请选择选票上的选项。")
        return
    key_name = f"council_paper_key_{vote.id}"
    try:
        household_id = votes.find_household(db, building, room)
        result = votes.enter_paper(db, user, vote_id=vote.id, household_id=household_id,
                                   option_id=option_id, signed_by=signed_by,
                                   collected_at=_collected(vote, _at(day, clock)),
                                   key=_key(key_name))
    except PortalError as error:
        st.session_state.pop(key_name, None)
        ui.show_error(error, PAPER_LABELS, places={"*": place})
        return
    st.session_state.pop(key_name, None)
    for name in ("council_paper_room", "council_paper_signed", "council_paper_option"):
        st.session_state.pop(name, None)
    address = f"{buildings[building]}{room.strip()}"
    if result.counted:
        ui.leave_note(PAPER_NOTE_KEY, f"已录入{address}的纸质选票：{result.option_label}，已计入。")
    else:
        ui.leave_note(PAPER_NOTE_KEY, f"{address}：{result.rule}。这张纸质选票已记录在案，"
                                      "计票不变。", ok=False)
    st.rerun()


def _collected(vote: votes.Vote, picked: datetime | None) -> datetime | None:
    """The form's time has minutes only: in the minute the vote opened, the ballot was
    collected after the opening, not before it."""
    opens = datetime.fromisoformat(vote.opens_at)
    if picked is not None and picked < opens < picked + timedelta(minutes=1):
        return opens
    return picked


def record_part(db: Database, user: User, vote: votes.Vote) -> None:
    """Every ballot with the rule that decided it (staff only: who voted what is not public)."""
    result = tally(db, vote.id)
    total = votes.ballot_count(db, vote.id)
    st.caption(f"共 {total} 张选票，计入 {result.voted} 户（线上 {result.online}、"
               f"纸质 {result.paper}）。")
    if not total:
        return
    every = total <= RECORD_ROWS or st.toggle(f"显示全部 {total:,} 张（默认最近 {RECORD_ROWS} 张）",
                                              key=f"council_record_all_{vote.id}")
    rows = votes.ballots(db, user, vote.id, limit=None if every else RECORD_ROWS)
    st.dataframe([{
        "住户": row.address, "选项": row.option_label, "方式": row.channel_label,
        "计入": "当前计入" if row.current else ("曾计入" if row.counted else "不计入"),
        "规则": row.rule, "投票人": row.by_name, "投票/收票时间": local_text(row.cast_at),
        "录入时间": local_text(row.recorded_at)} for row in rows], hide_index=True, width="stretch")


def cancel_form(db: Database, user: User, vote: votes.Vote) -> None:
    with st.form(f"council_cancel_vote_{vote.id}"):
        reason = st.text_input("取消原因", key="council_cancel_reason", max_chars=200)
        submitted = st.form_submit_button("取消这次表决")
        place = st.empty()
    if not submitted:
        return
    try:
        votes.cancel_vote(db, user, vote_id=vote.id, reason=reason)
    except PortalError as error:
        ui.show_error(error, {"reason": "取消原因"}, places={"*": place})
        return
    ui.leave_note(ADMIN_NOTE_KEY, "已取消表决，方案回到“待表决”。")
    st.rerun()
