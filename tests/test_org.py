"""The organisation: places in natural order, safe code look-up, admin-only changes, seeding."""
from __future__ import annotations

import json

import pytest

from lib import audit, org
from lib.config import DEMO_SEED_DIR
from lib.db import open_db
from lib.errors import NotFound, PermissionDenied, ValidationError
from lib.roles import ADMIN, RESIDENT

SPEC = {
    "community": {"name": "测试小区", "address": "测试路1号"},
    "grids": [
        {"name": "第一网格", "microgrids": [
            {"name": "甲微网格", "places": [
                {"code": "10-1", "name": "10栋1单元", "kind": "building"},
                {"code": "2-1", "name": "2栋1单元", "kind": "building",
                 "households": [{"room": "101", "head_name": "测甲", "members": 3},
                                {"room": "102"}]},
                {"code": "1-2", "name": "1栋2单元", "kind": "building"},
            ]},
        ]},
        {"name": "第二网格", "microgrids": [
            {"name": "乙微网格", "places": [
                {"code": "9-2", "name": "9栋2单元", "kind": "building"},
                {"code": "1-1", "name": "1栋1单元", "kind": "building"},
            ]},
        ]},
    ],
    "places": [{"code": "gate", "name": "大门", "kind": "common"},
               {"code": "D1", "name": "车棚", "kind": "common"}],
}


@pytest.fixture
def db(db):
    """The shared temporary database, with this module's small community seeded."""
    org.seed_organisation(db, SPEC)
    return db


@pytest.fixture
def admin(make_user):
    return make_user(ADMIN, username="admin")


@pytest.fixture
def resident(make_user):
    return make_user(RESIDENT, username="resident")


def counts(db) -> dict[str, int]:
    tables = ("community", "grids", "microgrids", "places", "households", "audit_log")
    return {table: db[table].count for table in tables}


def microgrid_id(db, name: str) -> int:
    return next(m["id"] for m in org.list_microgrids(db) if m["name"] == name)


def test_places_are_listed_buildings_first_in_natural_code_order(db):
    codes = [place.code for place in org.list_places(db)]
    assert codes == ["1-1", "1-2", "2-1", "9-2", "10-1", "D1", "gate"]


def test_places_can_be_filtered_by_kind(db):
    assert [p.code for p in org.list_places(db, kind="common")] == ["D1", "gate"]
    assert all(p.is_building for p in org.list_places(db, kind="building"))


def test_a_place_carries_its_micro_grid_and_grid_names(db):
    place = org.place_by_code(db, "9-2")
    assert (place.name, place.microgrid_name, place.grid_name) == ("9栋2单元", "乙微网格", "第二网格")
    gate = org.place_by_code(db, "gate")
    assert (gate.kind, gate.microgrid_id, gate.grid_name) == ("common", None, "")


def test_place_codes_are_found_case_insensitively_and_trimmed(db):
    assert org.place_by_code(db, " GATE ").code == "gate"
    assert org.place_by_code(db, "d1").code == "D1"
    assert org.place_by_code(db, "１-１").code == "1-1"  # full-width, as typed on a phone


@pytest.mark.parametrize("junk", ["1-1' OR 1=1--", "x" * 5000, "🏠", "", "   ", "1-1%", "9-9", None, 42])
def test_junk_or_unknown_codes_from_urls_find_nothing(db, junk):
    assert org.place_by_code(db, junk) is None


def test_community_name_is_the_seeded_one_or_blank_before_seeding(db, tmp_path):
    assert org.community_name(db) == "测试小区"
    assert org.community_name(open_db(tmp_path / "empty.db")) == ""


def test_micro_grids_are_listed_with_their_grid(db):
    assert [(m["name"], m["grid_name"]) for m in org.list_microgrids(db)] == [
        ("甲微网格", "第一网格"), ("乙微网格", "第二网格")]


def test_an_admin_adds_a_building_and_it_is_audited(db, admin):
    place = org.add_place(db, admin, code=" 3-1 ", name="3栋1单元", kind="building",
                          microgrid_id=microgrid_id(db, "甲微网格"))
    assert (place.code, place.name, place.microgrid_name) == ("3-1", "3栋1单元", "甲微网格")
    assert org.place_by_code(db, "3-1") == place
    assert audit.recent(db, action="place.add")[0]["actor_username"] == "admin"


def test_a_duplicate_code_is_refused_whatever_its_case_and_nothing_is_stored(db, admin):
    before = counts(db)
    with pytest.raises(ValidationError) as caught:
        org.add_place(db, admin, code="GATE", name="另一个大门", kind="common", microgrid_id=None)
    assert caught.value.fields == {"code": "编号已存在"}
    assert counts(db) == before


@pytest.mark.parametrize("code", ["", "4 1", "4_1", "楼1", "-1", "x" * 21, "1-1'--"])
def test_a_malformed_code_is_refused(db, admin, code):
    with pytest.raises(ValidationError) as caught:
        org.add_place(db, admin, code=code, name="某处", kind="common", microgrid_id=None)
    assert "code" in caught.value.fields
    assert len(org.list_places(db)) == 7


