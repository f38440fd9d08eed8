"""The points ledger: awards, spends, corrections, idempotency, permissions and races."""
from __future__ import annotations

import itertools
import json
import sqlite3
import time
from pathlib import Path

import pytest

from lib.core.clock import now_iso
from lib.core.db import immediate, open_db
from lib.core.errors import InsufficientPoints, NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF, User
from lib.points import ledger
from tests.races import race
from tests.volunteer_helpers import build_grids, matrix_cast, placed_user
from lib.points.ledger import KIND_REDEEM, KIND_REPORT, KIND_SPECIAL, KIND_VOLUNTEER


SPENDERS = 8
SPENDS_EACH = 20
SPEND = 10
START = 500


def add_user(db, username: str, role: str = RESIDENT, *, disabled: bool = False) -> User:
    user_id = db["users"].insert({
        "username": username,
        "display_name": username,
        "password_hash": "x",
        "role": role,
        "disabled": int(disabled),
        "created_at": now_iso(),
        "password_changed_at": now_iso(),
    }).last_pk
    return User(id=user_id, username=username, display_name=username, role=role)


def ledger_rows(db) -> list[tuple]:
    return db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall()


def audit_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]


def give(db, user: User, amount: int, key: str = "seed") -> ledger.Entry:
    return ledger.award(db, None, user_id=user.id, amount=amount, kind=KIND_REPORT,
                        reason="随手拍已受理", key=key)


# --- awards ----------------------------------------------------------------------------------

def test_an_award_adds_to_the_balance_and_is_audited(db):
    alice = add_user(db, "alice")
    entry = give(db, alice, 20, key="report:1")
    give(db, alice, 5, key="report:2")
    assert ledger.balance(db, alice.id) == 25
    assert entry.amount == 20 and entry.kind == KIND_REPORT and entry.actor_id is None
    assert entry.kind_label == "随手拍受理"
    audit = db.execute("SELECT action, target_id FROM audit_log ORDER BY id").fetchall()
    assert audit == [("points.award", str(alice.id)), ("points.award", str(alice.id))]


def test_a_user_without_entries_has_a_balance_of_zero(db):
    alice = add_user(db, "alice")
    assert ledger.balance(db, alice.id) == 0
    assert ledger.history(db, alice.id) == []


def test_the_same_key_twice_awards_only_once(db):
    alice = add_user(db, "alice")
    first = give(db, alice, 20, key="report:7")
    second = give(db, alice, 20, key="report:7")
    assert second == first
    assert ledger.balance(db, alice.id) == 20
    assert len(ledger_rows(db)) == 1
    assert audit_count(db) == 1


def test_reusing_a_key_for_a_different_amount_is_refused_and_nothing_changes(db):
    alice = add_user(db, "alice")
    give(db, alice, 20, key="report:7")
    with pytest.raises(ValidationError) as caught:
        give(db, alice, 30, key="report:7")
    assert "key" in caught.value.fields
    assert ledger.balance(db, alice.id) == 20
    assert len(ledger_rows(db)) == 1


def test_reusing_a_key_for_a_different_user_is_refused(db):
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    give(db, alice, 20, key="report:7")
    with pytest.raises(ValidationError):
        give(db, bob, 20, key="report:7")
    assert ledger.balance(db, bob.id) == 0


@pytest.mark.parametrize("amount", [0, -5, 2.5, True])
def test_an_award_that_is_not_a_positive_whole_number_is_refused_in_chinese(db, amount):
    alice = add_user(db, "alice")
    with pytest.raises(ValidationError) as caught:
        give(db, alice, amount)
    assert "积分" in caught.value.fields["amount"]
    assert ledger_rows(db) == []


def test_an_award_to_a_missing_user_is_not_found_and_to_a_disabled_user_is_refused(db):
    gone = add_user(db, "gone", disabled=True)
    with pytest.raises(NotFound):
        ledger.award(db, None, user_id=9999, amount=5, kind=KIND_REPORT, reason="", key="k1")
    with pytest.raises(ValidationError) as caught:
        give(db, gone, 5, key="k2")
    assert "停用" in str(caught.value)
    assert ledger_rows(db) == []
    assert audit_count(db) == 0


