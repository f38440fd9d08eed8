"""管理 › 志愿审核: review pending hours, credit an event's attendees at once, and (staff) 代录.

The domain functions check the role and micro-grid again, whatever this page showed.
"""
from __future__ import annotations

from datetime import timedelta

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_today
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.people import org
from lib.people import ui as people_ui
from lib.volunteer import hours, queries
from lib.volunteer.ui import (
    HALF_HOUR_CHOICES, LABELS, entry_fields, entry_line, flash, new_key, photo_field, show_flash, thumbnail,
)


PAGE_SIZE = 10  # cards drawn at once: each has a text box and two buttons (the page's cost)
SHOWN_KEY = "volunteer_review_shown"  # how many cards of the queue are drawn
TAB_KEY = "volunteer_tab"  # the tabs widget's own state
TAB_TITLES = ["待审核", "记录活动", "代录时长"]


def _show_more() -> None:
    """Button callback: draw the next page of the queue under the ones shown."""
    st.session_state[SHOWN_KEY] = st.session_state.get(SHOWN_KEY, PAGE_SIZE) + PAGE_SIZE


def review_page(db: Database, actor: User) -> None:
    """The three tasks, the queue first: it is what a leader opens the page for.

    Only the open tab runs (Streamlit's stateful tabs). The titles carry no count: a count that
    changed would make a new tabs widget and drop a half-filled 记录活动 back to the queue.
    """
    show_flash()
    titles = TAB_TITLES if actor.at_least(STAFF) else TAB_TITLES[:2]
    parts = {"待审核": review_queue, "记录活动": _events, "代录时长": proxy_log}
    ui.open_tab_only({title: parts[title] for title in titles}, TAB_KEY, db, actor)


def _events(db: Database, actor: User) -> None:
    record_event(db, actor)
    add_attendees(db, actor)


def review_queue(db: Database, actor: User) -> None:
    """The oldest waiting hours, PAGE_SIZE cards at a time, with the count of all waiting."""
    waiting = queries.pending_count(db, actor)
    if not waiting:
        st.info("目前没有待审核的志愿时长。")
        return
    scope = "全部微网格" if actor.at_least(STAFF) else "本微网格"
    st.caption(f"{scope}共 {waiting} 条待审核，通过后按规则自动发放积分。")
    pending = queries.pending_for(db, actor, limit=st.session_state.get(SHOWN_KEY, PAGE_SIZE))
    for entry in pending:
        with st.container(border=True, key=f"volunteer_review_{entry['id']}"):
            st.markdown(ui.esc(f"{entry['display_name']}（{entry['place_code'] or '未核实住户'}）"))
            st.markdown(ui.esc(entry_line(entry)))
            thumbnail(entry["photo"])
            reason = st.text_input(LABELS["reason"] + "（不通过时必填）",
                                   key=f"volunteer_reason_{entry['id']}", max_chars=hours.REASON_MAX)
            approve_col, reject_col = st.columns(2)
            try:
                if approve_col.button("通过", key=f"volunteer_approve_{entry['id']}", type="primary",
                                      width="stretch"):
                    done = hours.approve(db, actor, hours_id=entry["id"])
                    flash(f"已通过：{entry['display_name']} {hours.hours_text(done['half_hours'])}，"
                          f"+{done['points']} 积分。")
                    st.rerun()
                if reject_col.button("不通过", key=f"volunteer_reject_{entry['id']}",
                                     width="stretch"):
                    hours.reject(db, actor, hours_id=entry["id"], reason=reason)
                    flash(f"已退回：{entry['display_name']} 的志愿时长。")
                    st.rerun()
            except PortalError as error:  # e.g. reviewed meanwhile by someone else
                ui.show_error(error, LABELS)
    if waiting > len(pending):
        st.button(f"显示更多（还有 {waiting - len(pending)} 条）", key="volunteer_review_more",
                  on_click=_show_more, width="stretch")


def _tick_list_microgrid(db: Database, actor: User, key: str) -> int | None:
    """A leader's own micro-grid; staff choose one."""
    if not actor.at_least(STAFF):
        return actor.leads_microgrid_id
    grids = org.list_microgrids(db)
    chosen = st.selectbox("微网格", grids, index=None, placeholder="请选择微网格", key=key,
                          format_func=lambda g: f"{g['grid_name']} · {g['name']}")
    return chosen["id"] if chosen else None


def _ticks(people: list[dict], key: str, credited: set[int] = frozenset()) -> list[int]:
    """Who took part: one multiselect of the micro-grid's residents (typing filters it by name
    or room). A checkbox each, ~210 of them, made the tab 3-4x a typical page's cost."""
    # options are plain text (not markdown), so names are shown as they are
    labels = {person["id"]: f"{person['display_name']}（{person['place_code']} {person['room']}）"
              for person in people if person["id"] not in credited}
    if credited:
        st.caption(f"已记录的 {len(credited)} 人不再列出。")
    return st.multiselect("参加活动的居民", list(labels), format_func=labels.__getitem__, key=key,
                          placeholder="输入姓名或门牌查找，可选多人")


