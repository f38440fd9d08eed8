"""议事 meetings and plans: who may write them, what is refused (and that nothing changes
then), minutes not before the day, plans frozen once voted on, double taps stored once."""
from __future__ import annotations

import io
import itertools
import json
from datetime import date, time, timedelta

import pytest
from PIL import Image

from lib.core.clock import local_today
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.council import meetings
from tests.council_helpers import make_plan, make_topic, make_vote
from tests.volunteer_helpers import make_cast


_keys = itertools.count(1)
ROLES = ["guest", RESIDENT, LEADER, STAFF, ADMIN]
REFUSAL = {"guest": "请先登录。", RESIDENT: "此操作需要社区工作人员权限。",
           LEADER: "此操作需要社区工作人员权限。"}


@pytest.fixture
def cast(db):
    cast = make_cast(db)
    cast[RESIDENT] = cast["in"]
    cast["topic"] = make_topic(db, proposed_by=cast["in"].id)
    cast["topic2"] = make_topic(db, proposed_by=cast["out"].id, title="车棚加装充电桩")
    return cast


def key() -> str:
    return f"k{next(_keys)}"


def day(days: int) -> date:
    return local_today() + timedelta(days=days)


def jpeg(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return tuple(db.execute(f"SELECT * FROM {table}").fetchall() for table in (
        "council_meetings", "council_agenda", "council_plans", "council_photos", "audit_log"))


def audits(db, action: str) -> list[dict]:
    return [json.loads(r["detail"] or "{}") | {"_actor": r["actor_id"], "_target": r["target_id"]}
            for r in db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def meeting_row(db, cast, *, held_on: date | None = None, status: str = "scheduled",
                topics=("topic",)) -> int:
    """A meeting written straight in (any date, even a past one), with an agenda."""
    held = (held_on or day(3)).isoformat()
    meeting_id = db.execute(
        "INSERT INTO council_meetings (title, held_on, starts_at, venue, participants, status,"
        " created_by, created_at, updated_at) VALUES ('院落议事会', ?, '19:30', '社区活动室',"
        " '居民代表', ?, ?, 'now', 'now')", (held, status, cast[STAFF].id)).lastrowid
    for position, name in enumerate(topics, start=1):
        db.execute("INSERT INTO council_agenda VALUES (?, ?, ?)", (meeting_id, cast[name], position))
    db.conn.commit()
    return meeting_id


def schedule(db, actor, cast, **over):
    fields = dict(title="11月院落议事会", held_on=day(7), starts_at=time(19, 30),
                  venue="社区活动室", participants="居民代表、楼栋长、物业",
                  topic_ids=[cast["topic"]], key=key())
    fields.update(over)
    return meetings.schedule(db, actor, **fields)


def plan_fields(cast, meeting_id, **over) -> dict:
    fields = dict(topic_id=cast["topic"], meeting_id=meeting_id, title="大门雨棚方案",
                  options_discussed="方案一：钢结构雨棚；方案二：可伸缩遮阳篷。",
                  body="在大门内侧加装钢结构雨棚，长6米。", cost="12000.50",
                  duties="物业负责施工，楼栋长监督。", deadline=day(30), owner="物业公司",
                  key=key())
    fields.update(over)
    return fields


# --- scheduling ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_and_admins_schedule_a_meeting(db, cast, role):
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            schedule(db, cast[role], cast)
        assert state(db) == before
        return
    meeting_id = schedule(db, cast[role], cast, topic_ids=[cast["topic2"], cast["topic"]])
    meeting = meetings.get_meeting(db, meeting_id)
    assert (meeting.title, meeting.held_on, meeting.starts_at, meeting.venue) == (
        "11月院落议事会", day(7).isoformat(), "19:30", "社区活动室")
    assert meeting.status_label == "待召开" and meeting.participants == "居民代表、楼栋长、物业"
    assert [item.topic_id for item in meeting.agenda] == [cast["topic2"], cast["topic"]]
    assert [item.title for item in meeting.agenda] == ["车棚加装充电桩", "小区大门加装雨棚"]
    [entry] = audits(db, "council.meeting_schedule")
    assert entry["_actor"] == cast[role].id and entry["_target"] == str(meeting_id)
    assert entry["topics"] == 2 and entry["held_on"] == day(7).isoformat()


@pytest.mark.parametrize("over, field, message", [
    ({"title": "   "}, "title", "请填写会议名称"),
    ({"title": "议" * 41}, "title", "会议名称不能超过 40 个字。"),
    ({"venue": ""}, "venue", "请填写会议地点"),
    ({"held_on": day(-1)}, "held_on", "会议日期不能早于今天。"),
    ({"held_on": "明天"}, "held_on", "请选择会议日期。"),
    ({"held_on": day(800)}, "held_on", "会议日期不能晚于两年之后。"),
    ({"starts_at": "25:00"}, "starts_at", "开始时间请写成 时:分，例如 19:30。"),
    ({"topic_ids": []}, "topic_ids", "请至少选择一个要讨论的议题。"),
    ({"topic_ids": [True]}, "topic_ids", "请选择要讨论的议题。"),
    ({"topic_ids": [999]}, "topic_ids", "所选议题不存在，请刷新后重新选择。"),
])
def test_bad_meeting_input_is_refused_and_nothing_is_stored(db, cast, over, field, message):
    before = state(db)
    with pytest.raises(ValidationError) as error:
        schedule(db, cast[STAFF], cast, **over)
    assert message in error.value.fields[field]
    assert state(db) == before


def test_a_declined_topic_cannot_go_on_the_agenda(db, cast):
    declined = make_topic(db, proposed_by=cast["in"].id, title="拆除围墙", box="declined")
    before = state(db)
    with pytest.raises(ValidationError, match="已不予议事，不能列入议程"):
        schedule(db, cast[STAFF], cast, topic_ids=[cast["topic"], declined])
    assert state(db) == before


def test_today_is_a_fine_date_and_the_time_may_be_typed_or_left_out(db, cast):
    meeting_id = schedule(db, cast[STAFF], cast, held_on=local_today().isoformat(),
                          starts_at="９：０５")
    assert meetings.get_meeting(db, meeting_id).when_text == f"{local_today()} 09:05"
    other = schedule(db, cast[STAFF], cast, starts_at="")
    assert meetings.get_meeting(db, other).when_text == day(7).isoformat()


def test_a_double_tap_schedules_one_meeting(db, cast):
    first = schedule(db, cast[STAFF], cast, key="same")
    again = schedule(db, cast[STAFF], cast, key="same")
    assert again == first
    assert db.execute("SELECT COUNT(*) FROM council_meetings").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM council_agenda").fetchone()[0] == 1
    assert len(audits(db, "council.meeting_schedule")) == 1
    assert schedule(db, cast[STAFF], cast, key="other") != first  # a new key: a new meeting


def test_a_key_names_one_meeting_in_the_schema_too(db, cast):
    import sqlite3

    first = schedule(db, cast[STAFF], cast, key="same")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO council_meetings (title, held_on, venue, submission_key,"
                   " created_by, created_at, updated_at) VALUES ('x', '2030-01-01', 'y', 'same',"
                   " ?, 'now', 'now')", (cast[STAFF].id,))
    assert db.execute("SELECT id FROM council_meetings").fetchall() == [(first,)]


# --- updating and cancelling --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_update_a_meeting(db, cast, role):
    meeting_id = meeting_row(db, cast)
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            meetings.update(db, cast[role], meeting_id=meeting_id, venue="广场")
        assert state(db) == before
        return
    meeting = meetings.update(db, cast[role], meeting_id=meeting_id, venue="广场",
                              topic_ids=[cast["topic2"]])
    assert meeting.venue == "广场" and [i.topic_id for i in meeting.agenda] == [cast["topic2"]]
    [entry] = audits(db, "council.meeting_edit")
    assert entry["old"] == {"venue": "社区活动室"} and entry["topics"] == 1


def test_an_update_that_changes_nothing_writes_nothing(db, cast):
    meeting_id = meeting_row(db, cast)
    before = state(db)
    meetings.update(db, cast[STAFF], meeting_id=meeting_id, venue=" 社区活动室 ",
                    topic_ids=[cast["topic"]])
    assert state(db) == before


def test_a_meeting_whose_day_passed_keeps_its_date_but_cannot_move_into_the_past(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(-2))
    meetings.update(db, cast[STAFF], meeting_id=meeting_id, held_on=day(-2), venue="广场")
    before = state(db)
    with pytest.raises(ValidationError, match="会议日期不能早于今天。"):
        meetings.update(db, cast[STAFF], meeting_id=meeting_id, held_on=day(-3))
    assert state(db) == before


@pytest.mark.parametrize("status, message", [("held", "已召开的会议不能修改。"),
                                             ("cancelled", "已取消的会议不能修改。")])
def test_a_held_or_cancelled_meeting_is_not_edited(db, cast, status, message):
    meeting_id = meeting_row(db, cast, held_on=day(0), status=status)
    before = state(db)
    with pytest.raises(ValidationError, match=message):
        meetings.update(db, cast[STAFF], meeting_id=meeting_id, title="改名")
    assert state(db) == before


def test_a_topic_with_a_plan_from_the_meeting_stays_on_its_agenda_and_its_date_stays(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(0), topics=("topic", "topic2"))
    meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id))
    before = state(db)
    with pytest.raises(ValidationError, match="在本次会议已有方案，不能移出议程"):
        meetings.update(db, cast[STAFF], meeting_id=meeting_id, topic_ids=[cast["topic2"]])
    with pytest.raises(ValidationError, match="本次会议已记录方案，不能再改日期"):
        meetings.update(db, cast[STAFF], meeting_id=meeting_id, held_on=day(5))
    with pytest.raises(ValidationError, match="本次会议已记录方案，不能取消"):
        meetings.cancel(db, cast[STAFF], meeting_id=meeting_id, reason="改期")
    assert state(db) == before


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_cancel_a_meeting_with_a_reason_residents_read(db, cast, role):
    meeting_id = meeting_row(db, cast)
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            meetings.cancel(db, cast[role], meeting_id=meeting_id, reason="下雨改期")
        assert state(db) == before
        return
    meeting = meetings.cancel(db, cast[role], meeting_id=meeting_id, reason=" 下雨改期 ")
    assert meeting.status_label == "已取消" and meeting.cancel_reason == "下雨改期"
    assert meeting.minutes_text == ""
    again = state(db)
    meetings.cancel(db, cast[role], meeting_id=meeting_id, reason="再取消一次")  # a no-op
    assert state(db) == again
    assert [e["reason"] for e in audits(db, "council.meeting_cancel")] == ["下雨改期"]


