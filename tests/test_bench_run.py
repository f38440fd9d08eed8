"""The bench table's verdicts: a page over twice the typical floor, or a burst with a failed
session or over 1.5x the empty burst, is MISSED even when its milliseconds look fine."""
import pytest

from bench import run
from bench.burst import BurstResult, Session


@pytest.fixture(autouse=True)
def fresh_rows(monkeypatch):
    monkeypatch.setattr(run, "rows", [])


def test_a_page_row_carries_its_ratio_to_the_typical_floor(capsys):
    row = run.record("page", "fast page", [10.0, 14.0, 12.0], 300, floor=8.0,
                     max_ratio=run.MAX_FLOOR_RATIO, empty_floor=2.0)
    assert (row["ratio"], row["ratio_empty"], row["ok"]) == (1.5, 6.0, True)
    assert "1.5x floor (6.0x empty)  ok" in capsys.readouterr().out
    assert run.rows == [row]


def test_a_page_over_twice_the_floor_is_missed_though_under_300_ms(capsys):
    row = run.record("page", "slow page", [17.0, 17.0, 17.0], 300, floor=8.0,
                     max_ratio=run.MAX_FLOOR_RATIO)
    assert (row["ratio"], row["ok"]) == (2.12, False)
    assert capsys.readouterr().out.rstrip().endswith("2.1x floor  MISSED")
    # exactly twice is still within the target; the 300 ms p95 target still counts
    assert run.record("page", "at 2x", [16.0], 300, floor=8.0, max_ratio=2.0)["ok"] is True
    assert run.record("page", "p95 over", [10.0, 400.0], 300, floor=8.0, max_ratio=2.0)["ok"] is False


def burst_of(latencies: list[float | None], wall_s: float) -> BurstResult:
    return BurstResult([Session(latency_ms=ms, error=None if ms else "timed out")
                        for ms in latencies], connect_s=0.1, wall_s=wall_s)


def test_a_burst_row_compares_its_wall_time_with_the_empty_burst(capsys):
    assert run.record_burst("empty", [burst_of([100.0, 200.0], 2.0)]) == 2.0
    run.record_burst("landing", [burst_of([100.0, 300.0], 3.0)], empty_wall_s=2.0)
    run.record_burst("slow landing", [burst_of([100.0, 300.0], 3.2)], empty_wall_s=2.0)
    empty, landing, slow = run.rows
    assert (empty["ok"], empty["ratio"], empty["failed"]) == (None, None, 0)
    assert (landing["ok"], landing["ratio"], landing["wall_s"]) == (True, 1.5, 3.0)
    assert (slow["ok"], slow["ratio"]) == (False, 1.6)
    assert "1.60x the empty burst  MISSED" in capsys.readouterr().out


def test_the_median_round_counts_so_one_busy_moment_does_not_decide():
    rounds = [burst_of([9000.0], 9.0), burst_of([2000.0], 2.0), burst_of([3000.0], 3.0)]
    assert run.record_burst("landing", rounds, empty_wall_s=2.0) == 3.0
    assert (run.rows[0]["wall_s"], run.rows[0]["median"]) == (3.0, 3000.0)
    assert run.rows[0]["rounds_wall_s"] == [9.0, 2.0, 3.0]


def test_a_burst_with_a_failed_session_is_missed_and_says_why(capsys):
    run.record_burst("landing", [burst_of([100.0, 100.0], 1.0), burst_of([100.0, None], 1.0)],
                     empty_wall_s=2.0)
    assert (run.rows[0]["ok"], run.rows[0]["failed"], run.rows[0]["runs"]) == (False, 1, 2)
    assert "1 failed: timed out" in capsys.readouterr().out


def test_the_redemption_race_books_are_exact_only_when_every_figure_agrees():
    exact = dict(sold=400, redemptions=400, units=400, stock_left=0, spent=400, points=400,
                 negative=0, stock=400)
    assert run.redeem_books(**exact) == []
    assert "not one figure" in run.redeem_books(**{**exact, "redemptions": 401})[0]
    assert run.redeem_books(**{**exact, "sold": 399, "redemptions": 399, "units": 399,
                               "stock_left": 1, "spent": 399, "points": 399})[-1] == \
        "1 left in stock though more was asked for"
    assert run.redeem_books(**{**exact, "spent": 390}) == [
        "balances fell by 390 but redemptions cost 400"]
    assert run.redeem_books(**{**exact, "negative": 2}) == ["2 balances below 0"]


@pytest.fixture(scope="module")
def small_community(tmp_path_factory):
    from bench.generate import build

    folder = tmp_path_factory.mktemp("bench-data")
    build(folder / "portal.db", scale=0.01, log=lambda _: None)
    return folder


def test_the_points_rows_run_through_lib_on_a_small_community(small_community, monkeypatch,
                                                               capsys):
    """The rows call lib as it is: a renamed function or argument fails here, not at 4 am."""
    import random

    from lib.core.db import open_db

    db = open_db(small_community / "portal.db", migrate=False)
    users = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    timed = run.timed
    monkeypatch.setattr(run, "timed", lambda fn, runs: timed(fn, 2))
    run.bench_points_queries(db, random.Random(1), users)
    names = [row["name"] for row in run.rows]
    assert any(name.startswith("person board") and "totals" in name for name in names)
    assert any(name.startswith("redemptions waiting") for name in names)
    assert all(row["runs"] == 2 for row in run.rows)
    db.conn.close()


