"""筹劳: slots with places left, sign-up and withdrawal, attendance with points, who may do what."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from lib.core import rules
from lib.core.clock import local_today, pretend
from lib.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.crowdfund import labour
from lib.points import ledger
from tests.crowdfund_helpers import make_project
from tests.volunteer_helpers import make_cast


@pytest.fixture
def cast(db):
    return make_cast(db)


def project(db, cast, *, status="raising", **tasks_and_terms):
    tasks = tasks_and_terms.pop("tasks", (dict(days=7, headcount=2, half_hours=3),))
    return make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                        status=status, tasks=tasks, **tasks_and_terms)


def start_of(db, task_id: int):
    slot = labour.get_slot(db, task_id)
    return slot.starts


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return (db.execute("SELECT * FROM crowdfund_signups ORDER BY id").fetchall(),
            db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall(),
            db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def audits(db, action: str) -> list[tuple]:
    return [(r["actor_id"], r["target_type"], r["target_id"], json.loads(r["detail"]))
            for r in db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def after_start(db, task_id: int, minutes: int = 0):
    return pretend(start_of(db, task_id) + timedelta(minutes=minutes))


# --- slots ---------------------------------------------------------------------------------

def test_slots_come_by_date_and_time_with_places_taken_and_left(db, cast):
    p = project(db, cast, tasks=(dict(name="下午", days=8, starts_at="14:00", headcount=3),
                                 dict(name="上午", days=8, starts_at="09:00", headcount=1),
                                 dict(name="前一天", days=7, starts_at="15:30", half_hours=5)))
    labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    labour.sign_up(db, cast["in2"], task_id=p["tasks"][0])
    withdrawn = labour.sign_up(db, cast["out"], task_id=p["tasks"][0])
    labour.withdraw(db, cast["out"], signup_id=withdrawn["id"])
    labour.sign_up(db, cast["in"], task_id=p["tasks"][1])
    slots = labour.tasks_of(db, p["id"])
    assert [(s.name, s.starts_at, s.headcount, s.taken, s.left, s.is_full) for s in slots] == [
        ("前一天", "15:30", 5, 0, 5, False), ("上午", "09:00", 1, 1, 0, True),
        ("下午", "14:00", 3, 2, 1, False)]
    assert slots[0].work_on == (local_today() + timedelta(days=7)).isoformat()
    assert slots[0].half_hours == 5
    assert slots[0].project_id == p["id"]
    assert labour.tasks_of(db, p["id"] + 1) == []


def test_a_slot_starts_at_its_local_time_in_shanghai(db, cast):
    p = project(db, cast, tasks=(dict(days=7, starts_at="09:00"),))
    slot = labour.get_slot(db, p["tasks"][0])
    assert slot.starts.isoformat() == f"{slot.work_on}T09:00:00+08:00"
    assert not slot.has_started
    with pretend(slot.starts - timedelta(seconds=1)):
        assert not labour.get_slot(db, slot.id).has_started
    with pretend(slot.starts):
        assert labour.get_slot(db, slot.id).has_started


def test_an_unknown_slot_or_sign_up_is_not_found(db, cast):
    with pytest.raises(NotFound, match=exactly("找不到该出工时段。")):
        labour.get_slot(db, 99)
    with pytest.raises(NotFound, match=exactly("找不到该出工时段。")):
        labour.sign_up(db, cast["in"], task_id=99)
    with pytest.raises(NotFound, match=exactly("找不到该报名记录。")):
        labour.withdraw(db, cast["in"], signup_id=99)
    with pytest.raises(NotFound, match=exactly("找不到该报名记录。")):
        labour.mark_attendance(db, cast[STAFF], signup_id=99, attended=True)


def test_hours_and_value_are_said_as_people_say_them():
    assert labour.hours_text(1) == "0.5 小时"
    assert labour.hours_text(4) == "2 小时"
    assert labour.hours_text(5) == "2.5 小时"
    assert labour.value_fen(3, 3_001) == 4_501  # 1.5 h of 30.01 yuan: 45.015 down to 45.01
    assert labour.value_fen(2, 3_000) == 3_000


# --- signing up: who may ------------------------------------------------------------------

def test_a_guest_cannot_sign_up_and_nothing_changes(db, cast):
    p = project(db, cast)
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("请先登录。")):
        labour.sign_up(db, cast["guest"], task_id=p["tasks"][0])
    with pytest.raises(PermissionDenied, match=exactly("请先登录。")):
        labour.sign_up(db, cast["guest"], task_id=p["tasks"][0], for_user_id=cast["in"].id)
    assert state(db) == before


@pytest.mark.parametrize("who", ["in", "unverified", LEADER, STAFF, ADMIN])
def test_every_account_signs_up_for_themself(db, cast, who):
    p = project(db, cast)
    actor = cast[who]
    signup = labour.sign_up(db, actor, task_id=p["tasks"][0])
    assert (signup["user_id"], signup["status"], signup["proxy_by"], signup["points"]) == (
        actor.id, "signed", None, 0)
    assert signup["task_id"] == p["tasks"][0]
    assert audits(db, "crowdfund.labour_signup") == [
        (actor.id, "crowdfund_signup", str(signup["id"]),
         {"project": p["id"], "task": p["tasks"][0], "user": actor.id, "proxy": False})]
    # naming oneself is not a proxy sign-up
    other = project(db, cast)
    mine = labour.sign_up(db, actor, task_id=other["tasks"][0], for_user_id=actor.id)
    assert (mine["user_id"], mine["proxy_by"]) == (actor.id, None)


@pytest.mark.parametrize("who", ["in", LEADER])
def test_a_resident_or_leader_cannot_sign_up_someone_else(db, cast, who):
    p = project(db, cast)
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("只有社区工作人员可以代居民报名出工。")):
        labour.sign_up(db, cast[who], task_id=p["tasks"][0], for_user_id=cast["in2"].id)
    assert state(db) == before


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_sign_up_a_resident_without_a_phone(db, cast, who):
    p = project(db, cast)
    signup = labour.sign_up(db, cast[who], task_id=p["tasks"][0], for_user_id=cast["in"].id)
    assert (signup["user_id"], signup["proxy_by"], signup["status"]) == (
        cast["in"].id, cast[who].id, "signed")
    assert audits(db, "crowdfund.labour_signup")[0][0] == cast[who].id
    assert audits(db, "crowdfund.labour_signup")[0][3]["proxy"] is True
    assert [s["id"] for s in labour.my_signups(db, cast["in"].id)] == [signup["id"]]
    assert labour.my_signups(db, cast[who].id) == []


def test_a_disabled_or_unknown_person_cannot_be_signed_up(db, cast):
    p = project(db, cast)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    before = state(db)
    with pytest.raises(ValidationError, match=exactly("该账号已停用，不能报名出工。")) as refused:
        labour.sign_up(db, cast[STAFF], task_id=p["tasks"][0], for_user_id=cast["in"].id)
    assert list(refused.value.fields) == ["user"]
    with pytest.raises(NotFound, match=exactly("找不到该居民。")):
        labour.sign_up(db, cast[STAFF], task_id=p["tasks"][0], for_user_id=9999)
    assert state(db) == before


# --- signing up: when ----------------------------------------------------------------------

@pytest.mark.parametrize("status", ["draft", "done", "cancelled"])
def test_a_project_that_is_not_running_takes_no_sign_ups(db, cast, status):
    p = project(db, cast, status=status)
    before = state(db)
    with pytest.raises(ValidationError, match=exactly("只有众筹中或实施中的项目可以报名出工。")) as refused:
        labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    assert list(refused.value.fields) == ["task_id"]  # shown beside the slot's 报名
    with pytest.raises(ValidationError, match="只有众筹中或实施中"):
        labour.sign_up(db, cast[STAFF], task_id=p["tasks"][0], for_user_id=cast["in"].id)
    assert state(db) == before


def test_a_project_being_built_still_takes_sign_ups(db, cast):
    p = project(db, cast, status="building")
    assert labour.sign_up(db, cast["in"], task_id=p["tasks"][0])["status"] == "signed"


def test_sign_up_closes_when_the_slot_starts(db, cast):
    p = project(db, cast)
    task = p["tasks"][0]
    with pretend(start_of(db, task) - timedelta(minutes=1)):
        assert labour.sign_up(db, cast["in"], task_id=task)["status"] == "signed"
    before = state(db)
    with after_start(db, task):
        with pytest.raises(ValidationError, match=exactly("该时段已经开始，不能再报名。")) as refused:
            labour.sign_up(db, cast["in2"], task_id=task)
    assert list(refused.value.fields) == ["task_id"]
    with after_start(db, task, minutes=600):
        with pytest.raises(ValidationError, match="已经开始"):
            labour.sign_up(db, cast[STAFF], task_id=task, for_user_id=cast["in2"].id)
    assert state(db) == before


def test_a_full_slot_refuses_the_next_person_and_nothing_changes(db, cast):
    p = project(db, cast, tasks=(dict(headcount=2),))
    task = p["tasks"][0]
    labour.sign_up(db, cast["in"], task_id=task)
    labour.sign_up(db, cast[STAFF], task_id=task, for_user_id=cast["in2"].id)
    before = state(db)
    with pytest.raises(labour.SlotFull, match=exactly("该时段名额已满")) as refused:
        labour.sign_up(db, cast["out"], task_id=task)
    assert refused.value.fields == {"task_id": "该时段名额已满"}  # placed beside the slot
    with pytest.raises(labour.SlotFull):
        labour.sign_up(db, cast[ADMIN], task_id=task, for_user_id=cast["out"].id)
    assert state(db) == before
    assert labour.get_slot(db, task).taken == 2


def test_attended_and_absent_sign_ups_still_hold_their_places(db, cast):
    p = project(db, cast, tasks=(dict(headcount=2),))
    task = p["tasks"][0]
    a = labour.sign_up(db, cast["in"], task_id=task)
    b = labour.sign_up(db, cast["in2"], task_id=task)
    with after_start(db, task):
        labour.mark_attendance(db, cast[STAFF], signup_id=a["id"], attended=True)
        labour.mark_attendance(db, cast[STAFF], signup_id=b["id"], attended=False)
    assert labour.get_slot(db, task).taken == 2


def test_signing_up_twice_for_one_slot_is_refused_and_changes_nothing(db, cast):
    p = project(db, cast, tasks=(dict(headcount=5),))
    task = p["tasks"][0]
    labour.sign_up(db, cast["in"], task_id=task)
    before = state(db)
    with pytest.raises(ValidationError, match=exactly("您已报名该时段，无需重复报名。")) as refused:
        labour.sign_up(db, cast["in"], task_id=task)
    assert list(refused.value.fields) == ["task_id"]
    with pytest.raises(ValidationError, match=exactly("neighbour名 已报名该时段。")):
        labour.sign_up(db, cast[STAFF], task_id=task, for_user_id=cast["in"].id)
    assert state(db) == before


def test_the_triggers_last_word_becomes_the_same_chinese_message(db, cast, monkeypatch):
    """Should the check under the lock ever miss, m011's trigger and unique index still hold."""
    p = project(db, cast, tasks=(dict(headcount=1),))
    task = p["tasks"][0]
    labour.sign_up(db, cast["in"], task_id=task)
    monkeypatch.setattr(labour.Slot, "is_full", property(lambda self: False))
    before = state(db)
    with pytest.raises(labour.SlotFull, match=exactly("该时段名额已满")):
        labour.sign_up(db, cast["in2"], task_id=task)
    assert state(db) == before
    other = project(db, cast, tasks=(dict(headcount=3),))
    labour.sign_up(db, cast["in"], task_id=other["tasks"][0])
    monkeypatch.setattr(labour, "scalar", lambda *args: None)
    before = state(db)
    with pytest.raises(ValidationError, match=exactly("您已报名该时段，无需重复报名。")) as refused:
        labour.sign_up(db, cast["in"], task_id=other["tasks"][0])
    assert list(refused.value.fields) == ["task_id"]
    with pytest.raises(ValidationError, match=exactly("该居民 已报名该时段。")):
        labour.sign_up(db, cast[STAFF], task_id=other["tasks"][0], for_user_id=cast["in"].id)
    assert state(db) == before
    assert not db.conn.in_transaction


