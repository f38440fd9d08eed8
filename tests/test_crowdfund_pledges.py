"""筹资: pledging, confirming with the match and points, who may do what, refunds on cancel."""
from __future__ import annotations

import json
import re

import pytest

from lib.core import rules
from lib.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.crowdfund import money, pledges
from lib.points import ledger
from tests.crowdfund_helpers import make_project
from tests.volunteer_helpers import make_cast


@pytest.fixture
def cast(db):
    return make_cast(db)


def project(db, cast, **kwargs) -> int:
    return make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                        **kwargs)["id"]


_keys = iter(range(10**9))


def give(db, actor, project_id, amount="100", *, method="cash", anonymous=False, key=None,
         for_user_id=None):
    return pledges.pledge(db, actor, project_id=project_id, amount=amount, method=method,
                          anonymous=anonymous, key=key or f"k{next(_keys)}",
                          for_user_id=for_user_id)


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return (db.execute("SELECT * FROM crowdfund_pledges ORDER BY id").fetchall(),
            db.execute("SELECT * FROM points_ledger ORDER BY id").fetchall(),
            db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


def exactly(message: str) -> str:
    return "^" + re.escape(message) + "$"


def audits(db, action: str, target_type: str = "crowdfund_pledge") -> list[tuple]:
    return [(r["actor_id"], r["target_id"], json.loads(r["detail"]))
            for r in db.query("SELECT * FROM audit_log WHERE action = ? AND target_type = ?"
                              " ORDER BY id", (action, target_type))]


def row(db, pledge_id: int) -> dict:
    return next(db.query("SELECT * FROM crowdfund_pledges WHERE id = ?", (pledge_id,)))


# --- pledging ----------------------------------------------------------------------------------

def test_a_resident_pledges_and_it_waits_as_renjuan(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid, "100.50", method="transfer", anonymous=True, key="a")
    assert (made.user_id, made.amount_fen, made.method, made.anonymous, made.status) == \
        (cast["in"].id, 10_050, "transfer", True, "pledged")
    assert (made.status_label, made.method_label, made.match_fen, made.points) == \
        ("认捐", "转账", 0, 0)
    assert made.address == "1-1 100" and made.project_title == "车棚地面硬化"
    assert made.proxy_by is None and made.is_pending
    assert audits(db, "crowdfund.pledge") == [(cast["in"].id, str(made.id), {
        "project": pid, "user": cast["in"].id, "yuan": "100.50", "method": "转账",
        "proxy": False})]
    assert ledger.balance(db, cast["in"].id) == 0  # a promise earns nothing yet


@pytest.mark.parametrize("role", ["in", "unverified", LEADER, STAFF, ADMIN])
def test_every_account_may_pledge_for_itself(db, cast, role):
    made = give(db, cast[role], project(db, cast))
    assert made.user_id == cast[role].id and made.proxy_by is None


def test_a_guest_is_asked_to_log_in_and_nothing_is_stored(db, cast):
    pid = project(db, cast)
    before = state(db)
    with pytest.raises(PermissionDenied, match="请先登录"):
        give(db, cast["guest"], pid)
    assert state(db) == before


@pytest.mark.parametrize("role", ["in", LEADER])
def test_only_staff_pledge_for_someone_else(db, cast, role):
    pid = project(db, cast)
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("只有社区工作人员可以代居民认捐。")):
        give(db, cast[role], pid, for_user_id=cast["in2"].id)
    assert state(db) == before


@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_pledge_for_a_resident_on_their_behalf(db, cast, role):
    made = give(db, cast[role], project(db, cast), "20", for_user_id=cast["in"].id)
    assert (made.user_id, made.proxy_by) == (cast["in"].id, cast[role].id)
    assert audits(db, "crowdfund.pledge")[0][2]["proxy"] is True


def test_for_user_id_of_oneself_is_not_a_proxy(db, cast):
    made = give(db, cast["in"], project(db, cast), for_user_id=cast["in"].id)
    assert made.proxy_by is None


def test_a_pledge_for_a_missing_or_disabled_account_stores_nothing(db, cast):
    pid = project(db, cast)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in2"].id,))
    db.conn.commit()
    before = state(db)
    with pytest.raises(NotFound):
        give(db, cast[STAFF], pid, for_user_id=99_999)
    with pytest.raises(ValidationError, match="停用"):
        give(db, cast[STAFF], pid, for_user_id=cast["in2"].id)
    assert state(db) == before


