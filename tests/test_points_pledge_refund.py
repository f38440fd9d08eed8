"""认捐退款: the system alone takes back a refunded pledge's points (lib/points/ledger.py)."""
from __future__ import annotations

import pytest

from lib.core.clock import local_today
from lib.core.errors import InsufficientPoints, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.points import ledger
from lib.points.ledger import KIND_PLEDGE, KIND_PLEDGE_REFUND
from tests.volunteer_helpers import matrix_cast


@pytest.fixture
def cast(db):
    return matrix_cast(db)


def earn(db, user_id: int, amount: int, key: str = "crowdfund:1:pledge:1") -> None:
    ledger.award(db, None, user_id=user_id, amount=amount, kind=KIND_PLEDGE, reason="认捐到账",
                 key=key)


def take_back(db, actor, user_id: int, amount: int, key: str = "crowdfund:1:pledge:1:refund"):
    return ledger.spend(db, actor, user_id=user_id, amount=amount, kind=KIND_PLEDGE_REFUND,
                        reason="项目取消，认捐已退款", key=key)


def rows(db) -> list[tuple]:
    return db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall()


def year_earned(db, user_id: int) -> int:
    row = db.execute("SELECT earned FROM points_year_totals WHERE user_id = ? AND year = ?",
                     (user_id, local_today().year)).fetchone()
    return row[0] if row else 0


def test_the_system_takes_back_a_refunded_pledges_points_once(db, cast):
    neighbour = cast["in"]
    earn(db, neighbour.id, 10)
    entry = take_back(db, None, neighbour.id, 10)
    again = take_back(db, None, neighbour.id, 10)
    assert again == entry
    assert (entry.amount, entry.kind, entry.actor_id) == (-10, KIND_PLEDGE_REFUND, None)
    assert entry.kind_label == "认捐退款"
    assert ledger.balance(db, neighbour.id) == 0
    # the points were earned by an event that did not happen after all: the year's board drops
    assert year_earned(db, neighbour.id) == 0
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'points.spend'"
                      ).fetchone()[0] == 1


@pytest.mark.parametrize("role", [RESIDENT, "in", LEADER, STAFF, ADMIN])
def test_nobody_may_write_a_pledge_refund_by_hand(db, cast, role):
    neighbour = cast["in"]
    earn(db, neighbour.id, 10)
    before = rows(db)
    with pytest.raises(PermissionDenied, match="只能由系统"):
        take_back(db, cast[role], neighbour.id, 5)
    assert rows(db) == before and ledger.balance(db, neighbour.id) == 10


def test_a_pledge_refund_is_not_an_award_kind(db, cast):
    with pytest.raises(ValidationError, match="未知"):
        ledger.award(db, None, user_id=cast["in"].id, amount=5, kind=KIND_PLEDGE_REFUND,
                     reason="", key="crowdfund:1:pledge:1:refund")
    assert KIND_PLEDGE_REFUND not in ledger.AWARD_KINDS and rows(db) == []


def test_a_pledge_refund_never_takes_a_balance_below_zero(db, cast):
    neighbour = cast["in"]
    earn(db, neighbour.id, 3)
    with pytest.raises(InsufficientPoints):
        take_back(db, None, neighbour.id, 4)
    assert ledger.balance(db, neighbour.id) == 3


def test_a_pledge_refund_still_reaches_a_disabled_account(db, cast):
    neighbour = cast["in"]
    earn(db, neighbour.id, 10)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (neighbour.id,))
    db.conn.commit()
    take_back(db, None, neighbour.id, 10)
    assert ledger.balance(db, neighbour.id) == 0
