"""Eight processes reviewing one entry, or crediting one attendee, at once: points exactly once."""
import time

import pytest

from lib.core.clock import local_today
from lib.core.db import open_db
from lib.core.errors import InvalidTransition, ValidationError
from lib.core.roles import LEADER, STAFF
from lib.people.users import load_user
from lib.points import ledger
from lib.volunteer import hours
from tests.races import race
from tests.volunteer_helpers import make_cast


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters: `make mutate` skips them


def _approve(path: str, reviewer_id: int, hours_id: int, start, results) -> None:
    db = open_db(path, migrate=False)
    reviewer = load_user(db, reviewer_id)
    start.wait()
    try:
        entry = hours.approve(db, reviewer, hours_id=hours_id)
        results.put(("ok", entry["points"]))
    except InvalidTransition:
        results.put(("already", None))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error)))


def _add(path: str, reviewer_id: int, event_id: int, user_id: int, worker: int, start,
         results) -> None:
    db = open_db(path, migrate=False)
    reviewer = load_user(db, reviewer_id)
    start.wait()
    try:
        hours.add_attendees(db, reviewer, event_id=event_id, user_ids=[user_id],
                            key=f"race:{worker}")
        results.put(("ok", worker))
    except ValidationError as error:
        results.put(("already", error.fields.get("attendees")))
    except Exception as error:
        results.put(("error", repr(error)))


def test_eight_reviewers_approving_one_entry_award_its_points_once(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    entry = hours.log_hours(db, cast["in"], activity="楼道清扫", served_on=local_today(),
                            half_hours=4, key="k")
    reviewers = [cast[LEADER].id, cast[STAFF].id, cast["staff2"].id, cast["admin"].id]
    db.close()
    started = time.monotonic()
    outcomes = race(_approve, lambda n: (str(path), reviewers[n % 4], entry["id"]))
    elapsed = time.monotonic() - started
    assert sorted(kind for kind, _ in outcomes) == ["already"] * 7 + ["ok"], outcomes
    db = open_db(path, migrate=False)
    assert ledger.balance(db, cast["in"].id) == 10
    assert [e.idempotency_key for e in ledger.history(db, cast["in"].id)] == [f"volunteer:{entry['id']}"]
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'volunteer.approve'"
                      ).fetchone()[0] == 1
    assert elapsed < 20, elapsed


def test_eight_leaders_adding_one_attendee_credit_them_once(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    event = hours.record_event(db, cast[LEADER], name="敬老探访", held_on=local_today(),
                               half_hours=2, attendee_ids=[cast["in"].id], key="e")
    db.close()
    outcomes = race(_add, lambda n: (str(path), cast[LEADER if n % 2 else STAFF].id, event["id"],
                                     cast["in2"].id, n))
    assert sorted(kind for kind, _ in outcomes) == ["already"] * 7 + ["ok"], outcomes
    assert {detail for kind, detail in outcomes if kind == "already"} == {
        "neighbour2名 已记录过本次活动的时长，不能重复记录。"}
    db = open_db(path, migrate=False)
    assert ledger.balance(db, cast["in2"].id) == 5
    assert db.execute("SELECT COUNT(*) FROM volunteer_hours WHERE event_id = ? AND user_id = ?",
                      (event["id"], cast["in2"].id)).fetchone()[0] == 1
