"""管理 › 议事 (/admin-council): staff's tabs, one per stage of the flow.

The tabs are Streamlit's stateful tabs (only the open one runs): 议题 here (sort topics into the
boxes, turn a 随手拍 report into a topic), then the tabs the other parts add to ADMIN_TABS
(会议, 投票, 公示与落实).
"""
from __future__ import annotations

from typing import Callable

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.errors import PortalError
from lib.core.roles import STAFF, User
from lib.council import topics, ui_meetings, ui_publish, ui_vote
from lib.council.ui_parts import TOPIC_PARAM


TAB_KEY = "admin_council_tab"
NOTE_KEY = "admin_council_note"
SHOW_BOX = "admin_council_show_box"
REPORT_PICK = "admin_council_report"
REPORT_LINKED = "admin_council_report_linked"
REPORT_PARAM = "r"  # /admin-council?r=<report id>: the report page's 转为议事议题 link
LABELS = {"box": "分类", "note": "说明", "title": "议题标题", "topic": "议题", "report": "随手拍"}
SORT_LIMIT = 30  # topic forms on one screen; the rest wait until these are sorted
REPORT_TEXT_SHOWN = 24  # characters of a report's text in the picker: one line on a phone


def topics_admin(db: Database, user: User) -> None:
    """议题: sort the topics of one box at a time, and turn a recent 随手拍 into a topic."""
    if not user.at_least(STAFF):  # the page guard stops lower roles first; lib checks again
        st.error("此页面仅限社区工作人员使用。")
        return
    ui.show_note(NOTE_KEY)
    sort_part(db, user)
    from_report_part(db, user)


# 管理 › 议事's tabs, in order: title -> function(db, user). Each part adds its own line here.
ADMIN_TABS: dict[str, Callable[[Database, User], None]] = {
    "议题": topics_admin,
    "会议": ui_meetings.meetings_admin,
    "投票": ui_vote.votes_admin,
    "公示与落实": ui_publish.admin_tab,
}


def council_admin(db: Database, user: User) -> None:
    """/admin-council: the tabs (only the open one runs)."""
    ui.open_tab_only(ADMIN_TABS, TAB_KEY, db, user)


def sort_part(db: Database, user: User) -> None:
    st.subheader("议题分类")
    st.caption("把居民提出的议题放进四个分类；不予议事时写明理由，居民会在议题页看到。")
    boxes = topics.board(db)
    order = [topics.NEW, *topics.BOARD_BOXES, topics.DECLINED]
    # the counts go in the caption: a selectbox keeps showing the labels of its first run
    box = st.selectbox("查看", order, key=SHOW_BOX, format_func=topics.BOX_LABELS.get)
    shown = boxes[box]
    if not shown:
        st.info("这个分类里暂时没有议题。")
        return
    st.caption(f"共 {len(shown)} 个议题" + (f"，下面是前 {SORT_LIMIT} 个" if len(shown) > SORT_LIMIT
                                         else ""))
    for topic in shown[:SORT_LIMIT]:
        sort_card(db, user, topic)


def sort_card(db: Database, user: User, topic: topics.Topic) -> None:
    """One topic with a form to move it to another box (with a note)."""
    with st.container(border=True, key=f"admin_council_topic_{topic.id}"):
        st.page_link(ui.PAGE_FILES["council"], label=ui.esc(topic.title),
                     icon=":material/open_in_new:", query_params={TOPIC_PARAM: str(topic.id)})
        st.caption(f"{ui.esc(topic.place_label)} · {topic.supporters} 人支持 · "
                   f"{ui.esc(topic.proposer)} · {local_text(topic.created_at, with_time=False)}")
        with st.form(f"admin_council_sort_{topic.id}"):
            boxes = list(topics.BOX_LABELS)
            box = st.selectbox("放入", boxes, index=boxes.index(topic.box),
                               key=f"admin_council_box_{topic.id}",
                               format_func=topics.BOX_LABELS.get)
            note = st.text_input("说明（不予议事须写理由）", value=topic.box_note,
                                 key=f"admin_council_box_note_{topic.id}",
                                 max_chars=topics.BOX_NOTE_MAX)
            saved = st.form_submit_button("保存分类", width="stretch")
            place = st.empty()
        if not saved:
            return
        try:
            after = topics.sort(db, user, topic_id=topic.id, box=box, note=note)
        except PortalError as error:
            ui.show_error(error, LABELS, places={"*": place})
            return
        ui.leave_note(NOTE_KEY, f"“{after.title}”已放入“{after.box_label}”。")
        st.rerun()


def _report_line(report: dict) -> str:
    text = report["description"].replace("\n", " ")
    if len(text) > REPORT_TEXT_SHOWN:
        text = text[:REPORT_TEXT_SHOWN] + "…"
    return (f"#{report['id']} {report['category']} · {report['place_name']}"
            f"（{report['place_code']}） · {text}")


def linked_report(db: Database, recent: list[dict]) -> dict | None:
    """The report named by ``?r=`` (the report page's link here), chosen once in the picker;
    one already turned into a topic is answered with a link to that topic instead."""
    wanted = topics.report_summary(db, st.query_params.get(REPORT_PARAM))
    if wanted is None:
        return None
    made = topics.topic_for_report(db, wanted["id"])
    if made is not None:
        st.info(f"随手拍 #{wanted['id']} 已转为议题：")
        st.page_link(ui.PAGE_FILES["council"], label=ui.esc(topics.get_topic(db, made).title),
                     icon=":material/open_in_new:", query_params={TOPIC_PARAM: str(made)})
        return None
    if st.session_state.get(REPORT_LINKED) != wanted["id"]:
        st.session_state[REPORT_LINKED] = wanted["id"]
        st.session_state[REPORT_PICK] = wanted["id"]
    return wanted


def from_report_part(db: Database, user: User) -> None:
    st.subheader("随手拍转议题")
    st.caption("居民反映的事需要大家协商时（如加装设施、公共收益怎么用），把它转为议题："
               "地点、文字和照片会带过去，每条随手拍只转一次。")
    reports = topics.recent_reports(db)
    linked = linked_report(db, reports)
    if linked is not None:
        reports = [linked, *(r for r in reports if r["id"] != linked["id"])]
    if not reports:
        st.info("最近没有可以转为议题的随手拍。")
        return
    by_id = {report["id"]: report for report in reports}
    with st.form("admin_council_from_report"):
        chosen = st.selectbox("随手拍（最近的）", list(by_id), key=REPORT_PICK,
                              format_func=lambda rid: _report_line(by_id[rid]))
        title = st.text_input("议题标题（不填则用类别和地点）", key="admin_council_report_title",
                              max_chars=topics.TITLE_MAX)
        boxes = [topics.NEW, *topics.BOARD_BOXES[:-1]]
        box = st.selectbox("放入", boxes, key="admin_council_report_box",
                           format_func=topics.BOX_LABELS.get)
        made = st.form_submit_button("转为议题", type="primary", width="stretch")
        place = st.empty()
    if not made:
        return
    try:
        topic_id = topics.from_report(db, user, report_id=chosen, title=title, box=box)
    except PortalError as error:
        ui.show_error(error, LABELS, places={"*": place})
        return
    topic = topics.get_topic(db, topic_id)
    st.session_state.pop("admin_council_report_title", None)
    st.session_state.pop(REPORT_PICK, None)
    ui.leave_note(NOTE_KEY, f"随手拍 #{chosen} 已转为议题“{topic.title}”（{topic.box_label}）。")
    st.rerun()
