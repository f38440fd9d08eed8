"""Eight staff publishing one month at once: exactly one publication and one reward."""
import time

import pytest

from lib.core import clock
from lib.core.db import open_db
from lib.core.errors import ValidationError
from lib.people.users import load_user
from lib.ranking import publish
from tests.crowdfund_helpers import make_project
from tests.ranking_world import MONTH, NOW, build_world, household, person
from tests.races import race


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters: `make mutate` skips them


def _publish(path: str, actor_id: int, reward: dict, start, results) -> None:
    db = open_db(path, migrate=False)
    actor = load_user(db, actor_id)
    start.wait()
    began = time.monotonic()
    try:
        with clock.pretend(NOW):
            publish.publish(db, actor, month=MONTH, confirm_missing=True, **reward)
        results.put(("ok", None, time.monotonic() - began))
    except ValidationError as error:
        results.put(("already", error.fields.get("month"), time.monotonic() - began))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error), 0))


def _world(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    with clock.pretend(NOW):
        world = build_world(db)
        staff = [world["staff"].id, world["admin"].id,
                 *(person(db, f"网格员{n}", "staff").id for n in range(2))]
    return path, db, world, staff


def _outcomes(outcomes: list) -> None:
    assert sorted(kind for kind, _, _ in outcomes) == ["already"] * 7 + ["ok"], outcomes
    assert {detail for kind, detail, _ in outcomes if kind == "already"} == {
        "2026年10月的评比已公布，不能再修改。"}
    # timed from the barrier: eight interpreters starting on a busy machine are not the race
    assert max(seconds for _, _, seconds in outcomes) < 20, outcomes


def test_eight_staff_publishing_one_month_give_the_points_reward_once(tmp_path):
    path, db, world, staff = _world(tmp_path)
    neighbour = person(db, "钱七", household_id=household(db, world["y"], 1))
    db.close()
    outcomes = race(_publish, lambda n: (str(path), staff[n % 4],
                                         {"reward_kind": "points", "reward_points": 15}))
    _outcomes(outcomes)
    db = open_db(path, migrate=False)
    assert db.execute("SELECT status FROM ranking_months").fetchall() == [("published",)]
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT rank) FROM ranking_results").fetchone() == (4, 4)
    assert sorted(db.execute("SELECT user_id, amount FROM points_ledger").fetchall()) == sorted(
        [(world["y1"].id, 15), (neighbour.id, 15)])
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'ranking.publish'"
                      ).fetchone() == (1,)


def test_eight_staff_publishing_one_month_pay_one_grant(tmp_path):
    path, db, world, staff = _world(tmp_path)
    project = make_project(db, created_by=world["staff"].id, place_id=world["x"])
    db.close()
    outcomes = race(_publish, lambda n: (str(path), staff[n % 4], {
        "reward_kind": "project", "reward_yuan": "800", "reward_project_id": project["id"]}))
    _outcomes(outcomes)
    db = open_db(path, migrate=False)
    assert db.execute("SELECT project_id, amount_fen, submission_key FROM crowdfund_grants"
                      ).fetchall() == [(project["id"], 80_000, f"ranking:{MONTH}:reward")]
    assert db.execute("SELECT reward_kind, reward_fen FROM ranking_months").fetchone() == (
        "project", 80_000)
