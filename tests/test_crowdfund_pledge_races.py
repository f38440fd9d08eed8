"""Eight processes confirming pledges at once: one confirmation each, a match that never passes
its cap and shares that add up exactly."""
import time

import pytest

from lib.core.db import open_db, scalar
from lib.core.errors import InvalidTransition
from lib.core.roles import ADMIN, STAFF
from lib.crowdfund import money, pledges
from lib.people.users import load_user
from tests.crowdfund_helpers import make_project
from tests.races import WORKERS, race
from tests.volunteer_helpers import make_cast


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters: `make mutate` skips them


def _confirm(path: str, checker_id: int, pledge_ids: list[int], start, results) -> None:
    db = open_db(path, migrate=False)
    checker = load_user(db, checker_id)
    start.wait()
    confirmed, already = [], 0
    try:
        for pledge_id in pledge_ids:
            try:
                confirmed.append(pledges.confirm(db, checker, pledge_id=pledge_id).id)
            except InvalidTransition:
                already += 1
        results.put(("ok", confirmed, already))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error), 0))


def _setup(path, *, cap_fen, amounts) -> tuple[dict, int, list[int]]:
    db = open_db(path)
    cast = make_cast(db)
    project_id = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                              match_cap_fen=cap_fen)["id"]
    people = [cast["in"], cast["in2"], cast["out"], cast["unverified"]]
    ids = [pledges.pledge(db, people[n % 4], project_id=project_id, amount=money.yuan_text(fen),
                          method="cash", anonymous=False, key=f"p{n}").id
           for n, fen in enumerate(amounts)]
    checkers = [cast[STAFF].id, cast["staff2"].id, cast[ADMIN].id]
    db.close()
    return {"checkers": checkers}, project_id, ids


def test_eight_staff_confirming_one_pledge_confirm_it_once(tmp_path):
    path = tmp_path / "race.db"
    cast, project_id, (pledge_id,) = _setup(path, cap_fen=None, amounts=[10_000])
    started = time.monotonic()
    outcomes = race(_confirm, lambda n: (str(path), cast["checkers"][n % 3], [pledge_id]))
    elapsed = time.monotonic() - started
    assert all(kind == "ok" for kind, *_ in outcomes), outcomes
    assert sorted(len(done) for _, done, _ in outcomes) == [0] * (WORKERS - 1) + [1]
    assert sum(already for *_, already in outcomes) == WORKERS - 1
    db = open_db(path, migrate=False)
    assert db.execute("SELECT status, match_fen, points FROM crowdfund_pledges").fetchall() == \
        [("received", 50_000, 10)]
    assert db.execute("SELECT amount, idempotency_key FROM points_ledger").fetchall() == \
        [(10, f"crowdfund:{project_id}:pledge:{pledge_id}")]
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'crowdfund.pledge_confirm'") \
        == 1
    db.close()
    print(f"\n{WORKERS} processes confirming one pledge: 1 confirmed, {WORKERS - 1} refused,"
          f" {elapsed:.1f} s")
    assert elapsed < 20


def test_eight_staff_confirming_different_pledges_never_pass_the_cap(tmp_path):
    path = tmp_path / "race.db"
    # 48 pledges of 13.37-93.37 yuan at 5x against a cap of 5,000.01 yuan: the pool runs out
    # part-way through one pledge, whichever confirmation takes it
    amounts = [1_337 + (n * 1_999) % 8_001 for n in range(WORKERS * 6)]
    cap = 500_001
    cast, project_id, ids = _setup(path, cap_fen=cap, amounts=amounts)
    started = time.monotonic()
    outcomes = race(_confirm, lambda n: (str(path), cast["checkers"][n % 3], ids[n::WORKERS]))
    elapsed = time.monotonic() - started
    assert all(kind == "ok" for kind, *_ in outcomes), outcomes
    assert sorted(i for _, done, _ in outcomes for i in done) == sorted(ids)
    db = open_db(path, migrate=False)
    rows = db.execute("SELECT amount_fen, match_fen, points, decided_at FROM crowdfund_pledges"
                      " WHERE status = 'received'").fetchall()
    assert len(rows) == len(ids)
    shares = [match for _, match, _, _ in rows]
    assert sum(amount for amount, *_ in rows) == sum(amounts)
    assert sum(shares) == money.match_total(sum(amounts), 500, cap) == cap
    # as if one after another: full shares, then at most one cut short, then nothing
    full = sum(1 for (amount, match, *_) in rows if match == amount * 5)
    empty = sum(1 for share in shares if share == 0)
    assert len(rows) - full - empty <= 1 and full + empty >= len(rows) - 1
    assert all(points == amount // 1_000 for amount, _, points, _ in rows)
    ledger_points = scalar(db, "SELECT SUM(amount) FROM points_ledger WHERE kind = 'pledge'")
    assert ledger_points == sum(amount // 1_000 for amount in amounts)
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger") == len(ids)
    db.close()
    print(f"\n{WORKERS} processes confirming {len(ids)} pledges against a cap of"
          f" {money.yuan_text(cap)} yuan: match {money.yuan_text(sum(shares))},"
          f" {full} full shares, {empty} empty, {elapsed:.1f} s")
    assert elapsed < 20