def test_bad_name_kind_and_missing_micro_grid_are_reported_per_field(db, admin):
    with pytest.raises(ValidationError) as caught:
        org.add_place(db, admin, code="5-1", name="x" * 41, kind="building", microgrid_id=None)
    assert set(caught.value.fields) == {"name", "microgrid_id"}
    with pytest.raises(ValidationError) as caught:
        org.add_place(db, admin, code="5-1", name="五栋", kind="tower", microgrid_id=None)
    assert set(caught.value.fields) == {"kind"}
    with pytest.raises(ValidationError) as caught:
        org.add_place(db, admin, code="5-1", name="五栋", kind="building", microgrid_id=999)
    assert set(caught.value.fields) == {"microgrid_id"}
    assert org.place_by_code(db, "5-1") is None


def test_a_resident_cannot_add_or_rename_places_or_households(db, resident):
    before = counts(db)
    place = org.place_by_code(db, "1-1")
    with pytest.raises(PermissionDenied):
        org.add_place(db, resident, code="6-1", name="6栋1单元", kind="common", microgrid_id=None)
    with pytest.raises(PermissionDenied):
        org.rename_place(db, resident, place_id=place.id, name="改名")
    with pytest.raises(PermissionDenied):
        org.add_household(db, resident, place_id=place.id, room="501")
    assert counts(db) == before
    assert org.place_by_code(db, "1-1").name == "1栋1单元"


def test_renaming_keeps_the_code_and_is_audited(db, admin):
    place = org.place_by_code(db, "gate")
    renamed = org.rename_place(db, admin, place_id=place.id, name="  东大门 ")
    assert (renamed.code, renamed.name) == ("gate", "东大门")
    entry = audit.recent(db, action="place.rename")[0]
    assert json.loads(entry["detail"]) == {"old": "大门", "new": "东大门"}


def test_renaming_a_missing_place_or_to_a_blank_name_is_refused(db, admin):
    with pytest.raises(NotFound):
        org.rename_place(db, admin, place_id=9999, name="无")
    place = org.place_by_code(db, "gate")
    with pytest.raises(ValidationError):
        org.rename_place(db, admin, place_id=place.id, name="  ")
    assert org.place_by_code(db, "gate").name == "大门"


def test_an_admin_adds_a_household_and_finds_it_by_room(db, admin):
    place = org.place_by_code(db, "1-1")
    household = org.add_household(db, admin, place_id=place.id, room=" 302 ", head_name="测乙",
                                  members=4)
    assert org.household_for(db, place.id, "302") == household
    assert (household["head_name"], household["members"]) == ("测乙", 4)
    assert org.household_for(db, place.id, "303") is None
    assert audit.recent(db, action="household.add")


def test_a_duplicate_room_or_bad_member_count_is_refused_and_nothing_is_stored(db, admin):
    place = org.place_by_code(db, "2-1")
    before = counts(db)
    with pytest.raises(ValidationError) as caught:
        org.add_household(db, admin, place_id=place.id, room="101")
    assert caught.value.fields == {"room": "该房号已登记"}
    for members in (0, 31, "三"):
        with pytest.raises(ValidationError) as caught:
            org.add_household(db, admin, place_id=place.id, room="501", members=members)
        assert set(caught.value.fields) == {"members"}
    with pytest.raises(NotFound):
        org.add_household(db, admin, place_id=9999, room="101")
    assert counts(db) == before


def test_seeding_twice_changes_nothing(db):
    before = counts(db)
    places = org.list_places(db)
    households = list(db.query("SELECT * FROM households ORDER BY id"))
    org.seed_organisation(db, SPEC)
    assert counts(db) == before
    assert org.list_places(db) == places
    assert list(db.query("SELECT * FROM households ORDER BY id")) == households
    assert before["audit_log"] == 0  # seeding is not audited


def test_seeding_a_different_community_into_the_same_database_is_refused(db):
    before = counts(db)
    with pytest.raises(ValueError):
        org.seed_organisation(db, {**SPEC, "community": {"name": "别的小区"}})
    assert counts(db) == before


def test_a_malformed_seed_place_rolls_back_the_whole_seed(tmp_path):
    database = open_db(tmp_path / "t.db")
    bad = {**SPEC, "places": [{"code": "bad code", "name": "坏", "kind": "common"}]}
    with pytest.raises(ValidationError):
        org.seed_organisation(database, bad)
    assert counts(database)["places"] == 0 and counts(database)["community"] == 0


def test_the_demo_community_seeds_16_units_3_common_places_and_about_120_households(tmp_path):
    database = open_db(tmp_path / "t.db")
    spec = json.loads((DEMO_SEED_DIR / "community.json").read_text(encoding="utf-8"))
    org.seed_organisation(database, spec)
    org.seed_organisation(database, spec)
    buildings = org.list_places(database, kind="building")
    assert [p.code for p in buildings] == [f"{b}-{u}" for b in range(1, 9) for u in (1, 2)]
    assert all(p.microgrid_id is not None and p.name == f"{p.code[0]}栋{p.code[2]}单元"
               for p in buildings)
    assert {p.code: p.name for p in org.list_places(database, kind="common")} == {
        "bike": "车棚", "gate": "大门", "plaza": "中心广场"}
    assert database["grids"].count == 3 and 4 <= database["microgrids"].count <= 6
    assert 110 <= database["households"].count <= 130
    assert org.community_name(database) == "幸福里小区"
