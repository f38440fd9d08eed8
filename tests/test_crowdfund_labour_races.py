"""Eight residents taking a slot's last places at once: never more sign-ups than the headcount."""
import time

import pytest

from lib.core.db import open_db
from lib.core.roles import RESIDENT, STAFF
from lib.crowdfund import labour
from lib.people.users import load_user
from tests.crowdfund_helpers import make_project
from tests.races import WORKERS, race
from tests.volunteer_helpers import build_grids, placed_user


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters: `make mutate` skips them


def _take(path: str, user_id: int, task_id: int, start, results) -> None:
    db = open_db(path, migrate=False)
    resident = load_user(db, user_id)
    start.wait()
    began = time.monotonic()
    try:
        signup = labour.sign_up(db, resident, task_id=task_id)
        outcome = ("ok", signup["id"])
    except labour.SlotFull as error:
        outcome = ("full", str(error))
    except Exception as error:  # reported to the parent, which asserts on it
        outcome = ("error", repr(error))
    results.put((*outcome, time.monotonic() - began))


def _race(path, user_ids: list[int], task_id: int) -> tuple[list, float, float]:
    """Outcomes, the slowest answer after the barrier, and the whole race with start-up."""
    started = time.monotonic()
    answers = race(_take, lambda n: (str(path), user_ids[n], task_id))
    elapsed = time.monotonic() - started
    return [(kind, detail) for kind, detail, _ in answers], max(a[2] for a in answers), elapsed


def _slot_with(tmp_path, *, headcount: int, taken: int) -> tuple:
    """A raising project whose one slot has ``taken`` of ``headcount`` places gone."""
    path = tmp_path / "race.db"
    db = open_db(path)
    place = build_grids(db)["place_a"]
    staff = placed_user(db, "staff", STAFF, place)
    project = make_project(db, created_by=staff.id, place_id=place,
                           tasks=(dict(headcount=headcount, half_hours=4),))
    task_id = project["tasks"][0]
    for n in range(taken):
        labour.sign_up(db, placed_user(db, f"early{n}", RESIDENT, place), task_id=task_id)
    takers = [placed_user(db, f"taker{n}", RESIDENT, place).id for n in range(WORKERS)]
    db.close()
    return path, task_id, takers


def _check(path, task_id: int, outcomes: list, *, winners: int, headcount: int) -> None:
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["full"] * (WORKERS - winners) + ["ok"] * winners, outcomes
    assert {detail for kind, detail in outcomes if kind == "full"} == {"该时段名额已满"}
    db = open_db(path, migrate=False)
    slot = labour.get_slot(db, task_id)
    assert (slot.taken, slot.left) == (headcount, 0)
    assert db.execute("SELECT COUNT(*) FROM crowdfund_signups WHERE task_id = ?",
                      (task_id,)).fetchone()[0] == headcount
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'crowdfund.labour_signup'"
                      ).fetchone()[0] == headcount
    db.close()


def test_eight_residents_taking_the_last_place_leave_one_winner(tmp_path):
    path, task_id, takers = _slot_with(tmp_path, headcount=5, taken=4)
    outcomes, slowest, elapsed = _race(path, takers, task_id)
    _check(path, task_id, outcomes, winners=1, headcount=5)
    print(f"last place: 1 of {WORKERS} won; answers within {slowest:.3f} s of the barrier,"
          f" {elapsed:.2f} s with start-up")
    # the lock queues the eight writers: none waits anywhere near the 10 s busy timeout
    assert slowest < 5, slowest


def test_eight_residents_taking_three_places_leave_three_winners(tmp_path):
    path, task_id, takers = _slot_with(tmp_path, headcount=10, taken=7)
    outcomes, slowest, elapsed = _race(path, takers, task_id)
    _check(path, task_id, outcomes, winners=3, headcount=10)
    print(f"three places: 3 of {WORKERS} won; answers within {slowest:.3f} s of the barrier,"
          f" {elapsed:.2f} s with start-up")
    assert slowest < 5, slowest
