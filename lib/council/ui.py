"""Streamlit parts of 议事 (/council): the topic board, a topic's page, a meeting's page.

/council shows the board: the seeds' four boxes (紧急且重要, 目前需要关注, 重要但需要时间,
已协商解决) and the newly proposed topics, with the form to propose one. ``?t=<id>`` opens a
topic's page, whose tabs are Streamlit's stateful tabs (only the open one runs): 议题 here, then
the tabs the other parts add to TOPIC_TABS (方案, 表决, 公示, 落实). ``?m=<id>`` opens a meeting's
page (lib.council.ui_meetings).
"""
from __future__ import annotations

import uuid
from typing import Callable

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.errors import NotFound, PortalError
from lib.core.roles import User
from lib.council import topics, ui_meetings, ui_publish, ui_vote
from lib.council.ui_parts import (
    MEETING_PARAM, RETURN_TOPIC, TOPIC_PARAM, back_to_board, log_in_to_act, open_topic, photo,
)
from lib.people import org
from lib.people import ui as people_ui


TAB_KEY = "council_tab"
NOTE_KEY = "council_note"
UPLOAD_WIDGET_MB = 20  # above lib's 10 MB, so an oversized photo gets lib's Chinese message
BOX_LIMIT = 5  # topics shown per box on a phone before "展开全部"
LABELS = {"title": "议题标题", "body": "议题说明", "place_id": "地点", "place_note": "具体位置",
          "photo": "照片", "topic": "议题"}
BOX_HINTS = {
    topics.URGENT_IMPORTANT: "关系安全、影响大家日常生活，要尽快协商解决的事。",
    topics.WATCH: "大家关心、正在了解情况的事。",
    topics.IMPORTANT_SLOW: "重要，但需要筹备资金或时间慢慢解决的事。",
    topics.RESOLVED: "已经协商出结果的事。",
}

# A topic page's tabs after 议题, in order: title -> function(db, user, topic).
# Each part of the feature adds its own line (and its import) here.
TOPIC_TABS: dict[str, Callable[[Database, User, topics.Topic], None]] = {
    "方案": ui_meetings.plans_tab,
    "表决": ui_vote.vote_tab,
    "公示": ui_publish.publish_tab,
    "落实": ui_publish.tracking_tab,
}


def council_page(db: Database, user: User) -> None:
    """/council: a topic with ?t=<id>, a meeting with ?m=<id>, else the board."""
    back_to = st.session_state.pop(RETURN_TOPIC, None)
    if back_to is not None and not user.is_guest and not st.query_params.get(TOPIC_PARAM):
        st.query_params[TOPIC_PARAM] = str(back_to)  # just logged in: back to the topic
    if st.query_params.get(TOPIC_PARAM):
        topic_page(db, user, st.query_params.get(TOPIC_PARAM))
        return
    if st.query_params.get(MEETING_PARAM):
        from lib.council import ui_meetings  # the meetings part (added alongside)

        st.button("← 议事首页", key="council_back_meeting", on_click=back_to_board)
        ui_meetings.meeting_page(db, user, st.query_params.get(MEETING_PARAM))
        return
    board_page(db, user)


def board_page(db: Database, user: User) -> None:
    """The board: the four boxes, the new topics, and the form to propose one."""
    st.title("议事")
    st.caption("群众事群众说了算：提出议题 → 协商方案 → 一户一票 → 结果公示 → 跟踪落实。")
    ui.show_note(NOTE_KEY)
    propose_section(db, user)
    ui_meetings.meetings_section(db, user)
    boxes = topics.board(db)
    for box in topics.BOARD_BOXES:
        box_section(boxes[box], box, key=f"council_box_{box}")
    box_section(boxes[topics.NEW], topics.NEW, key="council_box_new",
                title="新提出的议题", hint="新提出、等待社区工作人员分类的议题，欢迎支持。")
    if boxes[topics.DECLINED]:
        with st.expander(f"不予议事（{len(boxes[topics.DECLINED])}）"):
            for topic in boxes[topics.DECLINED]:
                topic_card(topic, key="council_declined")


