"""Streamlit parts of 管理 › 众筹项目 (staff): set up a project and its labour slots, launch it,
start the work, finish it with a final report, or cancel it with a reason.

One project at a time, picked from a selectbox: only its forms run, however many projects
the community has had.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_today
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.crowdfund import labour, projects
from lib.crowdfund.money import yuan_text
from lib.crowdfund.ui import progress_bars, terms_text
from lib.people import org
from lib.people import ui as people_ui


PICK = "crowdfund_admin_pick"
NEXT_PICK = "crowdfund_admin_next"  # set by an action, moved into PICK before the widget runs
NOTE = "crowdfund_admin_note"
NEW = 0  # the picker's "新建项目"
UPLOAD_WIDGET_MB = 20
LABELS = {"title": "项目名称", "description": "项目介绍", "place_id": "地点", "goal": "筹资目标",
          "match_ratio": "配套比例", "match_cap": "配套上限", "match_sponsor": "配套出资方",
          "labour_hour_value": "每小时出工折算", "deadline": "截止日期", "photo": "照片",
          "name": "出工内容", "work_on": "出工日期", "starts_at": "开始时间", "hours": "时长",
          "headcount": "需要人数", "summary": "完工报告", "photos": "完工照片",
          "reason": "取消原因", "project": "项目"}
HOURS = [half / 2 for half in range(1, projects.HALF_HOURS_MAX + 1)]


def _note(text: str, ok: bool = True) -> None:
    ui.leave_note(NOTE, text, ok)


def projects_admin(db: Database, user: User) -> None:
    """众筹项目: the picker, then the chosen project's forms and next step, or a new one."""
    if not user.at_least(STAFF):  # the page guard stops lower roles first; lib checks again
        st.error("此页面仅限社区工作人员使用。")
        return
    if NEXT_PICK in st.session_state:
        st.session_state[PICK] = st.session_state.pop(NEXT_PICK)
    every = projects.list_projects(db, statuses=tuple(projects.STATUS_LABELS))
    by_id = {project.id: project for project in every}
    if st.session_state.get(PICK) not in (NEW, *by_id):
        st.session_state[PICK] = NEW
    chosen = st.selectbox("项目", [NEW, *by_id], key=PICK,
                          format_func=lambda pid: "＋ 新建项目" if pid == NEW else
                          f"{by_id[pid].title}（{by_id[pid].status_label}）")
    ui.show_note(NOTE)
    if chosen == NEW:
        project_form(db, user, None)
        return
    project = by_id[chosen]
    st.caption(f"{project.status_label} · {ui.esc(project.place_label)} · 截止 {project.deadline}")
    progress_bars(projects.progress(db, project.id), project)
    next_step(db, user, project)
    if project.status in projects.EDITABLE:
        with st.expander("修改项目信息", icon=":material/edit:"):
            project_form(db, user, project)
        tasks_part(db, user, project)
    else:
        st.markdown(terms_text(project))
    if project.status in projects.EDITABLE:
        cancel_part(db, user, project)


# --- the project's details --------------------------------------------------------------


