"""议事 meetings and plans word for word: each refusal as the whole ``fields`` dict a page
places, each limit on both of its sides, the Shanghai day's edges at the exact second
(``clock.pretend``), the rows a write stores and the audit entry it leaves.

The clock is pinned at NOW (noon in Shanghai) for every test, so dates read as dates.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from lib.core import clock
from lib.core.roles import STAFF
from lib.council import meetings
from lib.council.meetings import AgendaItem, Meeting, Plan
from tests import test_council_meetings as base
from tests.council_helpers import make_plan, make_topic, make_vote
from tests.refusals import fields, last_audit, not_found
from tests.test_council_meetings import jpeg, key


NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)  # 12:00 on 2026-11-20 in Shanghai
TODAY = date(2026, 11, 20)
STAMP = "2026-11-20T04:00:00+00:00"
MIDNIGHT = datetime(2026, 11, 20, 16, 0, tzinfo=timezone.utc)  # 2026-11-21 00:00 in Shanghai
JUST_BEFORE = MIDNIGHT - timedelta(seconds=1)


cast = base.cast  # the module tests' people and two topics


@pytest.fixture(autouse=True)
def pinned_clock():
    with clock.pretend(NOW):
        yield


def day(days: int) -> date:
    return TODAY + timedelta(days=days)


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def uploads(tmp_path) -> list[str]:
    folder = tmp_path / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def meeting_row(db, cast, *, held_on: date | None = None, status: str = "scheduled",
                topics=("topic",), meeting_id: int | None = None) -> int:
    """A meeting written straight in (any date, even a past one), with an agenda."""
    meeting_id = db.execute(
        "INSERT INTO council_meetings (id, title, held_on, starts_at, venue, participants,"
        " status, created_by, created_at, updated_at) VALUES (?, '院落议事会', ?, '19:30',"
        " '社区活动室', '居民代表', ?, ?, 'then', 'then')",
        (meeting_id, (held_on or day(3)).isoformat(), status, cast[STAFF].id)).lastrowid
    for position, name in enumerate(topics, start=1):
        db.execute("INSERT INTO council_agenda VALUES (?, ?, ?)", (meeting_id, cast[name], position))
    db.conn.commit()
    return meeting_id


def schedule(db, cast, **over):
    values = dict(title="11月院落议事会", held_on=day(7), starts_at=time(19, 30),
                  venue="社区活动室", participants="居民代表、楼栋长、物业",
                  topic_ids=[cast["topic"]], key=key())
    values.update(over)
    return meetings.schedule(db, cast[STAFF], **values)


def record_plan(db, cast, meeting_id, **over):
    values = dict(topic_id=cast["topic"], meeting_id=meeting_id, title="大门雨棚方案",
                  options_discussed="方案一：钢结构雨棚；方案二：可伸缩遮阳篷。",
                  body="在大门内侧加装钢结构雨棚，长6米。", cost="12000.50",
                  duties="物业负责施工，楼栋长监督。", deadline=day(30), owner="物业公司",
                  key=key())
    values.update(over)
    return meetings.record_plan(db, cast[STAFF], **values)


def minutes(db, cast, tmp_path, meeting_id, **over):
    values = dict(data_dir=tmp_path, meeting_id=meeting_id, minutes="议定加装雨棚。",
                  photos=(), key=key())
    values.update(over)
    return meetings.record_minutes(db, cast[STAFF], **values)


# --- scheduling: what is refused, word for word ----------------------------------------------


def test_every_missing_meeting_field_is_named_at_once_with_an_example(db, cast):
    assert fields(lambda: schedule(db, cast, title=" ", held_on=None, starts_at="七点",
                                   venue="", participants="", topic_ids=[])) == {
        "title": "请填写会议名称，例如 11月院落议事会。",
        "held_on": "请选择会议日期。",
        "starts_at": "开始时间请写成 时:分，例如 19:30。",
        "venue": "请填写会议地点，例如 社区活动室。",
        "topic_ids": "请至少选择一个要讨论的议题。"}
    assert count(db, "council_meetings") == 0


@pytest.mark.parametrize("name, most, message", [
    ("title", 40, "会议名称不能超过 40 个字。"),
    ("venue", 40, "会议地点不能超过 40 个字。"),
    ("participants", 500, "参会人员不能超过 500 个字。"),
])
def test_a_meeting_text_may_reach_its_limit_but_not_pass_it(db, cast, name, most, message):
    assert fields(lambda: schedule(db, cast, **{name: "议" * (most + 1)})) == {name: message}
    meeting = meetings.get_meeting(db, schedule(db, cast, **{name: "议" * most}))
    assert getattr(meeting, name) == "议" * most


def test_participants_may_be_left_out(db, cast):
    meeting = meetings.get_meeting(db, schedule(db, cast, participants="  "))
    assert meeting.participants == ""


def test_a_meeting_is_from_today_up_to_two_years_ahead(db, cast):
    assert fields(lambda: schedule(db, cast, held_on=day(-1))) == {
        "held_on": "会议日期不能早于今天。"}
    assert fields(lambda: schedule(db, cast, held_on=day(731))) == {
        "held_on": "会议日期不能晚于两年之后。"}
    assert fields(lambda: schedule(db, cast, held_on="2026-13-01")) == {
        "held_on": "请选择会议日期。"}
    for held_on in (day(0), day(730), day(730).isoformat()):
        meeting = meetings.get_meeting(db, schedule(db, cast, held_on=held_on))
        assert meeting.held_on == str(held_on)


def test_a_moment_given_as_the_date_counts_as_its_day_in_shanghai(db, cast):
    from datetime import datetime, timezone

    morning = datetime.combine(day(7), time(7, 0), tzinfo=clock.SHANGHAI).astimezone(timezone.utc)
    assert morning.date() != day(7)  # 23:00 UTC, still the day before
    assert meetings.get_meeting(db, schedule(db, cast, held_on=morning)).held_on == str(day(7))
    naive = datetime.combine(day(7), time(9, 0))
    assert meetings.get_meeting(db, schedule(db, cast, held_on=naive)).held_on == str(day(7))


def test_today_ends_at_midnight_in_shanghai(db, cast):
    with clock.pretend(JUST_BEFORE):  # 23:59:59 on the 20th in Shanghai
        assert meetings.get_meeting(db, schedule(db, cast, held_on=day(0))).held_on == str(day(0))
    with clock.pretend(MIDNIGHT):
        assert fields(lambda: schedule(db, cast, held_on=day(0))) == {
            "held_on": "会议日期不能早于今天。"}


@pytest.mark.parametrize("typed, stored", [
    (time(8, 0), "08:00"), ("7:05", "07:05"), (" 19:30 ", "19:30"), ("１９：３０", "19:30"),
    ("0:00", "00:00"), ("23:59", "23:59"), ("", ""), (None, ""),
])
def test_the_starting_time_is_stored_as_hours_and_minutes(db, cast, typed, stored):
    meeting = meetings.get_meeting(db, schedule(db, cast, starts_at=typed))
    assert meeting.starts_at == stored
    assert meeting.when_text == f"{day(7)} {stored}".strip()


@pytest.mark.parametrize("typed", ["24:00", "19:60", "19:3", "19:30:00", "晚上7点", "1930"])
def test_a_starting_time_that_is_not_a_time_of_day_is_refused(db, cast, typed):
    assert fields(lambda: schedule(db, cast, starts_at=typed)) == {
        "starts_at": "开始时间请写成 时:分，例如 19:30。"}


@pytest.mark.parametrize("topic_ids", [None, "1", 1, [0], [-1], [True], ["1"], [1.0]])
def test_an_agenda_that_is_not_a_list_of_topics_is_refused(db, cast, topic_ids):
    assert fields(lambda: schedule(db, cast, topic_ids=topic_ids)) == {
        "topic_ids": "请选择要讨论的议题。"}


def test_an_agenda_holds_up_to_twenty_topics_each_once(db, cast):
    topics = [cast["topic"], cast["topic2"]] + [
        make_topic(db, proposed_by=cast["in"].id, title=f"议题{n}") for n in range(19)]
    assert fields(lambda: schedule(db, cast, topic_ids=topics)) == {
        "topic_ids": "一次会议最多讨论 20 个议题。"}
    meeting = meetings.get_meeting(db, schedule(db, cast, topic_ids=topics[:20] + topics[:3]))
    assert [item.topic_id for item in meeting.agenda] == topics[:20]
    assert [item.position for item in meeting.agenda] == list(range(1, 21))


def test_an_unknown_or_declined_topic_is_named(db, cast):
    declined = make_topic(db, proposed_by=cast["in"].id, title="拆除围墙", box="declined")
    assert fields(lambda: schedule(db, cast, topic_ids=[cast["topic"], declined])) == {
        "topic_ids": "议题“拆除围墙”已不予议事，不能列入议程。"}
    assert fields(lambda: schedule(db, cast, topic_ids=[cast["topic"], 999])) == {
        "topic_ids": "所选议题不存在，请刷新后重新选择。"}
    assert count(db, "council_meetings") == count(db, "council_agenda") == 0


# --- scheduling: what is stored -------------------------------------------------------------


def test_a_scheduled_meeting_is_stored_as_typed_with_its_agenda_in_order(db, cast):
    meeting_id = schedule(db, cast, title=" 11月院落议事会 ", venue=" 社区活动室 ",
                          topic_ids=[cast["topic2"], cast["topic"]], key=" form-1 ")
    assert meetings.get_meeting(db, meeting_id) == Meeting(
        id=meeting_id, title="11月院落议事会", held_on=str(day(7)), starts_at="19:30",
        venue="社区活动室", participants="居民代表、楼栋长、物业", minutes="",
        status="scheduled", cancel_reason="", submission_key="form-1",
        created_by=cast[STAFF].id, created_at=STAMP, updated_at=STAMP,
        agenda=(AgendaItem(cast["topic2"], "车棚加装充电桩", "new", 1),
                AgendaItem(cast["topic"], "小区大门加装雨棚", "new", 2)),
        photos=())
    assert last_audit(db, "council.meeting_schedule") == {
        "actor": cast[STAFF].id, "type": "council_meeting", "id": str(meeting_id),
        "detail": {"title": "11月院落议事会", "held_on": str(day(7)), "venue": "社区活动室",
                   "topics": 2, "key": "form-1"}}
    assert schedule(db, cast, key="form-1") == meeting_id  # the same form sent again


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_write_without_a_submission_key_is_a_programming_error(db, cast, tmp_path, blank):
    message = "^a write that could be repeated needs a submission key$"
    with pytest.raises(ValueError, match=message):
        schedule(db, cast, key=blank)
    with pytest.raises(ValueError, match=message):
        record_plan(db, cast, None, key=blank)
    held = meeting_row(db, cast, held_on=day(0))
    with pytest.raises(ValueError, match=message):
        minutes(db, cast, tmp_path, held, key=blank)
    assert count(db, "council_meetings") == 1 and count(db, "council_plans") == 0
    assert count(db, "audit_log") == 0


def test_a_double_tap_on_the_minutes_does_not_process_its_photos_again(db, cast, tmp_path,
                                                                        monkeypatch):
    """The key is looked up before the photos are checked: a second tap costs no photo work."""
    held = meeting_row(db, cast, held_on=day(0))
    minutes(db, cast, tmp_path, held, photos=[jpeg()], key="tap")
    processed = []
    monkeypatch.setattr(meetings.photos, "process_photo", lambda data: processed.append(data))
    again = minutes(db, cast, tmp_path, held, minutes="重复提交", photos=[jpeg()], key="tap")
    assert processed == [] and len(again.photos) == 1
    assert count(db, "council_photos") == 1


# --- reading --------------------------------------------------------------------------------


def test_the_first_and_the_last_possible_ids_are_found(db, cast):
    first = meeting_row(db, cast, meeting_id=1)
    last = meeting_row(db, cast, meeting_id=2 ** 63 - 1)
    assert meetings.get_meeting(db, first).id == 1
    assert meetings.get_meeting(db, last).id == 2 ** 63 - 1
    plan = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    db.execute("UPDATE council_plans SET id = ? WHERE id = ?", (2 ** 63 - 1, plan))
    db.conn.commit()
    assert meetings.get_plan(db, 2 ** 63 - 1).id == 2 ** 63 - 1


@pytest.mark.parametrize("wanted", [None, True, "1", 1.0, 0, -1, 2 ** 63, 999])
def test_a_crafted_or_unknown_id_finds_nothing_in_plain_words(db, cast, wanted):
    meeting_row(db, cast, meeting_id=1)
    make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    assert not_found(lambda: meetings.get_meeting(db, wanted)) == "找不到该会议。"
    assert not_found(lambda: meetings.get_plan(db, wanted)) == "找不到该方案。"


def test_upcoming_meetings_are_the_next_twenty_soonest_first(db, cast):
    later = [meeting_row(db, cast, held_on=day(n)) for n in range(20, 0, -1)]
    early = meeting_row(db, cast, held_on=day(0))
    db.execute("UPDATE council_meetings SET starts_at = '09:00' WHERE id = ?", (early,))
    noon = meeting_row(db, cast, held_on=day(0))  # 19:30, after the 09:00 one on the same day
    meeting_row(db, cast, held_on=day(-1))  # its day has passed
    meeting_row(db, cast, held_on=day(2), status="cancelled")
    db.conn.commit()
    assert [m.id for m in meetings.upcoming_meetings(db)] == [early, noon] + later[::-1][:18]
    assert len(meetings.upcoming_meetings(db, limit=22)) == 22


def test_a_meeting_of_today_is_upcoming_until_midnight_in_shanghai(db, cast):
    today = meeting_row(db, cast, held_on=day(0))
    with clock.pretend(JUST_BEFORE):
        assert [m.id for m in meetings.upcoming_meetings(db)] == [today]
        assert meetings.past_meetings(db) == []
    with clock.pretend(MIDNIGHT):
        assert meetings.upcoming_meetings(db) == []
        assert [m.id for m in meetings.past_meetings(db)] == [today]


def test_past_meetings_are_the_latest_twenty_first(db, cast):
    past = [meeting_row(db, cast, held_on=day(-n), status="held") for n in range(1, 22)]
    called_off = meeting_row(db, cast, held_on=day(5), status="cancelled")
    meeting_row(db, cast, held_on=day(5))
    assert [m.id for m in meetings.past_meetings(db)] == [called_off] + past[:19]
    assert len(meetings.past_meetings(db, limit=30)) == 22


def test_the_staff_picker_lists_two_hundred_meetings_latest_first(db, cast):
    rows = [(f"第{n}次议事会", day(n % 50).isoformat(), cast[STAFF].id) for n in range(201)]
    db.conn.executemany(
        "INSERT INTO council_meetings (title, held_on, venue, created_by, created_at,"
        " updated_at) VALUES (?, ?, '社区活动室', ?, 'then', 'then')", rows)
    db.conn.commit()
    listed = meetings.all_meetings(db)
    assert len(listed) == 200 and listed[0].held_on == str(day(49))
    assert len(meetings.all_meetings(db, limit=500)) == 201


def test_the_previous_meeting_is_the_last_one_held_even_on_the_same_day(db, cast):
    first = meeting_row(db, cast, held_on=day(-9), status="held")
    morning = meeting_row(db, cast, held_on=day(-2), status="held")
    meeting_row(db, cast, held_on=day(-2), status="cancelled")
    evening = meeting_row(db, cast, held_on=day(-2), status="held")
    meeting_row(db, cast, held_on=day(-1))  # scheduled, its minutes never recorded
    coming = meeting_row(db, cast, held_on=day(4))
    previous = meetings.previous_meeting

    assert previous(db, meetings.get_meeting(db, coming)).id == evening
    assert previous(db, meetings.get_meeting(db, evening)).id == morning
    assert previous(db, meetings.get_meeting(db, morning)).id == first
    assert previous(db, meetings.get_meeting(db, first)) is None


def test_a_topics_meetings_and_plans_are_listed_latest_first(db, cast):
    old = meeting_row(db, cast, held_on=day(-8), status="held", topics=("topic", "topic2"))
    meeting_row(db, cast, held_on=day(-4), status="held", topics=("topic2",))
    new = meeting_row(db, cast, held_on=day(-1), status="held")
    assert [m.id for m in meetings.meetings_of_topic(db, cast["topic"])] == [new, old]
    first = record_plan(db, cast, old, deadline=day(1))
    second = record_plan(db, cast, old, title="雨棚第二方案", deadline=day(2))
    other = record_plan(db, cast, old, topic_id=cast["topic2"])
    assert [p.id for p in meetings.plans_of_topic(db, cast["topic"])] == [second, first]
    assert [p.id for p in meetings.plans_of_meeting(db, old)] == [first, second, other]
    assert meetings.plans_of_meeting(db, new) == []


# --- changing a meeting ------------------------------------------------------------------------


def test_changing_one_field_stores_it_and_records_what_it_was(db, cast):
    meeting_id = meeting_row(db, cast)
    with clock.pretend(NOW + timedelta(hours=1)):
        meeting = meetings.update(db, cast["staff2"], meeting_id=meeting_id, venue=" 广场 ",
                                  participants="居民代表")
    assert (meeting.venue, meeting.title, meeting.participants) == ("广场", "院落议事会", "居民代表")
    assert meeting.updated_at == "2026-11-20T05:00:00+00:00"
    assert meeting == meetings.get_meeting(db, meeting_id)
    assert last_audit(db, "council.meeting_edit") == {
        "actor": cast["staff2"].id, "type": "council_meeting", "id": str(meeting_id),
        "detail": {"title": "院落议事会", "old": {"venue": "社区活动室"}, "topics": ""}}


def test_a_new_name_is_the_one_the_audit_entry_shows(db, cast):
    meeting_id = meeting_row(db, cast)
    meetings.update(db, cast[STAFF], meeting_id=meeting_id, title="12月院落议事会",
                    held_on=day(3), starts_at="20:00")
    assert last_audit(db, "council.meeting_edit")["detail"] == {
        "title": "12月院落议事会", "old": {"title": "院落议事会", "starts_at": "19:30"},
        "topics": ""}


def test_reordering_the_agenda_alone_is_a_change(db, cast):
    meeting_id = meeting_row(db, cast, topics=("topic", "topic2"))
    with clock.pretend(NOW + timedelta(minutes=5)):
        meeting = meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                  topic_ids=[cast["topic2"], cast["topic"]])
    assert meeting.agenda == (AgendaItem(cast["topic2"], "车棚加装充电桩", "new", 1),
                              AgendaItem(cast["topic"], "小区大门加装雨棚", "new", 2))
    assert meeting.updated_at == "2026-11-20T04:05:00+00:00" and meeting.venue == "社区活动室"
    assert last_audit(db, "council.meeting_edit")["detail"] == {
        "title": "院落议事会", "old": {}, "topics": 2}


def test_an_update_that_changes_nothing_returns_the_meeting_as_it_was(db, cast):
    meeting_id = meeting_row(db, cast, topics=("topic", "topic2"))
    meeting = meetings.update(db, cast[STAFF], meeting_id=meeting_id, title="院落议事会",
                              starts_at="19:30", topic_ids=[cast["topic"], cast["topic2"]])
    assert meeting == meetings.get_meeting(db, meeting_id) and meeting.updated_at == "then"
    assert count(db, "audit_log") == 0


def test_a_changed_meeting_is_checked_like_a_new_one(db, cast):
    meeting_id = meeting_row(db, cast)
    declined = make_topic(db, proposed_by=cast["in"].id, title="拆除围墙", box="declined")
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id, title="",
                                          venue="议" * 41, starts_at="25:00")) == {
        "title": "请填写会议名称，例如 11月院落议事会。", "venue": "会议地点不能超过 40 个字。",
        "starts_at": "开始时间请写成 时:分，例如 19:30。"}
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                          topic_ids=[declined])) == {
        "topic_ids": "议题“拆除围墙”已不予议事，不能列入议程。"}
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                          held_on=day(731))) == {
        "held_on": "会议日期不能晚于两年之后。"}
    assert not_found(lambda: meetings.update(db, cast[STAFF], meeting_id=999,
                                             venue="广场")) == "找不到该会议。"
    with pytest.raises(TypeError, match=r"update\(\) got unexpected fields \['status'\]"):
        meetings.update(db, cast[STAFF], meeting_id=meeting_id, status="held")
    assert meetings.get_meeting(db, meeting_id).updated_at == "then"


@pytest.mark.parametrize("status, label", [("held", "已召开"), ("cancelled", "已取消")])
def test_a_meeting_no_longer_scheduled_says_why_it_is_not_edited(db, cast, status, label):
    meeting_id = meeting_row(db, cast, held_on=day(0), status=status)
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                          venue="广场")) == {"_": f"{label}的会议不能修改。"}


def test_a_meeting_with_a_plan_keeps_its_date_and_planned_topics_but_may_change_the_rest(
        db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    record_plan(db, cast, meeting_id)
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                          held_on=day(1))) == {
        "held_on": "本次会议已记录方案，不能再改日期。"}
    assert fields(lambda: meetings.update(db, cast[STAFF], meeting_id=meeting_id,
                                          topic_ids=[cast["topic2"]])) == {
        "topic_ids": "议题“小区大门加装雨棚”在本次会议已有方案，不能移出议程。"}
    meeting = meetings.update(db, cast[STAFF], meeting_id=meeting_id, venue="广场",
                              held_on=day(0), topic_ids=[cast["topic"], cast["topic2"]])
    assert (meeting.venue, meeting.held_on) == ("广场", str(day(0)))
    assert [item.topic_id for item in meeting.agenda] == [cast["topic"], cast["topic2"]]


# --- cancelling ----------------------------------------------------------------------------------


def test_a_cancelled_meeting_keeps_the_reason_residents_read(db, cast):
    meeting_id = meeting_row(db, cast)
    reason = "因" * 200
    assert fields(lambda: meetings.cancel(db, cast[STAFF], meeting_id=meeting_id,
                                          reason=reason + "雨")) == {
        "reason": "取消原因不能超过 200 个字。"}
    assert fields(lambda: meetings.cancel(db, cast[STAFF], meeting_id=meeting_id,
                                          reason=None)) == {
        "reason": "请填写取消原因，居民会在会议页看到。"}
    meeting = meetings.cancel(db, cast[STAFF], meeting_id=meeting_id, reason=f" {reason} ")
    assert meeting == meetings.get_meeting(db, meeting_id)
    assert (meeting.status, meeting.cancel_reason, meeting.updated_at) == (
        "cancelled", reason, STAMP)
    assert last_audit(db, "council.meeting_cancel") == {
        "actor": cast[STAFF].id, "type": "council_meeting", "id": str(meeting_id),
        "detail": {"title": "院落议事会", "reason": reason}}
    assert meetings.cancel(db, cast[STAFF], meeting_id=meeting_id, reason="再取消") == meeting


def test_a_held_meeting_or_one_with_a_plan_is_not_cancelled(db, cast):
    held = meeting_row(db, cast, held_on=day(0), status="held")
    planned = meeting_row(db, cast, held_on=day(0))
    record_plan(db, cast, planned)
    assert fields(lambda: meetings.cancel(db, cast[STAFF], meeting_id=held, reason="改期")) == {
        "_": "会议已经召开，不能取消。"}
    assert fields(lambda: meetings.cancel(db, cast[STAFF], meeting_id=planned,
                                          reason="改期")) == {"_": "本次会议已记录方案，不能取消。"}
    assert count(db, "audit_log") == 1  # the plan's


# --- minutes -------------------------------------------------------------------------------------


def test_minutes_mark_the_meeting_held_and_keep_their_photos_in_order(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    meeting = minutes(db, cast, tmp_path, meeting_id, minutes=" 议定加装雨棚。 ",
                      photos=[jpeg("red"), b"", jpeg("blue")], key="m-1")
    assert (meeting.status, meeting.minutes_text, meeting.updated_at) == (
        "held", "议定加装雨棚。", STAMP)
    assert len(meeting.photos) == 2
    assert list(meeting.photos) == meetings.minutes_photos(db, meeting_id)
    assert meeting == meetings.get_meeting(db, meeting_id)
    assert last_audit(db, "council.meeting_minutes") == {
        "actor": cast[STAFF].id, "type": "council_meeting", "id": str(meeting_id),
        "detail": {"title": "院落议事会", "photos": 2, "amended": "", "key": "m-1"}}
    minutes(db, cast, tmp_path, meeting_id, minutes="补充纪要", photos=None, key="m-2")
    assert last_audit(db, "council.meeting_minutes")["detail"] == {
        "title": "院落议事会", "photos": 0, "amended": "是", "key": "m-2"}


def test_minutes_without_photos_need_no_data_directory(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    with pytest.raises(ValueError, match="^a photo needs the data directory to be stored in$"):
        minutes(db, cast, tmp_path, meeting_id, data_dir=None, photos=[jpeg()])
    assert meetings.get_meeting(db, meeting_id).status == "scheduled"
    assert minutes(db, cast, tmp_path, meeting_id, data_dir=None).minutes_text == "议定加装雨棚。"


def test_minutes_may_reach_five_thousand_characters(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    assert fields(lambda: minutes(db, cast, tmp_path, meeting_id, minutes="纪" * 5001)) == {
        "minutes": "会议纪要不能超过 5000 个字。"}
    assert fields(lambda: minutes(db, cast, tmp_path, meeting_id, minutes=None)) == {
        "minutes": "请填写会议纪要：谁参加了、讨论了什么、议定了什么。"}
    assert minutes(db, cast, tmp_path, meeting_id, minutes="纪" * 5000).minutes == "纪" * 5000


def test_minutes_wait_for_the_meetings_day_in_shanghai(db, cast, tmp_path):
    tomorrow = meeting_row(db, cast, held_on=day(1))
    cancelled = meeting_row(db, cast, held_on=day(0), status="cancelled")
    assert fields(lambda: minutes(db, cast, tmp_path, cancelled)) == {
        "_": "会议已取消，不能记录纪要。"}
    with clock.pretend(JUST_BEFORE):
        assert fields(lambda: minutes(db, cast, tmp_path, tomorrow)) == {
            "minutes": "会议定在 2026-11-21，还没召开，不能提前记录纪要。"}
    with clock.pretend(MIDNIGHT):
        assert minutes(db, cast, tmp_path, tomorrow).is_held
    assert not_found(lambda: minutes(db, cast, tmp_path, 999)) == "找不到该会议。"


def test_a_meeting_keeps_at_most_nine_photos_and_says_how_many_are_left(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    minutes(db, cast, tmp_path, meeting_id, photos=[jpeg()] * 3)
    assert fields(lambda: minutes(db, cast, tmp_path, meeting_id, photos=[jpeg()] * 7)) == {
        "photos": "纪要照片最多 9 张，还可以再传 6 张。"}
    assert len(minutes(db, cast, tmp_path, meeting_id, photos=[jpeg()] * 6).photos) == 9
    assert fields(lambda: minutes(db, cast, tmp_path, meeting_id, photos=[jpeg()])) == {
        "photos": "纪要照片最多 9 张，还可以再传 0 张。"}
    assert count(db, "council_photos") == 9


def test_a_double_tap_is_recognised_by_its_exact_key_even_in_chinese(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    minutes(db, cast, tmp_path, meeting_id, minutes="初稿", photos=[jpeg()], key="纪要-10")
    again = minutes(db, cast, tmp_path, meeting_id, minutes="重复", photos=[jpeg()], key="纪要-10")
    assert (again.minutes, len(again.photos)) == ("初稿", 1)
    assert len(uploads(tmp_path)) in (1, 2)  # one photo (and its thumbnail)
    shorter = minutes(db, cast, tmp_path, meeting_id, minutes="补充", key="纪要-1")
    assert shorter.minutes == "补充"  # a key the first one merely starts with is another form
    assert count(db, "audit_log") == 2


def test_the_same_key_a_day_later_is_a_new_submission(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    minutes(db, cast, tmp_path, meeting_id, minutes="初稿", key="form")
    with clock.pretend(NOW + timedelta(days=1)):
        assert minutes(db, cast, tmp_path, meeting_id, minutes="次日", key="form").minutes == "初稿"
    with clock.pretend(NOW + timedelta(days=1, seconds=1)):
        assert minutes(db, cast, tmp_path, meeting_id, minutes="次日", key="form").minutes == "次日"


def test_a_double_tap_that_loses_the_race_leaves_no_photo_behind(db, cast, tmp_path,
                                                                 monkeypatch):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    keep = meetings._keep

    def keep_while_the_other_tap_lands(shots, data_dir):
        stored = keep(shots, data_dir)
        monkeypatch.setattr(meetings, "_keep", keep)
        minutes(db, cast, tmp_path, meeting_id, minutes="先到的一次", key="tap")
        return stored

    monkeypatch.setattr(meetings, "_keep", keep_while_the_other_tap_lands)
    meeting = minutes(db, cast, tmp_path, meeting_id, minutes="后到的一次", photos=[jpeg()],
                      key="tap")
    assert (meeting.minutes, meeting.photos) == ("先到的一次", ())
    assert uploads(tmp_path) == [] and count(db, "council_photos") == 0


def test_minutes_refused_after_their_photos_were_stored_remove_them(db, cast, tmp_path,
                                                                    monkeypatch):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    keep = meetings._keep

    def keep_while_the_meeting_is_called_off(shots, data_dir):
        stored = keep(shots, data_dir)
        meetings.cancel(db, cast["staff2"], meeting_id=meeting_id, reason="临时取消")
        return stored

    monkeypatch.setattr(meetings, "_keep", keep_while_the_meeting_is_called_off)
    assert fields(lambda: minutes(db, cast, tmp_path, meeting_id, photos=[jpeg()])) == {
        "_": "会议已取消，不能记录纪要。"}
    assert uploads(tmp_path) == [] and count(db, "council_photos") == 0


# --- plans: what is refused, word for word ----------------------------------------------------


def test_every_missing_plan_field_is_named_at_once_with_an_example(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    assert fields(lambda: record_plan(db, cast, meeting_id, title="", options_discussed=None,
                                      body=" ", cost=None, duties="", deadline="",
                                      owner="")) == {
        "title": "请填写方案名称，例如 大门加装雨棚。",
        "body": "请填写议定的方案内容。",
        "cost": "请填写预计费用（元，不需要花钱填 0）。",
        "duties": "请填写分工（谁做什么），例如 物业负责施工，楼栋长监督。",
        "owner": "请填写负责人，例如 物业公司 或 楼栋长。",
        "deadline": "请选择完成期限。"}
    assert count(db, "council_plans") == 0


@pytest.mark.parametrize("name, most, message", [
    ("title", 40, "方案名称不能超过 40 个字。"),
    ("options_discussed", 2000, "讨论过的方案不能超过 2000 个字。"),
    ("body", 2000, "议定的方案内容不能超过 2000 个字。"),
    ("duties", 1000, "分工（谁做什么）不能超过 1000 个字。"),
    ("owner", 40, "负责人不能超过 40 个字。"),
])
def test_a_plan_text_may_reach_its_limit_but_not_pass_it(db, cast, name, most, message):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    assert fields(lambda: record_plan(db, cast, meeting_id, **{name: "方" * (most + 1)})) == {
        name: message}
    plan = meetings.get_plan(db, record_plan(db, cast, meeting_id, **{name: "方" * most}))
    assert getattr(plan, name) == "方" * most


@pytest.mark.parametrize("cost, fen", [
    (0, 0), ("0", 0), ("0.00", 0), (1500, 150_000), ("¥1,500.5", 150_050),
    ("10000000", 1_000_000_000),
])
def test_a_cost_is_stored_in_fen_from_nothing_up_to_ten_million_yuan(db, cast, cost, fen):
    plan = meetings.get_plan(db, record_plan(db, cast, None, cost=cost))
    assert plan.cost_fen == fen


@pytest.mark.parametrize("cost, message", [
    ("", "请填写预计费用（元，不需要花钱填 0）。"),
    ("10000000.01", "预计费用：金额不能超过 10,000,000.00 元，请检查是否多输了位数。"),
    ("-1", "预计费用：金额必须大于 0。"),
    (True, "预计费用：请输入金额，例如 100 或 100.50。"),
    ("一千", "预计费用：请输入金额，例如 100 或 100.50。"),
])
def test_a_cost_that_is_not_an_amount_of_yuan_is_refused(db, cast, cost, message):
    assert fields(lambda: record_plan(db, cast, None, cost=cost)) == {"cost": message}


def test_a_deadline_runs_from_the_meeting_and_today_up_to_two_years(db, cast):
    held = meeting_row(db, cast, held_on=day(-3), status="held")
    assert fields(lambda: record_plan(db, cast, held, deadline=day(-4))) == {
        "deadline": "完成期限不能早于开会的日子（2026-11-17）。"}
    assert fields(lambda: record_plan(db, cast, held, deadline=day(-1))) == {
        "deadline": "完成期限不能早于今天。"}
    assert fields(lambda: record_plan(db, cast, None, deadline=day(731))) == {
        "deadline": "完成期限不能晚于两年之后。"}
    today = meeting_row(db, cast, held_on=day(0))
    for meeting_id, deadline in ((today, day(0)), (None, day(0)), (None, day(730)),
                                 (held, str(day(5)))):
        plan = meetings.get_plan(db, record_plan(db, cast, meeting_id, deadline=deadline))
        assert plan.deadline == str(deadline)


def test_a_deadline_of_today_lapses_at_midnight_in_shanghai(db, cast):
    with clock.pretend(JUST_BEFORE):
        assert meetings.get_plan(db, record_plan(db, cast, None, deadline=day(0))).deadline
    with clock.pretend(MIDNIGHT):
        assert fields(lambda: record_plan(db, cast, None, deadline=day(0))) == {
            "deadline": "完成期限不能早于今天。"}


def test_a_plan_needs_a_topic_open_for_deliberation(db, cast):
    declined = make_topic(db, proposed_by=cast["in"].id, title="拆除围墙", box="declined")
    for topic_id in (None, True, "1", 0, 999):
        assert not_found(lambda: record_plan(db, cast, None, topic_id=topic_id)) == "找不到该议题。"
    assert fields(lambda: record_plan(db, cast, None, topic_id=declined)) == {
        "_": "该议题已不予议事，不能记录方案。"}
    assert count(db, "council_plans") == 0


def test_a_plan_needs_a_meeting_that_met_with_the_topic_on_its_agenda(db, cast):
    cancelled = meeting_row(db, cast, held_on=day(0), status="cancelled")
    other = meeting_row(db, cast, held_on=day(0), topics=("topic2",))
    tomorrow = meeting_row(db, cast, held_on=day(1))
    assert fields(lambda: record_plan(db, cast, cancelled)) == {
        "meeting_id": "会议已取消，不能记录方案。"}
    assert fields(lambda: record_plan(db, cast, other)) == {
        "meeting_id": "该议题不在这次会议的议程上。"}
    assert not_found(lambda: record_plan(db, cast, 999)) == "找不到该会议。"
    with clock.pretend(JUST_BEFORE):
        assert fields(lambda: record_plan(db, cast, tomorrow)) == {
            "meeting_id": "会议定在 2026-11-21，还没召开，不能提前记录方案。"}
    with clock.pretend(MIDNIGHT):
        assert meetings.get_plan(db, record_plan(db, cast, tomorrow)).meeting_id == tomorrow


# --- plans: what is stored ----------------------------------------------------------------------


def test_a_recorded_plan_is_stored_as_typed_as_a_draft(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    plan_id = record_plan(db, cast, meeting_id, title=" 大门雨棚方案 ", key=" plan-1 ")
    assert meetings.get_plan(db, plan_id) == Plan(
        id=plan_id, topic_id=cast["topic"], meeting_id=meeting_id, title="大门雨棚方案",
        options_discussed="方案一：钢结构雨棚；方案二：可伸缩遮阳篷。",
        body="在大门内侧加装钢结构雨棚，长6米。", cost_fen=1_200_050,
        duties="物业负责施工，楼栋长监督。", deadline=str(day(30)), owner="物业公司",
        status="draft", project_id=None, done_at=None, submission_key="plan-1",
        created_by=cast[STAFF].id, created_at=STAMP, updated_at=STAMP,
        topic_title="小区大门加装雨棚", meeting_title="院落议事会",
        meeting_held_on=str(day(0)))
    assert last_audit(db, "council.plan_record") == {
        "actor": cast[STAFF].id, "type": "council_plan", "id": str(plan_id),
        "detail": {"title": "大门雨棚方案", "topic": cast["topic"], "meeting": meeting_id,
                   "yuan": "12,000.50", "deadline": str(day(30)), "key": "plan-1"}}
    assert record_plan(db, cast, meeting_id, key="plan-1") == plan_id


def test_a_plan_may_be_recorded_without_a_meeting(db, cast):
    plan_id = record_plan(db, cast, None, cost="0")
    plan = meetings.get_plan(db, plan_id)
    assert (plan.meeting_id, plan.meeting_title, plan.meeting_held_on) == (None, None, None)
    assert plan.cost_text == "不需要费用"
    assert last_audit(db, "council.plan_record")["detail"] == {
        "title": "大门雨棚方案", "topic": cast["topic"], "meeting": "", "yuan": "0.00",
        "deadline": str(day(30)), "key": plan.submission_key}


# --- changing a plan ------------------------------------------------------------------------------


def test_changing_a_draft_plan_stores_it_and_records_what_it_was(db, cast):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    with clock.pretend(NOW + timedelta(hours=2)):
        plan = meetings.update_plan(db, cast["staff2"], plan_id=plan_id, title=" 雨棚方案（修订） ",
                                    deadline=day(20), cost=0, body="在大门内侧加装钢结构雨棚，长6米。")
    assert plan == meetings.get_plan(db, plan_id)
    assert (plan.title, plan.deadline, plan.cost_fen, plan.updated_at) == (
        "雨棚方案（修订）", str(day(20)), 0, "2026-11-20T06:00:00+00:00")
    assert last_audit(db, "council.plan_edit") == {
        "actor": cast["staff2"].id, "type": "council_plan", "id": str(plan_id),
        "detail": {"title": "雨棚方案（修订）",
                   "old": {"title": "大门雨棚方案", "cost_fen": 1_200_000, "deadline": None}}}
    with clock.pretend(NOW + timedelta(hours=3)):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, owner="楼栋长")
    assert last_audit(db, "council.plan_edit")["detail"] == {
        "title": "雨棚方案（修订）", "old": {"owner": "物业公司"}}


def test_a_plan_edit_that_changes_nothing_returns_the_plan_as_it_was(db, cast):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    before = meetings.get_plan(db, plan_id)
    assert meetings.update_plan(db, cast[STAFF], plan_id=plan_id, title=" 大门雨棚方案 ",
                                cost="12000") == before
    assert count(db, "audit_log") == 0


def test_a_changed_plan_is_checked_like_a_new_one(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(-2), status="held")
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id,
                        meeting_id=meeting_id)
    assert fields(lambda: meetings.update_plan(db, cast[STAFF], plan_id=plan_id, owner="",
                                               cost="", deadline=day(-3))) == {
        "owner": "请填写负责人，例如 物业公司 或 楼栋长。",
        "cost": "请填写预计费用（元，不需要花钱填 0）。",
        "deadline": "完成期限不能早于开会的日子（2026-11-18）。"}
    with pytest.raises(TypeError, match=r"update_plan\(\) got unexpected fields \['status'\]"):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, status="adopted")
    assert not_found(lambda: meetings.update_plan(db, cast[STAFF], plan_id=999,
                                                  title="x")) == "找不到该方案。"
    assert count(db, "audit_log") == 0


def test_a_plan_under_vote_says_why_it_stays_as_it_is(db, cast):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    make_vote(db, plan_id=plan_id, created_by=cast[STAFF].id)
    assert fields(lambda: meetings.update_plan(db, cast[STAFF], plan_id=plan_id,
                                               title="再改")) == {
        "_": "方案表决中，表决开始后不能再修改。"}
