"""Streamlit parts of 议事's meetings: a meeting's page (/council?m=<id>), a topic's 方案 tab,
and 管理 › 议事 › 会议 where staff schedule a meeting, set its agenda, record its minutes with
photos and the plan it agreed for each topic.

Everything here is public to read (a resident follows the deliberation from a phone); only the
admin tab writes, and lib.council.meetings checks the role again.
"""
from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, ui
from lib.core.clock import local_today
from lib.core.errors import NotFound, PortalError
from lib.core.roles import STAFF, User
from lib.council import meetings, topics, ui_publish
from lib.council.ui_parts import MEETING_PARAM, open_meeting, open_topic


NOTE = "council_meetings_note"
PICK = "council_meetings_pick"
NEXT_PICK = "council_meetings_next"  # set by an action, moved into PICK before the widget runs
NEW = 0  # the picker's "安排新会议"
UPLOAD_WIDGET_MB = 20  # above lib's 10 MB, so an oversized photo gets lib's Chinese message
LABELS = {"title": "名称", "held_on": "会议日期", "starts_at": "开始时间", "venue": "会议地点",
          "participants": "参会人员", "topic_ids": "议程", "reason": "取消原因",
          "minutes": "会议纪要", "photos": "纪要照片", "options_discussed": "讨论过的方案",
          "body": "议定的方案", "cost": "预计费用", "duties": "分工", "deadline": "完成期限",
          "owner": "负责人", "meeting_id": "会议"}


# --- reading: a meeting's page and a topic's 方案 tab --------------------------------------


def meeting_page(db: Database, user: User, meeting_id: object) -> None:
    """/council?m=<id>: last round's follow-up first, then the meeting, its agenda, minutes
    and the plans it agreed."""
    try:
        meeting = meetings.get_meeting(db, int(str(meeting_id)))
    except (ValueError, NotFound):  # a crafted ?m= finds nothing, as an unknown number does
        st.warning("找不到该会议。")
        return
    st.title(ui.esc(meeting.title))
    st.caption(f"{meeting.status_label} · {meeting.when_text} · {ui.esc(meeting.venue)}")
    # 上轮落实情况 opens the meeting, under its name, as the seeds' 回头看 does
    ui_publish.last_round_section(db, user, meeting)
    if meeting.is_cancelled:
        st.warning(f"会议已取消：{ui.esc(meeting.cancel_reason)}")
    elif meeting.is_scheduled and not meeting.has_begun:
        st.info(f"会议将于 {meeting.when_text} 在 {ui.esc(meeting.venue)} 召开，欢迎居民参加、旁听。")
    if meeting.participants:
        st.markdown(f"**参会人员**：{ui.esc(meeting.participants)}")
    agenda_part(meeting)
    minutes_part(meeting)
    agreed = meetings.plans_of_meeting(db, meeting.id)
    if agreed:
        st.subheader("议定的方案")
        for plan in agreed:
            plan_card(plan, key="council_meeting_plan", show_topic=True)


def agenda_part(meeting: meetings.Meeting) -> None:
    """The agenda: each topic a tap away."""
    st.subheader("议程")
    if not meeting.agenda:
        st.caption("议程还没有确定。")
    for number, item in enumerate(meeting.agenda, start=1):
        st.button(f"{number}. {ui.esc(item.title)}", key=f"council_meeting_topic_{item.topic_id}",
                  on_click=open_topic, args=(item.topic_id,), width="stretch",
                  icon=":material/chevron_right:")


def minutes_part(meeting: meetings.Meeting) -> None:
    """会议纪要 once held, with its photos (small, several to a row on a phone)."""
    if meeting.is_cancelled:
        return
    st.subheader("会议纪要")
    if not meeting.is_held:
        st.caption("会议召开后，工作人员会在这里公开会议纪要和现场照片。")
        return
    for paragraph in meeting.minutes_text.splitlines():
        if paragraph.strip():
            st.markdown(ui.esc(paragraph))
    shots = [photos.path_for(ui.portal().settings.data_dir, name, thumb=True)
             for name in meeting.photos]
    shots = [str(path) for path in shots if path.exists()]
    if shots:
        st.image(shots, width=110)


def plan_card(plan: meetings.Plan, *, key: str, show_topic: bool = False,
              show_meeting: bool = False) -> None:
    """One plan as residents read it: what was agreed, what it costs, who does what, by when."""
    with st.container(border=True, key=f"{key}_{plan.id}"):
        st.markdown(f"**{ui.esc(plan.title)}** · {plan.status_label}")
        if show_topic:
            st.caption(f"议题：{ui.esc(plan.topic_title)}")
        if show_meeting and plan.meeting_id:
            st.button(f"{plan.meeting_held_on} {ui.esc(plan.meeting_title)}",
                      key=f"{key}_meeting_{plan.id}", on_click=open_meeting,
                      args=(plan.meeting_id,), icon=":material/event:")
        st.markdown(f"**议定方案**：{ui.esc(plan.body)}")
        if plan.options_discussed:
            st.markdown(f"**讨论过的方案**：{ui.esc(plan.options_discussed)}")
        st.markdown(f"**预计费用**：{plan.cost_text}")
        st.markdown(f"**分工**：{ui.esc(plan.duties)}")
        st.markdown(f"**负责人**：{ui.esc(plan.owner)} · **完成期限**：{plan.deadline or '未定'}")


