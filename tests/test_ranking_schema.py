"""The schema's own guards for 星级楼栋 (m012): they hold whatever the code above them does."""
import sqlite3

import pytest

from lib.core.clock import now_iso
from lib.core.roles import LEADER, STAFF
from tests.crowdfund_helpers import make_project
from tests.volunteer_helpers import build_grids, placed_user


@pytest.fixture
def cast(db):
    grid = build_grids(db)
    return {"grid": grid, "staff": placed_user(db, "staff", STAFF, grid["place_a"]),
            "leader": placed_user(db, "leader", LEADER, grid["place_a"], leads=grid["mg_a"])}


def rate(db, month, place_id, rater_id, stars):
    rating = db.execute("INSERT INTO ranking_ratings (month, place_id, rater_id, updated_at)"
                        " VALUES (?, ?, ?, ?)", (month, place_id, rater_id, now_iso())).lastrowid
    db.execute("INSERT INTO ranking_stars (rating_id, criterion_id, stars) VALUES (?, 1, ?)",
               (rating, stars))
    return rating


def result(db, month, place_id, rank=1):
    db.execute("INSERT INTO ranking_results (month, place_id, rank, score_tenths, stars,"
               " rated_tenths, participation_tenths) VALUES (?, ?, ?, 800, 4, 800, 800)",
               (month, place_id, rank))


def open_month(db, month, status="draft"):
    db.execute("INSERT INTO ranking_months (month, status, created_at) VALUES (?, ?, ?)",
               (month, status, now_iso()))


def test_the_default_weights_add_up_to_100_with_one_participation_index(db):
    rows = db.execute("SELECT name, kind, weight FROM ranking_criteria ORDER BY position").fetchall()
    assert [name for name, _, _ in rows] == ["环境卫生", "楼道整洁", "车辆停放", "邻里和睦", "参与度"]
    assert sum(weight for _, _, weight in rows) == 100
    assert [weight for _, kind, weight in rows if kind == "participation"] == [30]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO ranking_criteria (name, kind, weight) VALUES ('又一个', 'participation', 0)")


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-01", "2026-1", "abcd-ef"])
def test_a_month_is_a_real_calendar_month(db, month):
    with pytest.raises(sqlite3.IntegrityError):
        open_month(db, month)


@pytest.mark.parametrize("stars", [0, 6])
def test_stars_stay_on_the_scale(db, cast, stars):
    open_month(db, "2026-10")
    with pytest.raises(sqlite3.IntegrityError):
        rate(db, "2026-10", cast["grid"]["place_a"], cast["leader"].id, stars)


def test_a_published_month_is_frozen_until_a_correction_opens_it(db, cast):
    place = cast["grid"]["place_a"]
    open_month(db, "2026-10")
    rating = rate(db, "2026-10", place, cast["leader"].id, 4)
    result(db, "2026-10", place)
    db.execute("UPDATE ranking_months SET status = 'published' WHERE month = '2026-10'")
    frozen = [
        ("UPDATE ranking_stars SET stars = 5 WHERE rating_id = ?", (rating,)),
        ("DELETE FROM ranking_stars WHERE rating_id = ?", (rating,)),
        ("INSERT INTO ranking_stars (rating_id, criterion_id, stars) VALUES (?, 2, 3)", (rating,)),
        ("UPDATE ranking_ratings SET note = '改' WHERE id = ?", (rating,)),
        ("DELETE FROM ranking_ratings WHERE id = ?", (rating,)),
        ("INSERT INTO ranking_ratings (month, place_id, rater_id, updated_at)"
         " VALUES ('2026-10', ?, ?, 'now')", (cast["grid"]["place_b"], cast["leader"].id)),
        ("UPDATE ranking_results SET score_tenths = 1000", ()),
        ("DELETE FROM ranking_results", ()),
    ]
    for sql, params in frozen:
        with pytest.raises(sqlite3.IntegrityError, match="frozen"):
            db.execute(sql, params)
    with pytest.raises(sqlite3.IntegrityError):
        result(db, "2026-10", cast["grid"]["place_b"], rank=2)
    with pytest.raises(sqlite3.IntegrityError, match="stays published"):
        db.execute("UPDATE ranking_months SET status = 'draft'")
    assert db.execute("SELECT stars FROM ranking_stars").fetchall() == [(4,)]

    db.execute("UPDATE ranking_months SET correcting = 1")
    db.execute("UPDATE ranking_stars SET stars = 5 WHERE rating_id = ?", (rating,))
    db.execute("UPDATE ranking_results SET score_tenths = 1000, corrected = 1")
    db.execute("UPDATE ranking_months SET correcting = 0")
    with pytest.raises(sqlite3.IntegrityError, match="frozen"):
        db.execute("UPDATE ranking_stars SET stars = 1")
    assert db.execute("SELECT stars FROM ranking_stars").fetchall() == [(5,)]


def test_a_draft_month_stays_editable(db, cast):
    open_month(db, "2026-11")
    rating = rate(db, "2026-11", cast["grid"]["place_a"], cast["leader"].id, 2)
    db.execute("UPDATE ranking_stars SET stars = 3 WHERE rating_id = ?", (rating,))
    db.execute("DELETE FROM ranking_stars WHERE rating_id = ?", (rating,))
    db.execute("DELETE FROM ranking_ratings WHERE id = ?", (rating,))
    assert db.execute("SELECT COUNT(*) FROM ranking_ratings").fetchone() == (0,)


def test_a_grant_counts_as_money_held_for_spending(db, cast):
    project_id = make_project(db, created_by=cast["staff"].id, place_id=cast["grid"]["place_a"])["id"]

    def grant(amount, key, status="received"):
        db.execute("INSERT INTO crowdfund_grants (project_id, amount_fen, source, status,"
                   " granted_by, submission_key, created_at) VALUES (?, ?, '流动红旗奖励', ?, ?, ?, ?)",
                   (project_id, amount, status, cast["staff"].id, key, now_iso()))

    def spend(amount, key):
        db.execute("INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on,"
                   " recorded_by, submission_key, created_at) VALUES (?, ?, '油漆', '2026-11-01',"
                   " ?, ?, ?)", (project_id, amount, cast["staff"].id, key, now_iso()))

    grant(50_000, "g1")
    grant(90_000, "g2", status="returned")
    spend(49_999, "s1")
    with pytest.raises(sqlite3.IntegrityError, match="exceeds"):
        spend(2, "s2")
    spend(1, "s3")
    with pytest.raises(sqlite3.IntegrityError):
        grant(100, "g3", status="pending")
    assert db.execute("SELECT SUM(amount_fen) FROM crowdfund_spending").fetchone() == (50_000,)