@pytest.mark.parametrize("kind", [ledger.KIND_REFUND, KIND_REPORT])
def test_only_a_refund_still_reaches_a_disabled_account(db, kind):
    gone = add_user(db, "gone", disabled=True)
    if kind == KIND_REPORT:
        with pytest.raises(ValidationError, match="停用"):
            ledger.award(db, None, user_id=gone.id, amount=5, kind=kind, reason="", key="k")
        assert ledger_rows(db) == []
    else:  # a cancelled redemption gives back what was taken, whatever became of the account
        ledger.award(db, None, user_id=gone.id, amount=5, kind=kind, reason="取消兑换", key="k")
        assert ledger.balance(db, gone.id) == 5


def test_an_unknown_kind_or_a_blank_key_is_refused(db):
    alice = add_user(db, "alice")
    with pytest.raises(ValidationError):
        ledger.award(db, None, user_id=alice.id, amount=5, kind="bonus", reason="", key="k")
    with pytest.raises(ValidationError):
        ledger.award(db, None, user_id=alice.id, amount=5, kind=KIND_REDEEM, reason="", key="k")
    with pytest.raises(ValidationError):
        ledger.award(db, None, user_id=alice.id, amount=5, kind=KIND_REPORT, reason="", key=" ")
    assert ledger_rows(db) == []


def test_a_resident_cannot_award_points_even_to_themself(db):
    alice = add_user(db, "alice")
    for kind in (KIND_SPECIAL, KIND_REPORT):
        with pytest.raises(PermissionDenied):
            ledger.award(db, alice, user_id=alice.id, amount=50, kind=kind, reason="自己奖励",
                         key=f"self:{kind}")
    assert ledger.balance(db, alice.id) == 0


def test_a_special_award_needs_staff_and_a_reason(db):
    alice = add_user(db, "alice")
    leader = add_user(db, "leader", LEADER)
    staff = add_user(db, "staff", STAFF)
    with pytest.raises(PermissionDenied):
        ledger.award(db, leader, user_id=alice.id, amount=20, kind=KIND_SPECIAL,
                     reason="让地修路", key="special:1")
    with pytest.raises(ValidationError) as caught:
        ledger.award(db, staff, user_id=alice.id, amount=20, kind=KIND_SPECIAL,
                     reason="  ", key="special:1")
    assert "理由" in caught.value.fields["reason"]
    entry = ledger.award(db, staff, user_id=alice.id, amount=20, kind=KIND_SPECIAL,
                         reason="让地修路", key="special:1")
    assert entry.actor_id == staff.id and entry.reason == "让地修路"
    assert ledger.balance(db, alice.id) == 20


def test_a_leader_can_award_volunteer_hours_to_a_neighbour(db):
    grid = build_grids(db)
    alice = placed_user(db, "alice", RESIDENT, grid["place_a"])
    leader = placed_user(db, "leader", LEADER, grid["place_a"], leads=grid["mg_a"])
    entry = ledger.award(db, leader, user_id=alice.id, amount=10, kind=KIND_VOLUNTEER,
                         reason="志愿服务 2 小时", key="hours:1")
    assert ledger.balance(db, alice.id) == 10 and entry.actor_id == leader.id


# --- who may grant what: every cell of the matrix in lib/points/ledger.py ----------------------------

ROLES = ["system", "guest", RESIDENT, LEADER, STAFF, ADMIN]
TARGETS = ["in", "out", "self"]
# The matrix, written out by hand (not derived from lib): (role, kind, target) that may award.
ALLOWED_AWARDS = (
    {("system", kind, target) for kind in ledger.AWARD_KINDS for target in ("in", "out")}
    | {(LEADER, KIND_VOLUNTEER, "in")}
    | {(role, kind, target) for role in (STAFF, ADMIN) for kind in (KIND_VOLUNTEER, KIND_SPECIAL)
       for target in ("in", "out")}
)


@pytest.fixture
def cast(db):
    """Everyone of the matrix: each actor lives in micro-grid A, which the leader leads."""
    return matrix_cast(db)


def _target(cast, role: str, target: str) -> int:
    if target != "self":
        return cast[target].id
    return cast[role].id if cast[role] is not None else None


def _cells(kinds):
    for role in ROLES:
        for kind in sorted(kinds):
            for target in TARGETS:
                if target == "self" and role in ("system", "guest"):
                    continue  # neither has a balance of its own
                yield role, kind, target


