"""The public reads of 星级楼栋 (lib/ranking/board.py): only published months, in rank order,
a building's trend, the red flag's history, and the indexes they walk."""
from __future__ import annotations

import pytest

from lib.ranking import board
from lib.ranking.months import month_label, next_month
from tests.ranking_helpers import add_building, publish_raw


@pytest.fixture
def places(db):
    return {code: add_building(db, code, None, households=4)
            for code in ("1-1", "2-1", "4-1", "10-1")}


def months_from(first: str, count: int) -> list[str]:
    shown = [first]
    while len(shown) < count:
        shown.append(next_month(shown[-1]))
    return shown


def test_nothing_is_public_before_the_first_publication(db, places):
    assert board.latest_published(db) is None
    assert board.red_flag(db) is None
    assert board.flag_history(db) == []
    assert board.standings(db, "2026-10") == []
    assert board.trend(db, places["1-1"]) == []


def test_a_published_month_reads_back_in_rank_order_with_its_marks(db, places):
    publish_raw(db, "2026-10", {places["1-1"]: 850, places["2-1"]: 610, places["4-1"]: 905},
                corrected={places["4-1"]})
    shown = board.standings(db, "2026-10")
    assert [(row.code, row.rank, row.score, row.stars) for row in shown] == [
        ("4-1", 1, "90.5", 5), ("1-1", 2, "85.0", 4), ("2-1", 3, "61.0", 2)]
    assert shown[0].holds_red_flag and not shown[1].holds_red_flag
    assert [row.corrected for row in shown] == [True, False, False]
    assert shown[0].name == "4栋1单元" and shown[0].detail == {"环境卫生": 40}
    assert shown[0].households == 10 and shown[0].raters == 1


def test_a_draft_month_is_never_read_even_with_results_in_it(db, places):
    publish_raw(db, "2026-09", {places["1-1"]: 700})
    db.execute("INSERT INTO ranking_months (month, created_at) VALUES ('2026-10', 'now')")
    db.execute("INSERT INTO ranking_results (month, place_id, rank, score_tenths, stars,"
               " rated_tenths, participation_tenths) VALUES ('2026-10', ?, 1, 990, 5, 990, 990)",
               (places["2-1"],))
    db.conn.commit()
    assert board.standings(db, "2026-10") == []
    assert board.latest_published(db) == "2026-09"
    assert [flag.code for flag in board.flag_history(db)] == ["1-1"]
    assert board.trend(db, places["2-1"]) == []
    assert board.flags_held(db, places["2-1"]) == 0


def test_the_red_flag_is_the_latest_months_first_and_its_history_moves(db, places):
    publish_raw(db, "2026-08", {places["1-1"]: 920, places["2-1"]: 700})
    publish_raw(db, "2026-10", {places["1-1"]: 850, places["4-1"]: 905},
                corrected={places["4-1"]})
    publish_raw(db, "2026-09", {places["2-1"]: 810, places["1-1"]: 800})  # published late
    assert board.latest_published(db) == "2026-10"
    flag = board.red_flag(db)
    assert (flag.month, flag.code, flag.place_label, flag.score, flag.label) == (
        "2026-10", "4-1", "4栋1单元（4-1）", "90.5", "2026年10月")
    assert [(flag.month, flag.code) for flag in board.flag_history(db)] == [
        ("2026-10", "4-1"), ("2026-09", "2-1"), ("2026-08", "1-1")]
    assert [flag.corrected for flag in board.flag_history(db)] == [True, False, False]
    assert [flag.month for flag in board.flag_history(db, limit=2)] == ["2026-10", "2026-09"]
    assert board.flags_held(db, places["1-1"]) == 1
    assert board.flags_held(db, places["10-1"]) == 0


def test_a_buildings_trend_is_its_last_months_oldest_first_among_how_many(db, places):
    for index, month in enumerate(months_from("2025-08", 14)):
        scores = {places["1-1"]: 600 + index * 10, places["2-1"]: 725}
        if index % 2:  # 4-1 is ranked every other month only
            scores[places["4-1"]] = 500
        publish_raw(db, month, scores, corrected={places["1-1"]} if index == 13 else set())
    points = board.trend(db, places["1-1"])
    assert [point.month for point in points] == months_from("2025-10", 12)
    assert [point.score_tenths for point in points] == [620 + 10 * n for n in range(12)]
    assert [point.rank for point in points][:3] == [2, 2, 2] and points[-1].rank == 1
    assert points[-1].holds_red_flag and points[-1].corrected and not points[0].corrected
    assert [point.buildings for point in points][:2] == [2, 3]
    assert (points[-1].label, points[-1].score) == ("2026年9月", "73.0")
    assert len(board.trend(db, places["4-1"], months=12)) == 6  # absent months are absent
    assert [point.month for point in board.trend(db, places["2-1"], months=3)] == \
        ["2026-07", "2026-08", "2026-09"]
    assert month_label(points[0].month) == points[0].label
    assert len(board.flag_history(db)) == 12  # of 14 published: a year by default


@pytest.mark.parametrize("query, args", [
    ("standings", ("2026-10",)), ("trend", (1,)), ("flag_history", ()), ("latest_published", ()),
    ("flags_held", (1,)),
])
def test_the_public_queries_walk_indexes_not_whole_tables(db, places, query, args):
    publish_raw(db, "2026-10", {places["1-1"]: 850})
    plans = []
    original = db.execute

    def explain(sql, params=()):
        if sql.lstrip().upper().startswith("SELECT"):
            plans.extend(row[3] for row in original("EXPLAIN QUERY PLAN " + sql, params))
        return original(sql, params)

    db.execute = explain
    try:
        getattr(board, query)(db, *args)
    finally:
        del db.execute
    assert plans and not [plan for plan in plans if plan.startswith("SCAN")], plans