@pytest.mark.parametrize("amount, message", [
    (0, "金额必须大于 0。"), ("0", "金额必须大于 0。"), ("0.00", "金额必须大于 0。"),
    (-5, "金额必须大于 0。"), ("-5", "金额必须大于 0。"),
    ("0.001", "金额最多精确到分（小数点后两位）。"), ("1.005", "金额最多精确到分（小数点后两位）。"),
    ("abc", "请输入金额，例如 100 或 100.50。"), ("1e3", "请输入金额，例如 100 或 100.50。"),
    ("", "请输入金额。"), (None, "请输入金额。"), (True, "请输入金额，例如 100 或 100.50。"),
    ("100000.01", "金额不能超过 100,000.00 元，请检查是否多输了位数。"),
    (10**9, "金额不能超过 100,000.00 元，请检查是否多输了位数。"),
])
def test_a_bad_amount_is_refused_in_chinese_and_nothing_is_stored(db, cast, amount, message):
    pid = project(db, cast)
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in"], pid, amount)
    assert caught.value.fields == {"amount": message}
    assert state(db) == before


@pytest.mark.parametrize("amount, fen", [("0.01", 1), ("１００元", 10_000), ("1,000.5", 100_050),
                                         ("100000", 10_000_000), (50, 5_000)])
def test_amounts_as_people_type_them(db, cast, amount, fen):
    assert give(db, cast["in"], project(db, cast), amount).amount_fen == fen


def test_a_method_other_than_cash_or_transfer_is_refused(db, cast):
    pid = project(db, cast)
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in"], pid, method="alipay")
    assert caught.value.fields == {"method": "请选择交款方式：现金或转账。"}
    assert state(db) == before


@pytest.mark.parametrize("status, message", [
    ("draft", "该项目尚未发起，还不能认捐。"), ("building", "该项目已结束认捐，正在实施。"),
    ("done", "该项目已结束认捐，项目已完成。"), ("cancelled", "该项目已取消，不能认捐。"),
])
def test_a_project_that_is_not_raising_takes_no_pledge(db, cast, status, message):
    pid = project(db, cast, status=status)
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in"], pid)
    assert caught.value.fields == {"project": message}
    assert state(db) == before


def test_the_deadline_day_still_takes_pledges_and_the_day_after_does_not(db, cast):
    assert give(db, cast["in"], project(db, cast, deadline_days=0)).status == "pledged"
    late = project(db, cast, deadline_days=-1)
    deadline = next(db.query("SELECT deadline FROM crowdfund_projects WHERE id = ?", (late,)))
    before = state(db)
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in"], late)
    assert caught.value.fields == {
        "project": f"该项目已结束认捐（截止日期 {deadline['deadline']}）。"}
    assert state(db) == before


def test_a_missing_project_is_not_found(db, cast):
    with pytest.raises(NotFound, match="找不到该众筹项目"):
        give(db, cast["in"], 404)
    with pytest.raises(NotFound):
        pledges.preview(db, 404, 100)


def test_the_same_key_twice_pledges_once(db, cast):
    pid = project(db, cast)
    first = give(db, cast["in"], pid, "100", key="tap")
    again = give(db, cast["in"], pid, "100", key="tap")
    assert again == first
    assert db.execute("SELECT COUNT(*) FROM crowdfund_pledges").fetchone()[0] == 1
    assert len(audits(db, "crowdfund.pledge")) == 1


def test_a_key_used_by_someone_else_is_refused(db, cast):
    pid = project(db, cast)
    give(db, cast["in"], pid, key="tap")
    before = state(db)
    with pytest.raises(ValidationError, match="操作编号已用于另一笔认捐"):
        give(db, cast["in2"], pid, key="tap")
    assert state(db) == before


@pytest.mark.parametrize("key", ["", "   ", None, "x" * (pledges.KEY_MAX + 1), 5])
def test_a_missing_key_is_refused(db, cast, key):
    pid = project(db, cast)
    with pytest.raises(ValidationError, match="操作编号"):
        pledges.pledge(db, cast["in"], project_id=pid, amount="1", method="cash",
                       anonymous=False, key=key)
    assert state(db)[0] == []


def test_a_key_of_the_longest_length_is_allowed(db, cast):
    assert give(db, cast["in"], project(db, cast), key="x" * pledges.KEY_MAX).id


# --- preview: "你的100元 → 600元" -----------------------------------------------------------------