def plans_tab(db: Database, user: User, topic: topics.Topic) -> None:
    """A topic's 方案 tab: the meetings that discussed it and the plans they agreed."""
    held = meetings.meetings_of_topic(db, topic.id)
    plans = meetings.plans_of_topic(db, topic.id)
    if not held and not plans:
        st.info("这个议题还没有安排上会讨论。社区会把重要的议题列入议事会议程，"
                "讨论出方案后在这里公开。")
        return
    if plans:
        st.subheader("方案")
        for plan in plans:
            plan_card(plan, key="council_topic_plan", show_meeting=True)
    if held:
        st.subheader("讨论这个议题的会议")
        for meeting in held:
            meeting_line(meeting, key="council_topic_meeting")


def meetings_section(db: Database, user: User) -> None:
    """议事会议 on the board: the coming meetings and the last one held, each a tap away (the
    last one opens with its round's follow-up). Nothing when there has been none."""
    coming = meetings.upcoming_meetings(db, limit=3)
    last_held = next((m for m in meetings.past_meetings(db, limit=10) if m.is_held), None)
    if not coming and last_held is None:
        return
    with st.container(key="council_board_meetings"):
        st.subheader("议事会议")
        st.caption("居民可以参加、旁听；会后在会议页公开纪要和议定的方案。")
        for meeting in [*coming, *([last_held] if last_held else [])]:
            meeting_line(meeting, key="council_board_meeting")


def meeting_line(meeting: meetings.Meeting, *, key: str) -> None:
    """A meeting in a list: tapping it opens its page."""
    with st.container(border=True, key=f"{key}_{meeting.id}"):
        st.button(ui.esc(meeting.title), key=f"{key}_open_{meeting.id}", on_click=open_meeting,
                  args=(meeting.id,), width="stretch", icon=":material/chevron_right:")
        st.caption(f"{meeting.status_label} · {meeting.when_text} · {ui.esc(meeting.venue)}")


# --- 管理 › 议事 › 会议 --------------------------------------------------------------------


def _note(text: str, ok: bool = True) -> None:
    ui.leave_note(NOTE, text, ok)


def _key(name: str) -> str:
    """This form's submission key: the same for a double tap, a new one after it went through."""
    return st.session_state.setdefault(name, uuid.uuid4().hex)


def _meeting_label(meeting: meetings.Meeting) -> str:
    return f"{meeting.held_on} {meeting.title}（{meeting.status_label}）"


def meetings_admin(db: Database, user: User) -> None:
    """会议: pick a meeting (or a new one), then its details, minutes and plans."""
    if not user.at_least(STAFF):  # the page guard stops lower roles first; lib checks again
        st.error("此页面仅限社区工作人员使用。")
        return
    if NEXT_PICK in st.session_state:
        st.session_state[PICK] = st.session_state.pop(NEXT_PICK)
    every = meetings.all_meetings(db)
    by_id = {meeting.id: meeting for meeting in every}
    if st.session_state.get(PICK) not in (NEW, *by_id):
        st.session_state[PICK] = NEW
    chosen = st.selectbox("会议", [NEW, *by_id], key=PICK,
                          format_func=lambda mid: "＋ 安排新会议" if mid == NEW
                          else _meeting_label(by_id[mid]))
    ui.show_note(NOTE)
    if chosen == NEW:
        meeting_form(db, user, None)
        return
    meeting = by_id[chosen]
    st.caption(f"{meeting.status_label} · {meeting.when_text} · {ui.esc(meeting.venue)}")
    st.page_link(ui.PAGE_FILES["council"], label="查看居民看到的会议页",
                 icon=":material/open_in_new:", query_params={MEETING_PARAM: str(meeting.id)})
    if meeting.is_cancelled:
        st.warning(f"会议已取消：{ui.esc(meeting.cancel_reason)}")
        return
    if meeting.is_scheduled:
        with st.expander("修改时间、地点、议程", icon=":material/edit:"):
            meeting_form(db, user, meeting)
    if not meeting.has_begun:
        st.info(f"会议定在 {meeting.held_on}：当天及以后才能记录方案和会议纪要。")
    else:
        plans_part(db, user, meeting)
        minutes_form(db, user, meeting)
    if meeting.is_scheduled:
        cancel_part(user, meeting)