# --- withdrawing ---------------------------------------------------------------------------

def test_a_resident_withdraws_and_may_sign_up_again_as_a_new_row(db, cast):
    p = project(db, cast, tasks=(dict(headcount=1),))
    task = p["tasks"][0]
    first = labour.sign_up(db, cast["in"], task_id=task)
    gone = labour.withdraw(db, cast["in"], signup_id=first["id"])
    assert gone["status"] == "withdrawn" and gone["withdrawn_at"]
    assert labour.get_slot(db, task).left == 1
    assert labour.my_signups(db, cast["in"].id) == []
    assert audits(db, "crowdfund.labour_withdraw") == [
        (cast["in"].id, "crowdfund_signup", str(first["id"]),
         {"project": p["id"], "task": task, "user": cast["in"].id})]
    again = labour.sign_up(db, cast["in"], task_id=task)
    assert again["id"] != first["id"] and again["status"] == "signed"
    assert [r["status"] for r in db.query(
        "SELECT status FROM crowdfund_signups WHERE user_id = ? ORDER BY id",
        (cast["in"].id,))] == ["withdrawn", "signed"]
    assert [s["id"] for s in labour.my_signups(db, cast["in"].id, include_withdrawn=True)] == [
        again["id"], first["id"]]


def test_withdrawing_twice_is_refused_and_changes_nothing(db, cast):
    p = project(db, cast)
    signup = labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    labour.withdraw(db, cast["in"], signup_id=signup["id"])
    before = state(db)
    with pytest.raises(InvalidTransition, match=exactly("这条报名已是“已取消”，不能取消。")):
        labour.withdraw(db, cast["in"], signup_id=signup["id"])
    assert state(db) == before