def test_a_preview_shows_what_a_pledge_becomes_at_five_times(db, cast):
    shown = pledges.preview(db, project(db, cast), 10_000)
    assert (shown.amount_fen, shown.match_fen, shown.total_fen) == (10_000, 50_000, 60_000)
    assert (shown.match_percent, shown.sponsor, shown.match_left_fen, shown.capped) == \
        (500, "街道办事处", None, False)


def test_a_preview_counts_only_confirmed_cash_against_the_cap(db, cast):
    pid = project(db, cast, match_cap_fen=100_000)  # 1,000 yuan of match
    confirmed = give(db, cast["in"], pid, "150")
    pledges.confirm(db, cast[STAFF], pledge_id=confirmed.id)
    give(db, cast["in2"], pid, "1000")  # waiting: may never arrive
    shown = pledges.preview(db, pid, 10_000)
    assert (shown.match_fen, shown.total_fen, shown.match_left_fen, shown.capped) == \
        (25_000, 35_000, 25_000, True)
    assert pledges.preview(db, pid, 5_000).capped is False  # exactly the pool left
    assert pledges.preview(db, pid, 0).total_fen == 0


@pytest.mark.parametrize("amount", [-1, True, "100", 1.5])
def test_a_preview_of_no_amount_is_refused(db, cast, amount):
    with pytest.raises(ValidationError):
        pledges.preview(db, project(db, cast), amount)


# --- confirming ----------------------------------------------------------------------------

def test_confirming_fixes_the_match_and_awards_points_once(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid, "100")
    done = pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    assert (done.status, done.status_label, done.match_fen, done.points, done.decided_by) == \
        ("received", "已到账", 50_000, 10, cast[STAFF].id)
    assert done.decided_at and not done.is_pending
    entries = ledger.history(db, cast["in"].id)
    assert [(e.amount, e.kind, e.actor_id, e.idempotency_key) for e in entries] == \
        [(10, "pledge", None, f"crowdfund:{pid}:pledge:{made.id}")]
    assert entries[0].reason == "众筹认捐到账：车棚地面硬化（100.00 元）"
    assert audits(db, "crowdfund.pledge_confirm") == [(cast[STAFF].id, str(made.id), {
        "project": pid, "user": cast["in"].id, "yuan": "100.00", "match": "500.00",
        "points": 10})]


def test_confirming_twice_is_refused_and_nothing_changes(db, cast):
    made = give(db, cast["in"], project(db, cast))
    pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    before = state(db)
    for actor in (cast[STAFF], cast["staff2"]):
        with pytest.raises(InvalidTransition, match=exactly("该认捐已确认到账，不能重复确认。")):
            pledges.confirm(db, actor, pledge_id=made.id)
    with pytest.raises(InvalidTransition):
        pledges.mark_not_received(db, cast[STAFF], pledge_id=made.id)
    assert state(db) == before


@pytest.mark.parametrize("action", [pledges.confirm, pledges.mark_not_received])
@pytest.mark.parametrize("role", ["guest", "in2", LEADER])
def test_only_staff_check_the_money(db, cast, role, action):
    made = give(db, cast["in"], project(db, cast))
    before = state(db)
    with pytest.raises(PermissionDenied):
        action(db, cast[role], pledge_id=made.id)
    assert state(db) == before


@pytest.mark.parametrize("action", [pledges.confirm, pledges.mark_not_received])
@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_and_admins_check_anyones_money(db, cast, role, action):
    made = give(db, cast["in"], project(db, cast))
    assert action(db, cast[role], pledge_id=made.id).decided_by == cast[role].id


@pytest.mark.parametrize("action", [pledges.confirm, pledges.mark_not_received])
def test_nobody_checks_their_own_pledge_or_one_they_entered(db, cast, action):
    pid = project(db, cast)
    own = give(db, cast[STAFF], pid)
    entered = give(db, cast[STAFF], pid, for_user_id=cast["in"].id)
    before = state(db)
    with pytest.raises(PermissionDenied, match="不能确认自己的认捐"):
        action(db, cast[STAFF], pledge_id=own.id)
    with pytest.raises(PermissionDenied, match="不能确认自己代办的认捐"):
        action(db, cast[STAFF], pledge_id=entered.id)
    assert state(db) == before
    assert action(db, cast["staff2"], pledge_id=entered.id).status != "pledged"


def test_a_missing_pledge_is_not_found(db, cast):
    for action in (pledges.confirm, pledges.mark_not_received, pledges.withdraw):
        with pytest.raises(NotFound, match="找不到编号为 7 的认捐"):
            action(db, cast[STAFF], pledge_id=7)