@pytest.mark.parametrize("role, kind, target", list(_cells(ledger.AWARD_KINDS)))
def test_every_cell_of_the_award_matrix(db, cast, role, kind, target):
    user_id = _target(cast, role, target)
    before, audits = ledger_rows(db), audit_count(db)
    call = dict(user_id=user_id, amount=7, kind=kind, reason="参加楼道清理", key="cell")
    if (role, kind, target) in ALLOWED_AWARDS:
        entry = ledger.award(db, cast[role], **call)
        assert ledger.balance(db, user_id) == 7
        assert entry.actor_id == (cast[role].id if cast[role] else None)
        assert len(ledger_rows(db)) == len(before) + 1
    else:
        with pytest.raises(PermissionDenied):
            ledger.award(db, cast[role], **call)
        assert ledger_rows(db) == before and audit_count(db) == audits
        assert not db.conn.in_transaction


@pytest.mark.parametrize("role, target, amount", [
    (role, target, amount) for role, _, target in _cells({KIND_SPECIAL}) for amount in (15, -5)])
def test_every_cell_of_the_correction_matrix(db, cast, role, target, amount):
    user_id = _target(cast, role, target)
    give(db, User(id=user_id, username="", display_name="", role=RESIDENT), 10)
    before = ledger_rows(db)
    call = dict(user_id=user_id, amount=amount, reason="录入错误", key="fix")
    if role == ADMIN and target != "self":
        ledger.correct(db, cast[role], **call)
        assert ledger.balance(db, user_id) == 10 + amount
    else:
        with pytest.raises(PermissionDenied):
            ledger.correct(db, cast[role], **call)
        assert ledger_rows(db) == before and ledger.balance(db, user_id) == 10


def test_a_leader_gives_nothing_to_a_neighbour_whose_household_is_not_verified(db, cast):
    pending = placed_user(db, "newcomer", RESIDENT, cast["grid"]["place_a"], status="pending")
    with pytest.raises(PermissionDenied):
        ledger.award(db, cast[LEADER], user_id=pending.id, amount=5, kind=KIND_VOLUNTEER,
                     reason="帮忙搬东西", key="k")
    assert ledger_rows(db) == []


def test_a_leader_without_a_micro_grid_gives_nothing(db, cast):
    lost = placed_user(db, "lost", LEADER, cast["grid"]["place_a"], leads=None)
    with pytest.raises(PermissionDenied):
        ledger.award(db, lost, user_id=cast["in"].id, amount=5, kind=KIND_VOLUNTEER,
                     reason="帮忙搬东西", key="k")
    assert ledger_rows(db) == []


def test_a_leader_cannot_give_themself_a_million_points(db, cast):
    for kind in ledger.AWARD_KINDS:
        with pytest.raises(PermissionDenied):
            ledger.award(db, cast[LEADER], user_id=cast[LEADER].id, amount=ledger.MAX_AMOUNT,
                         kind=kind, reason="辛苦了", key=f"me:{kind}")
    assert ledger.balance(db, cast[LEADER].id) == 0


@pytest.mark.parametrize("role, kind", [(LEADER, KIND_VOLUNTEER), (STAFF, KIND_VOLUNTEER),
                                        (STAFF, KIND_SPECIAL), (ADMIN, KIND_SPECIAL)])
def test_a_person_granting_points_must_say_why(db, cast, role, kind):
    with pytest.raises(ValidationError) as caught:
        ledger.award(db, cast[role], user_id=cast["in"].id, amount=5, kind=kind, reason="  ",
                     key="k")
    assert "理由" in caught.value.fields["reason"]
    assert ledger_rows(db) == []


def test_the_system_applies_a_rule_without_a_written_reason(db, cast):
    entry = ledger.award(db, None, user_id=cast["out"].id, amount=5, kind=KIND_REPORT,
                         reason="", key="k")
    assert entry.reason == "" and ledger.balance(db, cast["out"].id) == 5


def test_a_granted_key_replayed_after_the_neighbour_moved_away_is_refused(db, cast):
    leader, alice = cast[LEADER], cast["in"]
    call = dict(user_id=alice.id, amount=5, kind=KIND_VOLUNTEER, reason="值班", key="k")
    ledger.award(db, leader, **call)
    db.execute("UPDATE users SET household_id = NULL, household_status = 'none' WHERE id = ?",
               (alice.id,))
    db.conn.commit()
    with pytest.raises(PermissionDenied):
        ledger.award(db, leader, **call)
    assert ledger.balance(db, alice.id) == 5


