"""议题 writes racing from 8 processes: one topic per report, one topic per submission key,
one support per person, however the taps interleave."""
from __future__ import annotations

import time

import pytest

from lib.core.db import open_db
from lib.core.roles import STAFF
from lib.council import topics
from lib.people.users import load_user
from lib.reports import workflow
from tests.races import race
from tests.volunteer_helpers import make_cast, placed_user


pytestmark = pytest.mark.slow  # each test spawns 8 interpreters: `make mutate` skips them


def _run(path: str, actor_id: int, job: str, arg, start, results) -> None:
    db = open_db(path, migrate=False)
    actor = load_user(db, actor_id)
    start.wait()
    began = time.monotonic()
    try:
        if job == "from_report":
            outcome = topics.from_report(db, actor, report_id=arg)
        elif job == "propose":
            outcome = topics.propose(db, actor, data_dir=None, title="大门加装雨棚",
                                     body="下雨天没有地方避雨。", key=arg)
        else:
            outcome = topics.support(db, actor, topic_id=arg)
        results.put(("ok", outcome, time.monotonic() - began))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", repr(error), 0))


@pytest.fixture
def world(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    staff = [cast[STAFF].id, cast["staff2"].id, cast["admin"].id,
             *(placed_user(db, f"racer{n}", STAFF, cast["grid"]["place_a"]).id for n in range(5))]
    category = db.execute("SELECT id FROM report_categories LIMIT 1").fetchone()[0]
    report = workflow.file_report(db, cast["in"], data_dir=tmp_path, place_id=cast["grid"]["place_a"],
                                  category_id=category, description="车棚的灯坏了",
                                  photo_files=[], submission_key="race-report")
    db.conn.close()
    return {"path": str(path), "cast": cast, "staff": staff, "report": report["id"]}


def _all_ok(outcomes: list) -> set:
    assert {kind for kind, _, _ in outcomes} == {"ok"}, outcomes
    assert max(seconds for *_, seconds in outcomes) < 20, outcomes
    return {value for _, value, _ in outcomes}


def test_eight_staff_turning_one_report_into_a_topic_make_one_topic(world):
    outcomes = race(_run, lambda n: (world["path"], world["staff"][n], "from_report",
                                     world["report"]))
    assert len(_all_ok(outcomes)) == 1  # every tap answers with the same topic
    db = open_db(world["path"], migrate=False)
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.topic_from_report'"
                      ).fetchone()[0] == 1


def test_eight_taps_of_one_proposal_and_of_one_support_write_once(world):
    resident = world["cast"]["in"].id
    outcomes = race(_run, lambda n: (world["path"], resident, "propose", "same-key"))
    (topic_id,) = _all_ok(outcomes)
    outcomes = race(_run, lambda n: (world["path"], resident, "support", topic_id))
    assert sorted(value for _, value, _ in outcomes) == [False] * 7 + [True], outcomes
    db = open_db(world["path"], migrate=False)
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM council_support").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.topic_support'"
                      ).fetchone()[0] == 1
