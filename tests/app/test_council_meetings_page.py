"""AppTest of 议事's meetings: 管理 › 议事 › 会议 (schedule, agenda, minutes with photos, plans),
a meeting's page /council?m=<id> and a topic's 方案 tab, for each role."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from lib.core.clock import local_today
from lib.core.db import scalar
from lib.council import meetings, ui_meetings
from lib.council import ui as council_ui
from lib.council import ui_admin as council_admin_ui
from lib.people.users import load_user
from tests.app.conftest import login, texts
from tests.council_helpers import make_plan, make_topic


COUNCIL = "app_pages/council.py"
ADMIN = "app_pages/admin/council.py"


def test_the_meetings_part_is_registered_on_the_topic_page_and_in_admin():
    assert council_ui.TOPIC_TABS["方案"] is ui_meetings.plans_tab
    assert list(council_ui.TOPIC_TABS)[0] == "方案"  # the plan comes before its vote
    assert council_admin_ui.ADMIN_TABS["会议"] is ui_meetings.meetings_admin
    assert list(council_admin_ui.ADMIN_TABS)[:2] == ["议题", "会议"]


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def world(db) -> dict:
    """A topic proposed by resident, a held meeting today with it on the agenda."""
    staff = user(db, "staff")
    topic = make_topic(db, proposed_by=user(db, "resident").id, box="urgent_important")
    meeting = meetings.schedule(db, staff, title="11月院落议事会", held_on=local_today(),
                                starts_at="19:30", venue="社区活动室", participants="居民代表",
                                topic_ids=[topic], key="w1")
    return {"staff": staff, "topic": topic, "meeting": meeting}


def open_admin(app, username: str):
    at = login(app(), username)
    at.switch_page(ADMIN)
    at.session_state[council_admin_ui.TAB_KEY] = "会议"
    at.run()
    assert not at.exception
    return at


def open_council(app, username: str | None, **params):
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(COUNCIL)
    for name, value in params.items():
        at.query_params[name] = str(value)
    if "t" in params:
        at.session_state[council_ui.TAB_KEY] = "方案"
    at.run()
    assert not at.exception
    return at


def form_values(at, prefix: str, **values) -> None:
    for name, value in values.items():
        widget = next(w for kind in ("text_input", "text_area", "date_input")
                      for w in getattr(at, kind) if w.key == f"{prefix}_{name}")
        widget.set_value(value)


def submit(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception


# --- 管理 › 会议 ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_staff_schedule_a_meeting_with_its_agenda_once(app, portal_db, username):
    topic = make_topic(portal_db, proposed_by=user(portal_db, "resident").id, box="watch")
    at = open_admin(app, username)
    prefix = "council_meeting_form_new"
    form_values(at, prefix, title="12月院落议事会", venue="3栋架空层",
                participants="居民代表、楼栋长、物业")
    at.multiselect(key=f"{prefix}_topics").select(topic)
    submit(at, "安排会议")
    [meeting] = meetings.all_meetings(portal_db)
    assert (meeting.title, meeting.venue, meeting.starts_at) == ("12月院落议事会", "3栋架空层", "19:30")
    assert meeting.held_on == (local_today() + timedelta(days=7)).isoformat()
    assert [item.topic_id for item in meeting.agenda] == [topic]
    assert "会议已安排，居民可以在议事页看到。" in texts(at.success)
    assert at.selectbox(key=ui_meetings.PICK).value == meeting.id
    assert any("当天及以后才能记录方案和会议纪要" in t for t in texts(at.info))


def test_a_meeting_in_the_past_or_without_a_venue_is_refused_beside_its_field(app, portal_db):
    topic = make_topic(portal_db, proposed_by=user(portal_db, "resident").id, box="watch")
    at = open_admin(app, "staff")
    prefix = "council_meeting_form_new"
    form_values(at, prefix, title="议事会", day=local_today() - timedelta(days=1))
    at.multiselect(key=f"{prefix}_topics").select(topic)
    submit(at, "安排会议")
    errors = texts(at.error)
    assert "会议日期：会议日期不能早于今天。" in errors
    assert any(e.startswith("会议地点：请填写会议地点") for e in errors)
    assert meetings.all_meetings(portal_db) == []


def test_staff_record_a_plan_and_the_minutes_with_a_photo(app, portal_db):
    w = world(portal_db)
    at = open_admin(app, "staff")
    at.selectbox(key=ui_meetings.PICK).set_value(w["meeting"]).run()
    prefix = f"council_plan_new_{w['meeting']}_{w['topic']}"
    form_values(at, prefix, title="大门加装雨棚", body="大门内侧加装钢结构雨棚。",
                options="钢结构雨棚或遮阳篷", cost="１２０００元", duties="物业施工，楼栋长监督",
                owner="物业公司")
    submit(at, "记录方案（待表决）")
    assert not texts(at.error)
    [plan] = meetings.plans_of_topic(portal_db, w["topic"])
    assert (plan.title, plan.cost_fen, plan.status, plan.meeting_id) == (
        "大门加装雨棚", 1_200_000, "draft", w["meeting"])
    assert any("已记录方案：大门加装雨棚" in t for t in texts(at.success))

    at.text_area(key=f"council_minutes_{w['meeting']}_text").set_value("到会 20 人，议定加装雨棚。")
    # AppTest's uploader takes no files: the photo path is covered by the unit tests and the
    # browser journey; here the minutes alone mark the meeting held
    submit(at, "保存纪要（会议记为已召开）")
    meeting = meetings.get_meeting(portal_db, w["meeting"])
    assert (meeting.status, meeting.minutes_text) == ("held", "到会 20 人，议定加装雨棚。")
    assert "会议纪要已保存并公开，会议记为已召开。" in texts(at.success)


def test_a_bad_cost_is_refused_and_no_plan_is_stored(app, portal_db):
    w = world(portal_db)
    at = open_admin(app, "staff")
    at.selectbox(key=ui_meetings.PICK).set_value(w["meeting"]).run()
    prefix = f"council_plan_new_{w['meeting']}_{w['topic']}"
    form_values(at, prefix, title="大门加装雨棚", body="加装雨棚。", cost="999999999",
                duties="物业施工", owner="物业公司")
    submit(at, "记录方案（待表决）")
    assert any(e.startswith("预计费用：预计费用：金额不能超过") for e in texts(at.error))
    assert meetings.plans_of_topic(portal_db, w["topic"]) == []


def test_a_plan_under_vote_shows_no_edit_form(app, portal_db):
    w = world(portal_db)
    make_plan(portal_db, topic_id=w["topic"], created_by=w["staff"].id, status="voting",
              meeting_id=w["meeting"])
    at = open_admin(app, "staff")
    at.selectbox(key=ui_meetings.PICK).set_value(w["meeting"]).run()
    assert "表决已开始，方案不能再修改。" in texts(at.caption)
    assert not [f for f in at.text_input if f.key.startswith("council_plan_") and
                not f.key.startswith("council_plan_new_")]


def test_staff_cancel_a_meeting_with_a_reason(app, portal_db):
    topic = make_topic(portal_db, proposed_by=user(portal_db, "resident").id)
    meeting_id = meetings.schedule(portal_db, user(portal_db, "staff"), title="院落议事会",
                                   held_on=local_today() + timedelta(days=3), starts_at="",
                                   venue="广场", participants="", topic_ids=[topic], key="c1")
    at = open_admin(app, "staff")
    at.selectbox(key=ui_meetings.PICK).set_value(meeting_id).run()
    at.text_input(key=f"council_meeting_cancel_reason_{meeting_id}").set_value("下雨改期")
    submit(at, "确认取消会议")
    assert meetings.get_meeting(portal_db, meeting_id).cancel_reason == "下雨改期"
    assert "会议已取消：下雨改期" in texts(at.warning)


@pytest.mark.parametrize("username", ["resident", "leader"])
def test_a_resident_or_leader_gets_no_meetings_admin(app, portal_db, username):
    at = login(app(), username)
    at.switch_page(ADMIN).run()
    assert not [w for w in at.selectbox if w.key == ui_meetings.PICK]
    assert not [b for b in at.button if b.label == "安排会议"]


# --- the meeting's page and the topic's 方案 tab ------------------------------------------


@pytest.mark.parametrize("username", [None, "resident", "staff"])
def test_everyone_reads_a_meetings_page(app, portal_db, username, tmp_path):
    w = world(portal_db)
    meetings.record_plan(portal_db, w["staff"], topic_id=w["topic"], meeting_id=w["meeting"],
                         title="大门加装雨棚", options_discussed="雨棚或遮阳篷",
                         body="加装钢结构雨棚。", cost="12000", duties="物业施工，楼栋长监督",
                         deadline=local_today() + timedelta(days=30), owner="物业公司", key="p1")
    from lib.core.config import load_settings

    meetings.record_minutes(portal_db, w["staff"], data_dir=load_settings().data_dir,
                            meeting_id=w["meeting"], minutes="到会 20 人。\n议定加装雨棚。",
                            photos=[jpeg()], key="m1")
    at = open_council(app, username, m=w["meeting"])
    assert "11月院落议事会" in texts(at.title)
    assert any(t.startswith("已召开 · ") and "社区活动室" in t for t in texts(at.caption))
    shown = " ".join(texts(at.markdown))
    assert "到会 20 人。" in shown and "议定加装雨棚。" in shown
    assert "加装钢结构雨棚。" in shown and "12,000.00 元" in shown and "物业公司" in shown
    assert [b.label for b in at.button if b.key == f"council_meeting_topic_{w['topic']}"] == [
        "1. 小区大门加装雨棚"]
    assert len(at.get("image")) == 1
    # tapping the agenda's topic opens the topic's page
    at.button(key=f"council_meeting_topic_{w['topic']}").click().run()
    assert at.query_params.get("t") in (str(w["topic"]), [str(w["topic"])])


def test_a_coming_meeting_invites_and_a_cancelled_one_says_why(app, portal_db):
    topic = make_topic(portal_db, proposed_by=user(portal_db, "resident").id)
    staff = user(portal_db, "staff")
    coming = meetings.schedule(portal_db, staff, title="院落议事会", starts_at="19:30",
                               held_on=local_today() + timedelta(days=3), venue="广场",
                               participants="", topic_ids=[topic], key="a")
    at = open_council(app, "resident", m=coming)
    assert any("召开，欢迎居民参加、旁听" in t for t in texts(at.info))
    meetings.cancel(portal_db, staff, meeting_id=coming, reason="下雨改期")
    at = open_council(app, "resident", m=coming)
    assert "会议已取消：下雨改期" in texts(at.warning)


@pytest.mark.parametrize("wanted", ["999", "abc", "-1"])
def test_an_unknown_meeting_says_so(app, portal_db, wanted):
    at = open_council(app, None, m=wanted)
    assert "找不到该会议。" in texts(at.warning)


def test_a_topics_plans_tab_lists_its_plans_and_meetings(app, portal_db):
    w = world(portal_db)
    at = open_council(app, "resident", t=w["topic"])
    assert not any("还没有安排上会讨论" in t for t in texts(at.info))
    assert [b.label for b in at.button if b.key == f"council_topic_meeting_open_{w['meeting']}"] \
        == ["11月院落议事会"]
    make_plan(portal_db, topic_id=w["topic"], created_by=w["staff"].id, meeting_id=w["meeting"])
    at = open_council(app, "resident", t=w["topic"])
    assert "**大门雨棚方案** · 待表决" in [m.value for m in at.markdown]
    at.button(key=f"council_topic_meeting_open_{w['meeting']}").click().run()
    assert not at.exception and "11月院落议事会" in texts(at.title)


def test_a_topic_not_yet_discussed_says_so(app, portal_db):
    topic = make_topic(portal_db, proposed_by=user(portal_db, "resident").id)
    at = open_council(app, None, t=topic)
    assert any("还没有安排上会讨论" in t for t in texts(at.info))


def test_the_board_lists_the_coming_meetings_and_the_last_held_one_a_tap_away(app, portal_db):
    at = open_council(app, None)
    assert "议事会议" not in texts(at.subheader)  # none yet: no empty section
    w = world(portal_db)  # today's, still to be held
    staff = w["staff"]
    for title, days, status in (("九月议事会", -60, "held"), ("十月议事会", -30, "held"),
                                ("改期的会", -20, "cancelled")):
        portal_db.execute(
            "INSERT INTO council_meetings (title, held_on, venue, status, created_by, created_at,"
            " updated_at) VALUES (?, ?, '广场', ?, ?, 'now', 'now')",
            (title, (local_today() + timedelta(days=days)).isoformat(), status, staff.id))
    portal_db.conn.commit()
    at = open_council(app, "resident")
    assert "议事会议" in texts(at.subheader)
    listed = [b.label for b in at.button if b.key.startswith("council_board_meeting_open_")]
    assert listed == ["11月院落议事会", "十月议事会"]
    at.button(key=f"council_board_meeting_open_{w['meeting']}").click().run()
    assert not at.exception and texts(at.title) == ["11月院落议事会"]
    assert at.query_params["m"] == str(w["meeting"])


def test_staff_change_a_scheduled_meeting_and_a_draft_plan(app, portal_db):
    w = world(portal_db)
    other = make_topic(portal_db, proposed_by=user(portal_db, "resident").id, title="车棚充电桩",
                       box="watch")
    plan_id = make_plan(portal_db, topic_id=w["topic"], created_by=w["staff"].id,
                        meeting_id=w["meeting"])
    at = open_admin(app, "staff")
    at.selectbox(key=ui_meetings.PICK).set_value(w["meeting"]).run()
    prefix = f"council_meeting_form_{w['meeting']}"
    at.text_input(key=f"{prefix}_venue").set_value("3栋架空层")
    at.multiselect(key=f"{prefix}_topics").select(other)
    submit(at, "保存修改")
    meeting = meetings.get_meeting(portal_db, w["meeting"])
    assert meeting.venue == "3栋架空层"
    assert [item.topic_id for item in meeting.agenda] == [w["topic"], other]
    assert "已保存会议的修改。" in texts(at.success)

    at.text_input(key=f"council_plan_{plan_id}_cost").set_value("9000")
    submit(at, "保存方案")
    assert meetings.get_plan(portal_db, plan_id).cost_fen == 900_000
    assert "已保存方案：大门雨棚方案。" in texts(at.success)
    # the plan's topic cannot leave the agenda: said beside 议程, nothing changes
    at.multiselect(key=f"{prefix}_topics").unselect(w["topic"])
    submit(at, "保存修改")
    assert "议程：议题“小区大门加装雨棚”在本次会议已有方案，不能移出议程。" in texts(at.error)
    assert [i.topic_id for i in meetings.get_meeting(portal_db, w["meeting"]).agenda] == [
        w["topic"], other]