# --- spends ----------------------------------------------------------------------------------

def test_a_spend_is_a_negative_entry_and_repeating_its_key_spends_once(db):
    alice = add_user(db, "alice")
    give(db, alice, 100)
    first = ledger.spend(db, alice, user_id=alice.id, amount=30, kind=KIND_REDEEM,
                         reason="兑换洗衣液", key="redeem:1")
    again = ledger.spend(db, alice, user_id=alice.id, amount=30, kind=KIND_REDEEM,
                         reason="兑换洗衣液", key="redeem:1")
    assert first == again and first.amount == -30 and first.actor_id == alice.id
    assert ledger.balance(db, alice.id) == 70
    assert len(ledger_rows(db)) == 2


def test_spending_below_zero_is_refused_and_nothing_is_stored(db):
    alice = add_user(db, "alice")
    give(db, alice, 25)
    audits = audit_count(db)
    with pytest.raises(InsufficientPoints) as caught:
        ledger.spend(db, alice, user_id=alice.id, amount=30, kind=KIND_REDEEM, reason="",
                     key="redeem:1")
    assert "当前余额 25" in str(caught.value)
    assert ledger.balance(db, alice.id) == 25
    assert len(ledger_rows(db)) == 1
    assert audit_count(db) == audits
    assert not db.conn.in_transaction


def test_spending_exactly_the_balance_leaves_zero(db):
    alice = add_user(db, "alice")
    give(db, alice, 25)
    ledger.spend(db, None, user_id=alice.id, amount=25, kind=KIND_REDEEM, reason="", key="r")
    assert ledger.balance(db, alice.id) == 0


def test_a_resident_cannot_spend_another_residents_points(db):
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    leader = add_user(db, "leader", LEADER)
    give(db, bob, 100)
    for actor in (alice, leader):
        with pytest.raises(PermissionDenied):
            ledger.spend(db, actor, user_id=bob.id, amount=10, kind=KIND_REDEEM, reason="",
                         key=f"steal:{actor.username}")
    assert ledger.balance(db, bob.id) == 100


def test_staff_can_spend_for_a_resident(db):
    grandma = add_user(db, "grandma")
    staff = add_user(db, "staff", STAFF)
    give(db, grandma, 100)
    entry = ledger.spend(db, staff, user_id=grandma.id, amount=40, kind=KIND_REDEEM,
                         reason="代办兑换大米", key="redeem:rice")
    assert entry.actor_id == staff.id and entry.user_id == grandma.id
    assert ledger.balance(db, grandma.id) == 60
    audit = db.execute("SELECT actor_id, action FROM audit_log ORDER BY id DESC").fetchone()
    assert audit == (staff.id, "points.spend")


def test_a_spend_inside_an_outer_transaction_rolls_back_with_it(db):
    alice = add_user(db, "alice")
    give(db, alice, 100)
    with pytest.raises(RuntimeError):
        with immediate(db):
            ledger.spend(db, alice, user_id=alice.id, amount=30, kind=KIND_REDEEM, reason="",
                         key="redeem:1")
            raise RuntimeError("stock ran out after the spend")
    assert ledger.balance(db, alice.id) == 100
    assert len(ledger_rows(db)) == 1


# --- corrections -----------------------------------------------------------------------------

def test_only_an_admin_can_correct_a_balance(db):
    alice = add_user(db, "alice")
    staff = add_user(db, "staff", STAFF)
    for actor in (None, alice, staff):
        with pytest.raises(PermissionDenied):
            ledger.correct(db, actor, user_id=alice.id, amount=10, reason="补录", key="fix:1")
    assert ledger_rows(db) == []


def test_a_correction_is_a_new_entry_with_a_required_reason(db):
    alice = add_user(db, "alice")
    admin = add_user(db, "admin", ADMIN)
    award = give(db, alice, 50, key="report:1")
    with pytest.raises(ValidationError):
        ledger.correct(db, admin, user_id=alice.id, amount=-30, reason="", key="fix:1")
    fix = ledger.correct(db, admin, user_id=alice.id, amount=-30, reason="误发，更正",
                         key="fix:1")
    assert fix.kind == ledger.KIND_CORRECTION and fix.amount == -30
    assert ledger.balance(db, alice.id) == 20
    assert ledger.history(db, alice.id) == [fix, award]


