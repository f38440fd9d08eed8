"""Special awards and deductions: who may, the cap from the rules, never below zero, audited."""
from __future__ import annotations

import pytest

from lib.core import rules
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.points import ledger
from lib.points.ledger import KIND_SPECIAL
from tests.test_points import ROLES, TARGETS, _target, audit_count, give, ledger_rows, refusal
from tests.volunteer_helpers import matrix_cast


@pytest.fixture
def cast(db):
    """Everyone of the matrix, as in test_points."""
    return matrix_cast(db)


def audits(db, action: str) -> list[tuple]:
    return db.execute("SELECT actor_id, target_id, detail FROM audit_log WHERE action = ?",
                      (action,)).fetchall()


@pytest.mark.parametrize("role, target, amount", [
    (role, target, amount) for role in ROLES for target in TARGETS for amount in (20, -5)
    if not (target == "self" and role in ("system", "guest"))])
def test_every_cell_of_the_special_award_matrix(db, cast, role, target, amount):
    user_id = _target(cast, role, target)
    give(db, cast[target] if target != "self" else cast[role], 10)
    before, logged = ledger_rows(db), audit_count(db)
    call = dict(user_id=user_id, amount=amount, reason="让出自家菜地修路", key="special:x")
    if role in (STAFF, ADMIN) and target != "self":
        entry = ledger.special(db, cast[role], **call)
        assert (entry.kind, entry.amount, entry.actor_id) == (KIND_SPECIAL, amount, cast[role].id)
        assert ledger.balance(db, user_id) == 10 + amount
        assert audits(db, "points.special")[0][:2] == (cast[role].id, str(user_id))
    else:
        with pytest.raises(PermissionDenied):
            ledger.special(db, cast[role], **call)
        assert ledger_rows(db) == before and audit_count(db) == logged
        assert ledger.balance(db, user_id) == 10


def test_the_cap_follows_the_rule_and_its_limit_itself_is_allowed(db, cast):
    staff, alice = cast[STAFF], cast["in"]
    cap = rules.get(db, "points.special_max")
    assert cap == 50
    ledger.special(db, staff, user_id=alice.id, amount=cap, reason="修路", key="k1")
    ledger.special(db, staff, user_id=alice.id, amount=-cap, reason="误发收回", key="k2")
    assert ledger.balance(db, alice.id) == 0
    for amount in (cap + 1, -cap - 1):
        assert refusal(lambda: ledger.special(db, staff, user_id=alice.id, amount=amount,
                                              reason="修路", key="k3")) == (
            "ValidationError", {"amount": "单次特别奖励或扣减不能超过 50 分（见积分规则）。"})
    rules.set_rule(db, cast[ADMIN], key="points.special_max", value=100)
    ledger.special(db, staff, user_id=alice.id, amount=100, reason="修路", key="k4")
    assert ledger.balance(db, alice.id) == 100


def test_a_special_award_through_award_is_capped_too(db, cast):
    with pytest.raises(ValidationError) as caught:
        ledger.award(db, cast[STAFF], user_id=cast["in"].id, amount=51, kind=KIND_SPECIAL,
                     reason="修路", key="k")
    assert "50" in caught.value.fields["amount"]
    # the system's rules are not a person's grant: no cap (a rule applies its own amount)
    ledger.award(db, None, user_id=cast["in"].id, amount=51, kind=KIND_SPECIAL, reason="",
                 key="k")
    assert ledger.balance(db, cast["in"].id) == 51


def test_a_deduction_never_takes_a_balance_below_zero(db, cast):
    alice = cast["in"]
    give(db, alice, 4)
    before = ledger_rows(db)
    assert refusal(lambda: ledger.special(db, cast[STAFF], user_id=alice.id, amount=-5,
                                          reason="楼道堆物", key="d1")) == (
        "InsufficientPoints", "积分不足：当前余额 4 积分，本次需要 5 积分。")
    assert ledger_rows(db) == before
    ledger.special(db, cast[STAFF], user_id=alice.id, amount=-4, reason="楼道堆物", key="d2")
    assert ledger.balance(db, alice.id) == 0


@pytest.mark.parametrize("amount, message", [
    (0, "积分不能为 0。"), (2.5, "积分必须是整数。"), ("20", "积分必须是整数。"),
    (True, "积分必须是整数。"), (10**9, f"积分不能超过 {ledger.MAX_AMOUNT}。")])
def test_an_amount_that_is_not_a_whole_number_of_points_is_refused(db, cast, amount, message):
    give(db, cast["in"], 10)
    before = ledger_rows(db)
    assert refusal(lambda: ledger.special(db, cast[STAFF], user_id=cast["in"].id, amount=amount,
                                          reason="修路", key="k")) == (
        "ValidationError", {"amount": message})
    assert ledger_rows(db) == before


def test_a_reason_is_required_and_at_most_200_characters(db, cast):
    staff, alice = cast[STAFF], cast["in"]
    assert refusal(lambda: ledger.special(db, staff, user_id=alice.id, amount=5, reason="  ",
                                          key="k")) == (
        "ValidationError", {"reason": "特别奖励或扣减必须填写理由。"})
    assert refusal(lambda: ledger.special(db, staff, user_id=alice.id, amount=5, reason=None,
                                          key="k")) == (
        "ValidationError", {"reason": "特别奖励或扣减必须填写理由。"})
    assert refusal(lambda: ledger.special(db, staff, user_id=alice.id, amount=5,
                                          reason="长" * 10_000, key="k")) == (
        "ValidationError", {"reason": "理由不能超过 200 字。"})
    entry = ledger.special(db, staff, user_id=alice.id, amount=5, reason=" 长" * 100, key="k")
    assert len(entry.reason) == 199  # stripped
    assert ledger.balance(db, alice.id) == 5


def test_granting_oneself_is_refused_in_words(db, cast):
    assert refusal(lambda: ledger.special(db, cast[ADMIN], user_id=cast[ADMIN].id, amount=5,
                                          reason="修路", key="k")) == (
        "PermissionDenied", "不能给自己发放或扣减积分。")
    assert refusal(lambda: ledger.special(db, cast[LEADER], user_id=cast["in"].id, amount=5,
                                          reason="修路", key="k")) == (
        "PermissionDenied", "此操作需要社区工作人员权限。")


def test_repeating_a_special_key_grants_once(db, cast):
    call = dict(user_id=cast["in"].id, amount=20, reason="修路", key="special:same")
    first = ledger.special(db, cast[STAFF], **call)
    assert ledger.special(db, cast[STAFF], **call) == first
    assert ledger.balance(db, cast["in"].id) == 20 and len(audits(db, "points.special")) == 1


def test_a_deduction_lowers_the_years_earned_total(db, cast):
    alice = cast["in"]
    ledger.special(db, cast[STAFF], user_id=alice.id, amount=30, reason="修路", key="a")
    ledger.special(db, cast[STAFF], user_id=alice.id, amount=-10, reason="楼道堆物", key="b")
    assert db.execute("SELECT SUM(earned) FROM points_year_totals WHERE user_id = ?",
                      (alice.id,)).fetchone()[0] == 20


def test_a_resident_is_refused_whatever_the_target(db, cast):
    for target in ("in", "out"):
        with pytest.raises(PermissionDenied):
            ledger.special(db, cast[RESIDENT], user_id=cast[target].id, amount=5, reason="x",
                           key=f"k{target}")
    assert ledger_rows(db) == []