def _topic_choices(db: Database, keep: tuple[int, ...] = ()) -> dict[int, str]:
    """Topics that may go on an agenda (not declined), with the ones already on it."""
    boxes = topics.board(db)
    choices = {topic.id: f"{topic.title}（{topic.box_label}）"
               for box in (topics.URGENT_IMPORTANT, topics.WATCH, topics.IMPORTANT_SLOW,
                           topics.NEW, topics.RESOLVED)
               for topic in boxes.get(box, [])}
    for topic_id in keep:
        choices.setdefault(topic_id, f"议题 {topic_id}")
    return choices


def meeting_form(db: Database, user: User, meeting: meetings.Meeting | None) -> None:
    """Schedule a meeting, or change a scheduled one: when, where, who, which topics."""
    prefix = f"council_meeting_form_{meeting.id if meeting else 'new'}"
    kept = tuple(item.topic_id for item in meeting.agenda) if meeting else ()
    choices = _topic_choices(db, kept)
    if not choices:
        st.info("还没有可以讨论的议题。请先在“议题”中整理居民提出的议题。")
        return
    with st.form(prefix):
        title = st.text_input("会议名称", value=meeting.title if meeting else "",
                              max_chars=meetings.TITLE_MAX, key=f"{prefix}_title",
                              placeholder="例如 11月院落议事会")
        held_on = st.date_input("会议日期", value=date.fromisoformat(meeting.held_on) if meeting
                                else local_today() + timedelta(days=7), key=f"{prefix}_day")
        starts_at = st.time_input("开始时间", value=time.fromisoformat(meeting.starts_at)
                                  if meeting and meeting.starts_at else time(19, 30),
                                  step=900, key=f"{prefix}_time")
        venue = st.text_input("会议地点", value=meeting.venue if meeting else "",
                              max_chars=meetings.VENUE_MAX, key=f"{prefix}_venue",
                              placeholder="例如 社区活动室")
        participants = st.text_area("参会人员", value=meeting.participants if meeting else "",
                                    max_chars=meetings.PARTICIPANTS_MAX,
                                    key=f"{prefix}_participants",
                                    placeholder="例如 居民代表、楼栋长、物业、社区工作人员")
        agenda = st.multiselect("议程（要讨论的议题）", list(choices), default=list(kept),
                                format_func=choices.get, key=f"{prefix}_topics",
                                placeholder="请选择议题")
        saved = st.form_submit_button("安排会议" if meeting is None else "保存修改",
                                      type="primary", width="stretch")
    if not saved:
        return
    fields = dict(title=title, held_on=held_on, starts_at=starts_at, venue=venue,
                  participants=participants, topic_ids=list(agenda))
    try:
        if meeting is None:
            made = meetings.schedule(db, user, key=_key(f"{prefix}_key"), **fields)
        else:
            made = meetings.update(db, user, meeting_id=meeting.id, **fields).id
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    if meeting is None:
        for field in ("key", "title", "venue", "participants", "topics"):
            st.session_state.pop(f"{prefix}_{field}", None)
    st.session_state[NEXT_PICK] = made
    _note("会议已安排，居民可以在议事页看到。" if meeting is None else "已保存会议的修改。")
    st.rerun()


def cancel_part(user: User, meeting: meetings.Meeting) -> None:
    with st.expander("取消会议", icon=":material/cancel:"):
        with st.form(f"council_meeting_cancel_{meeting.id}"):
            reason = st.text_input("取消原因（居民会在会议页看到）", max_chars=meetings.REASON_MAX,
                                   key=f"council_meeting_cancel_reason_{meeting.id}")
            go = st.form_submit_button("确认取消会议", width="stretch")
    if not go:
        return
    try:
        meetings.cancel(ui.portal_db(), user, meeting_id=meeting.id, reason=reason)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    _note("会议已取消。")
    st.rerun()


