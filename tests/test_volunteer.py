"""Volunteer hours: logging, review once with points, events, who may do what, what is stored."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from lib.core import rules
from lib.core.clock import local_today
from lib.core.errors import (
    InvalidTransition, NotFound, PermissionDenied, PhotoRejected, ValidationError,
)
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.points import ledger
from lib.volunteer import hours, queries
from tests.volunteer_helpers import make_cast


TODAY = local_today()


@pytest.fixture
def cast(db):
    return make_cast(db)


def log(db, actor, *, key="k1", **fields):
    values = dict(activity="楼道清扫", served_on=TODAY, half_hours=4)
    values.update(fields)
    return hours.log_hours(db, actor, key=key, **values)


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return (db.execute("SELECT * FROM volunteer_hours ORDER BY id").fetchall(),
            db.execute("SELECT * FROM volunteer_events ORDER BY id").fetchall(),
            db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall(),
            db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


def exactly(message: str) -> str:
    """A pytest.raises match for the whole message, not a part of it."""
    return "^" + re.escape(message) + "$"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def audits(db, action: str) -> list[tuple]:
    return [(r["actor_id"], r["target_type"], r["target_id"], json.loads(r["detail"]))
            for r in db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


# --- logging ---------------------------------------------------------------------------------

def test_a_resident_logs_hours_that_wait_for_review_in_their_building(db, cast):
    entry = log(db, cast["in"], activity="  垃圾分类值守 ", half_hours=3)
    assert (entry["user_id"], entry["activity"], entry["served_on"], entry["half_hours"]) == \
        (cast["in"].id, "垃圾分类值守", TODAY.isoformat(), 3)
    assert entry["status"] == hours.PENDING and hours.is_pending(entry)
    assert entry["place_id"] == cast["grid"]["place_a"] and entry["proxy_by"] is None
    assert entry["points"] == 0 and ledger.balance(db, cast["in"].id) == 0
    assert audits(db, "volunteer.log") == [
        (cast["in"].id, "volunteer_hours", str(entry["id"]),
         {"user": cast["in"].id, "hours": 1.5, "proxy": False})]


def test_the_same_key_twice_logs_once(db, cast):
    first = log(db, cast["in"])
    again = log(db, cast["in"], activity="别的内容", half_hours=8)
    assert again == first
    assert db.execute("SELECT COUNT(*) FROM volunteer_hours").fetchone()[0] == 1


def test_a_key_used_by_someone_else_is_refused(db, cast):
    log(db, cast["in"])
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        log(db, cast["out"])
    assert "key" in caught.value.fields and state(db) == before


def test_an_unverified_resident_logs_without_a_building(db, cast):
    entry = log(db, cast["unverified"])
    assert entry["place_id"] is None and entry["status"] == hours.PENDING


def test_a_guest_cannot_log_hours(db, cast):
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("请先登录。")):
        log(db, cast["guest"])
    assert state(db) == before


@pytest.mark.parametrize("role", ["in", LEADER])
def test_only_staff_log_for_someone_else(db, cast, role):
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("只有社区工作人员可以代居民登记志愿时长。")):
        log(db, cast[role], for_user_id=cast["in2"].id)
    assert state(db) == before


@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_log_for_a_resident_on_their_behalf(db, cast, role):
    entry = log(db, cast[role], for_user_id=cast["in"].id)
    assert (entry["user_id"], entry["proxy_by"]) == (cast["in"].id, cast[role].id)
    assert entry["place_id"] == cast["grid"]["place_a"]
    assert audits(db, "volunteer.log")[0][3]["proxy"] is True


def test_for_user_id_of_oneself_is_not_a_proxy(db, cast):
    entry = log(db, cast["in"], for_user_id=cast["in"].id)
    assert (entry["user_id"], entry["proxy_by"]) == (cast["in"].id, None)


def test_logging_for_a_missing_or_disabled_account_stores_nothing(db, cast):
    before = state(db)
    with pytest.raises(NotFound, match=exactly("找不到该用户。")):
        log(db, cast[STAFF], for_user_id=9999)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    with pytest.raises(ValidationError) as caught:
        log(db, cast[STAFF], for_user_id=cast["in"].id, key="k2")
    assert caught.value.fields == {"user": "该账号已停用，不能登记志愿时长。"}
    assert state(db) == before


def test_a_photo_goes_through_the_pipeline_and_a_bad_one_is_refused(db, cast, tmp_path):
    entry = log(db, cast["in"], photo=jpeg(), data_dir=tmp_path)
    assert (tmp_path / "uploads" / f"{entry['photo']}.jpg").exists()
    assert (tmp_path / "uploads" / f"{entry['photo']}.thumb.jpg").exists()
    before = state(db)
    with pytest.raises(PhotoRejected) as caught:
        log(db, cast["in"], key="k2", photo=b"not a photo at all", data_dir=tmp_path)
    assert caught.value.fields == {"photo": PhotoRejected.MESSAGES["not_an_image"]}
    assert state(db) == before


def test_a_photo_is_removed_again_when_the_entry_is_not_saved(db, cast, tmp_path):
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    with pytest.raises(ValidationError):
        log(db, cast[STAFF], for_user_id=cast["in"].id, photo=jpeg(), data_dir=tmp_path)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_a_repeated_key_with_a_photo_keeps_only_the_first_photo(db, cast, tmp_path):
    first = log(db, cast["in"], photo=jpeg(), data_dir=tmp_path)
    assert log(db, cast["in"], photo=jpeg(), data_dir=tmp_path) == first
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        f"{first['photo']}.jpg", f"{first['photo']}.thumb.jpg"]


# --- bad input: a clear Chinese message under the field, nothing stored ------------------------

HOURS_MESSAGE = "服务时长按半小时计，可选 0.5-12 小时（如 0.5、1、1.5、2）。"
BAD_INPUT = [
    ({"activity": ""}, "activity", "请填写服务内容。"),
    ({"activity": "   "}, "activity", "请填写服务内容。"),
    ({"activity": None}, "activity", "请填写服务内容。"),
    ({"activity": 123}, "activity", "请填写服务内容。"),
    ({"activity": "扫" * 61}, "activity", "服务内容请不超过 60 个字（现在 61 个字）。"),
    ({"served_on": TODAY + timedelta(days=1)}, "served_on", "服务日期不能晚于今天。"),
    ({"served_on": TODAY - timedelta(days=91)}, "served_on",
     f"只能登记 90 天内的志愿服务（{TODAY - timedelta(days=90)} 及以后）。"),
    ({"served_on": None}, "served_on", "请选择服务日期。"),
    ({"served_on": "2026-13-01"}, "served_on", "请选择服务日期。"),
    ({"served_on": "明天"}, "served_on", "请选择服务日期。"),
    ({"served_on": 20260101}, "served_on", "请选择服务日期。"),
    ({"half_hours": 0}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": -2}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": 25}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": 0.6}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": 2.0}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": True}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": "4"}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": None}, "half_hours", HOURS_MESSAGE),
]


@pytest.mark.parametrize("fields, field, message", BAD_INPUT)
def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(db, cast, fields, field, message):
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        log(db, cast["in"], **fields)
    assert caught.value.fields == {field: message}
    assert state(db) == before and not db.conn.in_transaction


def test_every_bad_field_is_named_at_once(db, cast):
    with pytest.raises(ValidationError) as caught:
        log(db, cast["in"], activity="", served_on=None, half_hours=0)
    assert set(caught.value.fields) == {"activity", "served_on", "half_hours"}


@pytest.mark.parametrize("fields", [
    {"activity": "扫" * 60}, {"served_on": TODAY - timedelta(days=90)},
    {"served_on": TODAY.isoformat()}, {"half_hours": 1}, {"half_hours": 24},
    {"served_on": datetime.combine(TODAY, datetime.min.time())}])
def test_the_limits_themselves_are_allowed(db, cast, fields):
    entry = log(db, cast["in"], **fields)
    assert entry["status"] == hours.PENDING


@pytest.mark.parametrize("given, half_hours", [
    (0.5, 1), ("0.5", 1), (1, 2), ("2", 4), (" 1.5 ", 3), (12, 24), ("12.0", 24)])
def test_hours_a_person_gives_become_half_hours(given, half_hours):
    assert hours.to_half_hours(given) == half_hours


@pytest.mark.parametrize("given", [0, 0.3, "0.3", 13, 12.5, -1, -0.5, "abc", "", None, True,
                                   "nan", "inf", "1e9", 0.25, [2]])
def test_hours_that_are_not_half_hours_from_half_an_hour_to_twelve_are_refused(given):
    with pytest.raises(ValidationError) as caught:
        hours.to_half_hours(given)
    assert caught.value.fields == {"half_hours": HOURS_MESSAGE}


@pytest.mark.parametrize("half_hours, text", [(1, "0.5 小时"), (2, "1 小时"), (3, "1.5 小时"),
                                              (24, "12 小时")])
def test_hours_are_said_as_a_person_says_them(half_hours, text):
    assert hours.hours_text(half_hours) == text


# --- review: who may approve, points once ---------------------------------------------------

ALLOWED_REVIEWERS = {LEADER, STAFF, "staff2", ADMIN}
REVIEWERS = ["guest", "in2", "out", LEADER, "leader_b", "leader_none", STAFF, "staff2", ADMIN]


@pytest.mark.parametrize("reviewer", REVIEWERS)
def test_who_may_approve_a_neighbours_hours(db, cast, reviewer):
    entry = log(db, cast["in"], half_hours=4)
    before = state(db)
    if reviewer in ALLOWED_REVIEWERS:
        approved = hours.approve(db, cast[reviewer], hours_id=entry["id"])
        assert approved["status"] == hours.APPROVED and approved["points"] == 10
        assert approved["reviewer_id"] == cast[reviewer].id and approved["reviewed_at"]
        assert ledger.balance(db, cast["in"].id) == 10
    else:
        with pytest.raises(PermissionDenied):
            hours.approve(db, cast[reviewer], hours_id=entry["id"])
        assert state(db) == before and not db.conn.in_transaction


@pytest.mark.parametrize("reviewer", REVIEWERS)
def test_who_may_reject_a_neighbours_hours(db, cast, reviewer):
    entry = log(db, cast["in"])
    before = state(db)
    if reviewer in ALLOWED_REVIEWERS:
        rejected = hours.reject(db, cast[reviewer], hours_id=entry["id"], reason=" 当天没有活动 ")
        assert (rejected["status"], rejected["reject_reason"]) == (hours.REJECTED, "当天没有活动")
        assert rejected["reviewer_id"] == cast[reviewer].id and rejected["points"] == 0
    else:
        with pytest.raises(PermissionDenied):
            hours.reject(db, cast[reviewer], hours_id=entry["id"], reason="不对")
        assert state(db) == before


def test_a_leader_is_told_why_outside_their_micro_grid(db, cast):
    entry = log(db, cast["out"])
    with pytest.raises(PermissionDenied, match=exactly("只能审核本微网格已核实住户的志愿时长。")):
        hours.approve(db, cast[LEADER], hours_id=entry["id"])


def test_nobody_approves_their_own_hours(db, cast):
    for role in (LEADER, STAFF, ADMIN):
        entry = log(db, cast[role], key=f"own-{role}")
        with pytest.raises(PermissionDenied, match=exactly("不能审核自己的志愿时长，请由其他人审核。")):
            hours.approve(db, cast[role], hours_id=entry["id"])
        with pytest.raises(PermissionDenied, match=exactly("不能审核自己的志愿时长，请由其他人审核。")):
            hours.reject(db, cast[role], hours_id=entry["id"], reason="自己")
    assert ledger.balance(db, cast[LEADER].id) == 0


def test_staff_do_not_approve_hours_they_logged_for_someone(db, cast):
    entry = log(db, cast[STAFF], for_user_id=cast["in"].id)
    with pytest.raises(PermissionDenied, match=exactly("不能审核自己代录的志愿时长，请由其他人审核。")):
        hours.approve(db, cast[STAFF], hours_id=entry["id"])
    assert hours.approve(db, cast[LEADER], hours_id=entry["id"])["status"] == hours.APPROVED


def test_a_leader_cannot_approve_hours_without_a_building_but_staff_can(db, cast):
    entry = log(db, cast["unverified"])
    with pytest.raises(PermissionDenied):
        hours.approve(db, cast[LEADER], hours_id=entry["id"])
    assert hours.approve(db, cast[STAFF], hours_id=entry["id"])["points"] == 10


def test_approval_awards_once_with_the_rule_and_a_link_to_the_hours(db, cast):
    entry = log(db, cast["in"], activity="敬老探访", half_hours=4)
    hours.approve(db, cast[LEADER], hours_id=entry["id"])
    (row,) = ledger.history(db, cast["in"].id)
    assert (row.amount, row.kind, row.actor_id, row.idempotency_key) == \
        (10, ledger.KIND_VOLUNTEER, None, f"volunteer:{entry['id']}")
    assert row.reason == "志愿服务：敬老探访（2 小时）"
    assert audits(db, "volunteer.approve") == [
        (cast[LEADER].id, "volunteer_hours", str(entry["id"]),
         {"user": cast["in"].id, "hours": 2.0, "points": 10})]
    with pytest.raises(InvalidTransition, match=exactly("这条志愿时长已经审核过（已通过），不能再次审核。")):
        hours.approve(db, cast[STAFF], hours_id=entry["id"])
    with pytest.raises(InvalidTransition):
        hours.reject(db, cast[STAFF], hours_id=entry["id"], reason="重复")
    assert ledger.balance(db, cast["in"].id) == 10
    assert hours.get(db, entry["id"])["reviewer_id"] == cast[LEADER].id


def test_a_rejected_entry_cannot_be_approved_later(db, cast):
    entry = log(db, cast["in"])
    hours.reject(db, cast[LEADER], hours_id=entry["id"], reason="照片看不出是服务")
    before = state(db)
    with pytest.raises(InvalidTransition, match=exactly("这条志愿时长已经审核过（未通过），不能再次审核。")):
        hours.approve(db, cast[STAFF], hours_id=entry["id"])
    with pytest.raises(InvalidTransition):
        hours.reject(db, cast[STAFF], hours_id=entry["id"], reason="再拒")
    assert state(db) == before


@pytest.mark.parametrize("rule, half_hours, points", [
    (5, 1, 2), (5, 3, 7), (5, 24, 60), (3, 1, 1), (1, 1, 0), (0, 4, 0), (100, 24, 1200)])
def test_points_are_the_rule_per_hour_rounded_down(db, cast, rule, half_hours, points):
    rules.set_rule(db, cast[ADMIN], key="points.volunteer_hour", value=rule)
    entry = log(db, cast["in"], half_hours=half_hours)
    approved = hours.approve(db, cast[LEADER], hours_id=entry["id"])
    assert approved["points"] == points and ledger.balance(db, cast["in"].id) == points
    assert len(ledger.history(db, cast["in"].id)) == (1 if points else 0)


def test_approving_for_a_disabled_account_changes_nothing(db, cast):
    entry = log(db, cast["in"])
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    before = state(db)
    with pytest.raises(ValidationError):
        hours.approve(db, cast[LEADER], hours_id=entry["id"])
    assert state(db) == before and hours.get(db, entry["id"])["status"] == hours.PENDING


@pytest.mark.parametrize("reason, message", [
    ("", "请填写不通过的原因，志愿者会看到。"), ("  ", "请填写不通过的原因，志愿者会看到。"),
    (None, "请填写不通过的原因，志愿者会看到。"), ("因" * 201, "原因请不超过 200 个字。")])
def test_a_rejection_needs_a_short_reason(db, cast, reason, message):
    entry = log(db, cast["in"])
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        hours.reject(db, cast[LEADER], hours_id=entry["id"], reason=reason)
    assert caught.value.fields == {"reason": message} and state(db) == before


def test_a_rejection_is_audited_with_its_reason(db, cast):
    entry = log(db, cast["in"])
    hours.reject(db, cast[LEADER], hours_id=entry["id"], reason="因" * 200)
    assert audits(db, "volunteer.reject") == [
        (cast[LEADER].id, "volunteer_hours", str(entry["id"]),
         {"user": cast["in"].id, "reason": "因" * 200})]


def test_reviewing_a_missing_entry_is_not_found(db, cast):
    with pytest.raises(NotFound, match=exactly("找不到编号为 99 的志愿时长记录。")):
        hours.approve(db, cast[STAFF], hours_id=99)
    with pytest.raises(NotFound):
        hours.reject(db, cast[STAFF], hours_id=99, reason="无")


# --- events: tick who came, credited at once, never twice ------------------------------------

def event(db, actor, attendees, *, key="e1", **fields):
    values = dict(name="楼道清扫", held_on=TODAY, half_hours=4)
    values.update(fields)
    return hours.record_event(db, actor, attendee_ids=attendees, key=key, **values)


def credited(db, event_id) -> list[tuple]:
    return [tuple(r) for r in db.execute(
        "SELECT user_id, status, points, half_hours, served_on, activity FROM volunteer_hours"
        " WHERE event_id = ? ORDER BY user_id", (event_id,))]


def test_a_leader_credits_the_attendees_of_an_event_at_once(db, cast):
    made = event(db, cast[LEADER], [cast["in"].id, cast["in2"].id, cast["in"].id],
                 name=" 垃圾分类值守 ", half_hours=3)
    assert (made["name"], made["half_hours"], made["microgrid_id"], made["created_by"]) == \
        ("垃圾分类值守", 3, cast["grid"]["mg_a"], cast[LEADER].id)
    day = TODAY.isoformat()
    assert credited(db, made["id"]) == [
        (cast["in"].id, "approved", 7, 3, day, "垃圾分类值守"),
        (cast["in2"].id, "approved", 7, 3, day, "垃圾分类值守")]
    assert ledger.balance(db, cast["in"].id) == 7 and ledger.balance(db, cast["in2"].id) == 7
    assert db.execute("SELECT reviewer_id, place_id FROM volunteer_hours").fetchall() == \
        [(cast[LEADER].id, cast["grid"]["place_a"])] * 2
    assert audits(db, "volunteer.event") == [
        (cast[LEADER].id, "volunteer_event", str(made["id"]),
         {"name": "垃圾分类值守", "hours": 1.5, "attendees": 2})]


def test_repeating_an_events_key_credits_nobody_twice(db, cast):
    first = event(db, cast[LEADER], [cast["in"].id])
    assert event(db, cast[LEADER], [cast["in"].id, cast["in2"].id]) == first
    assert ledger.balance(db, cast["in"].id) == 10 and ledger.balance(db, cast["in2"].id) == 0


@pytest.mark.parametrize("who, message", [
    ("out", "stranger名 不是本微网格已核实的住户，不能由您记录。"),
    ("unverified", "newcomer名 不是本微网格已核实的住户，不能由您记录。"),
    (LEADER, "不能给自己记录志愿时长，请由其他人记录。")])
def test_one_refused_attendee_stores_nothing_of_the_event(db, cast, who, message):
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly(message)):
        event(db, cast[LEADER], [cast["in"].id, cast[who].id])
    assert state(db) == before and not db.conn.in_transaction


@pytest.mark.parametrize("actor", ["guest", "in", "leader_none"])
def test_residents_guests_and_leaders_without_a_grid_record_no_event(db, cast, actor):
    before = state(db)
    with pytest.raises(PermissionDenied):
        event(db, cast[actor], [cast["in"].id])
    assert state(db) == before


@pytest.mark.parametrize("actor", [STAFF, ADMIN])
def test_staff_credit_anyone_but_themselves(db, cast, actor):
    made = event(db, cast[actor], [cast["in"].id, cast["out"].id, cast["unverified"].id])
    assert made["microgrid_id"] is None
    assert [row[0] for row in credited(db, made["id"])] == sorted(
        [cast["in"].id, cast["out"].id, cast["unverified"].id])
    with pytest.raises(PermissionDenied):
        event(db, cast[actor], [cast[actor].id], key="e2")


@pytest.mark.parametrize("attendees, message", [
    ([], "请选择参加活动的居民。"), (None, "请选择参加活动的居民。"), ("12", "请选择参加活动的居民。"),
    ([1.5], "参加者名单有误，请刷新页面后重新勾选。"), ([True], "参加者名单有误，请刷新页面后重新勾选。"),
    (list(range(1, 302)), "一次最多记录 300 人。")])
def test_an_events_attendee_list_must_be_people(db, cast, attendees, message):
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        event(db, cast[LEADER], attendees)
    assert caught.value.fields == {"attendees": message} and state(db) == before


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "请填写活动名称。"),
    ({"name": "活" * 61}, "name", "活动名称请不超过 60 个字（现在 61 个字）。"),
    ({"held_on": TODAY + timedelta(days=1)}, "held_on", "服务日期不能晚于今天。"),
    ({"half_hours": 25}, "half_hours", HOURS_MESSAGE),
    ({"half_hours": 0}, "half_hours", HOURS_MESSAGE)])
def test_an_events_bad_fields_are_refused(db, cast, fields, field, message):
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        event(db, cast[LEADER], [cast["in"].id], **fields)
    assert caught.value.fields == {field: message} and state(db) == before


def test_an_event_attendee_that_does_not_exist_is_not_found(db, cast):
    before = state(db)
    with pytest.raises(NotFound):
        event(db, cast[STAFF], [cast["in"].id, 9999])
    assert state(db) == before


def test_a_forgotten_attendee_is_added_later_and_nobody_twice(db, cast):
    made = event(db, cast[LEADER], [cast["in"].id])
    added = hours.add_attendees(db, cast[LEADER], event_id=made["id"], user_ids=[cast["in2"].id],
                                key="a1")
    assert [(e["user_id"], e["status"], e["points"]) for e in added] == [
        (cast["in2"].id, "approved", 10)]
    assert hours.add_attendees(db, cast[LEADER], event_id=made["id"],
                               user_ids=[cast["in2"].id], key="a1") == added
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        hours.add_attendees(db, cast[STAFF], event_id=made["id"],
                            user_ids=[cast["unverified"].id, cast["in"].id], key="a2")
    assert caught.value.fields == {"attendees": "neighbour名 已记录过本次活动的时长，不能重复记录。"}
    assert state(db) == before
    assert ledger.balance(db, cast["in"].id) == 10 and ledger.balance(db, cast["in2"].id) == 10
    assert audits(db, "volunteer.attendees")[0][:3] == (
        cast[LEADER].id, "volunteer_event", str(made["id"]))


def test_only_the_events_micro_grid_leader_or_staff_add_attendees(db, cast):
    made = event(db, cast[LEADER], [cast["in"].id])
    staff_event = event(db, cast[STAFF], [cast["out"].id], key="e2")
    before = state(db)
    for actor, event_id in ((cast["leader_b"], made["id"]), (cast[LEADER], staff_event["id"]),
                            (cast["in2"], made["id"])):
        with pytest.raises(PermissionDenied):
            hours.add_attendees(db, actor, event_id=event_id, user_ids=[cast["in2"].id], key="x")
    with pytest.raises(NotFound):
        hours.add_attendees(db, cast[STAFF], event_id=999, user_ids=[cast["in2"].id], key="x")
    assert state(db) == before
    hours.add_attendees(db, cast[STAFF], event_id=made["id"], user_ids=[cast["out"].id], key="y")
    assert ledger.balance(db, cast["out"].id) == 20


@pytest.mark.parametrize("key", ["", "   ", None, 5, "k" * 181])
def test_a_missing_key_is_refused(db, cast, key):
    with pytest.raises(ValidationError) as caught:
        log(db, cast["in"], key=key)
    assert caught.value.fields == {"key": "缺少有效的操作编号，请刷新页面后重试。"}
    with pytest.raises(ValidationError, match=exactly("缺少有效的操作编号，请刷新页面后重试。")):
        event(db, cast[LEADER], [cast["in"].id], key=key)
    assert state(db)[0] == []


# --- reading --------------------------------------------------------------------------------

def test_my_hours_are_mine_newest_first_with_names(db, cast):
    first = log(db, cast["in"], key="a")
    second = log(db, cast[STAFF], key="b", for_user_id=cast["in"].id)
    log(db, cast["out"], key="c")
    rows = queries.my_hours(db, cast["in"].id)
    assert [r["id"] for r in rows] == [second["id"], first["id"]]
    assert (rows[0]["proxy_name"], rows[0]["place_code"], rows[0]["display_name"]) == \
        ("staff名", "1-1", "neighbour名")


def test_the_years_approved_hours_count_by_the_service_day(db, cast):
    year = TODAY.year
    for key, days_ago, half in (("a", 0, 4), ("b", 1, 3), ("c", 2, 5)):
        entry = log(db, cast["in"], key=key, served_on=TODAY - timedelta(days=days_ago),
                    half_hours=half)
        if key != "c":
            hours.approve(db, cast[LEADER], hours_id=entry["id"])
    expected = sum(h for d, h in ((0, 4), (1, 3)) if (TODAY - timedelta(days=d)).year == year)
    assert queries.approved_half_hours(db, cast["in"].id, year) == expected
    assert queries.approved_half_hours(db, cast["in"].id, year + 1) == 0
    assert queries.approved_half_hours(db, cast["out"].id, year) == 0


def test_a_leader_sees_the_pending_hours_of_their_micro_grid_and_staff_see_all(db, cast):
    ids = {who: log(db, cast[who], key=who)["id"] for who in ("in", "out", "unverified", LEADER)}
    proxied = log(db, cast[STAFF], key="p", for_user_id=cast["in2"].id)["id"]
    done = log(db, cast["in2"], key="done")["id"]
    hours.approve(db, cast[STAFF], hours_id=done)
    assert [r["id"] for r in queries.pending_for(db, cast[LEADER])] == [ids["in"], proxied]
    assert [r["id"] for r in queries.pending_for(db, cast["leader_b"])] == [ids["out"]]
    assert queries.pending_for(db, cast["leader_none"]) == []
    assert [r["id"] for r in queries.pending_for(db, cast[STAFF])] == [
        ids["in"], ids["out"], ids["unverified"], ids[LEADER]]
    assert [r["id"] for r in queries.pending_for(db, cast[ADMIN])] == [
        ids["in"], ids["out"], ids["unverified"], ids[LEADER], proxied]
    assert [r["id"] for r in queries.pending_for(db, cast[ADMIN], limit=2)] == [ids["in"], ids["out"]]
    counts = {who: queries.pending_count(db, cast[who])
              for who in (LEADER, "leader_b", "leader_none", STAFF, ADMIN)}
    assert counts == {LEADER: 2, "leader_b": 1, "leader_none": 0, STAFF: 4, ADMIN: 5}
    with pytest.raises(PermissionDenied):
        queries.pending_for(db, cast["in"])
    with pytest.raises(PermissionDenied):
        queries.pending_count(db, cast["in"])


def test_hours_per_building_per_month_count_approved_hours_in_that_month(db, cast):
    staff = cast[STAFF]
    month_start = TODAY.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    plan = [("in", month_start, 4, True), ("in2", TODAY, 3, True), ("out", TODAY, 2, True),
            ("in", last_month_end, 6, True), ("in2", TODAY, 5, False),
            ("unverified", TODAY, 7, True)]
    for number, (who, day, half, approve) in enumerate(plan):
        entry = log(db, cast[who], key=f"m{number}", served_on=day, half_hours=half)
        if approve:
            hours.approve(db, staff, hours_id=entry["id"])
    grid = cast["grid"]
    assert queries.hours_by_building_month(db, TODAY.strftime("%Y-%m")) == {
        grid["place_a"]: 7, grid["place_b"]: 2}
    assert queries.hours_by_building_month(db, last_month_end.strftime("%Y-%m")) == {
        grid["place_a"]: 6}


def test_december_runs_to_the_first_of_january(db, cast):
    db.execute("INSERT INTO volunteer_hours (user_id, activity, served_on, half_hours, place_id,"
               " status, submission_key, created_at) VALUES"
               " (?, 'x', '2025-12-31', 2, ?, 'approved', 'd1', 'now'),"
               " (?, 'x', '2026-01-01', 3, ?, 'approved', 'd2', 'now'),"
               " (?, 'x', '2025-11-30', 5, ?, 'approved', 'd3', 'now')",
               (cast["in"].id, cast["grid"]["place_a"]) * 3)
    assert queries.hours_by_building_month(db, "2025-12") == {cast["grid"]["place_a"]: 2}
    assert queries.hours_by_building_month(db, "2026-01") == {cast["grid"]["place_a"]: 3}
    assert queries.hours_by_building_month(db, "2025-11") == {cast["grid"]["place_a"]: 5}


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-01", "", None, "2026-01-01"])
def test_a_month_that_is_not_yyyy_mm_is_refused(db, month):
    with pytest.raises(ValidationError):
        queries.hours_by_building_month(db, month)


def test_the_month_query_seeks_the_partial_index_per_building(db, monkeypatch):
    plans = []
    real_execute = db.execute

    def explain(sql, params=()):
        plans.extend(r[3] for r in real_execute("EXPLAIN QUERY PLAN " + sql, params))
        return real_execute(sql, params)

    monkeypatch.setattr(db, "execute", explain)
    queries.hours_by_building_month(db, "2026-01")
    assert any("volunteer_hours_place_month (place_id=? AND served_on>? AND served_on<?)" in plan
               for plan in plans), plans


def test_the_tick_list_is_the_micro_grids_verified_residents(db, cast):
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in2"].id,))
    names = [r["display_name"] for r in queries.residents_of_microgrid(db, cast["grid"]["mg_a"])]
    assert names == ["neighbour名", "leader名", "leader_none名", "staff名"]
    assert "stranger名" not in names and "newcomer名" not in names


def test_recent_events_are_scoped_like_review(db, cast):
    mine = event(db, cast[LEADER], [cast["in"].id])
    other = event(db, cast[STAFF], [cast["out"].id], key="e2", held_on=TODAY - timedelta(days=1))
    assert [(e["id"], e["attendees"]) for e in queries.recent_events(db, cast[LEADER])] == \
        [(mine["id"], 1)]
    assert [e["id"] for e in queries.recent_events(db, cast[STAFF])] == [mine["id"], other["id"]]
    assert queries.attendee_ids(db, mine["id"]) == {cast["in"].id}
    with pytest.raises(PermissionDenied):
        queries.recent_events(db, cast["in"])


def test_hours_with_a_date_object_and_a_string_are_the_same_day(db, cast):
    a = log(db, cast["in"], key="a", served_on=date(TODAY.year, TODAY.month, TODAY.day))
    b = log(db, cast["in"], key="b", served_on=TODAY.isoformat())
    assert a["served_on"] == b["served_on"] == TODAY.isoformat()


# --- double taps, exact words and limits (each found by mutation testing) ---------------------

def test_a_repeated_key_returns_the_first_entry_whatever_came_with_it(db, cast, tmp_path):
    first = log(db, cast["in"])
    assert log(db, cast["in"], activity="", photo=b"junk", data_dir=tmp_path) == first
    made = event(db, cast[LEADER], [cast["in"].id])
    assert event(db, cast[LEADER], [], name="") == made


def test_a_double_tap_that_waited_for_the_lock_gets_the_first_entry(db, cast, tmp_path,
                                                                     monkeypatch):
    """The second tap checked its key before the first committed, then waited for the lock."""
    first = log(db, cast["in"], photo=jpeg(), data_dir=tmp_path)
    real = hours._by_key
    calls = []

    def not_yet_there(database, key):
        calls.append(key)
        return None if len(calls) == 1 else real(database, key)

    monkeypatch.setattr(hours, "_by_key", not_yet_there)
    again = log(db, cast["in"], photo=jpeg(), data_dir=tmp_path)
    assert again == first and calls == ["k1", "k1"]
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [
        f"{first['photo']}.jpg", f"{first['photo']}.thumb.jpg"]  # the second photo is gone
    with pytest.raises(ValidationError) as caught:
        calls.clear()
        log(db, cast["out"])
    assert caught.value.fields == {"key": "该操作编号已用于另一条记录，请刷新页面后重试。"}


def test_an_events_double_tap_that_waited_for_the_lock_gets_the_first_event(db, cast,
                                                                             monkeypatch):
    made = event(db, cast[LEADER], [cast["in"].id])
    real = hours._event_by_key
    calls = []

    def not_yet_there(database, key):
        calls.append(key)
        return None if len(calls) == 1 else real(database, key)

    monkeypatch.setattr(hours, "_event_by_key", not_yet_there)
    assert event(db, cast[LEADER], [cast["in"].id]) == made and calls == ["e1", "e1"]
    assert ledger.balance(db, cast["in"].id) == 10


def test_an_event_that_does_not_exist_is_named(db, cast):
    with pytest.raises(NotFound, match=exactly("找不到编号为 77 的志愿活动。")):
        hours.add_attendees(db, cast[STAFF], event_id=77, user_ids=[cast["in"].id], key="x")


def test_three_hundred_attendees_are_allowed(db, cast):
    with pytest.raises(NotFound):  # past the list check: the made-up people do not exist
        event(db, cast[STAFF], list(range(10_000, 10_300)))


def test_an_events_points_say_what_the_event_was(db, cast):
    event(db, cast[LEADER], [cast["in"].id], name="垃圾分类值守", half_hours=3)
    (entry,) = ledger.history(db, cast["in"].id)
    assert entry.reason == "志愿服务：垃圾分类值守（1.5 小时）" and entry.amount == 7


def test_a_leader_without_a_micro_grid_is_told_why(db, cast):
    with pytest.raises(PermissionDenied, match=exactly("您还没有负责的微网格，不能记录活动。")):
        event(db, cast["leader_none"], [cast["in"].id])


def test_a_leader_adds_only_to_their_own_micro_grids_events_even_their_own_neighbours(db, cast):
    made = event(db, cast[LEADER], [cast["in"].id])
    staff_event = event(db, cast[STAFF], [cast["in"].id], key="e2")
    before = state(db)
    for actor, event_id, person in ((cast["leader_b"], made["id"], cast["out"]),
                                    (cast[LEADER], staff_event["id"], cast["in2"])):
        with pytest.raises(PermissionDenied, match=exactly("只能补录本微网格的活动。")):
            hours.add_attendees(db, actor, event_id=event_id, user_ids=[person.id], key="x")
    assert state(db) == before


def test_a_person_added_under_one_key_is_not_added_again_under_another(db, cast):
    made = event(db, cast[LEADER], [cast["in"].id])
    hours.add_attendees(db, cast[LEADER], event_id=made["id"], user_ids=[cast["in2"].id], key="a1")
    with pytest.raises(ValidationError):
        hours.add_attendees(db, cast[STAFF], event_id=made["id"], user_ids=[cast["in2"].id],
                            key="a3")
    assert audits(db, "volunteer.attendees") == [
        (cast[LEADER].id, "volunteer_event", str(made["id"]), {"attendees": 1})]
    assert ledger.balance(db, cast["in2"].id) == 10


def test_a_key_of_180_characters_is_long_enough(db, cast):
    """The limit leaves room for an event attendee's suffix (:<user id>) within 200."""
    assert log(db, cast["in"], key="k" * 180)["submission_key"] == "k" * 180
