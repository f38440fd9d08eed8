"""THE RULES of the 星级楼栋 ranking, worked by hand (see tests/ranking_world.py for the data).

3-1: stars (5,4,3,4) and (4,4,4,5) → averages 4.5, 4, 3.5, 4.5 → rated = (25×4.5 + 20×4 +
15×3.5 + 10×4.5) × 200 / 70 = 58000/70 = 828.571… → 82.9; participation 7/4 per household is
the best → 100.0; score = (70 × 828.571… + 30 × 1000) / 100 = 880 → 88.0 ★4.
3-2: all 5s → rated 100.0; participation (3/2) / (7/4) = 6/7 → 85.7; score = 700 + 30 × 857.142…
/ 100 = 957.142… → 95.7 ★5.
10-1: (3,3,3, 邻里和睦 unrated → 0) → 36000/70 = 514.28… → 51.4; no households → 0;
score = 70 × 514.28… / 100 = 360 → 36.0 ★1.
2-1: nothing → 0.0 ★1.
"""
from fractions import Fraction

import pytest

from lib.core import clock
from lib.core.errors import PermissionDenied
from lib.ranking import standings
from lib.ranking.months import Standing
from lib.ranking.publish import publish
from tests.ranking_helpers import add_building, publish_raw
from tests.ranking_world import MONTH, NOW, build_world, rate


@pytest.fixture
def world(db):
    return build_world(db)


def test_the_hand_worked_month_comes_out_to_the_tenth(db, world):
    ranked = standings.compute(db, MONTH)
    got = [(s.code, s.rank, s.score_tenths, s.stars, s.rated_tenths, s.participation_tenths)
           for s in ranked]
    assert got == [("3-2", 1, 957, 5, 1000, 857), ("3-1", 2, 880, 4, 829, 1000),
                   ("10-1", 3, 360, 1, 514, 0), ("2-1", 4, 0, 1, 0, 0)]
    y, x, z, w = ranked
    assert y.holds_red_flag and not x.holds_red_flag
    assert (x.households, x.volunteer_half_hours, x.labour_half_hours, x.reports, x.raters) == (4, 3, 2, 1, 2)
    assert (y.households, y.volunteer_half_hours, y.labour_half_hours, y.reports, y.raters) == (2, 1, 0, 1, 1)
    assert (z.households, z.raters, w.households, w.raters) == (0, 1, 5, 0)
    assert x.detail == {"环境卫生": 45, "楼道整洁": 40, "车辆停放": 35, "邻里和睦": 45}
    assert z.detail == {"环境卫生": 30, "楼道整洁": 30, "车辆停放": 30, "邻里和睦": 0}
    assert x.score == "88.0" and not x.corrected
    assert [s.name for s in ranked] == ["3栋2单元", "3栋1单元", "10栋1单元", "2栋1单元"]


def test_participation_counts_each_record_by_the_persons_own_building_in_the_month(db, world):
    counts = standings.participation(db, MONTH)
    x, y = counts[world["x"]], counts[world["y"]]
    assert all(place_id == count.place_id for place_id, count in counts.items())
    assert (x.volunteer_half_hours, x.labour_half_hours, x.reports, x.units) == (3, 2, 1, 7)
    assert (y.volunteer_half_hours, y.labour_half_hours, y.reports, y.units) == (1, 0, 1, 3)
    assert counts[world["z"]].units == counts[world["w"]].units == 0
    november = standings.participation(db, "2026-11")
    assert (november[world["x"]].volunteer_half_hours, november[world["y"]].reports) == (6, 1)
    september = standings.participation(db, "2026-09")
    assert (september[world["x"]].volunteer_half_hours, september[world["y"]].reports) == (6, 0)


def test_a_participant_whose_household_is_not_verified_counts_for_no_building(db, world):
    db.execute("UPDATE users SET household_status = 'pending' WHERE id = ?", (world["y1"].id,))
    assert standings.participation(db, MONTH)[world["y"]].units == 0
    ranked = {s.code: s for s in standings.compute(db, MONTH)}
    assert ranked["3-2"].participation_tenths == 0 and ranked["3-1"].participation_tenths == 1000


def test_the_weights_are_the_active_criteria_now_for_a_draft(db, world):
    db.execute("UPDATE ranking_criteria SET active = 0 WHERE name = '邻里和睦'")
    db.execute("UPDATE ranking_criteria SET weight = 40 WHERE name = '参与度'")
    x = {s.code: s for s in standings.compute(db, MONTH)}["3-1"]
    # (25×4.5 + 20×4 + 15×3.5) × 200 / 60 = 245 × 200 / 60 = 816.67 → 817; score (60 × 816.67 + 40000)/100 = 890
    assert (x.rated_tenths, x.score_tenths) == (817, 890)
    assert "邻里和睦" not in x.detail


