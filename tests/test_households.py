"""Households: a resident asks for a room, a leader of that micro-grid or staff decides."""
import json

import pytest

from lib.core.db import scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import User
from lib.people import households, users
from tests.people_helpers import audit_rows, register

pytestmark = pytest.mark.usefixtures("cheap_bcrypt")


def test_leader_verifies_a_household_in_their_microgrid_only(db, buildings, make_user):
    resident = register(db)
    other_leader = make_user("leader", leads_microgrid_id=2)
    with pytest.raises(PermissionDenied):
        households.verify_household(db, other_leader, user_id=resident.id, approve=True)
    assert users.user_row(db, resident.id)["household_status"] == "pending"
    leader = make_user("leader", leads_microgrid_id=1)
    assert [row["id"] for row in households.pending_households(db, leader)] == [resident.id]
    assert households.pending_households(db, other_leader) == []
    verified = households.verify_household(db, leader, user_id=resident.id, approve=True)
    assert verified.household_status == "verified"
    assert scalar(db, "SELECT room FROM households WHERE id = ?", (verified.household_id,)) == "302"
    # repeating the decision changes nothing
    again = households.verify_household(db, leader, user_id=resident.id, approve=True)
    assert again.household_id == verified.household_id
    assert scalar(db, "SELECT COUNT(*) FROM households") == 1


def test_a_resident_cannot_verify_households(db, buildings, make_user):
    resident = register(db)
    with pytest.raises(PermissionDenied):
        households.verify_household(db, make_user("resident"), user_id=resident.id, approve=True)


def test_rejecting_needs_a_reason(db, buildings, make_user):
    resident = register(db)
    staff = make_user("staff")
    with pytest.raises(ValidationError):
        households.verify_household(db, staff, user_id=resident.id, approve=False)
    rejected = households.verify_household(db, staff, user_id=resident.id, approve=False,
                                         reason="查无此户")
    assert rejected.household_status == "rejected"


def test_household_request_after_registration_without_one(db, buildings):
    user = register(db, place_id=None, room="")
    assert user.household_status == "none"
    with pytest.raises(ValidationError):
        households.request_household(db, user, place_id=1, room="")
    households.request_household(db, user, place_id=1, room="501")
    assert users.user_row(db, user.id)["household_status"] == "pending"
    with pytest.raises(PermissionDenied):
        households.request_household(db, User(None, "", "访客", "guest"), place_id=1, room="1")


def test_the_household_summary_shows_the_request_then_the_verified_room(db, buildings, make_user):
    user = register(db, room="302室")
    assert households.household_summary(db, user) == "1栋1单元 302"
    verified = households.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    db.execute("UPDATE users SET requested_room = NULL WHERE id = ?", (user.id,))
    assert households.household_summary(db, verified) == "1栋1单元 302"
    assert households.household_summary(db, make_user("resident")) == ""


def test_a_household_decision_is_audited_and_a_settled_one_cannot_be_reversed(
        db, buildings, make_user):
    staff = make_user("staff")
    user = register(db)
    households.verify_household(db, staff, user_id=user.id, approve=False, reason="查无此户")
    again = households.verify_household(db, staff, user_id=user.id, approve=False, reason="再次")
    assert again.household_status == "rejected"
    with pytest.raises(ValidationError) as caught:
        households.verify_household(db, staff, user_id=user.id, approve=True)
    assert str(caught.value) == "该用户没有待核实的住户信息。"
    rows = list(db.query("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                         " WHERE action LIKE 'household.%'"))
    assert [(r["actor_id"], r["action"], r["target_type"], r["target_id"]) for r in rows] == [
        (staff.id, "household.reject", "user", str(user.id))]
    assert json.loads(rows[0]["detail"]) == {"place": "1-1", "room": "302", "reason": "查无此户"}
    assert users.user_row(db, user.id)["household_status"] == "rejected"


def test_a_leader_of_another_micro_grid_is_told_why_in_chinese(db, buildings, make_user):
    user = register(db)
    with pytest.raises(PermissionDenied) as caught:
        households.verify_household(db, make_user("leader", leads_microgrid_id=2), user_id=user.id,
                                  approve=True)
    assert str(caught.value) == "您只能核实自己负责的微网格内的住户。"


def test_a_household_request_names_the_refused_field_and_is_audited_once(db, buildings):
    user = register(db, place_id=None, room="")
    for place_id in (None, 999):
        with pytest.raises(ValidationError) as caught:
            households.request_household(db, user, place_id=place_id, room="501")
        assert caught.value.fields == {"place": "请选择所住的楼栋。"}
    assert users.user_row(db, user.id)["household_status"] == "none"
    households.request_household(db, user, place_id=1, room="501")
    assert audit_rows(db, "household.%") == [
        (user.id, "household.request", "user", str(user.id), {"room": "501"})]


def test_a_pending_or_verified_household_cannot_be_requested_again(db, buildings, make_user):
    user = register(db)
    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            households.request_household(db, user, place_id=2, room="101")
        assert str(caught.value) == "您已提交过住户信息。"
        row = users.user_row(db, user.id)
        assert (row["requested_place_id"], row["requested_room"]) == (1, "302")
        households.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    assert audit_rows(db, "household.request") == []


def test_a_rejection_without_a_reason_names_the_field_and_leaves_the_request_pending(
        db, buildings, make_user):
    user = register(db)
    with pytest.raises(ValidationError) as caught:
        households.verify_household(db, make_user("staff"), user_id=user.id, approve=False,
                                  reason="  ")
    assert caught.value.fields == {"reason": "请填写未通过的原因。"}
    assert users.user_row(db, user.id)["household_status"] == "pending"
    assert audit_rows(db, "household.%") == []


def test_an_approval_is_audited_with_the_leader_building_and_room(db, buildings, make_user):
    leader = make_user("leader", leads_microgrid_id=1)
    user = register(db)
    households.verify_household(db, leader, user_id=user.id, approve=True)
    assert audit_rows(db, "household.%") == [
        (leader.id, "household.verify", "user", str(user.id),
         {"place": "1-1", "room": "302", "reason": ""})]


def test_a_request_for_a_building_that_is_gone_is_not_found(db, buildings, make_user):
    user = register(db)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE users SET requested_place_id = 999 WHERE id = ?", (user.id,))
    with pytest.raises(NotFound) as caught:
        households.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    assert str(caught.value) == "找不到该楼栋。"
    assert users.user_row(db, user.id)["household_status"] == "pending"


def test_nobody_asks_to_live_at_a_common_place_when_registering_or_later(db, buildings):
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES"
               " ('gate', '大门', 'common', 'now')")
    gate = scalar(db, "SELECT id FROM places WHERE code = 'gate'")
    with pytest.raises(ValidationError) as caught:
        register(db, place_id=gate, room="1")
    assert caught.value.fields == {"place": "请选择所住的楼栋。"}
    user = register(db, place_id=None, room="")
    with pytest.raises(ValidationError) as caught:
        households.request_household(db, user, place_id=gate, room="1")
    assert caught.value.fields == {"place": "请选择所住的楼栋。"}
    assert users.user_row(db, user.id)["household_status"] == "none"
