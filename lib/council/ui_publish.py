"""Streamlit parts of 公示 and 落实: a topic's 公示 and 落实 tabs, 管理 › 议事 › 公示与落实, and the
meeting page's first section (上轮落实情况).

Residents read the result, object during the notice period and rate a done plan; staff publish,
answer, and track the plan. lib.council.publish / tracking / followup check every role and
state again, whatever these pages showed.
"""
from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, ui
from lib.core.clock import local_text, local_today
from lib.core.db import open_db
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.council import followup, publish, tracking
from lib.council.ui_parts import TOPIC_PARAM, log_in_to_act, open_topic
from lib.crowdfund import projects
from lib.crowdfund.money import yuan_text
from lib.people import posters
from lib.people import ui as people_ui


NOTE_KEY = "council_pub_note"
ADMIN_NOTE_KEY = "admin_council_pub_note"
PLAN_PICK = "admin_council_track_plan"
UPLOAD_WIDGET_MB = 20  # above lib's 10 MB, so an oversized photo gets lib's Chinese message
LABELS = {"notice_days": "公示期", "note": "公示说明", "vote_id": "表决", "body": "内容",
          "answer": "答复", "owner": "负责人", "deadline": "完成期限", "percent": "完成进度",
          "photos": "照片", "photo": "照片", "plan_id": "方案", "place_id": "地点",
          "rating": "评价", "comment": "评价内容", "key": "提交"}
STATUS_WORDS = {tracking.ADOPTED: "落实中", tracking.DONE: "已落实"}


def topic_url(topic_id: int) -> str:
    """The address the 公示's QR and WeChat text point to: the topic's page."""
    return f"{posters.page_url(ui.public_base_url(), 'council')}?{TOPIC_PARAM}={topic_id}"


def _key(name: str) -> str:
    """One idempotency key per form until it succeeds: a double tap writes once."""
    return st.session_state.setdefault(name, uuid.uuid4().hex)


def _round(name: str) -> int:
    """How many times this form has been sent: its widgets' keys carry the number, so after a
    success the next run draws fresh, empty widgets (popping a widget's state leaves the
    browser showing the old text, and a file uploader cannot be emptied otherwise)."""
    return st.session_state.get(name, 0)


def _next_round(name: str) -> None:
    st.session_state[name] = _round(name) + 1


def _pdf(database_path: Path, vote_id: int, url: str) -> bytes:
    """The A4 sheet, drawn only when tapped, on Streamlit's own thread: its own connection."""
    db = open_db(database_path, migrate=False)
    try:
        return publish.a4_pdf(db, vote_id, url)
    finally:
        db.conn.close()


# --- 公示 (a topic's tab) ----------------------------------------------------------------------


def publish_tab(db: Database, user: User, topic: Any) -> None:
    """公示: the published result, the notice period, objections with answers, the WeChat text
    and the A4 sheet; the newest publication first."""
    ui.show_note(NOTE_KEY)
    shown = publish.publications_of_topic(db, topic.id)
    if not shown:
        st.info("这个议题还没有公示的表决结果。表决截止后，社区工作人员会在这里公示结果，"
                "公示期内居民可以提出异议。")
        return
    publication_part(db, user, shown[0], topic.id)
    for older in shown[1:]:
        with st.expander(f"较早的表决：{older.plan_title}（{older.outcome_label}）"):
            result_part(older)


def result_part(shown: publish.Publication) -> None:
    """The result in big words, then the counts and the turnout against the quorum."""
    headline = f"表决结果：{shown.outcome_label}" + \
        (f"（{shown.winning_label}）" if shown.winning_label else "")
    (st.success if shown.outcome == publish.PASSED else st.warning)(ui.esc(headline))
    st.markdown(f"**{ui.esc(shown.plan_title)}**")
    st.caption(f"表决事项：{ui.esc(shown.question)}")
    count = shown.count
    for option in count.options:
        share = option.households / count.voted if count.voted else 0.0
        st.progress(share, text=f"{ui.esc(option.label)}：{option.households} 户")
    st.caption(f"参与 {count.voted} 户（线上 {count.online}，纸质 {count.paper}），应参与 "
               f"{shown.eligible} 户；至少需要 {shown.quorum} 户，"
               + ("已达到。" if count.quorum_met else "未达到。"))
    if shown.result_note:
        st.caption(f"说明：{ui.esc(shown.result_note)}")