def project_form(db: Database, user: User, project: projects.Project | None) -> None:
    """Create a project, or edit one; the match terms only while it is a draft."""
    prefix = f"crowdfund_form_{project.id if project else 'new'}"
    terms_open = project is None or project.status == projects.DRAFT
    place = org.place_by_id(db, project.place_id) if project else None
    with st.form(prefix):
        title = st.text_input("项目名称", value=project.title if project else "",
                              max_chars=projects.TITLE_MAX, key=f"{prefix}_title")
        description = st.text_area("项目介绍", value=project.description if project else "",
                                   max_chars=projects.DESCRIPTION_MAX, key=f"{prefix}_description")
        chosen_place = people_ui.place_select(db, key=f"{prefix}_place", label="地点", place=place)
        goal = st.text_input("筹资目标（元，只筹劳力填 0）",
                             value=_yuan(project.goal_fen) if project else "",
                             key=f"{prefix}_goal", placeholder="例如 40000")
        deadline = st.date_input("截止日期", value=date.fromisoformat(project.deadline)
                                 if project else local_today() + timedelta(days=30),
                                 key=f"{prefix}_deadline")
        if terms_open:
            ratio = st.text_input("配套比例（倍，没有配套填 0）",
                                  value=project.ratio_text if project else "0",
                                  key=f"{prefix}_ratio", placeholder="例如 5 或 1.5")
            cap = st.text_input("配套上限（元，不设上限请留空）",
                                value=_yuan(project.match_cap_fen) if project and
                                project.match_cap_fen is not None else "", key=f"{prefix}_cap")
            sponsor = st.text_input("配套出资方", value=project.match_sponsor if project else "",
                                    max_chars=projects.SPONSOR_MAX, key=f"{prefix}_sponsor",
                                    placeholder="例如 街道办事处")
            hour = st.text_input("每小时出工折算（元，不折算填 0）",
                                 value=_yuan(project.labour_hour_fen) if project else "0",
                                 key=f"{prefix}_hour")
        else:
            st.caption("配套比例、上限、出资方和工时价值在发起时已确定，不能修改。")
        st.caption("照片：点下方 “Upload” 按钮选择项目照片（可不传）。")
        upload = st.file_uploader("项目照片", key=f"{prefix}_photo",
                                  max_upload_size=UPLOAD_WIDGET_MB)
        saved = st.form_submit_button("创建项目（草稿）" if project is None else "保存修改",
                                      type="primary", width="stretch")
    if not saved:
        return
    fields = dict(title=title, description=description, goal=goal, deadline=deadline,
                  place_id=chosen_place.id if chosen_place else None,
                  photo=upload.getvalue() if upload else None,
                  data_dir=ui.portal().settings.data_dir)
    if terms_open:
        fields.update(match_ratio=ratio, match_cap=cap, match_sponsor=sponsor,
                      labour_hour_value=hour)
    try:
        if project is None:
            made = projects.create_project(db, user, **fields)
        else:
            made = projects.update_project(db, user, project_id=project.id, **fields)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    if project is None:
        for field in ("title", "description", "goal", "ratio", "cap", "sponsor", "hour"):
            st.session_state.pop(f"{prefix}_{field}", None)
    st.session_state[NEXT_PICK] = made.id
    _note(f"已{'创建' if project is None else '保存'}：{made.title}。"
          + ("接下来可以添加出工时段，然后发起众筹。" if project is None else ""))
    st.rerun()


def _yuan(fen: int) -> str:
    """Fen as the plain yuan text the money fields take back: 4000000 -> "40000"."""
    return yuan_text(fen).replace(",", "").removesuffix(".00")


# --- the next step ------------------------------------------------------------------------


def _step(action, user: User, project_id: int, done: str) -> None:
    try:
        action(ui.portal_db(), user, project_id=project_id)
    except PortalError as error:
        _note(str(error), False)
    else:
        _note(done)


def next_step(db: Database, user: User, project: projects.Project) -> None:
    """The one button (or form) that moves the project on from where it is."""
    if project.status == projects.DRAFT:
        st.info("草稿只有工作人员能看到。发起后居民就能认捐、报名出工，配套条件不能再改。")
        st.button("发起众筹", type="primary", key="crowdfund_launch", width="stretch",
                  on_click=_step, args=(projects.launch, user, project.id,
                                        "已发起众筹，居民现在可以认捐和报名出工。"))
    elif project.status == projects.RAISING:
        st.button("开始实施", type="primary", key="crowdfund_build", width="stretch",
                  on_click=_step, args=(projects.start_building, user, project.id,
                                        "项目已进入实施阶段。"))
    elif project.status == projects.BUILDING:
        complete_part(db, user, project)
    elif project.status == projects.CANCELLED:
        st.warning(f"项目已取消：{ui.esc(project.cancel_reason)}")
    else:
        st.caption("项目已完成，完工报告在项目页公开，不能再修改。")


def complete_part(db: Database, user: User, project: projects.Project) -> None:
    with st.form("crowdfund_complete"):
        st.markdown("**完工**：写明做了什么、效果如何，并上传完工照片（最多 9 张）。")
        st.caption("完工前请确认所有认捐已到账或标记未到账、已开始的出工时段已登记出勤；"
                   "还没开始的出工时段的报名会自动取消。")
        summary = st.text_area("完工报告", max_chars=projects.REPORT_MAX,
                               key="crowdfund_summary")
        st.caption("照片：点下方 “Upload” 按钮选择照片，可一次选多张。")
        shots = st.file_uploader("完工照片", accept_multiple_files=True,
                                 key="crowdfund_report_photos", max_upload_size=UPLOAD_WIDGET_MB)
        done = st.form_submit_button("完工并公开报告", type="primary", width="stretch")
    if not done:
        return
    try:
        projects.complete(db, user, project_id=project.id, summary=summary,
                          report_photos=[shot.getvalue() for shot in shots or []],
                          data_dir=ui.portal().settings.data_dir)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    _note("项目已完成，完工报告已公开。")
    st.rerun()