def minutes_form(db: Database, user: User, meeting: meetings.Meeting) -> None:
    """会议纪要 and photos; saving marks the meeting 已召开 (saving again amends it)."""
    st.subheader("会议纪要")
    prefix = f"council_minutes_{meeting.id}"
    # a new uploader after each save: the photos just stored must not stay chosen, where one
    # more tap would store them again under a new key
    shots_key = f"{prefix}_photos_{st.session_state.get(f'{prefix}_round', 0)}"
    if meeting.photos:
        st.caption(f"已上传 {len(meeting.photos)} 张现场照片（最多 {meetings.MINUTES_PHOTOS_MAX} 张）。")
    with st.form(prefix):
        minutes = st.text_area("会议纪要", value=meeting.minutes_text,
                               max_chars=meetings.MINUTES_MAX, key=f"{prefix}_text", height=160,
                               placeholder="谁参加了、讨论了什么、议定了什么")
        st.caption("照片：点下方 “Upload” 按钮选择现场照片，可一次选多张。")
        shots = st.file_uploader("现场照片", accept_multiple_files=True, key=shots_key,
                                 max_upload_size=UPLOAD_WIDGET_MB)
        saved = st.form_submit_button("保存纪要（会议记为已召开）" if meeting.is_scheduled
                                      else "保存纪要修改", type="primary", width="stretch")
    if not saved:
        return
    try:
        meetings.record_minutes(db, user, data_dir=ui.portal().settings.data_dir,
                                meeting_id=meeting.id, minutes=minutes,
                                photos=[shot.getvalue() for shot in shots or []],
                                key=_key(f"{prefix}_key"))
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    st.session_state.pop(f"{prefix}_key", None)
    st.session_state[f"{prefix}_round"] = st.session_state.get(f"{prefix}_round", 0) + 1
    _note("会议纪要已保存并公开，会议记为已召开。")
    st.rerun()


def plans_part(db: Database, user: User, meeting: meetings.Meeting) -> None:
    """方案, topic by topic of the agenda: the plans recorded and a form for a new one."""
    st.subheader("议定的方案")
    recorded = meetings.plans_of_meeting(db, meeting.id)
    for item in meeting.agenda:
        with st.container(border=True, key=f"council_admin_agenda_{meeting.id}_{item.topic_id}"):
            st.markdown(f"**议题：{ui.esc(item.title)}**")
            for plan in (p for p in recorded if p.topic_id == item.topic_id):
                plan_card(plan, key="council_admin_plan")
                if plan.is_draft:
                    with st.expander("修改方案", icon=":material/edit:"):
                        plan_form(db, user, meeting, item.topic_id, plan)
                else:
                    st.caption("表决已开始，方案不能再修改。")
            with st.expander("记录这个议题的方案", icon=":material/add:"):
                plan_form(db, user, meeting, item.topic_id, None)


def plan_form(db: Database, user: User, meeting: meetings.Meeting, topic_id: int,
              plan: meetings.Plan | None) -> None:
    prefix = (f"council_plan_{plan.id}" if plan else
              f"council_plan_new_{meeting.id}_{topic_id}")
    with st.form(prefix):
        title = st.text_input("方案名称", value=plan.title if plan else "",
                              max_chars=meetings.PLAN_TITLE_MAX, key=f"{prefix}_title",
                              placeholder="例如 大门加装雨棚")
        options = st.text_area("讨论过的方案", value=plan.options_discussed if plan else "",
                               max_chars=meetings.OPTIONS_MAX, key=f"{prefix}_options",
                               placeholder="例如 方案一：钢结构雨棚；方案二：可伸缩遮阳篷")
        body = st.text_area("议定的方案", value=plan.body if plan else "",
                            max_chars=meetings.BODY_MAX, key=f"{prefix}_body",
                            placeholder="最后议定怎么做")
        cost = st.text_input("预计费用（元，不需要花钱填 0）",
                             value=_yuan(plan.cost_fen) if plan else "", key=f"{prefix}_cost",
                             placeholder="例如 12000")
        duties = st.text_area("分工（谁做什么）", value=plan.duties if plan else "",
                              max_chars=meetings.DUTIES_MAX, key=f"{prefix}_duties",
                              placeholder="例如 物业负责施工，楼栋长监督")
        owner = st.text_input("负责人", value=plan.owner if plan else "",
                              max_chars=meetings.OWNER_MAX, key=f"{prefix}_owner",
                              placeholder="例如 物业公司")
        deadline = st.date_input("完成期限", value=date.fromisoformat(plan.deadline)
                                 if plan and plan.deadline else local_today() + timedelta(days=30),
                                 key=f"{prefix}_deadline")
        saved = st.form_submit_button("记录方案（待表决）" if plan is None else "保存方案",
                                      type="primary", width="stretch")
    if not saved:
        return
    fields = dict(title=title, options_discussed=options, body=body, cost=cost, duties=duties,
                  owner=owner, deadline=deadline)
    try:
        if plan is None:
            meetings.record_plan(db, user, topic_id=topic_id, meeting_id=meeting.id,
                                 key=_key(f"{prefix}_key"), **fields)
        else:
            meetings.update_plan(db, user, plan_id=plan.id, **fields)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    if plan is None:
        for field in ("key", "title", "options", "body", "cost", "duties", "owner"):
            st.session_state.pop(f"{prefix}_{field}", None)
    _note(f"已{'记录' if plan is None else '保存'}方案：{title.strip()}。"
          + ("接下来可以在“投票”中对它发起一户一票表决。" if plan is None else ""))
    st.rerun()


def _yuan(fen: int) -> str:
    """Fen as the plain yuan text the cost field takes back: 1200000 -> "12000"."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)