def publication_part(db: Database, user: User, shown: publish.Publication, topic_id: int) -> None:
    result_part(shown)
    if shown.in_notice():
        st.info(f"公示期 {shown.notice_days} 天，至 {local_text(shown.notice_ends_at)} 止。"
                "有不同意见可以在下面提出，社区会公开答复。")
    else:
        st.caption(f"公示期已于 {local_text(shown.notice_ends_at)} 结束。")
    objections_part(db, shown)
    if shown.in_notice():
        object_form(db, user, shown)
    with st.expander("复制微信群通知 / 下载A4公示", icon=":material/share:"):
        url = topic_url(topic_id)
        st.caption("长按或点右上角的复制按钮，粘贴到微信群。")
        st.code(publish.wechat_text(db, shown.vote_id, url), language=None, wrap_lines=True)
        st.download_button(
            "下载A4公示（PDF，可打印张贴）",
            partial(_pdf, ui.portal().settings.database_path, shown.vote_id, url),
            file_name=f"议事结果公示-{shown.vote_id}.pdf", mime="application/pdf",
            on_click="ignore", icon=":material/print:", key=f"council_pub_pdf_{shown.vote_id}",
            width="stretch")


def objections_part(db: Database, shown: publish.Publication) -> None:
    found = publish.objections(db, shown.vote_id)
    st.subheader(f"异议与答复（{len(found)}）")
    if not found:
        st.caption("暂无异议。")
    for objection in found:
        with st.container(border=True, key=f"council_pub_objection_{objection.id}"):
            st.markdown(f"**{ui.esc(objection.who)}**：{ui.esc(objection.body)}")
            st.caption(local_text(objection.created_at))
            if objection.answer:
                st.markdown(f"社区答复：{ui.esc(objection.answer)}")
            else:
                st.caption("等待社区答复")


def object_form(db: Database, user: User, shown: publish.Publication) -> None:
    if user.is_guest:
        log_in_to_act("登录后提出异议", key="council_pub_object_login", topic_id=shown.topic_id)
        return
    prefix = f"council_pub_object_{_round('council_pub_object_round')}"
    with st.form("council_pub_object_form"):
        body = st.text_area("我的异议", max_chars=publish.OBJECTION_MAX,
                            key=f"{prefix}_body", placeholder="请写明理由")
        sent = st.form_submit_button("提交异议", width="stretch")
        place = st.empty()
    if not sent:
        return
    try:
        publish.object_to(db, user, vote_id=shown.vote_id, body=body, key=_key(f"{prefix}_key"))
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": place})
        return
    _next_round("council_pub_object_round")
    ui.leave_note(NOTE_KEY, "异议已提交，社区会在这里公开答复。")
    st.rerun()


# --- 落实 (a topic's tab) ----------------------------------------------------------------------


def tracking_tab(db: Database, user: User, topic: Any) -> None:
    """落实: who carries the plan out and by when, the updates with photos, the crowdfunding
    project, and once done the households' rating."""
    ui.show_note(NOTE_KEY)
    shown = tracking.tracked_of_topic(db, topic.id)
    if not shown:
        st.info("这个议题还没有通过表决的方案。方案通过后，落实进展会在这里公开。")
        return
    for plan in shown:
        tracked_part(db, user, plan)


def plan_facts(plan: tracking.Tracked) -> None:
    """Status, owner, deadline and progress of one plan."""
    st.markdown(f"**{ui.esc(plan.title)}** · {STATUS_WORDS.get(plan.status, '')}")
    facts = [f"负责：{ui.esc(plan.owner)}" if plan.owner else "负责：待定",
             f"期限：{plan.deadline}" if plan.deadline else "期限：待定"]
    if plan.cost_fen:
        facts.append(f"预算：{yuan_text(plan.cost_fen)} 元")
    st.caption(" · ".join(facts))
    if plan.overdue:
        st.warning("已超过完成期限，还没有落实完成。")
    if plan.is_done:
        st.success(f"已于 {local_text(plan.done_at, with_time=False)} 落实完成。")
    elif plan.percent is not None:
        st.progress(plan.percent / 100, text=f"完成进度 {plan.percent}%")


def tracked_part(db: Database, user: User, plan: tracking.Tracked) -> None:
    with st.container(border=True, key=f"council_track_{plan.plan_id}"):
        plan_facts(plan)
        if plan.duties:
            st.caption(f"分工：{ui.esc(plan.duties)}")
        project_link(db, user, plan)
        updates_part(plan)
        if plan.is_done:
            rating_part(db, user, plan)