def test_cancelling_needs_a_reason_and_a_held_meeting_is_not_cancelled(db, cast):
    meeting_id = meeting_row(db, cast)
    held = meeting_row(db, cast, held_on=day(0), status="held")
    before = state(db)
    with pytest.raises(ValidationError, match="请填写取消原因"):
        meetings.cancel(db, cast[STAFF], meeting_id=meeting_id, reason="  ")
    with pytest.raises(ValidationError, match="取消原因不能超过 200 个字"):
        meetings.cancel(db, cast[STAFF], meeting_id=meeting_id, reason="因" * 201)
    with pytest.raises(ValidationError, match="会议已经召开，不能取消"):
        meetings.cancel(db, cast[STAFF], meeting_id=held, reason="改期")
    with pytest.raises(NotFound, match="找不到该会议"):
        meetings.cancel(db, cast[STAFF], meeting_id=999, reason="改期")
    assert state(db) == before


# --- minutes ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_record_minutes_which_mark_the_meeting_held(db, cast, role, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            meetings.record_minutes(db, cast[role], data_dir=tmp_path, meeting_id=meeting_id,
                                    minutes="议定加装雨棚。", photos=[jpeg()], key=key())
        assert state(db) == before
        assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
        return
    meeting = meetings.record_minutes(db, cast[role], data_dir=tmp_path, meeting_id=meeting_id,
                                      minutes="  到会 23 人，议定加装雨棚。 ",
                                      photos=[jpeg(), jpeg("blue")], key=key())
    assert meeting.status_label == "已召开" and meeting.minutes_text == "到会 23 人，议定加装雨棚。"
    assert len(meeting.photos) == 2
    [entry] = audits(db, "council.meeting_minutes")
    assert entry["photos"] == 2 and entry["_actor"] == cast[role].id