def test_not_received_closes_a_pledge_without_match_or_points(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid, "100")
    done = pledges.mark_not_received(db, cast[STAFF], pledge_id=made.id)
    assert (done.status_label, done.match_fen, done.points, done.withdrawn) == \
        ("未到账", 0, 0, False)
    before = state(db)
    with pytest.raises(InvalidTransition, match="未到账"):
        pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    assert state(db) == before
    assert [a[2]["yuan"] for a in audits(db, "crowdfund.pledge_not_received")] == ["100.00"]


@pytest.mark.parametrize("status", ["done", "cancelled", "draft"])
def test_a_project_no_longer_collecting_confirms_nothing(db, cast, status):
    pid = project(db, cast)
    made = give(db, cast["in"], pid)
    db.execute("UPDATE crowdfund_projects SET status = ? WHERE id = ?", (status, pid))
    db.conn.commit()
    before = state(db)
    with pytest.raises(InvalidTransition, match="不再收款"):
        pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    assert state(db) == before


def test_money_pledged_in_time_is_confirmed_while_building(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid, "10")
    db.execute("UPDATE crowdfund_projects SET status = 'building' WHERE id = ?", (pid,))
    db.conn.commit()
    assert pledges.confirm(db, cast[STAFF], pledge_id=made.id).match_fen == 5_000


@pytest.mark.parametrize("amount, rule, points", [
    ("9.99", 1, 0), ("10", 1, 1), ("99.99", 1, 9), ("100", 1, 10), ("100", 3, 30),
    ("1234.56", 2, 246), ("100000", 1, 10_000), ("50", 0, 0),
])
def test_points_are_the_rule_per_whole_ten_yuan(db, cast, amount, rule, points):
    rules.set_rule(db, cast[ADMIN], key="points.pledge_per_10_yuan", value=rule)
    assert rules.get(db, "points.pledge_per_10_yuan") == rule
    made = give(db, cast["in"], project(db, cast), amount)
    assert pledges.confirm(db, cast[STAFF], pledge_id=made.id).points == points
    assert ledger.balance(db, cast["in"].id) == points
    entries = db.execute("SELECT COUNT(*) FROM points_ledger").fetchone()[0]
    assert entries == (1 if points else 0)


def test_a_closed_account_keeps_its_confirmed_money_without_new_points(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid, "100")
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    done = pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    assert (done.status, done.match_fen, done.points) == ("received", 50_000, 0)
    assert ledger.balance(db, cast["in"].id) == 0


# --- the match: exact to the fen, stopping at the cap ----------------------------------------

def seed_amounts(total_fen: int, count: int) -> list[int]:
    """``count`` uneven amounts (odd fen) adding up to exactly ``total_fen``."""
    amounts = [(number * 7_919) % 60_000 + 1 for number in range(1, count)]
    amounts.append(total_fen - sum(amounts))
    assert all(amount > 0 for amount in amounts)
    return amounts