def project_link(db: Database, user: User, plan: tracking.Tracked) -> None:
    if plan.project_id is None:
        return
    project = projects.get_project(db, plan.project_id)
    if project.is_public or user.at_least(STAFF):
        st.page_link(ui.PAGE_FILES["crowdfund"], label=f"众筹项目：{ui.esc(project.title)}"
                     f"（{project.status_label}）", icon=":material/volunteer_activism:",
                     query_params={"p": str(project.id)})
    else:
        st.caption("已转为众筹项目，发起后可以在“众筹”中参与。")


def updates_part(plan: tracking.Tracked) -> None:
    if not plan.updates:
        st.caption("还没有进展记录。")
        return
    st.markdown("**落实进展**")
    data_dir = ui.portal().settings.data_dir
    for update in plan.updates:
        percent = f" · {update.percent}%" if update.percent is not None else ""
        st.caption(f"{local_text(update.created_at)}{percent}")
        st.markdown(ui.esc(update.body))
        shots = [str(photos.path_for(data_dir, name, thumb=True)) for name in update.photos]
        shots = [shot for shot in shots if Path(shot).exists()]
        if shots:
            st.image(shots, width=110)


def rating_part(db: Database, user: User, plan: tracking.Tracked) -> None:
    """The households' rating and (verified residents) the form to give or change one."""
    summary = followup.summary(db, plan.plan_id)
    st.markdown(f"**居民评价**：{summary.text}")
    for label, comment in followup.comments(db, plan.plan_id, limit=5):
        st.caption(f"{label}：{ui.esc(comment)}")
    if user.is_guest:
        log_in_to_act("登录后评价", key=f"council_rate_login_{plan.plan_id}",
                      topic_id=plan.topic_id)
        return
    mine = followup.household_rating(db, user, plan_id=plan.plan_id)
    if mine is not None:
        st.caption(f"你家的评价：{mine.label}" + ("" if mine.by_me else "（家人评价）")
                   + "。可以重新评价，以最后一次为准。")
    with st.form(f"council_rate_form_{plan.plan_id}"):
        ratings = list(followup.RATING_LABELS)
        rating = st.radio("你对落实结果满意吗？", ratings, format_func=followup.RATING_LABELS.get,
                          index=ratings.index(mine.rating) if mine else None, horizontal=True,
                          key=f"council_rate_{plan.plan_id}")
        comment = st.text_input("说几句（可不填）", max_chars=followup.COMMENT_MAX,
                                key=f"council_rate_comment_{plan.plan_id}")
        sent = st.form_submit_button("提交评价", type="primary", width="stretch")
        place = st.empty()
    if not sent:
        return
    try:
        followup.rate(db, user, plan_id=plan.plan_id, rating=rating or "", comment=comment)
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": place})
        return
    ui.leave_note(NOTE_KEY, "评价已提交，谢谢！一户一个评价，以最后一次为准。")
    st.rerun()


# --- the meeting page's first section ----------------------------------------------------------


def last_round_section(db: Database, user: User, meeting: Any) -> None:
    """上轮落实情况: what the last round agreed and where it stands, before today's agenda."""
    shown = followup.last_round(db, meeting)
    st.subheader("上轮落实情况")
    if shown.empty:
        st.caption("暂无需要回头看的方案。")
        return
    if shown.since:
        st.caption(f"自上次会议（{shown.since}）以来")
    for plan in shown.open_plans:
        with st.container(border=True, key=f"council_round_open_{plan.plan_id}"):
            plan_facts(plan)
            st.button("查看议题", key=f"council_round_open_go_{plan.plan_id}", on_click=open_topic,
                      args=(plan.topic_id,), icon=":material/chevron_right:")
    for plan, summary in shown.done_plans:
        with st.container(border=True, key=f"council_round_done_{plan.plan_id}"):
            plan_facts(plan)
            st.markdown(f"居民评价：{summary.text}")
            st.button("查看议题", key=f"council_round_done_go_{plan.plan_id}", on_click=open_topic,
                      args=(plan.topic_id,), icon=":material/chevron_right:")


# --- 管理 › 议事 › 公示与落实 ---------------------------------------------------------------------