def box_section(shown: list[topics.Topic], box: str, *, key: str, title: str | None = None,
                hint: str | None = None) -> None:
    """One box: its name and count, then its topics (the first few, the rest on demand)."""
    with st.container(key=key):
        st.subheader(f"{title or topics.BOX_LABELS[box]}（{len(shown)}）")
        st.caption(hint or BOX_HINTS.get(box, ""))
        if not shown:
            st.caption("暂无议题。")
            return
        every = st.session_state.get(f"{key}_all", False)
        for topic in shown if every else shown[:BOX_LIMIT]:
            topic_card(topic, key=key)
        if len(shown) > BOX_LIMIT and not every:
            # the rest only on a tap: years of settled topics would otherwise all render
            st.button(f"展开其余 {len(shown) - BOX_LIMIT} 个", key=f"{key}_more",
                      on_click=_show_all, args=(key,), icon=":material/expand_more:")


def _show_all(key: str) -> None:
    st.session_state[f"{key}_all"] = True


def topic_card(topic: topics.Topic, *, key: str) -> None:
    """One topic in a list: tapping its title opens its page."""
    with st.container(border=True, key=f"{key}_card_{topic.id}"):
        st.button(ui.esc(topic.title), key=f"{key}_open_{topic.id}", on_click=open_topic,
                  args=(topic.id,), width="stretch", icon=":material/chevron_right:")
        st.caption(f"{ui.esc(topic.place_label)} · {topic.supporters} 人支持 · "
                   f"{ui.esc(topic.proposer)} · {local_text(topic.created_at, with_time=False)}")


def topic_page(db: Database, user: User, topic_id: object) -> None:
    """A topic's page: its header, then the tabs (only the open one runs)."""
    st.button("← 议事首页", key="council_back", on_click=back_to_board)
    try:
        topic = topics.get_topic(db, topic_id)
    except NotFound as error:
        st.warning(str(error))
        return
    st.title(ui.esc(topic.title))
    st.caption(f"{topic.box_label} · {ui.esc(topic.place_label)} · {topic.supporters} 人支持")
    ui.show_note(NOTE_KEY)
    ui.open_tab_only({"议题": topic_tab, **TOPIC_TABS}, TAB_KEY, db, user, topic)


def topic_tab(db: Database, user: User, topic: topics.Topic) -> None:
    """议题: what was proposed, by whom and where, how staff sorted it, and the support button."""
    photo(topic.photo)
    st.markdown(ui.esc(topic.body))
    where = topic.place_label + (f" · {topic.place_note}" if topic.place_note else "")
    st.caption(f"地点：{ui.esc(where)}")
    st.caption(f"提出：{ui.esc(topic.proposer)} · {local_text(topic.created_at)}")
    if topic.report_id is not None:
        st.page_link(ui.PAGE_FILES["reports"], label=f"查看原随手拍 #{topic.report_id}",
                     icon=":material/photo_camera:", query_params={"n": str(topic.report_id)})
    if topic.box == topics.DECLINED:
        st.warning(f"不予议事：{ui.esc(topic.box_note)}")
    elif topic.box_note:
        st.info(f"{topic.box_label}：{ui.esc(topic.box_note)}")
    support_part(db, user, topic)


def support_part(db: Database, user: User, topic: topics.Topic) -> None:
    """支持 / 取消支持 for a verified resident; a login offer or the reason for anyone else."""
    if not topic.is_open:
        return
    if user.is_guest:
        st.info("登录并核实住户后，可以支持这个议题。")
        log_in_to_act("登录后支持", key="council_support_login", topic_id=topic.id)
        return
    if not topics.is_verified_resident(db, user):
        st.info(topics.NOT_VERIFIED)
        return
    if topic.id in topics.supported_ids(db, user):
        st.success("你已支持这个议题。")
        st.button("取消支持", key="council_unsupport", on_click=_support,
                  args=(user, topic.id, False))
    else:
        st.button(f"支持这个议题（已有 {topic.supporters} 人支持）", key="council_support",
                  type="primary", width="stretch", icon=":material/thumb_up:",
                  on_click=_support, args=(user, topic.id, True))