def test_the_seed_example_forty_thousand_at_five_times_is_240000(db, cast):
    pid = project(db, cast)
    people = [cast["in"], cast["in2"], cast["out"], cast["unverified"], cast[LEADER]]
    for number, fen in enumerate(seed_amounts(4_000_000, 120)):
        made = give(db, people[number % len(people)], pid, money.yuan_text(fen))
        checker = cast[STAFF] if number % 2 else cast["staff2"]
        pledges.confirm(db, checker, pledge_id=made.id)
    cash, match = db.execute("SELECT SUM(amount_fen), SUM(match_fen) FROM crowdfund_pledges"
                             " WHERE project_id = ? AND status = 'received'", (pid,)).fetchone()
    assert money.yuan_text(cash) == "40,000.00"
    assert money.yuan_text(match) == "200,000.00"
    assert money.yuan_text(cash + match) == "240,000.00"
    points = db.execute("SELECT SUM(amount) FROM points_ledger WHERE kind = 'pledge'").fetchone()
    expected = sum(fen // 1_000 for fen in seed_amounts(4_000_000, 120))
    assert points[0] == expected
    assert pledges.preview(db, pid, 10_000).total_fen == 60_000  # no cap: still 5x


def test_shares_of_an_uneven_ratio_add_up_to_the_match_of_the_sum(db, cast):
    pid = project(db, cast, match_percent=333)
    amounts = [1, 1, 1, 7, 13, 99, 1]
    for fen in amounts:
        made = give(db, cast["in"], pid, money.yuan_text(fen))
        pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    shares = [r[0] for r in db.execute("SELECT match_fen FROM crowdfund_pledges ORDER BY id")]
    assert sum(shares) == sum(amounts) * 333 // 100 == 409
    assert shares[:3] == [3, 3, 3]  # 3.33 fen each, the remainder arrives later


def test_with_a_cap_the_match_stops_exactly_there_and_later_pledges_unlock_nothing(db, cast):
    pid = project(db, cast, match_cap_fen=100_000)
    shares = []
    for amount in ("150", "100", "50", "0.01"):
        made = give(db, cast["in"], pid, amount)
        shares.append(pledges.confirm(db, cast[STAFF], pledge_id=made.id).match_fen)
    assert shares == [75_000, 25_000, 0, 0]
    left = pledges.preview(db, pid, 10_000)
    assert (left.match_fen, left.total_fen, left.match_left_fen, left.capped) == \
        (0, 10_000, 0, True)


def test_a_cap_of_nothing_and_a_match_of_nothing_unlock_nothing(db, cast):
    for kwargs in ({"match_cap_fen": 0}, {"match_percent": 0}):
        pid = project(db, cast, **kwargs)
        made = give(db, cast["in"], pid, "100")
        assert pledges.confirm(db, cast[STAFF], pledge_id=made.id).match_fen == 0


def test_cash_not_received_does_not_use_up_the_pool(db, cast):
    pid = project(db, cast, match_cap_fen=50_000)
    lost = give(db, cast["in"], pid, "100")
    kept = give(db, cast["in2"], pid, "100")
    pledges.mark_not_received(db, cast[STAFF], pledge_id=lost.id)
    assert pledges.confirm(db, cast[STAFF], pledge_id=kept.id).match_fen == 50_000


# --- withdrawing -------------------------------------------------------------------------------

def test_a_pledger_withdraws_their_own_waiting_pledge(db, cast):
    made = give(db, cast["in"], project(db, cast))
    done = pledges.withdraw(db, cast["in"], pledge_id=made.id)
    assert (done.status, done.withdrawn, done.status_label, done.decided_by) == \
        ("not_received", True, "已撤回", cast["in"].id)
    assert len(audits(db, "crowdfund.pledge_withdraw")) == 1


def test_a_pledge_entered_by_staff_is_withdrawn_by_its_pledger(db, cast):
    made = give(db, cast[STAFF], project(db, cast), for_user_id=cast["in"].id)
    before = state(db)
    with pytest.raises(PermissionDenied, match=exactly("只能撤回自己的认捐。")):
        pledges.withdraw(db, cast[STAFF], pledge_id=made.id)
    assert state(db) == before
    assert pledges.withdraw(db, cast["in"], pledge_id=made.id).withdrawn


@pytest.mark.parametrize("role", ["guest", "in2", LEADER, ADMIN])
def test_nobody_else_withdraws_a_pledge(db, cast, role):
    made = give(db, cast["in"], project(db, cast))
    before = state(db)
    with pytest.raises(PermissionDenied):
        pledges.withdraw(db, cast[role], pledge_id=made.id)
    assert state(db) == before


def test_a_confirmed_pledge_cannot_be_withdrawn(db, cast):
    made = give(db, cast["in"], project(db, cast))
    pledges.confirm(db, cast[STAFF], pledge_id=made.id)
    before = state(db)
    with pytest.raises(InvalidTransition, match="已确认到账"):
        pledges.withdraw(db, cast["in"], pledge_id=made.id)
    assert state(db) == before


# --- a cancelled project -------------------------------------------------------------------

def test_cancelling_refunds_received_money_and_closes_waiting_pledges(db, cast):
    pid = project(db, cast)
    other = project(db, cast)
    paid = give(db, cast["in"], pid, "100")
    pledges.confirm(db, cast[STAFF], pledge_id=paid.id)
    spent = give(db, cast["in2"], pid, "200")
    pledges.confirm(db, cast[STAFF], pledge_id=spent.id)  # 20 points, 15 spent on rice
    ledger.spend(db, cast["in2"], user_id=cast["in2"].id, amount=15, kind="redeem",
                 reason="大米", key="shop:1")
    waiting = give(db, cast["out"], pid, "50")
    elsewhere = give(db, cast["out"], other, "50")
    settled = pledges.settle_on_cancel(db, cast[STAFF], pid)
    assert settled == pledges.Settlement(refunded=2, refunded_fen=30_000, points_back=15,
                                         not_received=1)
    statuses = {p: row(db, p)["status"] for p in (paid.id, spent.id, waiting.id, elsewhere.id)}
    assert statuses == {paid.id: "refunded", spent.id: "refunded", waiting.id: "not_received",
                        elsewhere.id: "pledged"}
    assert row(db, paid.id)["refunded_by"] == cast[STAFF].id and row(db, paid.id)["refunded_at"]
    assert row(db, paid.id)["match_fen"] == 50_000  # the record of what it had unlocked stays
    assert pledges.get(db, paid.id).status_label == "已退款"
    assert (ledger.balance(db, cast["in"].id), ledger.balance(db, cast["in2"].id)) == (0, 0)
    backs = db.execute("SELECT user_id, amount, actor_id, idempotency_key FROM points_ledger"
                       " WHERE kind = 'pledge_refund' ORDER BY id").fetchall()
    assert backs == [(cast["in"].id, -10, None, f"crowdfund:{pid}:pledge:{paid.id}:refund"),
                     (cast["in2"].id, -5, None, f"crowdfund:{pid}:pledge:{spent.id}:refund")]
    assert [a[2]["points"] for a in audits(db, "crowdfund.pledge_refund")] == [10, 5]
    assert audits(db, "crowdfund.pledges_settle", "crowdfund_project")[0][2] == {
        "refunded": 2, "yuan": "300.00", "points": 15, "closed": 1}
    before = state(db)
    with pytest.raises(InvalidTransition, match="已退款"):
        pledges.confirm(db, cast[STAFF], pledge_id=paid.id)
    assert state(db) == before


def test_settling_inside_the_callers_transaction_rolls_back_with_it(db, cast):
    from lib.core.db import immediate
    pid = project(db, cast)
    paid = give(db, cast["in"], pid, "100")
    pledges.confirm(db, cast[STAFF], pledge_id=paid.id)
    before = state(db)
    with pytest.raises(RuntimeError):
        with immediate(db):
            pledges.settle_on_cancel(db, cast[STAFF], pid)
            raise RuntimeError("the cancellation failed after settling")
    assert state(db) == before


@pytest.mark.parametrize("role", ["guest", "in", LEADER])
def test_only_staff_settle_a_cancelled_project(db, cast, role):
    pid = project(db, cast)
    give(db, cast["in"], pid)
    before = state(db)
    with pytest.raises(PermissionDenied):
        pledges.settle_on_cancel(db, cast[role], pid)
    assert state(db) == before


def test_settling_a_missing_project_is_not_found(db, cast):
    with pytest.raises(NotFound):
        pledges.settle_on_cancel(db, cast[STAFF], 404)


# --- queries -----------------------------------------------------------------------------------

def test_staff_see_waiting_pledges_by_project_oldest_first(db, cast):
    first, second = project(db, cast, title="一"), project(db, cast, title="二")
    a = give(db, cast["in"], first, "1")
    b = give(db, cast["in2"], second, "2")
    c = give(db, cast["out"], first, "3")
    done = give(db, cast["in"], first, "4")
    pledges.confirm(db, cast[STAFF], pledge_id=done.id)
    assert [p.id for p in pledges.pending(db, cast[STAFF])] == [a.id, b.id, c.id]
    assert [p.id for p in pledges.pending(db, cast[ADMIN], project_id=first)] == [a.id, c.id]
    assert [p.id for p in pledges.pending(db, cast[STAFF], limit=1)] == [a.id]
    assert pledges.pending_by_project(db, cast[STAFF]) == [
        {"id": first, "title": "一", "count": 2, "sum_fen": 400},
        {"id": second, "title": "二", "count": 1, "sum_fen": 200}]
    assert pledges.pending(db, cast[STAFF])[0].user_name == "neighbour名"
    for role in ("guest", "in", LEADER):
        with pytest.raises(PermissionDenied):
            pledges.pending(db, cast[role])
        with pytest.raises(PermissionDenied):
            pledges.pending_by_project(db, cast[role])


def test_my_pledges_are_mine_newest_first(db, cast):
    first, second = project(db, cast), project(db, cast)
    a = give(db, cast["in"], first)
    give(db, cast["in2"], first)
    b = give(db, cast[STAFF], second, for_user_id=cast["in"].id)
    assert [p.id for p in pledges.mine(db, cast["in"])] == [b.id, a.id]
    assert [p.id for p in pledges.mine(db, cast["in"], project_id=first)] == [a.id]
    assert [p.id for p in pledges.mine(db, cast["in"], limit=1)] == [b.id]
    assert pledges.mine(db, cast["guest"]) == [] and pledges.mine(db, None) == []
    assert pledges.mine(db, cast[STAFF]) == []  # entered for someone: theirs, not staff's


# --- every write says who, what and how much in the audit log --------------------------------

def test_withdrawing_and_not_received_are_audited_in_full(db, cast):
    pid = project(db, cast)
    mine = give(db, cast["in"], pid, "12.5")
    lost = give(db, cast["in2"], pid, "20")
    pledges.withdraw(db, cast["in"], pledge_id=mine.id)
    pledges.mark_not_received(db, cast[STAFF], pledge_id=lost.id)
    assert audits(db, "crowdfund.pledge_withdraw") == [
        (cast["in"].id, str(mine.id), {"project": pid, "yuan": "12.50"})]
    assert audits(db, "crowdfund.pledge_not_received") == [
        (cast[STAFF].id, str(lost.id), {"project": pid, "user": cast["in2"].id, "yuan": "20.00"})]


def test_a_refund_is_audited_per_pledge_and_its_points_come_back_with_a_reason(db, cast):
    pid = project(db, cast)
    paid = give(db, cast["in"], pid, "10")  # exactly 1 point to take back
    pledges.confirm(db, cast[STAFF], pledge_id=paid.id)
    small = give(db, cast["in2"], pid, "5")  # no points: nothing to take back
    pledges.confirm(db, cast[STAFF], pledge_id=small.id)
    settled = pledges.settle_on_cancel(db, cast["staff2"], pid)
    assert settled == pledges.Settlement(refunded=2, refunded_fen=1_500, points_back=1,
                                         not_received=0)
    assert audits(db, "crowdfund.pledge_refund") == [
        (cast["staff2"].id, str(paid.id),
         {"project": pid, "user": cast["in"].id, "yuan": "10.00", "points": 1}),
        (cast["staff2"].id, str(small.id),
         {"project": pid, "user": cast["in2"].id, "yuan": "5.00", "points": 0})]
    assert audits(db, "crowdfund.pledges_settle", "crowdfund_project") == [
        (cast["staff2"].id, str(pid), {"refunded": 2, "yuan": "15.00", "points": 1, "closed": 0})]
    (entry,) = [e for e in ledger.history(db, cast["in"].id) if e.amount < 0]
    assert (entry.amount, entry.reason) == (-1, "众筹项目取消，认捐已退款：车棚地面硬化")
    assert ledger.balance(db, cast["in2"].id) == 0
    assert [row(db, p)["refunded_by"] for p in (paid.id, small.id)] == [cast["staff2"].id] * 2


def test_a_pledge_that_is_not_anonymous_says_so(db, cast):
    made = give(db, cast["in"], project(db, cast), anonymous=False)
    assert made.anonymous is False and made.method_label == "现金"


def test_a_double_tap_by_someone_else_is_refused_under_the_key_field(db, cast):
    pid = project(db, cast)
    give(db, cast["in"], pid, key="tap")
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in2"], pid, key="tap")
    assert caught.value.fields == {"key": "该操作编号已用于另一笔认捐，请刷新页面后重试。"}


def test_a_preview_of_a_negative_amount_names_the_amount(db, cast):
    with pytest.raises(ValidationError) as caught:
        pledges.preview(db, project(db, cast), -1)
    assert caught.value.fields == {"amount": "金额必须大于 0。"}


def test_a_pool_a_little_short_of_a_full_match_is_said_to_cap_it(db, cast):
    pid = project(db, cast, match_cap_fen=99_800)  # 998 yuan of match
    first = give(db, cast["in"], pid, "100")
    pledges.confirm(db, cast[STAFF], pledge_id=first.id)
    shown = pledges.preview(db, pid, 10_000)  # 500 yuan wanted, 498 left
    assert (shown.match_fen, shown.match_left_fen, shown.capped) == (49_800, 49_800, True)


def test_checking_ones_own_pledge_is_refused_in_exact_words(db, cast):
    pid = project(db, cast)
    own = give(db, cast[STAFF], pid)
    entered = give(db, cast[STAFF], pid, for_user_id=cast["in"].id)
    with pytest.raises(PermissionDenied, match=exactly("不能确认自己的认捐，请由其他工作人员确认。")):
        pledges.confirm(db, cast[STAFF], pledge_id=own.id)
    with pytest.raises(PermissionDenied,
                       match=exactly("不能确认自己代办的认捐，请由其他工作人员确认。")):
        pledges.confirm(db, cast[STAFF], pledge_id=entered.id)


def test_a_project_no_longer_collecting_says_so_in_exact_words(db, cast):
    pid = project(db, cast)
    made = give(db, cast["in"], pid)
    db.execute("UPDATE crowdfund_projects SET status = 'done' WHERE id = ?", (pid,))
    db.conn.commit()
    with pytest.raises(InvalidTransition, match=exactly("该项目已不再收款，不能确认到账。")):
        pledges.confirm(db, cast[STAFF], pledge_id=made.id)


@pytest.mark.parametrize("status, reason", [
    ("raising", None), ("draft", "该项目尚未发起，还不能认捐。"),
    ("cancelled", "该项目已取消，不能认捐。"),
])
def test_the_page_asks_why_a_project_takes_no_pledge(db, cast, status, reason):
    assert pledges.closed_reason(db, project(db, cast, status=status)) == reason
    with pytest.raises(NotFound):
        pledges.closed_reason(db, 404)


def test_refusals_name_their_field_in_exact_words(db, cast):
    pid = project(db, cast)
    with pytest.raises(NotFound, match=exactly("找不到该众筹项目。")):
        give(db, cast["in"], 404)
    with pytest.raises(NotFound, match=exactly("找不到该用户。")):
        give(db, cast[STAFF], pid, for_user_id=99_999)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast["in2"].id,))
    db.conn.commit()
    with pytest.raises(ValidationError) as caught:
        give(db, cast[STAFF], pid, for_user_id=cast["in2"].id)
    assert caught.value.fields == {"user": "该账号已停用，不能认捐。"}
    with pytest.raises(ValidationError) as caught:
        give(db, cast["in"], pid, key=" ")
    assert caught.value.fields == {"key": "缺少有效的操作编号，请刷新页面后重试。"}