def test_minutes_are_not_recorded_before_the_meetings_day(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(1))
    before = state(db)
    with pytest.raises(ValidationError, match=f"会议定在 {day(1)}，还没召开，不能提前记录纪要"):
        meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                                minutes="提前写好的纪要", photos=[jpeg()], key=key())
    assert state(db) == before
    assert meetings.get_meeting(db, meeting_id).status == "scheduled"
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


def test_bad_minutes_are_refused_and_nothing_is_stored(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    cancelled = meeting_row(db, cast, held_on=day(0), status="cancelled")
    before = state(db)
    with pytest.raises(ValidationError, match="请填写会议纪要"):
        meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                                minutes=" ", key=key())
    with pytest.raises(ValidationError, match="会议已取消，不能记录纪要"):
        meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=cancelled,
                                minutes="纪要", key=key())
    with pytest.raises(ValidationError, match="纪要照片最多 9 张，还可以再传 9 张"):
        meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                                minutes="纪要", photos=[jpeg()] * 10, key=key())
    with pytest.raises(PhotoRejected):
        meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                                minutes="纪要", photos=[jpeg(), b"not a photo"], key=key())
    assert state(db) == before
    assert not any((tmp_path / "uploads").iterdir())  # the good photo stored first is removed


def test_minutes_are_amended_later_and_a_double_tap_adds_the_photos_once(db, cast, tmp_path):
    meeting_id = meeting_row(db, cast, held_on=day(-1))
    meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                            minutes="初稿", photos=[jpeg()], key="tap")
    meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                            minutes="重复提交", photos=[jpeg()], key="tap")
    meeting = meetings.get_meeting(db, meeting_id)
    assert (meeting.minutes_text, len(meeting.photos)) == ("初稿", 1)
    assert len(list((tmp_path / "uploads").glob("*.jpg"))) in (1, 2)  # photo (+ thumb) of one
    meeting = meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                                      minutes="补充：物业到会。", photos=[jpeg("green")], key="more")
    assert (meeting.minutes_text, len(meeting.photos)) == ("补充：物业到会。", 2)
    assert [e.get("amended", "") for e in audits(db, "council.meeting_minutes")] == ["", "是"]


