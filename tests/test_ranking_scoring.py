"""星级楼栋 scoring: who rates which building, the score sheet, and all-or-nothing saves."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from lib.core import audit, clock
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.people import org
from lib.ranking import criteria, scoring
from lib.ranking.months import current_month, get_month, next_month, previous_month
from tests.ranking_helpers import add_building, publish_raw
from tests.volunteer_helpers import make_cast


@pytest.fixture
def cast(db):
    return make_cast(db)


@pytest.fixture
def month():
    return previous_month(current_month())


def ids(db):
    return [c.id for c in criteria.star_criteria(db)]


def full(db, place_id, stars=(4, 5, 3, 4), note=""):
    return {"place_id": place_id, "stars": dict(zip(ids(db), stars)), "note": note}


def ratings(db):
    """Every rating and its stars: the state a refused save must leave as it was."""
    return [tuple(row) for row in db.execute(
        "SELECT r.month, r.place_id, r.rater_id, r.note, s.criterion_id, s.stars"
        " FROM ranking_ratings r LEFT JOIN ranking_stars s ON s.rating_id = r.id"
        " ORDER BY r.id, s.criterion_id")]


def codes(places):
    return [place.code for place in places]


# --- who rates which building -----------------------------------------------------------------


def test_a_leader_rates_the_buildings_of_their_micro_grid_in_natural_order(db, cast, month):
    add_building(db, "10-1", cast["grid"]["mg_a"])
    add_building(db, "1-2", cast["grid"]["mg_a"])
    add_building(db, "9-9", None)
    assert codes(scoring.buildings_to_score(db, cast[LEADER], month)) == ["1-1", "1-2", "10-1"]
    assert codes(scoring.buildings_to_score(db, cast["leader_b"], month)) == ["2-1"]
    assert scoring.buildings_to_score(db, cast["leader_none"], month) == []


@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_and_admins_rate_every_building_but_no_common_area(db, cast, month, role):
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('gate', '大门', 'common', 'now')")
    db.conn.commit()
    assert codes(scoring.buildings_to_score(db, cast[role], month)) == ["1-1", "2-1"]


def test_with_the_setting_on_every_leader_rates_every_building(db, cast, month):
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)
    for who in (LEADER, "leader_b", "leader_none"):
        assert codes(scoring.buildings_to_score(db, cast[who], month)) == ["1-1", "2-1"]
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, cast["grid"]["place_b"])])
    assert len(ratings(db)) == 4


@pytest.mark.parametrize("who, building, common", [
    (None, False, False), ("guest", False, False), ("in", False, False), (LEADER, True, False),
    ("leader_b", False, False), ("leader_none", False, False), (STAFF, True, False),
    (ADMIN, True, False)])
def test_who_may_rate_a_building_and_nobody_a_common_area(db, cast, who, building, common):
    gate = db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at)"
                      " VALUES ('gate', '大门', 'common', ?, 'now')", (cast["grid"]["mg_a"],)).lastrowid
    actor = None if who is None else cast[who]
    assert scoring.may_rate(db, actor, org.place_by_id(db, cast["grid"]["place_a"])) is building
    assert scoring.may_rate(db, actor, org.place_by_id(db, gate)) is common


def test_with_the_setting_on_a_leader_may_rate_a_building_of_another_grid(db, cast):
    place_a = org.place_by_id(db, cast["grid"]["place_a"])
    assert scoring.may_rate(db, cast["leader_b"], place_a) is False
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)
    assert scoring.may_rate(db, cast["leader_b"], place_a) is True
    assert scoring.may_rate(db, cast["in"], place_a) is False


def test_staff_always_score_all_and_leaders_only_with_the_setting(db, cast):
    assert [scoring.may_score_all(db, cast[who]) for who in (STAFF, ADMIN, LEADER, "in")] == [
        True, True, False, False]
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)
    assert [scoring.may_score_all(db, cast[who]) for who in (STAFF, LEADER, "in")] == [
        True, True, False]


@pytest.mark.parametrize("role, message", [("guest", "请先登录"), ("in", "微网格长权限")])
def test_guests_and_residents_may_not_see_or_save_scores(db, cast, month, role, message):
    with pytest.raises(PermissionDenied, match=message):
        scoring.buildings_to_score(db, cast[role], month)
    with pytest.raises(PermissionDenied, match=message):
        scoring.score_sheet(db, cast[role], month)
    with pytest.raises(PermissionDenied, match=message):
        scoring.save_scores(db, cast[role], month=month, rows=[full(db, cast["grid"]["place_a"])])
    assert ratings(db) == []


@pytest.mark.parametrize("who", ["leader_b", "leader_none"])
def test_a_leader_outside_the_grid_is_refused_and_nothing_is_saved(db, cast, month, who):
    rows = [full(db, cast["grid"]["place_b"]), full(db, cast["grid"]["place_a"])]
    with pytest.raises(PermissionDenied, match="只能给自己微网格内的楼栋评分。"):
        scoring.save_scores(db, cast[who], month=month, rows=rows)
    assert ratings(db) == []
    assert get_month(db, month).status == "draft"
    assert db.execute("SELECT COUNT(*) FROM ranking_months").fetchone()[0] == 0


@pytest.mark.parametrize("role", [LEADER, STAFF, ADMIN])
def test_each_rater_saves_their_own_rating(db, cast, month, role):
    place = cast["grid"]["place_a"]
    result = scoring.save_scores(db, cast[role], month=month, rows=[full(db, place, note=" 干净 ")])
    assert (result.saved, result.removed, result.unchanged) == (1, 0, 0)
    assert ratings(db) == [(month, place, cast[role].id, "干净", cid, n)
                           for cid, n in zip(ids(db), (4, 5, 3, 4))]
    entry = audit.recent(db, action="ranking.score")[0]
    assert entry["actor_id"] == cast[role].id and entry["target_id"] == month


# --- the score sheet ----------------------------------------------------------------------------


def test_the_sheet_shows_the_raters_own_stars_and_note_only(db, cast, month):
    a = cast["grid"]["place_a"]
    scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, a, (1, 1, 1, 1), "差")])
    empty = scoring.score_sheet(db, cast[LEADER], month)
    assert empty.month == month and [row.place_id for row in empty.rows] == [a]
    assert [c.name for c in empty.criteria] == ["环境卫生", "楼道整洁", "车辆停放", "邻里和睦"]
    assert empty.rows[0].stars == {cid: None for cid in ids(db)} and empty.rows[0].note == ""
    assert not empty.rows[0].rated and not empty.published
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, note="好")])
    row = scoring.score_sheet(db, cast[LEADER], month).rows[0]
    assert (row.code, row.name, row.note, list(row.stars.values()), row.rated) == (
        "1-1", "1栋", "好", [4, 5, 3, 4], True)


def test_a_published_month_reads_as_published(db, cast, month):
    publish_raw(db, month, {cast["grid"]["place_a"]: 800})
    assert scoring.score_sheet(db, cast[LEADER], month).published


def test_the_default_month_is_last_month_until_it_is_published(db, cast):
    moment = datetime(2026, 11, 3, 4, 0, tzinfo=timezone.utc)
    with clock.pretend(moment):
        assert scoring.default_month(db) == "2026-10"
        publish_raw(db, "2026-10", {cast["grid"]["place_a"]: 800})
        assert scoring.default_month(db) == "2026-11"
        assert scoring.recent_months(3) == ["2026-11", "2026-10", "2026-09"]
        assert len(scoring.recent_months()) == 12 and scoring.recent_months()[-1] == "2025-12"
    with clock.pretend(datetime(2026, 1, 10, 4, 0, tzinfo=timezone.utc)):
        assert scoring.recent_months(2) == ["2026-01", "2025-12"]


# --- saving -------------------------------------------------------------------------------------


def test_saving_again_replaces_the_stars_and_an_empty_row_removes_the_rating(db, cast, month):
    a = cast["grid"]["place_a"]
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    again = scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    assert (again.saved, again.unchanged, again.changed) == (0, 1, False)
    assert len(audit.recent(db, action="ranking.score")) == 1
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, (2, 2, 2, 2), "改")])
    assert {row[5] for row in ratings(db)} == {2} and ratings(db)[0][3] == "改"
    empty = {"place_id": a, "stars": {cid: None for cid in ids(db)}, "note": ""}
    removed = scoring.save_scores(db, cast[LEADER], month=month, rows=[empty])
    assert removed.removed == 1 and ratings(db) == []
    assert scoring.save_scores(db, cast[LEADER], month=month, rows=[empty]).unchanged == 1


def test_another_raters_rating_is_left_alone(db, cast, month):
    a = cast["grid"]["place_a"]
    scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, a, (1, 1, 1, 1))])
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    empty = {"place_id": a, "stars": {}, "note": None}
    scoring.save_scores(db, cast[LEADER], month=month, rows=[empty])
    assert {row[2] for row in ratings(db)} == {cast[STAFF].id}


def test_cells_as_a_table_gives_them_are_accepted(db, cast, month):
    a = cast["grid"]["place_a"]
    row = {"place_id": a, "stars": dict(zip(ids(db), (4.0, "５", 3, " 2 "))), "note": float("nan")}
    scoring.save_scores(db, cast[LEADER], month=month, rows=[row])
    assert [r[5] for r in ratings(db)] == [4, 5, 3, 2] and ratings(db)[0][3] == ""
    nan_row = {"place_id": a, "stars": {cid: float("nan") for cid in ids(db)}, "note": ""}
    assert scoring.save_scores(db, cast[LEADER], month=month, rows=[nan_row]).removed == 1


def test_stars_of_a_deactivated_criterion_are_dropped_on_the_next_save(db, cast, month):
    a = cast["grid"]["place_a"]
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    rows = [{"id": c.id, "name": c.name, "weight": c.weight, "active": c.name != "邻里和睦"}
            for c in criteria.list_criteria(db)]
    rows[0]["weight"] += 10
    criteria.save_criteria(db, cast[ADMIN], rows=rows)
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, (4, 5, 3))])
    assert len(ratings(db)) == 3


@pytest.mark.parametrize("value", [0, 6, -1, "五", "abc", "٣", 2.5, "4星", True, [4]])
def test_a_star_outside_1_to_5_is_refused_naming_the_building(db, cast, month, value):
    a, b = cast["grid"]["place_a"], cast["grid"]["place_b"]
    scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, b, (3, 3, 3, 3))])
    before = ratings(db)
    bad = full(db, a)
    bad["stars"][ids(db)[1]] = value
    with pytest.raises(ValidationError) as refused:
        scoring.save_scores(db, cast[STAFF], month=month,
                            rows=[full(db, b, (5, 5, 5, 5)), bad])
    assert str(refused.value) == "1-1：楼道整洁只能打 1-5 星（填 1 到 5 的整数）。"
    assert ratings(db) == before  # the good row was not saved either


def test_a_half_filled_row_is_refused_naming_what_is_missing(db, cast, month):
    row = full(db, cast["grid"]["place_a"])
    row["stars"][ids(db)[2]] = None
    row["stars"][ids(db)[3]] = ""
    with pytest.raises(ValidationError) as refused:
        scoring.save_scores(db, cast[LEADER], month=month, rows=[row])
    assert "1-1：还没给车辆停放、邻里和睦打星" in str(refused.value)
    assert ratings(db) == []


def test_a_note_without_stars_is_refused_so_it_is_not_lost(db, cast, month):
    row = {"place_id": cast["grid"]["place_a"], "stars": {}, "note": "下周再看"}
    with pytest.raises(ValidationError, match="只写了备注"):
        scoring.save_scores(db, cast[LEADER], month=month, rows=[row])
    assert ratings(db) == []


def test_a_note_too_long_is_refused_and_200_characters_fit(db, cast, month):
    a = cast["grid"]["place_a"]
    with pytest.raises(ValidationError, match="备注最多200个字，现在是201个字"):
        scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, note="好" * 201)])
    assert ratings(db) == []
    with pytest.raises(ValidationError, match="备注应为文字"):
        scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, note=5)])
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a, note="好" * 200)])
    assert ratings(db)[0][3] == "好" * 200


def test_every_bad_row_is_named_at_once(db, cast, month):
    criteria.set_leaders_score_all(db, cast[ADMIN], on=True)
    a, b = full(db, cast["grid"]["place_a"], (0, 1, 1, 1)), full(db, cast["grid"]["place_b"])
    b["stars"][ids(db)[0]] = None
    with pytest.raises(ValidationError) as refused:
        scoring.save_scores(db, cast[LEADER], month=month, rows=[a, b])
    assert set(refused.value.fields) == {"1-1", "2-1"}
    assert ratings(db) == []


def test_a_future_month_is_refused(db, cast):
    future = next_month(current_month())
    for call in (lambda: scoring.save_scores(db, cast[STAFF], month=future,
                                             rows=[full(db, cast["grid"]["place_a"])]),
                 lambda: scoring.score_sheet(db, cast[STAFF], future)):
        with pytest.raises(ValidationError, match="不能评比未来的月份。"):
            call()
    with pytest.raises(ValidationError, match="月份格式"):
        scoring.save_scores(db, cast[STAFF], month="十月", rows=[])
    assert ratings(db) == []
    assert db.execute("SELECT COUNT(*) FROM ranking_months").fetchone()[0] == 0


def test_the_current_month_may_be_scored_as_it_goes(db, cast):
    scoring.save_scores(db, cast[LEADER], month=current_month(),
                        rows=[full(db, cast["grid"]["place_a"])])
    assert get_month(db, current_month()).status == "draft" and len(ratings(db)) == 4


def test_a_published_month_is_refused_and_stays_as_published(db, cast, month):
    a = cast["grid"]["place_a"]
    scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    publish_raw(db, month, {a: 800})
    before = ratings(db)
    label = f"{month[:4]}年{int(month[5:])}月"
    for rows in ([full(db, a, (1, 1, 1, 1))], [{"place_id": a, "stars": {}, "note": ""}]):
        with pytest.raises(ValidationError, match=f"{label}的评比已公布，不能再修改。"):
            scoring.save_scores(db, cast[LEADER], month=month, rows=rows)
    assert ratings(db) == before
    assert len(audit.recent(db, action="ranking.score")) == 1


def test_unknown_buildings_and_stale_columns_are_refused(db, cast, month):
    a = cast["grid"]["place_a"]
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('gate', '大门', 'common', 'now')")
    gate = db.execute("SELECT id FROM places WHERE code = 'gate'").fetchone()[0]
    db.conn.commit()
    unknown = {"_": "评分表里有不存在的楼栋，请刷新页面后重试。"}
    stale = {"_": "评比标准已被修改，请刷新页面后重试。"}
    shape = {"_": "评分表的格式不对。"}
    cases = [
        ([full(db, 999)], unknown),
        ([full(db, gate)], unknown),
        ([{"place_id": "1", "stars": {}}], unknown),
        ([full(db, a), full(db, a)], {"1-1": "1-1：同一楼栋出现了两次。"}),
        ([{"place_id": a, "stars": {999: 4}, "note": ""}], stale),
        ([{"place_id": a, "stars": [4, 4, 4, 4], "note": ""}], stale),
        ("1-1", shape),
        ([["1-1", 4]], shape),
    ]
    for rows, fields in cases:
        with pytest.raises(ValidationError) as refused:
            scoring.save_scores(db, cast[STAFF], month=month, rows=rows)
        assert refused.value.fields == fields
    assert ratings(db) == []


def test_two_bad_criteria_of_one_building_are_named_together(db, cast, month):
    bad = full(db, cast["grid"]["place_a"])
    bad["stars"][ids(db)[0]], bad["stars"][ids(db)[2]] = 6, 0
    with pytest.raises(ValidationError) as refused:
        scoring.save_scores(db, cast[STAFF], month=month, rows=[bad])
    assert refused.value.fields == {"1-1": "1-1：环境卫生、车辆停放只能打 1-5 星（填 1 到 5 的整数）。"}


def test_every_row_of_a_save_is_counted(db, cast, month):
    a, b = cast["grid"]["place_a"], cast["grid"]["place_b"]
    empty = [{"place_id": place, "stars": {}, "note": ""} for place in (a, b)]
    first = scoring.save_scores(db, cast[STAFF], month=month, rows=empty)
    assert (first.saved, first.removed, first.unchanged) == (0, 0, 2)
    filled = scoring.save_scores(db, cast[STAFF], month=month, rows=[empty[0], full(db, b)])
    assert (filled.saved, filled.removed, filled.unchanged) == (1, 0, 1)  # past an empty row
    both = scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, a), full(db, b)])
    assert (both.saved, both.removed, both.unchanged) == (1, 0, 1)  # past an unchanged row
    cleared = scoring.save_scores(db, cast[STAFF], month=month, rows=empty)
    assert (cleared.saved, cleared.removed, cleared.unchanged) == (0, 2, 0)
    assert ratings(db) == []


def test_unchanged_rows_are_counted_and_passed_over_to_the_next(db, cast, month):
    a, b = cast["grid"]["place_a"], cast["grid"]["place_b"]
    both = scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, a), full(db, b)])
    assert (both.saved, both.removed, both.unchanged) == (2, 0, 0)
    again = scoring.save_scores(db, cast[STAFF], month=month, rows=[full(db, a), full(db, b)])
    assert (again.saved, again.removed, again.unchanged) == (0, 0, 2)
    later = scoring.save_scores(db, cast[STAFF], month=month,
                                rows=[full(db, a), full(db, b, stars=(1, 1, 1, 1))])
    assert (later.saved, later.removed, later.unchanged) == (1, 0, 1)
    assert {row[5] for row in ratings(db) if row[1] == b} == {1}
    entries = [(e["actor_id"], e["target_type"], e["target_id"], json.loads(e["detail"]))
               for e in reversed(audit.recent(db, action="ranking.score"))]
    assert entries == [(cast[STAFF].id, "ranking_month", month, {"saved": 2, "removed": 0}),
                       (cast[STAFF].id, "ranking_month", month, {"saved": 1, "removed": 0})]


def test_a_publication_landing_after_the_early_check_is_refused_under_the_lock(
        db, cast, month, monkeypatch):
    a = cast["grid"]["place_a"]
    real = scoring.require_draft
    checks = []

    def published_in_between(db_, month_):
        real(db_, month_)
        if not checks:  # staff publish between the friendly check and the write lock
            publish_raw(db, month, {a: 800})
        checks.append(month_)

    monkeypatch.setattr(scoring, "require_draft", published_in_between)
    with pytest.raises(ValidationError, match="的评比已公布，不能再修改"):
        scoring.save_scores(db, cast[LEADER], month=month, rows=[full(db, a)])
    assert checks == [month] and ratings(db) == []