def test_a_negative_correction_cannot_take_the_balance_below_zero(db):
    alice = add_user(db, "alice")
    admin = add_user(db, "admin", ADMIN)
    give(db, alice, 20)
    with pytest.raises(InsufficientPoints):
        ledger.correct(db, admin, user_id=alice.id, amount=-30, reason="更正", key="fix:1")
    assert ledger.balance(db, alice.id) == 20
    assert len(ledger_rows(db)) == 1


# --- the ledger itself -----------------------------------------------------------------------

def test_the_ledger_refuses_raw_updates_and_deletes_and_nothing_changes(db):
    alice = add_user(db, "alice")
    give(db, alice, 20)
    before = ledger_rows(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE points_ledger SET amount = 9999")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM points_ledger")
    with pytest.raises(sqlite3.IntegrityError):
        db["points_ledger"].update(1, {"reason": "改一下"})
    assert ledger_rows(db) == before
    assert not db.conn.in_transaction


def test_history_pages_newest_first_by_id_without_gaps_or_overlap(db):
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    for n in range(25):
        give(db, alice, n + 1, key=f"a:{n}")
        give(db, bob, 1, key=f"b:{n}")
    pages, before = [], None
    while page := ledger.history(db, alice.id, limit=10, before_id=before):
        pages.append(page)
        before = page[-1].id
    assert [len(p) for p in pages] == [10, 10, 5]
    entries = [e for p in pages for e in p]
    assert [e.amount for e in entries] == list(range(25, 0, -1))
    assert all(e.user_id == alice.id for e in entries)
    ids = [e.id for e in entries]
    assert ids == sorted(ids, reverse=True)


def test_balance_and_history_are_answered_from_indexes(db):
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT COALESCE(SUM(amount), 0) FROM points_ledger WHERE user_id = ?",
        (1,)))
    assert "COVERING INDEX points_ledger_user_amount" in plan
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + ledger._SELECT
        + " WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?", (1, 100, 20)))
    assert "points_ledger_user_id" in plan and "TEMP B-TREE" not in plan


# --- races between processes -----------------------------------------------------------------

def _broken_spend(db, *, user_id: int, amount: int, key: str) -> None:
    """A spend done wrong on purpose: read, then write, with no transaction around both."""
    current = ledger.balance(db, user_id)
    if current < amount:
        raise InsufficientPoints("积分不足")
    time.sleep(0.003)  # the gap a real page has between reading and writing, made visible
    db.execute(
        "INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key, created_at)"
        " VALUES (?, ?, 'redeem', '', ?, ?)",
        (user_id, -amount, key, now_iso()),
    )


def _spender(path: str, user_id: int, worker: int, broken: bool, start, results) -> None:
    db = open_db(path, migrate=False)
    succeeded = 0
    start.wait()
    for attempt in range(SPENDS_EACH):
        key = f"race:{worker}:{attempt}"
        try:
            if broken:
                _broken_spend(db, user_id=user_id, amount=SPEND, key=key)
            else:
                ledger.spend(db, None, user_id=user_id, amount=SPEND, kind=KIND_REDEEM,
                             reason="", key=key)
            succeeded += 1
        except InsufficientPoints:
            pass
    db.close()
    results.put(succeeded)


def _race(path: Path, *, broken: bool) -> tuple[int, int]:
    """Run SPENDERS processes against one user holding START points; return (user, successes)."""
    db = open_db(path)
    user = add_user(db, "racer")
    give(db, user, START)
    db.close()
    outcomes = race(_spender, lambda n: (str(path), user.id, n, broken), workers=SPENDERS)
    succeeded = sum(outcomes)
    return user.id, succeeded


def ledger_violations(path: Path, user_id: int, succeeded: int) -> list[str]:
    """Every way the ledger can show an oversell; empty when START points bought START/SPEND."""
    db = open_db(path, migrate=False)
    amounts = [r[0] for r in db.execute(
        "SELECT amount FROM points_ledger WHERE user_id = ? ORDER BY id", (user_id,))]
    db.close()
    running = list(itertools.accumulate(amounts))
    spends = sum(1 for a in amounts if a < 0)
    problems = []
    if min(running) < 0:
        problems.append(f"balance went negative ({min(running)})")
    if running[-1] != 0:
        problems.append(f"final balance {running[-1]}, expected 0")
    if spends != START // SPEND:
        problems.append(f"{spends} spends stored, expected {START // SPEND}")
    if succeeded != spends:
        problems.append(f"{succeeded} spends reported, {spends} stored")
    return problems