@pytest.mark.parametrize("who", ["in2", LEADER])
def test_nobody_below_staff_withdraws_someone_elses_sign_up(db, cast, who):
    p = project(db, cast)
    signup = labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("只能取消自己的报名。")):
        labour.withdraw(db, cast[who], signup_id=signup["id"])
    with pytest.raises(PermissionDenied, match=exactly("请先登录。")):
        labour.withdraw(db, cast["guest"], signup_id=signup["id"])
    assert state(db) == before


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_withdraw_a_residents_sign_up(db, cast, who):
    p = project(db, cast)
    signup = labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    assert labour.withdraw(db, cast[who], signup_id=signup["id"])["status"] == "withdrawn"
    assert audits(db, "crowdfund.labour_withdraw")[0][0] == cast[who].id


def test_withdrawing_after_the_start_is_refused(db, cast):
    p = project(db, cast)
    task = p["tasks"][0]
    signup = labour.sign_up(db, cast["in"], task_id=task)
    before = state(db)
    for who in ("in", STAFF):
        with after_start(db, task):
            with pytest.raises(InvalidTransition, match=exactly("该时段已经开始，不能再取消报名。")):
                labour.withdraw(db, cast[who], signup_id=signup["id"])
    assert state(db) == before
    with pretend(start_of(db, task) - timedelta(seconds=1)):
        assert labour.withdraw(db, cast["in"], signup_id=signup["id"])["status"] == "withdrawn"