def admin_tab(db: Database, user: User) -> None:
    """公示与落实: publish closed votes, answer objections, track adopted plans."""
    if not user.at_least(STAFF):  # the page guard stops lower roles first; lib checks again
        st.error("此页面仅限社区工作人员使用。")
        return
    ui.show_note(ADMIN_NOTE_KEY)
    awaiting_part(db, user)
    answers_part(db, user)
    track_part(db, user)
    recent_part(db)


def recent_part(db: Database) -> None:
    """The latest publications, each a tap from its 公示 (the WeChat text and the A4 sheet)."""
    shown = publish.recent_publications(db, limit=5)
    if not shown:
        return
    st.subheader("最近的公示")
    st.caption("微信群通知和A4公示在议题的“公示”页。")
    for publication in shown:
        state = "公示中" if publication.in_notice() else "公示期已过"
        st.page_link(ui.PAGE_FILES["council"], icon=":material/campaign:",
                     label=f"{ui.esc(publication.plan_title)}（{publication.outcome_label}，{state}）",
                     query_params={TOPIC_PARAM: str(publication.topic_id)})


def awaiting_part(db: Database, user: User) -> None:
    st.subheader("待公示的表决")
    waiting = publish.awaiting_publication(db)
    if not waiting:
        st.caption("没有已截止、待公示的表决。")
    for shown in waiting:
        with st.container(border=True, key=f"admin_council_pub_{shown.vote_id}"):
            st.markdown(f"**{ui.esc(shown.plan_title)}**")
            st.caption(f"{local_text(shown.closes_at)} 截止 · 参与 {shown.count.voted} 户 / "
                       f"至少 {shown.quorum} 户")
            for option in shown.count.options:
                st.caption(f"{ui.esc(option.label)}：{option.households} 户")
            publish_form(db, user, shown)


def publish_form(db: Database, user: User, shown: publish.Publication) -> None:
    outcome, _ = publish.decide(db, shown.vote_id)
    prefix = f"admin_council_pub_{shown.vote_id}"
    days = st.number_input("公示期（天）", min_value=publish.NOTICE_DAYS_MIN,
                           max_value=publish.NOTICE_DAYS_MAX, value=publish.NOTICE_DAYS_DEFAULT,
                           step=1, key=f"{prefix}_days")
    note = st.text_input("公示说明（可不填）", max_chars=publish.NOTE_MAX, key=f"{prefix}_note")
    with st.popover("公示结果", type="primary", width="stretch"):
        st.markdown(f"按计票结果公示：**{publish.OUTCOME_LABELS[outcome]}**。"
                    "公示后计票不能再改，方案随结果进入落实或未通过。")
        if st.button("确认公示", type="primary", key=f"{prefix}_go", width="stretch"):
            try:
                publish.publish(db, user, vote_id=shown.vote_id, notice_days=int(days), note=note)
            except PortalError as error:
                ui.show_error(error, LABELS)
                return
            ui.leave_note(ADMIN_NOTE_KEY, f"已公示“{shown.plan_title}”的表决结果："
                                          f"{publish.OUTCOME_LABELS[outcome]}。")
            st.rerun()


def answers_part(db: Database, user: User) -> None:
    st.subheader("待答复的异议")
    waiting = publish.unanswered(db)
    if not waiting:
        st.caption("没有待答复的异议。")
    for shown, objection in waiting:
        with st.container(border=True, key=f"admin_council_objection_{objection.id}"):
            st.caption(f"{ui.esc(shown.plan_title)} · {local_text(objection.created_at)}")
            st.markdown(f"**{ui.esc(objection.who)}**：{ui.esc(objection.body)}")
            with st.form(f"admin_council_answer_form_{objection.id}"):
                text = st.text_area("答复（会公开显示）", max_chars=publish.ANSWER_MAX,
                                    key=f"admin_council_answer_{objection.id}")
                sent = st.form_submit_button("公开答复", width="stretch")
                place = st.empty()
            if sent:
                try:
                    publish.answer(db, user, objection_id=objection.id, answer=text)
                except PortalError as error:
                    ui.show_error(error, LABELS, places={"*": place})
                    continue
                ui.leave_note(ADMIN_NOTE_KEY, "答复已公开。")
                st.rerun()