def test_a_double_tap_returns_the_first_pledge_even_if_the_form_changed(db, cast):
    pid = project(db, cast)
    first = give(db, cast["in"], pid, "100", key="tap")
    assert give(db, cast["in"], pid, "abc", method="alipay", key="tap") == first


def test_a_double_tap_that_waited_for_the_lock_returns_the_first_pledge(db, cast, monkeypatch):
    pid = project(db, cast)
    first = give(db, cast["in"], pid, "100", key="tap")
    real, calls = pledges._by_key, []

    def not_yet_then_real(db_, key):  # the other tap had not committed when this one looked
        calls.append(key)
        return None if len(calls) == 1 else real(db_, key)

    monkeypatch.setattr(pledges, "_by_key", not_yet_then_real)
    assert give(db, cast["in"], pid, "100", key="tap") == first
    assert calls == ["tap", "tap"]
    with pytest.raises(ValidationError, match="另一笔认捐"):
        calls.clear()
        give(db, cast["in2"], pid, "100", key="tap")
    assert db.execute("SELECT COUNT(*) FROM crowdfund_pledges").fetchone()[0] == 1


def test_an_uneven_ratio_under_a_large_cap_is_not_said_to_be_capped(db, cast):
    pid = project(db, cast, match_percent=333, match_cap_fen=1_000_000)
    shown = pledges.preview(db, pid, 1)  # 3.33 fen rounds down to 3: that is not the cap
    assert (shown.match_fen, shown.capped) == (3, False)


def _many(db, cast, count: int, status: str = "pledged") -> int:
    pid = project(db, cast)
    db.conn.executemany("INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method,"
                        " status, submission_key, created_at)"
                        " VALUES (?, ?, 100, 'cash', ?, ?, 'now')",
                        [(pid, cast["in"].id, status, f"m{n}") for n in range(count)])
    db.conn.commit()
    return pid


def test_the_queues_show_fifty_at_first_and_at_most_five_hundred(db, cast):
    pid = _many(db, cast, 501)
    for query in (lambda **kw: pledges.pending(db, cast[STAFF], **kw),
                  lambda **kw: pledges.pending(db, cast[STAFF], project_id=pid, **kw),
                  lambda **kw: pledges.mine(db, cast["in"], **kw),
                  lambda **kw: pledges.mine(db, cast["in"], project_id=pid, **kw)):
        assert len(query()) == 50
        assert len(query(limit=10_000)) == 500
        assert len(query(limit=0)) == 1
