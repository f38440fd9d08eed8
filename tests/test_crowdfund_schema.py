"""The schema's own guards (m011): they hold whatever the code above them does."""
import sqlite3

import pytest

from lib.core.clock import now_iso
from lib.core.roles import RESIDENT, STAFF
from tests.crowdfund_helpers import make_project
from tests.volunteer_helpers import build_grids, placed_user


@pytest.fixture
def cast(db):
    grid = build_grids(db)
    return {"grid": grid, "staff": placed_user(db, "staff", STAFF, grid["place_a"]),
            "a": placed_user(db, "a", RESIDENT, grid["place_a"]),
            "b": placed_user(db, "b", RESIDENT, grid["place_a"])}


def project(db, cast, **kwargs):
    return make_project(db, created_by=cast["staff"].id, place_id=cast["grid"]["place_a"],
                        **kwargs)


def test_terms_are_editable_in_draft_and_fixed_after_launch(db, cast):
    draft = project(db, cast, status="draft")
    db.execute("UPDATE crowdfund_projects SET match_percent = 300 WHERE id = ?", (draft["id"],))
    live = project(db, cast)
    for column, value in (("match_percent", 300), ("match_cap_fen", 1), ("labour_hour_fen", 1)):
        with pytest.raises(sqlite3.IntegrityError, match="fixed at launch"):
            db.execute(f"UPDATE crowdfund_projects SET {column} = ? WHERE id = ?",
                       (value, live["id"]))
    db.execute("UPDATE crowdfund_projects SET title = '新标题' WHERE id = ?", (live["id"],))
    row = db.execute("SELECT match_percent, title FROM crowdfund_projects WHERE id = ?",
                     (live["id"],)).fetchone()
    assert row == (500, "新标题")


def signup(db, task_id, user_id, status="signed"):
    db.execute("INSERT INTO crowdfund_signups (task_id, user_id, status, created_at)"
               " VALUES (?, ?, ?, ?)", (task_id, user_id, status, now_iso()))


def test_a_slot_cannot_be_overbooked_or_taken_twice(db, cast):
    task = project(db, cast, tasks=({"headcount": 1},))["tasks"][0]
    signup(db, task, cast["a"].id)
    with pytest.raises(sqlite3.IntegrityError, match="full"):
        signup(db, task, cast["b"].id)
    db.execute("UPDATE crowdfund_signups SET status = 'withdrawn' WHERE user_id = ?",
               (cast["a"].id,))
    signup(db, task, cast["b"].id)
    with pytest.raises(sqlite3.IntegrityError):
        signup(db, task, cast["b"].id, status="attended")  # one live place per person
    live = db.execute("SELECT COUNT(*) FROM crowdfund_signups WHERE status != 'withdrawn'")
    assert live.fetchone()[0] == 1


def pledge(db, project_id, user_id, amount, match, status="received", key="k"):
    db.execute("INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method, status,"
               " match_fen, submission_key, created_at) VALUES (?, ?, ?, 'cash', ?, ?, ?, ?)",
               (project_id, user_id, amount, status, match, key, now_iso()))


def spend(db, project_id, amount, key):
    db.execute("INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on,"
               " recorded_by, submission_key, created_at) VALUES (?, ?, '水泥', '2026-11-01', 1,"
               " ?, ?)", (project_id, amount, key, now_iso()))


def test_spending_never_exceeds_confirmed_cash_and_match(db, cast):
    project_id = project(db, cast)["id"]
    pledge(db, project_id, cast["a"].id, 10_000, 50_000, key="p1")
    pledge(db, project_id, cast["b"].id, 99_999, 0, status="pledged", key="p2")  # not held
    spend(db, project_id, 59_999, "s1")
    with pytest.raises(sqlite3.IntegrityError, match="exceeds"):
        spend(db, project_id, 2, "s2")
    spend(db, project_id, 1, "s3")
    spent = db.execute("SELECT SUM(amount_fen) FROM crowdfund_spending").fetchone()[0]
    assert spent == 60_000