def test_a_published_month_keeps_the_weights_of_its_snapshot(db, world):
    with clock.pretend(NOW):
        publish(db, world["staff"], month=MONTH, confirm_missing=True)
    before = standings.compute(db, MONTH)
    db.execute("UPDATE ranking_criteria SET weight = 0 WHERE name = '参与度'")
    db.execute("UPDATE ranking_criteria SET weight = 55 WHERE name = '环境卫生'")
    assert standings.compute(db, MONTH) == before
    assert [s.score_tenths for s in before] == [957, 880, 360, 0]
    # live with today's weights the order would change: 3-1 and 3-2 are judged by stars alone
    assert [s.score_tenths for s in standings.live(db, MONTH)] != [957, 880, 360, 0]


@pytest.mark.parametrize("value, rounded", [
    (Fraction(1, 2), 1), (Fraction(3, 2), 2), (Fraction(5, 2), 3), (Fraction(49, 100), 0),
    (Fraction(51, 100), 1), (Fraction(8745, 10), 875), (Fraction(0), 0), (Fraction(1000), 1000),
    (Fraction(6000, 7), 857), (Fraction(58000, 70), 829),
])
def test_rounding_is_half_up_never_to_even(value, rounded):
    assert standings.round_half_up(value) == rounded


def inputs(place_id, code, *, households=1, units=0, stars=None):
    return standings.Inputs(place_id, code, f"{code}栋", households, volunteer_half_hours=units,
                            stars=stars or {})


def test_a_score_of_exactly_half_a_tenth_rounds_up_once_at_the_end():
    weights = [{"id": 1, "name": "环境卫生", "kind": "stars", "weight": 95},
               {"id": 9, "name": "参与度", "kind": "participation", "weight": 5}]
    best = inputs(1, "1-1", households=1, units=1)
    thin = inputs(2, "1-2", households=100, units=1)  # 1/100 of the best → 10 tenths × 5% = 0.5
    ranked = {s.code: s for s in standings.rank([best, thin], weights, {})}
    assert ranked["1-2"].participation_tenths == 10 and ranked["1-2"].score_tenths == 1
    assert ranked["1-1"].score_tenths == 50


WEIGHTS = [{"id": 1, "name": "环境卫生", "kind": "stars", "weight": 70},
           {"id": 9, "name": "参与度", "kind": "participation", "weight": 30}]


def codes(ranked: list[Standing]) -> list[str]:
    return [s.code for s in ranked]


def figures(ranked: list[Standing]) -> list[tuple]:
    """Each building's code, score, judges' part and participation, in rank order (tenths)."""
    return [(s.code, s.score_tenths, s.rated_tenths, s.participation_tenths) for s in ranked]


def test_tie_rule_one_the_higher_score_wins():
    ranked = standings.rank([inputs(1, "1-1", stars={1: [3]}), inputs(2, "9-9", stars={1: [4]})],
                            WEIGHTS, {})
    assert codes(ranked) == ["9-9", "1-1"] and [s.rank for s in ranked] == [1, 2]


def test_tie_rule_two_on_equal_scores_the_judges_stars_decide():
    # 1-1: rated 100.0, no participation → 70.0; 2-1: rated 70.0 (3.5 stars), participation
    # 70.0 → 49 + 21 = 70.0; 3-1 has the best participation (100.0) and nothing else → 30.0
    judges = inputs(1, "1-1", households=10, units=0, stars={1: [5, 5]})
    mixed = inputs(2, "2-1", households=10, units=7, stars={1: [3, 4]})
    busy = inputs(3, "3-1", households=10, units=10)
    ranked = standings.rank([mixed, busy, judges], WEIGHTS, {})
    assert figures(ranked) == [
        ("1-1", 700, 1000, 0), ("2-1", 700, 700, 700), ("3-1", 300, 0, 1000)]


def test_tie_rule_three_then_participation():
    # both rated 70.0; participation 70.0 and 70.1 → scores 700 and 700.3, both shown as 70.0
    a = inputs(1, "1-1", households=1, units=700, stars={1: [3, 4]})
    b = inputs(2, "2-1", households=1, units=701, stars={1: [4, 3]})
    best = inputs(3, "9-1", households=1, units=1000)
    ranked = standings.rank([a, b, best], WEIGHTS, {})
    assert figures(ranked) == [
        ("2-1", 700, 700, 701), ("1-1", 700, 700, 700), ("9-1", 300, 0, 1000)]