def track_part(db: Database, user: User) -> None:
    st.subheader("方案落实")
    plans = {plan.plan_id: plan for plan in tracking.in_progress(db)}
    if not plans:
        st.caption("没有正在落实的方案。")
        return
    plan_id = st.selectbox("方案", list(plans), key=PLAN_PICK,
                           format_func=lambda pid: plans[pid].title)
    plan = plans[plan_id]
    plan_facts(plan)
    st.page_link(ui.PAGE_FILES["council"], label="在议题页查看", icon=":material/open_in_new:",
                 query_params={TOPIC_PARAM: str(plan.topic_id)})
    owner_form(db, user, plan)
    update_form(db, user, plan)
    project_part(db, user, plan)
    with st.popover("标记落实完成", width="stretch"):
        st.markdown("确认该方案已经落实完成？完成后居民可以评价。")
        if st.button("确认完成", type="primary", key=f"admin_council_done_{plan.plan_id}",
                     width="stretch"):
            try:
                tracking.complete(db, user, plan_id=plan.plan_id)
            except PortalError as error:
                ui.show_error(error, LABELS)
                return
            st.session_state.pop(PLAN_PICK, None)
            ui.leave_note(ADMIN_NOTE_KEY, f"“{plan.title}”已落实完成，居民现在可以评价。")
            st.rerun()


def owner_form(db: Database, user: User, plan: tracking.Tracked) -> None:
    prefix = f"admin_council_owner_{plan.plan_id}"
    with st.form(prefix):
        owner = st.text_input("负责人或负责单位", value=plan.owner, max_chars=tracking.OWNER_MAX,
                              key=f"{prefix}_who")
        deadline = st.date_input("完成期限", value=plan.deadline or local_today(),
                                 min_value=local_today(), key=f"{prefix}_day", format="YYYY-MM-DD")
        saved = st.form_submit_button("保存负责人和期限", width="stretch")
        place = st.empty()
    if not saved:
        return
    try:
        tracking.set_owner(db, user, plan_id=plan.plan_id, owner=owner, deadline=deadline)
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": place})
        return
    ui.leave_note(ADMIN_NOTE_KEY, "负责人和期限已保存。")
    st.rerun()


def update_form(db: Database, user: User, plan: tracking.Tracked) -> None:
    prefix = f"admin_council_update_{plan.plan_id}_{_round(f'admin_council_update_{plan.plan_id}')}"
    with st.form(prefix):
        body = st.text_area("进展情况", max_chars=tracking.UPDATE_MAX, key=f"{prefix}_body",
                            placeholder="做了什么、下一步做什么")
        percent = st.number_input("完成进度（%）", min_value=0, max_value=100, value=None, step=10,
                                  key=f"{prefix}_percent", placeholder="可不填")
        st.caption("照片：点下方 “Upload” 按钮选择现场照片，可一次选多张（最多 6 张）。")
        shots = st.file_uploader("现场照片", accept_multiple_files=True, key=f"{prefix}_photos",
                                 max_upload_size=UPLOAD_WIDGET_MB)
        saved = st.form_submit_button("发布进展", type="primary", width="stretch")
        place = st.empty()
    if not saved:
        return
    try:
        tracking.add_update(db, user, data_dir=ui.portal().settings.data_dir,
                            plan_id=plan.plan_id, body=body,
                            percent=int(percent) if percent is not None else None,
                            photos=[shot.getvalue() for shot in shots or []],
                            key=_key(f"{prefix}_key"))
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": place})
        return
    _next_round(f"admin_council_update_{plan.plan_id}")
    ui.leave_note(ADMIN_NOTE_KEY, "进展已发布，居民可以在议题的“落实”中看到。")
    st.rerun()


def project_part(db: Database, user: User, plan: tracking.Tracked) -> None:
    if plan.project_id is not None:
        project_link(db, user, plan)
        return
    with st.expander("转为众筹项目", icon=":material/volunteer_activism:"):
        st.caption("用方案的名称、内容、预算和期限新建一个众筹草稿，在“众筹管理”中补充配套后发起。")
        place = people_ui.place_select(db, key=f"admin_council_project_place_{plan.plan_id}",
                                       label="项目地点（不选则用议题的地点）")
        if st.button("转为众筹草稿", key=f"admin_council_project_{plan.plan_id}", width="stretch"):
            try:
                project = tracking.to_project(db, user, plan_id=plan.plan_id,
                                              place_id=place.id if place else None,
                                              topic_url=topic_url(plan.topic_id))
            except PortalError as error:
                ui.show_error(error, LABELS)
                return
            ui.leave_note(ADMIN_NOTE_KEY, f"已新建众筹草稿“{project.title}”。")
            st.rerun()