def test_the_crowdfund_rows_run_through_lib_on_a_small_community(small_community, monkeypatch):
    """Project 1's ledger, its cached build, exports and PDF: the rows call lib as it is."""
    from lib.core.db import open_db

    db = open_db(small_community / "portal.db", migrate=False)
    timed = run.timed
    monkeypatch.setattr(run, "timed", lambda fn, runs: timed(fn, 1))
    run.bench_crowdfund_queries(db)
    names = [row["name"] for row in run.rows]
    assert "public ledger, 5,000 contributions" in names and len(names) == 8
    db.conn.close()


def test_the_ranking_rows_run_through_lib_and_leave_the_draft_a_draft(small_community,
                                                                       monkeypatch):
    """Compute, publish (rolled back), correct (rolled back), trend, flags, the page's reads."""
    from lib.core.db import open_db
    from lib.ranking import months

    db = open_db(small_community / "portal.db", migrate=False)
    before = db.execute("SELECT (SELECT COUNT(*) FROM ranking_results),"
                        " (SELECT COUNT(*) FROM ranking_corrections),"
                        " (SELECT COUNT(*) FROM crowdfund_grants),"
                        " (SELECT COUNT(*) FROM audit_log)").fetchone()
    timed = run.timed
    monkeypatch.setattr(run, "timed", lambda fn, runs: timed(fn, 2))
    run.bench_ranking_queries(db)
    names = [row["name"] for row in run.rows]
    assert any(name.startswith("compute a draft month") for name in names)
    assert any(name.startswith("publish a month") for name in names)
    assert any(name.startswith("/ranking's queries") for name in names)
    assert len(names) == 17 and all(row["runs"] == 2 for row in run.rows)
    assert db.execute("SELECT (SELECT COUNT(*) FROM ranking_results),"
                      " (SELECT COUNT(*) FROM ranking_corrections),"
                      " (SELECT COUNT(*) FROM crowdfund_grants),"
                      " (SELECT COUNT(*) FROM audit_log)").fetchone() == before
    assert months.get_month(db, "2026-10").status == months.DRAFT
    db.conn.close()


def test_the_council_rows_run_through_lib_and_leave_the_open_vote_as_it_was(small_community,
                                                                            monkeypatch):
    """Counts, a ballot online and on paper (rolled back), the board, follow-up, 公示."""
    from lib.core.db import open_db

    db = open_db(small_community / "portal.db", migrate=False)
    tables = ("council_ballots", "council_choices", "audit_log")
    before = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables]
    timed = run.timed
    monkeypatch.setattr(run, "timed", lambda fn, runs: timed(fn, 2))
    run.bench_council_queries(db)
    names = [row["name"] for row in run.rows]
    assert any(name.startswith("count an open vote (60 households") for name in names)
    assert "cast an online ballot (rolled back)" in names and len(names) == 11
    assert [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables] == before
    db.conn.close()


def test_the_rolled_back_write_really_ran_and_left_nothing(small_community):
    from lib.core.db import immediate, open_db

    db = open_db(small_community / "portal.db", migrate=False)
    seen = []

    def write() -> None:
        with immediate(db):
            db.execute("INSERT INTO settings (key, value) VALUES ('bench.probe', '1')")
        seen.append(db.execute("SELECT value FROM settings WHERE key = 'bench.probe'").fetchone())

    run._rolled_back(db, write)
    assert seen == [("1",)]
    assert db.execute("SELECT COUNT(*) FROM settings WHERE key = 'bench.probe'").fetchone() == (0,)
    db.conn.close()


@pytest.mark.slow
def test_the_redemption_race_sells_exactly_the_stock(small_community, monkeypatch):
    monkeypatch.setattr(run, "DATA_DIR", small_community)
    monkeypatch.setattr(run, "REDEEM_TRIES", 8)
    monkeypatch.setattr(run, "REDEEM_STOCK", 40)
    timed = run.timed
    monkeypatch.setattr(run, "timed", lambda fn, runs: timed(fn, 3))
    run.bench_redeem()
    one, race = run.rows
    assert one["name"].startswith("one redemption") and one["runs"] == 3
    assert (race["ok"], race["books"], race["unit"]) == (True, "exact", "/s")
    assert race["median"] > 0
    # the pages are timed as the demo accounts: the race leaves their shop history alone
    from lib.core.db import open_db

    db = open_db(small_community / "portal.db", migrate=False)
    assert db.execute("SELECT COUNT(*) FROM shop_redemptions JOIN users ON users.id = user_id"
                      " WHERE submission_key LIKE 'bench-%redeem%' AND username IN"
                      f" {run.DEMO_ACCOUNTS}").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM shop_redemptions WHERE submission_key LIKE"
                      " 'bench-%redeem%'").fetchone()[0] == 40 + 3
    db.conn.close()