@pytest.mark.slow
def test_eight_processes_spending_at_once_never_oversell(tmp_path):
    started = time.monotonic()
    user_id, succeeded = _race(tmp_path / "race.db", broken=False)
    assert ledger_violations(tmp_path / "race.db", user_id, succeeded) == []
    assert succeeded == START // SPEND
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_the_oversell_check_catches_a_spend_that_reads_outside_a_transaction(tmp_path):
    user_id, succeeded = _race(tmp_path / "race.db", broken=True)
    problems = ledger_violations(tmp_path / "race.db", user_id, succeeded)
    assert problems, "the broken spend did not oversell, so the race test proves nothing"
    assert succeeded > START // SPEND


# --- exact refusals: what the person is told, and under which field ------------------------------

def refusal(call) -> tuple[str, object]:
    with pytest.raises((ValidationError, PermissionDenied, NotFound, InsufficientPoints)) as caught:
        call()
    error = caught.value
    return type(error).__name__, getattr(error, "fields", str(error))


def test_every_refusal_says_exactly_what_is_wrong(db, cast):
    leader, staff, admin, alice = cast[LEADER], cast[STAFF], cast[ADMIN], cast["in"]
    stranger = cast["out"]
    give(db, alice, 10, key="seed")

    def award(actor, **fields):
        call = dict(user_id=alice.id, amount=5, kind=KIND_VOLUNTEER, reason="值班", key="k1")
        call.update(fields)
        return lambda: ledger.award(db, actor, **call)

    def spend(actor, **fields):
        call = dict(user_id=alice.id, amount=5, kind=KIND_REDEEM, reason="", key="s1")
        call.update(fields)
        return lambda: ledger.spend(db, actor, **call)

    def correct(actor, **fields):
        call = dict(user_id=alice.id, amount=5, reason="补录", key="c1")
        call.update(fields)
        return lambda: ledger.correct(db, actor, **call)

    expected = [
        (award(leader, kind=KIND_SPECIAL), ("PermissionDenied", "您不能发放“特别奖励”积分。")),
        (award(staff, kind=KIND_REPORT), ("PermissionDenied", "您不能发放“随手拍受理”积分。")),
        (award(leader, user_id=leader.id), ("PermissionDenied", "不能给自己发放积分。")),
        (award(leader, user_id=stranger.id),
         ("PermissionDenied", "只能给本微网格内已核实住户发放积分。")),
        (award(None, kind="bonus"), ("ValidationError", {"kind": "未知的积分类型：bonus。"})),
        (award(staff, reason=""), ("ValidationError", {"reason": "发放积分必须填写理由。"})),
        (award(None, amount=2.5), ("ValidationError", {"amount": "积分必须是整数。"})),
        (award(None, amount=0), ("ValidationError", {"amount": "积分必须大于 0。"})),
        (award(None, amount=ledger.MAX_AMOUNT + 1),
         ("ValidationError", {"amount": f"积分不能超过 {ledger.MAX_AMOUNT}。"})),
        (award(None, key=" "), ("ValidationError", {"key": "缺少有效的操作编号。"})),
        (award(None, key="x" * (ledger.MAX_KEY + 1)),
         ("ValidationError", {"key": "缺少有效的操作编号。"})),
        (award(None, reason="长" * (ledger.MAX_REASON + 1)),
         ("ValidationError", {"reason": f"理由不能超过 {ledger.MAX_REASON} 字。"})),
        (award(None, key="seed", amount=6),
         ("ValidationError", {"key": "该操作编号已用于另一笔积分记录，请刷新页面后重试。"})),
        (award(None, user_id=99999), ("NotFound", "找不到该用户。")),
        (spend(None, kind=KIND_REPORT), ("ValidationError", {"kind": "未知的积分类型：report。"})),
        (spend(stranger), ("PermissionDenied", "只能使用自己的积分。")),
        (spend(None, amount=0), ("ValidationError", {"amount": "积分必须大于 0。"})),
        (spend(None, amount=-5), ("ValidationError", {"amount": "积分必须大于 0。"})),
        (spend(None, amount=11),
         ("InsufficientPoints", "积分不足：当前余额 10 积分，本次需要 11 积分。")),
        (correct(admin, user_id=admin.id),
         ("PermissionDenied", "不能更正自己的积分，请由其他管理员操作。")),
        (correct(admin, reason=" "), ("ValidationError", {"reason": "积分更正必须填写理由。"})),
        (correct(admin, amount=0), ("ValidationError", {"amount": "积分不能为 0。"})),
        (correct(admin, amount=-ledger.MAX_AMOUNT - 1),
         ("ValidationError", {"amount": f"积分不能超过 {ledger.MAX_AMOUNT}。"})),
    ]
    before = ledger_rows(db)
    assert [refusal(call) for call, _ in expected] == [answer for _, answer in expected]
    assert ledger_rows(db) == before