# --- plans --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_record_a_plan_as_a_draft(db, cast, role):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            meetings.record_plan(db, cast[role], **plan_fields(cast, meeting_id))
        assert state(db) == before
        return
    plan_id = meetings.record_plan(db, cast[role], **plan_fields(cast, meeting_id))
    plan = meetings.get_plan(db, plan_id)
    assert (plan.status, plan.status_label, plan.cost_fen) == ("draft", "待表决", 1_200_050)
    assert plan.cost_text == "12,000.50 元" and plan.deadline == day(30).isoformat()
    assert (plan.topic_title, plan.meeting_title, plan.meeting_held_on) == (
        "小区大门加装雨棚", "院落议事会", day(0).isoformat())
    assert (plan.owner, plan.duties) == ("物业公司", "物业负责施工，楼栋长监督。")
    assert [p.id for p in meetings.plans_of_topic(db, cast["topic"])] == [plan_id]
    assert [p.id for p in meetings.plans_of_meeting(db, meeting_id)] == [plan_id]
    [entry] = audits(db, "council.plan_record")
    assert entry["yuan"] == "12,000.50" and entry["meeting"] == meeting_id


@pytest.mark.parametrize("over, field, message", [
    ({"title": ""}, "title", "请填写方案名称"),
    ({"body": " "}, "body", "请填写议定的方案内容"),
    ({"duties": ""}, "duties", "请填写分工（谁做什么）"),
    ({"owner": ""}, "owner", "请填写负责人"),
    ({"cost": ""}, "cost", "请填写预计费用（元，不需要花钱填 0）。"),
    ({"cost": "-5"}, "cost", "金额必须大于 0。"),
    ({"cost": "1e9"}, "cost", "请输入金额"),
    ({"cost": "100000000"}, "cost", "金额不能超过 10,000,000.00 元"),
    ({"cost": "12.345"}, "cost", "金额最多精确到分"),
    ({"deadline": None}, "deadline", "请选择完成期限。"),
    ({"deadline": day(-1)}, "deadline", "完成期限不能早于开会的日子"),
    ({"deadline": day(800)}, "deadline", "完成期限不能晚于两年之后。"),
])
def test_bad_plan_input_is_refused_and_nothing_is_stored(db, cast, over, field, message):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    before = state(db)
    with pytest.raises(ValidationError) as error:
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id, **over))
    assert message in error.value.fields[field]
    assert state(db) == before


def test_a_deadline_before_the_meeting_is_refused(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(-3), status="held")
    before = state(db)
    with pytest.raises(ValidationError, match=f"完成期限不能早于开会的日子（{day(-3)}）"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id, deadline=day(-4)))
    assert state(db) == before
    plan_id = meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id,
                                                                  deadline=day(0)))
    before = state(db)
    with pytest.raises(ValidationError, match=f"完成期限不能早于开会的日子（{day(-3)}）"):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, deadline=day(-5))
    assert state(db) == before


