"""Streamlit parts of 筹劳: the 出工 tab of a project's page and 管理 › 众筹账目 › 出勤登记.

A resident picks a slot and taps 报名; staff mark who came and sign up a resident without a
phone. lib.crowdfund.labour checks every rule again, whatever these screens showed.
"""
from __future__ import annotations

from datetime import date

import streamlit as st
from sqlite_utils import Database

from lib.core import rules, ui
from lib.core.clock import utc_now
from lib.core.errors import PortalError
from lib.core.roles import User
from lib.crowdfund import labour, projects
from lib.crowdfund.money import yuan_text
from lib.crowdfund.ui_parts import choose_project, log_in_to_act
from lib.people import ui as people_ui


_NOTE = "labour_note"  # (message, ok) said once on the run after an action
_WEEKDAYS = "一二三四五六日"
_YOURS = {labour.SIGNED: "您已报名", labour.ATTENDED: "您已到场", labour.ABSENT: "您未到场"}


def _say(message: str, ok: bool = True) -> None:
    ui.leave_note(_NOTE, message, ok)


def _show_note() -> None:
    ui.show_note(_NOTE)


def day_text(work_on: str) -> str:
    """'2026-11-30' -> '11月30日（周一）': how a notice on the stairwell says it."""
    day = date.fromisoformat(work_on)
    return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）"


def slot_when(when) -> str:
    """A slot's (or a sign-up row's) day, start and length in one line."""
    if isinstance(when, dict):
        work_on, starts_at, half_hours = when["work_on"], when["starts_at"], when["half_hours"]
    else:
        work_on, starts_at, half_hours = when.work_on, when.starts_at, when.half_hours
    return f"{day_text(work_on)} {starts_at} 开始 · {labour.hours_text(half_hours)}"


def places_text(slot: labour.Slot) -> str:
    return "已满" if slot.is_full else f"剩余 {slot.left} 个名额"


def _do(action: str, success: str, **arguments: object) -> None:
    """A button's callback: one lib call as the person logged in now, said on this run.

    A callback runs before the page is drawn again, so a slot filled meanwhile still answers
    the tap with lib's "该时段名额已满" instead of a button that silently vanished.
    """
    db = ui.portal_db()
    actor = people_ui.current_user(db)
    try:
        getattr(labour, action)(db, actor, **arguments)
    except PortalError as error:
        _say(str(error), ok=False)
    else:
        _say(success)


# --- the 出工 tab of a project's page --------------------------------------------------------

def labour_tab(db: Database, user: User, project: projects.Project) -> None:
    """出工: the published value of an hour, the slots with places left, my sign-ups."""
    _show_note()
    rate = rules.get(db, "points.labour_hour")
    value = (f"每出工 1 小时折合 {yuan_text(project.labour_hour_fen)} 元计入项目，"
             if project.labour_hour_fen else "")
    st.caption(f"{value}到场后每小时得 {rate} 积分（半小时按一半计，不足 1 分不计）。")
    done = labour.totals(db, project.id)
    if done.half_hours:
        st.caption(f"已出工 {labour.hours_text(done.half_hours)}，折合 "
                   f"{yuan_text(done.value_fen)} 元。")
    slots = labour.tasks_of(db, project.id)
    if not slots:
        st.info("这个项目没有安排出工。")
        return
    taking = project.status in labour.OPEN_STATUSES
    if not taking:
        st.info("这个项目现在不接受出工报名。")
    elif user.is_guest:
        st.info("登录后可以报名出工。")
        log_in_to_act(project.id, "登录后报名", key="labour_login")
    mine = [] if user.is_guest else labour.my_signups(db, user.id, project_id=project.id)
    signed_for = {row["task_id"]: row for row in mine}
    for slot in slots:
        _slot_card(user, slot, signed_for.get(slot.id), taking)
    if mine:
        _my_signups(mine)


def _slot_card(user: User, slot: labour.Slot, mine: dict | None, taking: bool) -> None:
    with st.container(border=True, key=f"labour_slot_{slot.id}"):
        st.markdown(f"**{ui.esc(slot.name)}**")
        st.text(slot_when(slot))
        st.text(places_text(slot))
        if mine is not None:
            st.caption(_YOURS[mine["status"]])
        elif not taking or user.is_guest:
            return
        elif slot.has_started:
            st.caption("已开始，不能再报名")
        elif not slot.is_full:
            st.button("报名", type="primary", key=f"labour_join_{slot.id}", width="stretch",
                      on_click=_do, args=("sign_up", f"报名成功：{slot.name}，{slot_when(slot)}。"
                                                    "请准时到场。"),
                      kwargs={"task_id": slot.id})