def test_a_marked_sign_up_cannot_be_withdrawn(db, cast):
    p = project(db, cast)
    task = p["tasks"][0]
    signup = labour.sign_up(db, cast["in"], task_id=task)
    with after_start(db, task):
        labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=False)
    before = state(db)
    with pytest.raises(InvalidTransition, match="“未到”，不能取消"):
        labour.withdraw(db, cast[STAFF], signup_id=signup["id"])
    assert state(db) == before


# --- attendance ----------------------------------------------------------------------------

def signed(db, cast, *, half_hours=3, who="in", status="raising", **terms):
    p = project(db, cast, status="raising", tasks=(dict(half_hours=half_hours, headcount=5),),
                **terms)
    signup = labour.sign_up(db, cast[who], task_id=p["tasks"][0])
    if status != "raising":
        db.execute("UPDATE crowdfund_projects SET status = ? WHERE id = ?", (status, p["id"]))
        db.conn.commit()
    return p, signup


@pytest.mark.parametrize("who", ["guest", "in", LEADER])
def test_nobody_below_staff_marks_attendance(db, cast, who):
    p, signup = signed(db, cast)
    before = state(db)
    with after_start(db, p["tasks"][0]):
        for attended in (True, False):
            with pytest.raises(PermissionDenied):
                labour.mark_attendance(db, cast[who], signup_id=signup["id"], attended=attended)
    assert state(db) == before


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_never_mark_their_own_attendance(db, cast, who):
    p, signup = signed(db, cast, who=who)
    before = state(db)
    with after_start(db, p["tasks"][0]):
        with pytest.raises(PermissionDenied, match=exactly("不能登记自己的出勤，请由其他工作人员登记。")):
            labour.mark_attendance(db, cast[who], signup_id=signup["id"], attended=True)
    assert state(db) == before
    other = "staff2" if who == STAFF else STAFF
    with after_start(db, p["tasks"][0]):
        marked = labour.mark_attendance(db, cast[other], signup_id=signup["id"], attended=True)
    assert marked["status"] == "attended"
    assert ledger.balance(db, cast[who].id) == 7


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_mark_attendance_and_the_hours_earn_points_once(db, cast, who):
    p, signup = signed(db, cast, half_hours=3)
    with after_start(db, p["tasks"][0], minutes=90):
        marked = labour.mark_attendance(db, cast[who], signup_id=signup["id"], attended=True)
    assert (marked["status"], marked["points"], marked["marked_by"]) == (
        "attended", 7, cast[who].id)
    assert marked["marked_at"]
    assert ledger.balance(db, cast["in"].id) == 7  # 1.5 h at 5 an hour: 7.5 down to 7
    [entry] = ledger.history(db, cast["in"].id)
    assert (entry.kind, entry.actor_id, entry.amount, entry.idempotency_key) == (
        "labour", None, 7, f"crowdfund:{p['id']}:labour:{signup['id']}")
    assert entry.reason == "众筹出工：车棚地面硬化·平整地面（1.5 小时）"
    assert audits(db, "crowdfund.labour_attendance") == [
        (cast[who].id, "crowdfund_signup", str(signup["id"]),
         {"project": p["id"], "user": cast["in"].id, "attended": True, "points": 7})]
    # the same answer again changes nothing
    before = state(db)
    with after_start(db, p["tasks"][0], minutes=120):
        again = labour.mark_attendance(db, cast["staff2"], signup_id=signup["id"], attended=True)
    assert again["marked_by"] == cast[who].id
    assert state(db) == before