def test_no_plan_before_the_meeting_nor_for_a_topic_off_its_agenda_or_declined(db, cast):
    coming = meeting_row(db, cast, held_on=day(2))
    cancelled = meeting_row(db, cast, held_on=day(0), status="cancelled")
    other = meeting_row(db, cast, held_on=day(0), topics=("topic2",))
    declined = make_topic(db, proposed_by=cast["in"].id, title="拆除围墙", box="declined")
    before = state(db)
    with pytest.raises(ValidationError, match="还没召开，不能提前记录方案"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, coming, deadline=day(30)))
    with pytest.raises(ValidationError, match="会议已取消，不能记录方案"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, cancelled))
    with pytest.raises(ValidationError, match="该议题不在这次会议的议程上"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, other))
    with pytest.raises(ValidationError, match="该议题已不予议事"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, None, topic_id=declined))
    with pytest.raises(NotFound, match="找不到该议题"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, None, topic_id=999))
    with pytest.raises(NotFound, match="找不到该会议"):
        meetings.record_plan(db, cast[STAFF], **plan_fields(cast, 999))
    assert state(db) == before


def test_a_plan_costing_nothing_is_fine_and_a_double_tap_records_one(db, cast):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    first = meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id, cost="0",
                                                                key="tap"))
    again = meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id, cost="0",
                                                                key="tap"))
    assert again == first and meetings.get_plan(db, first).cost_text == "不需要费用"
    assert db.execute("SELECT COUNT(*) FROM council_plans").fetchone()[0] == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_update_a_draft_plan(db, cast, role):
    meeting_id = meeting_row(db, cast, held_on=day(0))
    plan_id = meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id))
    before = state(db)
    if role in REFUSAL:
        with pytest.raises(PermissionDenied, match=REFUSAL[role]):
            meetings.update_plan(db, cast[role], plan_id=plan_id, cost="8000")
        assert state(db) == before
        return
    plan = meetings.update_plan(db, cast[role], plan_id=plan_id, cost="8000", owner="楼栋长")
    assert (plan.cost_fen, plan.owner, plan.title) == (800_000, "楼栋长", "大门雨棚方案")
    [entry] = audits(db, "council.plan_edit")
    assert entry["old"] == {"cost_fen": 1_200_050, "owner": "物业公司"}


@pytest.mark.parametrize("status", ["voting", "adopted", "rejected", "done", "dropped"])
def test_a_plan_is_not_edited_once_its_vote_opened(db, cast, status):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id, status=status)
    before = state(db)
    with pytest.raises(ValidationError, match="表决开始后不能再修改"):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, title="改一改")
    assert state(db) == before


def test_a_vote_opened_on_a_draft_freezes_it(db, cast):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    meetings.update_plan(db, cast[STAFF], plan_id=plan_id, title="雨棚方案（修订）",
                         deadline=day(20))
    make_vote(db, plan_id=plan_id, created_by=cast[STAFF].id)
    before = state(db)
    with pytest.raises(ValidationError, match="方案表决中，表决开始后不能再修改。"):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, title="再改")
    assert state(db) == before
    assert meetings.get_plan(db, plan_id).title == "雨棚方案（修订）"


def test_bad_plan_edits_are_refused_and_an_unchanged_deadline_is_not_rechecked(db, cast):
    plan_id = make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    db.execute("UPDATE council_plans SET deadline = ? WHERE id = ?",
               (day(-3).isoformat(), plan_id))
    db.conn.commit()
    meetings.update_plan(db, cast[STAFF], plan_id=plan_id, deadline=day(-3), owner="居委会")
    before = state(db)
    for fields, message in (({"deadline": day(-4)}, "完成期限不能早于今天"),
                            ({"title": " "}, "请填写方案名称"),
                            ({"cost": "一千"}, "请输入金额")):
        with pytest.raises(ValidationError, match=message):
            meetings.update_plan(db, cast[STAFF], plan_id=plan_id, **fields)
    with pytest.raises(NotFound, match="找不到该方案"):
        meetings.update_plan(db, cast[STAFF], plan_id=999, title="x")
    with pytest.raises(TypeError):
        meetings.update_plan(db, cast[STAFF], plan_id=plan_id, status="adopted")
    assert state(db) == before


# --- reading ------------------------------------------------------------------------------


