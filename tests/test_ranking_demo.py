"""The demo's 星级楼栋: a newcomer finds a year of published months alive (the flag moving, a
correction, rewards both ways, a month published with a rating missing) and last month a draft
staff can finish; seeding twice changes nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lib.core.config import Settings
from lib.core.db import scalar
from lib.ranking import board, standings
from lib.ranking.months import current_month, get_month, next_month, previous_month
from lib.site import bootstrap, demo_ranking
from tests.test_crowdfund_demo import demo  # noqa: F401  (a fixture)


TABLES = ("ranking_months", "ranking_ratings", "ranking_stars", "ranking_results",
          "ranking_corrections", "crowdfund_grants", "points_ledger", "audit_log")


@pytest.fixture(scope="module")
def db(demo):
    """The demo community seeded once for the module (demo_crowdfund's tests' fixture)."""
    return demo[1]


def year() -> list[str]:
    """The twelve months before last month, oldest first."""
    months = [previous_month(previous_month(current_month()))]
    while len(months) < 12:
        months.insert(0, previous_month(months[0]))
    return months


def test_a_newcomer_finds_a_year_of_published_months_and_the_red_flag(db):
    assert board.latest_published(db) == year()[-1]
    assert [flag.month for flag in board.flag_history(db)] == year()[::-1]
    holders = {flag.code for flag in board.flag_history(db)}
    assert len(holders) >= 3  # the flag moves from building to building
    assert board.red_flag(db).month == year()[-1]
    for month in year():
        shown = board.standings(db, month)
        assert len(shown) == 16 and [row.rank for row in shown] == list(range(1, 17))
        assert shown[0].raters == 1 and shown[0].stars >= 2
    four_one = scalar(db, "SELECT id FROM places WHERE code = '4-1'")
    trend = board.trend(db, four_one)
    assert [point.month for point in trend] == year()
    assert trend[-1].score_tenths > trend[0].score_tenths  # 4-1 keeps improving


def test_each_month_was_published_by_staff_early_the_next_month_through_the_rules(db):
    staff = scalar(db, "SELECT id FROM users WHERE username = 'staff'")
    rows = db.execute("SELECT month, published_by, published_at, weights FROM ranking_months"
                      " WHERE status = 'published' ORDER BY month").fetchall()
    assert [row[0] for row in rows] == year()
    assert {row[1] for row in rows} == {staff}
    now = datetime.now(timezone.utc)
    for month, _, published_at, weights in rows:
        published = datetime.fromisoformat(published_at)
        assert published < now and published_at[:7] >= next_month(month)
        assert "环境卫生" in weights and "参与度" in weights  # the snapshot taken at publication
    assert [row[2][8:10] for row in rows[:-1]] == ["02"] * 11
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ranking.publish'") == 12
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ranking.score'") >= 12 * 5
    # every rating by the leader of the building's micro-grid, at the month's end
    assert scalar(db, "SELECT COUNT(*) FROM ranking_ratings r JOIN users u ON u.id = r.rater_id"
                      " WHERE u.role != 'leader'") == 0
    assert scalar(db, "SELECT COUNT(*) FROM ranking_ratings WHERE substr(updated_at, 1, 7)"
                      " NOT IN (month, substr(date(month || '-01', '+1 month'), 1, 7))") == 0


def test_the_year_has_a_correction_a_missing_rating_and_rewards_both_ways(db):
    corrected = scalar(db, "SELECT month FROM ranking_months WHERE corrected_at IS NOT NULL")
    assert corrected == year()[demo_ranking.CORRECTED_MONTH]
    assert scalar(db, "SELECT reason FROM ranking_corrections") == demo_ranking.CORRECTION[2]
    assert any(row.corrected for row in board.standings(db, corrected))
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'ranking.correct'") == 1
    away = get_month(db, year()[demo_ranking.AWAY_MONTH])
    assert "8-2" in away.missing
    points = db.execute("SELECT month, reward_points FROM ranking_months WHERE reward_kind ="
                        " 'points'").fetchall()
    assert len(points) >= 6 and {row[1] for row in points} == {demo_ranking.POINTS}
    paid = scalar(db, "SELECT COUNT(*) FROM points_ledger WHERE kind = 'ranking'")
    assert paid >= len(points)
    assert scalar(db, "SELECT COUNT(*) FROM points_ledger WHERE kind = 'ranking' AND"
                      " idempotency_key NOT LIKE 'ranking:%:flag:%'") == 0
    grant = db.execute("SELECT g.amount_fen, g.submission_key, p.title FROM crowdfund_grants g"
                       " JOIN crowdfund_projects p ON p.id = g.project_id").fetchall()
    assert grant == [(200_000, f"ranking:{year()[-1]}:reward", "中心广场健身角")]
    assert get_month(db, year()[-1]).reward_kind == "project"


def test_last_month_is_a_draft_with_ratings_missing_for_staff_to_finish(db):
    draft = previous_month(current_month())
    assert not get_month(db, draft).is_published
    assert board.standings(db, draft) == []  # the public never sees a draft
    raters = {row[0] for row in db.execute(
        "SELECT u.username FROM ranking_ratings r JOIN users u ON u.id = r.rater_id"
        " WHERE r.month = ?", (draft,))}
    assert raters == {"leader", "leader2", "leader3", "leader5"}
    missing = standings.missing_text(db, draft)
    assert "6-1" in missing and "8-2" in missing and "1-1" not in missing


def test_seeding_twice_changes_nothing(db):
    before = [db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES]
    assert demo_ranking.seed(db) == 0
    assert [db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in TABLES] == before


def test_a_demo_without_history_has_no_ranking(tmp_path):
    config = Settings(data_dir=tmp_path / "data", base_url="", mode="demo", demo_history=False)
    db = bootstrap.prepare(config)
    assert scalar(db, "SELECT COUNT(*) FROM ranking_months") == 0
    assert board.red_flag(db) is None