@pytest.mark.parametrize("half_hours, rule, points", [(1, 5, 2), (2, 5, 5), (8, 5, 20),
                                                       (24, 5, 60), (3, 3, 4), (1, 3, 1),
                                                       (4, 0, 0)])
def test_points_follow_the_rule_in_half_hours(db, cast, half_hours, rule, points):
    rules.set_rule(db, cast[ADMIN], key="points.labour_hour", value=rule)
    p, signup = signed(db, cast, half_hours=half_hours)
    with after_start(db, p["tasks"][0]):
        marked = labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=True)
    assert marked["points"] == points
    assert ledger.balance(db, cast["in"].id) == points
    assert len(ledger.history(db, cast["in"].id)) == (1 if points else 0)


def test_attendance_before_the_start_is_refused(db, cast):
    p, signup = signed(db, cast)
    before = state(db)
    for attended in (True, False):
        with pytest.raises(ValidationError, match=exactly("该时段还没有开始，开始后才能登记出勤。")) as no:
            labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=attended)
        assert list(no.value.fields) == ["attended"]
        with pretend(start_of(db, p["tasks"][0]) - timedelta(seconds=1)):
            with pytest.raises(ValidationError, match="还没有开始"):
                labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=attended)
    assert state(db) == before
    with after_start(db, p["tasks"][0]):
        assert labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"],
                                      attended=False)["status"] == "absent"


def test_absent_can_become_attended_with_its_points(db, cast):
    p, signup = signed(db, cast, half_hours=4)
    with after_start(db, p["tasks"][0]):
        absent = labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=False)
        assert (absent["status"], absent["points"]) == ("absent", 0)
        assert ledger.balance(db, cast["in"].id) == 0
        before = state(db)
        assert labour.mark_attendance(db, cast[ADMIN], signup_id=signup["id"],
                                      attended=False)["marked_by"] == cast[STAFF].id
        assert state(db) == before
        came = labour.mark_attendance(db, cast[ADMIN], signup_id=signup["id"], attended=True)
    assert (came["status"], came["points"], came["marked_by"]) == ("attended", 10, cast[ADMIN].id)
    assert ledger.balance(db, cast["in"].id) == 10
    assert [a[3]["attended"] for a in audits(db, "crowdfund.labour_attendance")] == [False, True]