def test_lists_of_meetings_and_the_previous_one(db, cast):
    old = meeting_row(db, cast, held_on=day(-30), status="held")
    called_off = meeting_row(db, cast, held_on=day(-10), status="cancelled")
    recent = meeting_row(db, cast, held_on=day(-5), status="held", topics=("topic2",))
    today = meeting_row(db, cast, held_on=day(0))
    coming = meeting_row(db, cast, held_on=day(6))
    assert [m.id for m in meetings.upcoming_meetings(db)] == [today, coming]
    assert [m.id for m in meetings.past_meetings(db)] == [recent, called_off, old]
    assert [m.id for m in meetings.meetings_of_topic(db, cast["topic"])] == [
        coming, today, called_off, old]
    assert meetings.previous_meeting(db, meetings.get_meeting(db, coming)).id == recent
    assert meetings.previous_meeting(db, meetings.get_meeting(db, recent)).id == old
    assert meetings.previous_meeting(db, meetings.get_meeting(db, old)) is None
    assert [m.id for m in meetings.all_meetings(db)][0] == coming


@pytest.mark.parametrize("wanted", [None, True, "1", 0, -1, 2 ** 63, 999])
def test_a_crafted_or_unknown_id_is_not_found(db, cast, wanted):
    meeting_row(db, cast)
    make_plan(db, topic_id=cast["topic"], created_by=cast[STAFF].id)
    with pytest.raises(NotFound, match="找不到该会议"):
        meetings.get_meeting(db, wanted)
    with pytest.raises(NotFound, match="找不到该方案"):
        meetings.get_plan(db, wanted)


def test_every_audit_action_and_target_here_reads_in_chinese(db, cast, tmp_path):
    from lib.core import audit
    from lib.site import audit_log

    meeting_id = schedule(db, cast[STAFF], cast, held_on=day(0), key="form-key-1")
    meetings.update(db, cast[STAFF], meeting_id=meeting_id, venue="广场")
    plan_id = meetings.record_plan(db, cast[STAFF], **plan_fields(cast, meeting_id))
    meetings.update_plan(db, cast[STAFF], plan_id=plan_id, owner="楼栋长")
    meetings.record_minutes(db, cast[STAFF], data_dir=tmp_path, meeting_id=meeting_id,
                            minutes="纪要", key=key())
    meetings.cancel(db, cast[STAFF], meeting_id=meeting_row(db, cast), reason="改期")
    rows = audit_log.readable(db, audit.recent(db))
    assert {row["action"] for row in rows} >= {"安排议事会议", "修改议事会议", "记录议事方案",
                                               "修改议事方案", "记录议事会议纪要", "取消议事会议"}
    assert all(not row["target"].startswith("council_") for row in rows)
    scheduled = next(r["detail"] for r in rows if r["action"] == "安排议事会议")
    assert "会议地点：社区活动室" in scheduled and "form-key-1" not in scheduled  # not news


# --- a double tap from several processes at once ------------------------------------------


def _tap(path: str, actor_id: int, what: str, fields: dict, start, results) -> None:
    from lib.core.db import open_db
    from lib.people.users import load_user

    db = open_db(path, migrate=False)
    actor = load_user(db, actor_id)
    start.wait()
    try:
        write = meetings.schedule if what == "schedule" else meetings.record_plan
        results.put(("ok", write(db, actor, **fields)))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error)))


@pytest.mark.slow
def test_eight_processes_sending_one_submission_store_it_once(tmp_path):
    from lib.core.db import open_db
    from tests.races import race

    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    topic = make_topic(db, proposed_by=cast["in"].id)
    staff = cast[STAFF].id
    db.conn.close()
    meeting = dict(title="院落议事会", held_on=local_today().isoformat(), starts_at="19:30",
                   venue="社区活动室", participants="", topic_ids=[topic], key="tap-m")
    outcomes = race(_tap, lambda n: (str(path), staff, "schedule", meeting))
    assert {kind for kind, _ in outcomes} == {"ok"}, outcomes
    [meeting_id] = {value for _, value in outcomes}
    plan = dict(topic_id=topic, meeting_id=meeting_id, title="雨棚", options_discussed="",
                body="加装雨棚", cost="100", duties="物业施工", deadline=day(9), owner="物业",
                key="tap-p")
    outcomes = race(_tap, lambda n: (str(path), staff, "plan", plan))
    assert {kind for kind, _ in outcomes} == {"ok"}, outcomes
    assert len({value for _, value in outcomes}) == 1
    db = open_db(path, migrate=False)
    assert db.execute("SELECT COUNT(*) FROM council_meetings").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM council_agenda").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM council_plans").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'council.%'"
                      ).fetchone() == (2,)
    db.conn.close()