def _my_signups(mine: list[dict]) -> None:
    st.subheader("我的报名", anchor=False)
    for row in mine:
        with st.container(border=True, key=f"labour_mine_{row['id']}"):
            st.markdown(f"**{ui.esc(row['task_name'])}** · {labour.STATUS_LABELS[row['status']]}"
                        + (f" +{row['points']} 积分" if row["points"] else ""))
            st.text(slot_when(row))
            started = labour.starts_of(row["work_on"], row["starts_at"]) <= utc_now()
            if row["status"] == labour.SIGNED and not started:
                st.button("取消报名", key=f"labour_leave_{row['id']}", width="stretch",
                          on_click=_do, args=("withdraw", f"已取消报名：{row['task_name']}。"),
                          kwargs={"signup_id": row["id"]})


def my_coming_slots(db: Database, user: User) -> None:
    """我的出工报名 on the 众筹 list: the slots a resident promised and still has ahead."""
    now = utc_now()
    coming = [row for row in labour.my_signups(db, user.id) if row["status"] == labour.SIGNED
              and labour.starts_of(row["work_on"], row["starts_at"]) > now]
    if not coming:
        return
    st.subheader("我的出工报名", anchor=False)
    for row in reversed(coming):  # the soonest first
        with st.container(border=True, key=f"labour_coming_{row['id']}"):
            st.button(f"{ui.esc(row['title'])} · {ui.esc(row['task_name'])}",
                      key=f"labour_coming_open_{row['id']}", width="stretch",
                      icon=":material/chevron_right:", on_click=_open_project,
                      args=(row["project_id"],))
            st.text(slot_when(row))


def _open_project(project_id: int) -> None:
    st.query_params["p"] = str(project_id)


# --- 管理 › 众筹账目 › 出勤登记 ----------------------------------------------------------------

def attendance_tab(db: Database, actor: User) -> None:
    """出勤登记: pick a project and slot, mark 到场 / 未到, sign a resident up (代办)."""
    _show_note()
    project = choose_project(db, labour.MARKING_STATUSES, key="labour_books_project",
                             none_text="没有进行中或已完成的众筹项目。")
    if project is None:
        return
    slots = labour.tasks_of(db, project.id)
    if not slots:
        st.info("这个项目没有安排出工。")
        return
    slot = st.selectbox("出工时段", slots, key=f"labour_books_slot_{project.id}",
                        format_func=lambda s: f"{s.name} · {day_text(s.work_on)} {s.starts_at}")
    _roster(db, actor, slot)
    if project.status in labour.OPEN_STATUSES and not slot.has_started:
        _proxy_signup(db, actor, slot)


def _roster(db: Database, actor: User, slot: labour.Slot) -> None:
    rows = [row for row in labour.roster(db, slot.id) if row["status"] != labour.WITHDRAWN]
    st.markdown(f"**报名名单**（{len(rows)}/{slot.headcount} 人）")
    if not rows:
        st.caption("还没有人报名这个时段。")
        return
    if not slot.has_started:
        st.caption("时段开始后才能登记到场或未到。")
    for row in rows:
        with st.container(border=True, key=f"labour_roster_{row['id']}"):
            where = f"{row['place_code']} {row['room']}".strip() or "未绑定住户"
            st.markdown(f"**{ui.esc(row['display_name'])}**（{ui.esc(row['username'])}）· {where}"
                        f" · {labour.STATUS_LABELS[row['status']]}"
                        + (f" +{row['points']} 积分" if row["points"] else ""))
            if not slot.has_started or row["user_id"] == actor.id \
                    or row["status"] == labour.ATTENDED:
                continue
            came, missed = st.columns(2)
            came.button("到场", type="primary", key=f"labour_came_{row['id']}", width="stretch",
                        on_click=_do, args=("mark_attendance",
                                            f"已登记 {row['display_name']} 到场。"),
                        kwargs={"signup_id": row["id"], "attended": True})
            if row["status"] == labour.SIGNED:
                missed.button("未到", key=f"labour_missed_{row['id']}", width="stretch",
                              on_click=_do, args=("mark_attendance",
                                                  f"已登记 {row['display_name']} 未到。"),
                              kwargs={"signup_id": row["id"], "attended": False})


def _proxy_signup(db: Database, actor: User, slot: labour.Slot) -> None:
    st.markdown("**代居民报名**（没有手机的居民）")
    if slot.is_full:
        st.caption("该时段名额已满。")
        return
    holder = people_ui.find_holder(db, actor, key="labour_proxy")
    if holder is not None:
        st.button("为TA报名", type="primary", key="labour_proxy_go", width="stretch",
                  on_click=_do, args=("sign_up", f"已为 {holder.display_name} 报名：{slot.name}。"),
                  kwargs={"task_id": slot.id, "for_user_id": holder.user_id})