def test_attended_cannot_be_turned_into_absent_once_points_are_written(db, cast):
    p, signup = signed(db, cast)
    with after_start(db, p["tasks"][0]):
        labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=True)
        before = state(db)
        with pytest.raises(InvalidTransition, match=exactly(
                "已登记到场并发放积分，不能改为未到；如确属登记错误，请由管理员更正积分。")):
            labour.mark_attendance(db, cast[ADMIN], signup_id=signup["id"], attended=False)
    assert state(db) == before


def test_a_withdrawn_sign_up_gets_no_attendance(db, cast):
    p, signup = signed(db, cast)
    labour.withdraw(db, cast["in"], signup_id=signup["id"])
    before = state(db)
    with after_start(db, p["tasks"][0]):
        for attended in (True, False):
            with pytest.raises(InvalidTransition, match=exactly("这条报名已取消，不能登记出勤。")):
                labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=attended)
    assert state(db) == before


def test_attendance_must_be_a_yes_or_no(db, cast):
    p, signup = signed(db, cast)
    before = state(db)
    with after_start(db, p["tasks"][0]):
        for value in (1, "yes", None):
            with pytest.raises(ValidationError, match=exactly("请选择到场或未到。")) as refused:
                labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=value)
            assert list(refused.value.fields) == ["attended"]
    assert state(db) == before


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_a_project_not_running_takes_no_attendance(db, cast, status):
    p, signup = signed(db, cast, status=status)
    before = state(db)
    with after_start(db, p["tasks"][0]):
        with pytest.raises(ValidationError, match=exactly("该项目不在进行中，不能登记出勤。")) as no:
            labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=True)
    assert list(no.value.fields) == ["attended"]
    assert state(db) == before


@pytest.mark.parametrize("status", ["building", "done"])
def test_attendance_is_marked_while_building_and_after_completion(db, cast, status):
    p, signup = signed(db, cast, status=status)
    with after_start(db, p["tasks"][0]):
        assert labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"],
                                      attended=True)["points"] == 7


def test_a_disabled_account_cannot_be_credited_and_nothing_changes(db, cast):
    p, signup = signed(db, cast)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    before = state(db)
    with after_start(db, p["tasks"][0]):
        with pytest.raises(ValidationError, match="已停用"):
            labour.mark_attendance(db, cast[STAFF], signup_id=signup["id"], attended=True)
    assert state(db) == before


# --- totals, lists, cancellation ----------------------------------------------------------

def test_totals_count_attended_hours_at_the_published_value(db, cast):
    p = project(db, cast, labour_hour_fen=3_001,
                tasks=(dict(half_hours=3, headcount=4), dict(half_hours=2, headcount=2)))
    first, second = p["tasks"]
    a = labour.sign_up(db, cast["in"], task_id=first)
    b = labour.sign_up(db, cast["in2"], task_id=first)
    c = labour.sign_up(db, cast["in"], task_id=second)
    gone = labour.sign_up(db, cast["out"], task_id=second)
    labour.withdraw(db, cast["out"], signup_id=gone["id"])
    labour.sign_up(db, cast[LEADER], task_id=second)
    assert labour.totals(db, p["id"]) == labour.LabourTotals(0, 0, 4, 6)
    with after_start(db, second):
        labour.mark_attendance(db, cast[STAFF], signup_id=a["id"], attended=True)
        labour.mark_attendance(db, cast[STAFF], signup_id=b["id"], attended=False)
        labour.mark_attendance(db, cast[STAFF], signup_id=c["id"], attended=True)
    # 3 + 2 half hours = 2.5 h at 30.01 yuan: 75.025 down to 75.02
    assert labour.totals(db, p["id"]) == labour.LabourTotals(5, 7_502, 4, 6)
    other = project(db, cast)
    assert labour.totals(db, other["id"]) == labour.LabourTotals(0, 0, 0, 2)
    assert labour.totals(db, 999) == labour.LabourTotals(0, 0, 0, 0)