def cancel_part(db: Database, user: User, project: projects.Project) -> None:
    with st.expander("取消项目", icon=":material/cancel:"):
        st.caption("取消后已到账的钱记为退款，未到账的认捐和出工报名全部作废；已有支出的项目不能取消。")
        with st.form("crowdfund_cancel"):
            reason = st.text_input("取消原因", max_chars=projects.REASON_MAX,
                                   key="crowdfund_cancel_reason")
            go = st.form_submit_button("确认取消项目", width="stretch")
    if not go:
        return
    try:
        projects.cancel(db, user, project_id=project.id, reason=reason)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    _note("项目已取消。")
    st.rerun()


# --- labour slots -------------------------------------------------------------------------


def tasks_part(db: Database, user: User, project: projects.Project) -> None:
    """出工时段: the list, one edit form for the slot picked, and a form to add one."""
    st.subheader("出工时段")
    tasks = labour.tasks_of(db, project.id)
    if not tasks:
        st.caption("还没有出工时段。只筹资金的项目可以不加。")
    for task in tasks:
        st.text(_task_line(task))
    with st.expander("添加出工时段", icon=":material/add:"):
        task_form(db, user, project, None)
    if tasks:
        by_id = {task.id: task for task in tasks}
        picked = st.selectbox("修改或删除出工时段", list(by_id), index=None, placeholder="请选择",
                              key="crowdfund_task_pick", format_func=lambda tid: _task_line(by_id[tid]))
        if picked in by_id:
            task_form(db, user, project, by_id[picked])
            st.button("删除这个时段", key=f"crowdfund_task_remove_{picked}",
                      on_click=_remove, args=(user, picked))


def _task_line(task: labour.Slot) -> str:
    return (f"{task.name} · {task.work_on} {task.starts_at} · {task.hours_text} 小时 · "
            f"已报名 {task.taken}/{task.headcount}")


def _remove(user: User, task_id: int) -> None:
    try:
        projects.remove_task(ui.portal_db(), user, task_id=task_id)
    except PortalError as error:
        _note(str(error), False)
    else:
        st.session_state.pop("crowdfund_task_pick", None)
        _note("已删除出工时段。")


def task_form(db: Database, user: User, project: projects.Project,
              task: labour.Slot | None) -> None:
    prefix = f"crowdfund_task_{task.id if task else 'new'}"
    with st.form(prefix):
        name = st.text_input("出工内容", value=task.name if task else "",
                             max_chars=projects.TASK_NAME_MAX, key=f"{prefix}_name",
                             placeholder="例如 平整地面")
        work_on = st.date_input("出工日期", value=date.fromisoformat(task.work_on) if task
                                else local_today() + timedelta(days=7), key=f"{prefix}_day")
        starts_at = st.time_input("开始时间", value=time.fromisoformat(task.starts_at) if task
                                  else time(9, 0), step=1800, key=f"{prefix}_time")
        hours = st.selectbox("时长（小时）", HOURS, index=HOURS.index(task.half_hours / 2)
                             if task else 3, format_func=lambda h: f"{h:g} 小时",
                             key=f"{prefix}_hours")
        headcount = st.number_input("需要人数", min_value=1, max_value=projects.HEADCOUNT_MAX,
                                    value=task.headcount if task else 5, step=1,
                                    key=f"{prefix}_headcount")
        saved = st.form_submit_button("添加时段" if task is None else "保存时段",
                                      type="primary", width="stretch")
    if not saved:
        return
    fields = dict(name=name, work_on=work_on, starts_at=starts_at, hours=str(hours),
                  headcount=int(headcount))
    try:
        if task is None:
            projects.add_task(db, user, project_id=project.id, **fields)
        else:
            projects.update_task(db, user, task_id=task.id, **fields)
    except PortalError as error:
        ui.show_error(error, LABELS)
        return
    if task is None:
        st.session_state.pop(f"{prefix}_name", None)
    _note(f"已{'添加' if task is None else '保存'}出工时段：{name.strip()}。")
    st.rerun()