def test_tie_rule_four_then_fewer_red_flags_and_five_the_natural_code_order():
    same = [inputs(i, code, stars={1: [4]}) for i, code in enumerate(["10-1", "2-1", "1-2", "1-10"], 1)]
    assert codes(standings.rank(same, WEIGHTS, {})) == ["1-2", "1-10", "2-1", "10-1"]
    assert codes(standings.rank(same, WEIGHTS, {3: 2, 4: 1})) == ["2-1", "10-1", "1-10", "1-2"]


def test_the_red_flags_counted_are_those_of_the_twelve_published_months_before(db, world):
    x, y, w = world["x"], world["y"], world["w"]
    publish_raw(db, "2025-09", {x: 900, y: 100})  # 13 published months back: forgotten
    for month in ["2025-10", "2025-11"]:
        publish_raw(db, month, {y: 900, x: 100})
    publish_raw(db, "2025-12", {w: 900, x: 100})
    for number in range(1, 10):
        publish_raw(db, f"2026-{number:02d}", {x: 900 if number < 3 else 100, w: 500})
    publish_raw(db, "2026-11", {x: 900})  # after: never counted
    db.execute("INSERT INTO ranking_months (month, created_at) VALUES ('2025-08', 'now')")
    assert standings.flags_before(db, MONTH) == {y: 2, w: 8, x: 2}
    assert standings.flags_before(db, "2025-10") == {x: 1}


def test_a_full_tie_in_the_database_goes_to_the_building_that_held_the_flag_less(db, world):
    db.execute("DELETE FROM ranking_stars")
    db.execute("DELETE FROM ranking_ratings")
    db.execute("DELETE FROM volunteer_hours")
    db.execute("DELETE FROM reports")
    db.execute("DELETE FROM crowdfund_signups")
    assert codes(standings.compute(db, MONTH)) == ["2-1", "3-1", "3-2", "10-1"]
    publish_raw(db, "2026-09", {world["w"]: 900, world["x"]: 800, world["y"]: 700, world["z"]: 600})
    assert codes(standings.compute(db, MONTH)) == ["3-1", "3-2", "10-1", "2-1"]


def test_a_month_nobody_took_part_in_ranks_every_building_at_zero_by_code(db, world):
    ranked = standings.compute(db, "2026-05")
    assert [(s.code, s.score_tenths, s.stars, s.participation_tenths, s.raters) for s in ranked] == [
        ("2-1", 0, 1, 0, 0), ("3-1", 0, 1, 0, 0), ("3-2", 0, 1, 0, 0), ("10-1", 0, 1, 0, 0)]


def test_a_building_with_no_households_has_no_participation(db, world):
    add_building(db, "11-1", world["mg2"])
    ranked = {s.code: s for s in standings.compute(db, MONTH)}
    assert ranked["11-1"].households == 0 and ranked["11-1"].participation_tenths == 0
    assert ranked["11-1"].rank == 5 and ranked["10-1"].participation_tenths == 0


def test_a_building_without_households_does_not_lower_the_best_participation():
    half = inputs(1, "1-1", households=4, units=2)  # half a unit a household is the best
    ranked = {s.code: s for s in standings.rank([half, inputs(2, "1-2", households=0)], WEIGHTS, {})}
    assert (ranked["1-1"].participation_tenths, ranked["1-2"].participation_tenths) == (1000, 0)


def test_with_no_weight_on_the_stars_only_participation_counts():
    weights = [{"id": 1, "name": "环境卫生", "kind": "stars", "weight": 0},
               {"id": 9, "name": "参与度", "kind": "participation", "weight": 100}]
    ranked = standings.rank([inputs(1, "1-1", units=1, stars={1: [5]}), inputs(2, "1-2")],
                            weights, {})
    assert figures(ranked) == [("1-1", 1000, 0, 1000), ("1-2", 0, 0, 0)]
    assert ranked[0].detail == {"环境卫生": 50}


def test_a_draft_may_be_ranked_with_weights_other_than_the_active_ones(db, world):
    stars_only = [{**c, "weight": {"环境卫生": 100}.get(c["name"], 0)}
                  for c in standings.active_weights(db)]
    ranked = {s.code: s.score_tenths for s in standings.live(db, MONTH, stars_only)}
    assert ranked == {"3-2": 1000, "3-1": 900, "10-1": 600, "2-1": 0}


def test_no_buildings_means_no_standings(db):
    assert standings.compute(db, MONTH) == []