def test_my_sign_ups_carry_the_project_and_newest_slot_first(db, cast):
    p = project(db, cast, title="楼道粉刷",
                tasks=(dict(name="刷墙", days=5), dict(name="清扫", days=9, starts_at="08:30")))
    q = project(db, cast, title="花坛补种", tasks=(dict(name="种花", days=7),))
    a = labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    b = labour.sign_up(db, cast["in"], task_id=p["tasks"][1])
    c = labour.sign_up(db, cast["in"], task_id=q["tasks"][0])
    labour.sign_up(db, cast["in2"], task_id=q["tasks"][0])
    mine = labour.my_signups(db, cast["in"].id)
    assert [(s["id"], s["title"], s["task_name"]) for s in mine] == [
        (b["id"], "楼道粉刷", "清扫"), (c["id"], "花坛补种", "种花"), (a["id"], "楼道粉刷", "刷墙")]
    assert mine[0]["starts_at"] == "08:30" and mine[0]["project_id"] == p["id"]
    assert mine[0]["status"] == "signed" and mine[0]["half_hours"] == 8
    assert mine[0]["project_status"] == "raising" and mine[0]["task_id"] == p["tasks"][1]
    assert [s["id"] for s in labour.my_signups(db, cast["in"].id, project_id=q["id"])] == [c["id"]]


def test_a_roster_lists_live_sign_ups_first_with_names_and_rooms(db, cast):
    p = project(db, cast, tasks=(dict(headcount=5),))
    task = p["tasks"][0]
    gone = labour.sign_up(db, cast["out"], task_id=task)
    labour.withdraw(db, cast["out"], signup_id=gone["id"])
    a = labour.sign_up(db, cast["in"], task_id=task)
    b = labour.sign_up(db, cast[STAFF], task_id=task, for_user_id=cast["unverified"].id)
    rows = labour.roster(db, task)
    assert [(r["id"], r["display_name"], r["status"]) for r in rows] == [
        (a["id"], "neighbour名", "signed"), (b["id"], "newcomer名", "signed"),
        (gone["id"], "stranger名", "withdrawn")]
    assert (rows[0]["place_code"], rows[0]["room"], rows[0]["username"]) == (
        "1-1", "100", "neighbour")
    assert (rows[1]["place_code"], rows[1]["room"], rows[1]["proxy_by"]) == ("", "", cast[STAFF].id)
    assert labour.roster(db, task + 1) == []


def test_release_all_withdraws_waiting_sign_ups_of_that_project_only(db, cast):
    p = project(db, cast, tasks=(dict(days=-1, headcount=5), dict(days=7, headcount=5)))
    past, future = p["tasks"]
    with pretend(start_of(db, past) - timedelta(hours=1)):
        came = labour.sign_up(db, cast["in"], task_id=past)
        absent = labour.sign_up(db, cast["in2"], task_id=past)
    labour.mark_attendance(db, cast[STAFF], signup_id=came["id"], attended=True)
    labour.mark_attendance(db, cast[STAFF], signup_id=absent["id"], attended=False)
    waiting = [labour.sign_up(db, cast[who], task_id=future) for who in ("in", "out", LEADER)]
    labour.withdraw(db, cast[LEADER], signup_id=waiting[2]["id"])
    other = project(db, cast)
    elsewhere = labour.sign_up(db, cast["in"], task_id=other["tasks"][0])
    balance = ledger.balance(db, cast["in"].id)
    assert labour.release_all(db, p["id"]) == 2
    status = {r["id"]: r["status"] for r in db.query("SELECT id, status FROM crowdfund_signups")}
    assert status == {came["id"]: "attended", absent["id"]: "absent",
                      waiting[0]["id"]: "withdrawn", waiting[1]["id"]: "withdrawn",
                      waiting[2]["id"]: "withdrawn", elsewhere["id"]: "signed"}
    assert labour.get_signup(db, waiting[0]["id"])["withdrawn_at"]
    assert ledger.balance(db, cast["in"].id) == balance
    assert audits(db, "crowdfund.labour_release") == [
        (None, "crowdfund_project", str(p["id"]), {"signups": 2})]
    assert labour.release_all(db, p["id"]) == 0  # again: nothing left, nothing audited
    assert len(audits(db, "crowdfund.labour_release")) == 1


def test_release_all_runs_inside_the_callers_transaction(db, cast):
    p = project(db, cast)
    signup = labour.sign_up(db, cast["in"], task_id=p["tasks"][0])
    with pytest.raises(RuntimeError):
        with db.atomic():  # the cancel's transaction failing after the release
            assert labour.release_all(db, p["id"]) == 1
            raise RuntimeError("cancel refused later")
    assert labour.get_signup(db, signup["id"])["status"] == "signed"