def _support(user: User, topic_id: int, on: bool) -> None:
    # a callback runs in the next script run, maybe on another thread: its own connection
    db = ui.portal_db()
    try:
        if on:
            topics.support(db, user, topic_id=topic_id)
        else:
            topics.unsupport(db, user, topic_id=topic_id)
    except PortalError as error:
        ui.leave_note(NOTE_KEY, str(error), ok=False)
    else:
        ui.leave_note(NOTE_KEY, "已支持这个议题。" if on else "已取消支持。")


def propose_section(db: Database, user: User) -> None:
    """我要提议题: the form for a verified resident; a login offer or the reason otherwise."""
    with st.expander("我要提议题", icon=":material/add_comment:"):
        if user.is_guest:
            st.info("登录并核实住户后，可以提出议题。")
            log_in_to_act("登录后提议题", key="council_propose_login")
            return
        if not topics.is_verified_resident(db, user):
            st.info(topics.NOT_VERIFIED)
            return
        propose_form(db, user)


def place_choice(db: Database, scanned: org.Place | None) -> org.Place | None:
    """The topic's place: 全小区 or a building/area, starting on the building scanned."""
    choices: list[org.Place | None] = [None, *org.list_places(db)]
    codes = [p.code if p else None for p in choices]
    start = codes.index(scanned.code) if scanned is not None and scanned.code in codes else 0
    wanted = codes[start]
    if st.session_state.get("council_propose_place_from", wanted) != wanted:
        st.session_state.pop("council_propose_place", None)  # another code scanned: start there
    st.session_state["council_propose_place_from"] = wanted
    return st.selectbox(LABELS["place_id"], choices, index=start, key="council_propose_place",
                        format_func=lambda p: topics.WHOLE_COMPOUND if p is None
                        else f"{p.name}（{p.code}）")


def propose_form(db: Database, user: User) -> None:
    place = people_ui.current_place(db)  # the scanned building, remembered from 首页
    st.caption("照片（可不传）：点击下方 “Upload” 按钮可以直接拍照或从相册选择，"
               "JPG、PNG 或 WEBP 格式。")
    upload = st.file_uploader("照片（可选）", key="council_propose_photo",
                              max_upload_size=UPLOAD_WIDGET_MB)
    problem = ui.photo_problem(upload, "council_propose_checks") if upload else ""
    if problem:
        st.error(f"照片：{problem}。请删除或换一张照片后再提交。",
                 icon=":material/no_photography:")
    with st.form("council_propose_form"):
        places: dict = {}
        title = st.text_input(LABELS["title"], key="council_propose_title",
                              max_chars=topics.TITLE_MAX, placeholder="如：大门加装雨棚")
        places["title"] = st.empty()
        body = st.text_area(LABELS["body"], key="council_propose_body",
                            max_chars=topics.BODY_MAX, placeholder="说说是什么事、为什么要议")
        places["body"] = st.empty()
        chosen = place_choice(db, place)
        places["place_id"] = st.empty()
        note = st.text_input(LABELS["place_note"], key="council_propose_note",
                             max_chars=topics.PLACE_NOTE_MAX, placeholder="如：东门内侧（可不填）")
        places["place_note"] = st.empty()
        submitted = st.form_submit_button("提交议题", type="primary", width="stretch")
        places["*"] = st.empty()
    if not submitted:
        return
    if problem:
        places["*"].error("照片有问题，还没有提交：请先删除或更换上面的照片。")
        return
    key = st.session_state.setdefault("council_propose_key", uuid.uuid4().hex)
    try:
        topic_id = topics.propose(
            db, user, data_dir=ui.portal().settings.data_dir, title=title, body=body,
            place_id=chosen.id if chosen else None, place_note=note,
            photo=upload.getvalue() if upload else None, key=key)
    except PortalError as error:
        ui.show_error(error, LABELS, places=places)
        return
    for name in ("council_propose_key", "council_propose_title", "council_propose_body",
                 "council_propose_note", "council_propose_photo"):
        st.session_state.pop(name, None)
    ui.leave_note(NOTE_KEY, "议题已提交，社区工作人员分类后会安排协商。请邀请邻居一起支持。")
    open_topic(topic_id)
    st.rerun()