def test_staff_see_who_has_not_rated_what(db, world):
    found = standings.completeness(db, world["staff"], MONTH)
    assert [(c.code, c.rated_by, c.not_yet, c.unrated, c.complete) for c in found] == [
        ("2-1", [], ["老孙"], [], False),
        ("3-1", ["老吴", "老林"], [], [], True),
        ("3-2", ["老吴"], ["老林"], [], False),
        ("10-1", ["老孙"], [], ["邻里和睦"], False)]
    assert standings.missing_text(db, MONTH) == "无人评分：2-1\n3-2：老林未评\n10-1：邻里和睦无人打分"
    assert standings.completeness(db, world["admin"], MONTH) == found
    assert [(c.place_id, c.name) for c in found] == [
        (world["w"], "2栋1单元"), (world["x"], "3栋1单元"), (world["y"], "3栋2单元"),
        (world["z"], "10栋1单元")]
    assert [c.missing_text() for c in found] == ["2-1：无人评分", "", "3-2：老林未评", "10-1：邻里和睦无人打分"]


def test_everything_missing_is_named_and_joined_for_the_notice():
    behind = standings.Completeness(1, "1-1", "1栋1单元", ["老吴"], ["老林", "老周"],
                                    ["车辆停放", "邻里和睦"])
    assert behind.missing_text() == "1-1：老林、老周未评；车辆停放、邻里和睦无人打分"
    nobody = [standings.Completeness(place_id, code, code, [], ["老孙"], [])
              for place_id, code in ((2, "2-1"), (3, "3-3"))]
    assert standings.missing_lines([*nobody, behind]) == [
        "无人评分：2-1、3-3", "1-1：老林、老周未评；车辆停放、邻里和睦无人打分"]


def test_a_leader_or_resident_may_not_see_completeness(db, world):
    for actor in (world["wu"], world["x1"], None):
        with pytest.raises(PermissionDenied):
            standings.completeness(db, actor, MONTH)


def test_a_disabled_leader_is_not_waited_for_and_a_complete_month_misses_nothing(db, world):
    db.execute("UPDATE users SET disabled = 1 WHERE id IN (?, ?)", (world["lin"].id, world["sun"].id))
    db.execute("UPDATE ranking_criteria SET active = 0 WHERE name = '邻里和睦'")
    assert standings.missing_text(db, MONTH) == "无人评分：2-1"
    rate(db, MONTH, world["w"], world["staff"].id, {1: 3, 2: 3, 3: 3})
    assert standings.missing_text(db, MONTH) == ""
    assert all(c.complete for c in standings.completeness(db, world["staff"], MONTH))


def test_reports_are_counted_through_the_acceptance_time_index(db, world):
    from lib.reports.views import accepted_by_building

    run = []
    db.conn.set_trace_callback(run.append)
    assert accepted_by_building(db, "2026-10-01", "2026-11-01") == {world["y"]: 1, world["x"]: 1}
    db.conn.set_trace_callback(None)
    plan = " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + run[-1]))
    assert "reports_accepted_at" in plan, plan


def test_the_draft_version_moves_with_every_rating_and_weight_of_the_month_only(db, world):
    seen = [standings.draft_version(db, MONTH)]

    def changed() -> bool:
        now = standings.draft_version(db, MONTH)
        fresh = now not in seen
        seen.append(now)
        return fresh

    rating = db.execute("SELECT id FROM ranking_ratings WHERE month = ? LIMIT 1", (MONTH,)).fetchone()[0]
    stars = dict(db.execute("SELECT criterion_id, stars FROM ranking_stars WHERE rating_id = ?",
                            (rating,)).fetchall())
    one, two = sorted(stars)[:2]
    if stars[one] == stars[two]:
        db.execute("UPDATE ranking_stars SET stars = ? WHERE rating_id = ? AND criterion_id = ?",
                   (stars[one] % 5 + 1, rating, one))
        assert changed()
        stars[one] = stars[one] % 5 + 1
    # the same stars swapped between two criteria of one rating, in the same second
    db.execute("UPDATE ranking_stars SET stars = CASE criterion_id WHEN ? THEN ? ELSE ? END"
               " WHERE rating_id = ? AND criterion_id IN (?, ?)",
               (one, stars[two], stars[one], rating, one, two))
    assert changed()
    db.execute("UPDATE ranking_criteria SET weight = weight + 1 WHERE id = ?", (one,))
    assert changed()
    db.execute("DELETE FROM ranking_stars WHERE rating_id = ? AND criterion_id = ?", (rating, two))
    assert changed()
    rate(db, "2026-09", world_place(db), world_rater(db), {one: 3})
    assert not changed()


def world_place(db) -> int:
    return db.execute("SELECT id FROM places WHERE kind = 'building' LIMIT 1").fetchone()[0]


def world_rater(db) -> int:
    return db.execute("SELECT rater_id FROM ranking_ratings LIMIT 1").fetchone()[0]