def test_a_disabled_account_is_refused_under_its_own_field(db, cast):
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    assert refusal(lambda: give(db, cast["in"], 5)) == (
        "ValidationError", {"user_id": "该账号已停用，不能变动积分。"})


def test_the_limits_themselves_are_allowed(db, cast):
    alice = cast["in"]
    entry = ledger.award(db, cast[STAFF], user_id=alice.id, amount=ledger.MAX_AMOUNT,
                         kind=KIND_VOLUNTEER, reason="长" * ledger.MAX_REASON,
                         key="k" * ledger.MAX_KEY)
    assert entry.amount == ledger.MAX_AMOUNT and len(entry.reason) == ledger.MAX_REASON
    fix = ledger.correct(db, cast[ADMIN], user_id=alice.id, amount=-ledger.MAX_AMOUNT,
                         reason="误发", key="fix")
    assert fix.amount == -ledger.MAX_AMOUNT and ledger.balance(db, alice.id) == 0


def test_a_spend_keeps_its_reason_and_a_missing_reason_is_empty(db, cast):
    alice = cast["in"]
    give(db, alice, 100)
    first = ledger.spend(db, alice, user_id=alice.id, amount=5, kind=KIND_REDEEM,
                         reason="  兑换洗衣液 ", key="s1")
    second = ledger.spend(db, alice, user_id=alice.id, amount=5, kind=KIND_REDEEM,
                          reason=None, key="s2")
    assert (first.reason, second.reason) == ("兑换洗衣液", "")


def test_every_entry_is_audited_with_who_what_and_why(db, cast):
    alice, admin = cast["in"], cast[ADMIN]
    give(db, alice, 50, key="report:1")
    fix = ledger.correct(db, admin, user_id=alice.id, amount=-20, reason="误发", key="fix:1")
    spent = ledger.spend(db, alice, user_id=alice.id, amount=10, kind=KIND_REDEEM,
                         reason="兑换", key="r:1")
    assert fix.actor_id == admin.id
    rows = db.execute("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                      " ORDER BY id").fetchall()
    decoded = [(a, act, tt, tid, json.loads(d)) for a, act, tt, tid, d in rows]
    ids = [e.id for e in ledger.history(db, alice.id)][::-1]
    assert decoded == [
        (None, "points.award", "user", str(alice.id),
         {"entry_id": ids[0], "amount": 50, "kind": "report", "reason": "随手拍已受理"}),
        (admin.id, "points.correct", "user", str(alice.id),
         {"entry_id": ids[1], "amount": -20, "kind": "correction", "reason": "误发"}),
        (alice.id, "points.spend", "user", str(alice.id),
         {"entry_id": spent.id, "amount": -10, "kind": "redeem", "reason": "兑换"}),
    ]


def test_history_pages_are_twenty_by_default_and_between_one_and_five_hundred(db, cast):
    alice = cast["in"]
    db.conn.executemany(
        "INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key, created_at)"
        " VALUES (?, 1, 'report', '', ?, 'now')", [(alice.id, f"k{n}") for n in range(502)])
    db.conn.commit()
    assert len(ledger.history(db, alice.id)) == 20
    assert len(ledger.history(db, alice.id, limit=0)) == 1
    assert len(ledger.history(db, alice.id, limit=-3)) == 1
    assert len(ledger.history(db, alice.id, limit=2)) == 2
    assert len(ledger.history(db, alice.id, limit=501)) == 500
    assert len(ledger.history(db, alice.id, limit=500)) == 500