def record_event(db: Database, actor: User) -> None:
    """Event name, date, hours and a tick list of the micro-grid's residents, credited at once."""
    st.subheader("记录活动")
    microgrid_id = _tick_list_microgrid(db, actor, "volunteer_event_grid")
    if microgrid_id is None:
        if not actor.at_least(STAFF):
            st.info("您还没有负责的微网格。")
        return
    people = [p for p in queries.residents_of_microgrid(db, microgrid_id) if p["id"] != actor.id]
    if not people:
        st.info("这个微网格还没有已核实的住户。")
        return
    with st.form("volunteer_event_form"):
        name = st.text_input(LABELS["name"], key="volunteer_event_name", max_chars=hours.TEXT_MAX,
                             placeholder="例如：楼道清扫")
        held_on, half_hours = _event_fields()
        ticked = _ticks(people, "volunteer_event_tick")
        submitted = st.form_submit_button("记录并发放积分", type="primary", width="stretch")
    if not submitted:
        return
    try:
        hours.record_event(db, actor, name=name, held_on=held_on, half_hours=half_hours,
                           attendee_ids=ticked, key=new_key("volunteer_event_key"))
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    for key in [k for k in st.session_state if str(k).startswith("volunteer_event_")]:
        del st.session_state[key]
    points = hours.points_for(db, half_hours)
    flash(f"已记录“{name.strip()}”：{len(ticked)} 人各 {hours.hours_text(half_hours)}，"
          f"各得 {points} 积分。")
    st.rerun()


def _event_fields() -> tuple[object, int | None]:
    """The date and hours widgets of an event, labelled as an event's."""
    today = local_today()
    held_on = st.date_input(LABELS["held_on"], value=today, key="volunteer_event_date",
                            min_value=today - timedelta(days=hours.MAX_AGE_DAYS),
                            format="YYYY-MM-DD")
    half_hours = st.selectbox("每人时长", HALF_HOUR_CHOICES, index=None, placeholder="请选择",
                              format_func=hours.hours_text, key="volunteer_event_hours")
    return held_on, half_hours


def add_attendees(db: Database, actor: User) -> None:
    """Someone forgotten at a recent event: tick them, nobody already credited can be again."""
    events = queries.recent_events(db, actor)
    if not events:
        return
    st.subheader("补录参加者")
    event = st.selectbox("选择活动", events, index=None, placeholder="请选择最近的活动",
                         key="volunteer_more_event",
                         format_func=lambda e: f"{e['held_on']} {e['name']}（{e['attendees']} 人）")
    if event is None:
        return
    grid = event["microgrid_id"] or _tick_list_microgrid(db, actor, "volunteer_more_grid")
    if grid is None:
        return
    people = [p for p in queries.residents_of_microgrid(db, grid) if p["id"] != actor.id]
    credited = queries.attendee_ids(db, event["id"])
    with st.form("volunteer_more_form"):
        ticked = _ticks(people, f"volunteer_more_tick_{event['id']}", credited)
        submitted = st.form_submit_button("补录并发放积分", width="stretch")
    if not submitted:
        return
    try:
        added = hours.add_attendees(db, actor, event_id=event["id"], user_ids=ticked,
                                    key=new_key("volunteer_more_key"))
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    st.session_state.pop("volunteer_more_key", None)
    flash(f"已补录 {len(added)} 人。")
    st.rerun()


def proxy_log(db: Database, actor: User) -> None:
    """Staff log hours for a resident without a phone (代录); someone else reviews them."""
    st.subheader("代录时长")
    st.caption("为没有手机的居民登记志愿时长，记录为由您代录；需由其他人审核。")
    person = people_ui.find_holder(db, actor, "volunteer_proxy")
    photo, problem = photo_field("volunteer_proxy")
    with st.form("volunteer_proxy_form"):
        activity, served_on, half_hours, places = entry_fields("volunteer_proxy")
        submitted = st.form_submit_button("代录提交", type="primary", width="stretch")
        places["*"] = st.empty()
    if not submitted:
        return
    if person is None:
        st.error(f"{LABELS['user']}：请选择为哪位居民代录。")
        return
    if problem:
        st.error("照片有问题，还没有提交：请先删除或更换上面的照片。")
        return
    try:
        hours.log_hours(db, actor, activity=activity, served_on=served_on, half_hours=half_hours,
                        photo=photo, data_dir=ui.portal().settings.data_dir,
                        key=new_key("volunteer_proxy_key"), for_user_id=person.user_id)
    except PortalError as error:
        ui.show_error(error, LABELS, places=places)
        return
    for name in ("volunteer_proxy_key", "volunteer_proxy_activity", "volunteer_proxy_hours",
                 "volunteer_proxy_photo", "volunteer_proxy_query"):
        st.session_state.pop(name, None)
    flash(f"已为 {person.display_name} 代录，等待审核。")
    st.rerun()
