"""The organisation: places in natural order, safe code look-up, admin-only changes, seeding."""
from __future__ import annotations

import json

import pytest

from lib.core import audit
from lib.core.config import DEMO_SEED_DIR
from lib.core.db import open_db
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, RESIDENT
from lib.people import accounts, households, org, roster


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


# --- the one room-number rule -------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("302", "302"), ("３０２", "302"), ("302室", "302"), ("302号", "302"), (" 3 0 2 ", "302"),
    ("３０２室", "302"), ("b1-02", "B1-02"), ("Ｂ１－０２", "B1-02"), ("1201", "1201"),
    ("0302", "0302"), (302, "302"), ("a" * 10, "A" * 10),
])
def test_a_room_is_written_one_way_however_it_is_typed(typed, stored):
    assert org.normalise_room(typed) == stored


@pytest.mark.parametrize("typed, says", [
    ("", "请填写"), ("   ", "请填写"), (None, "请填写"), ("室", "请填写"),
    ("12345678901", "最多10"), ("３" * 11, "最多10"),
    ("3 0 2!", "只能包含"), ("-302", "只能包含"), ("地下室", "只能包含"), ("302室室", "只能包含"),
    ("3o2é", "只能包含"), ("302\n303", "只能包含"),
])
def test_an_odd_room_is_refused_in_chinese(typed, says):
    with pytest.raises(ValidationError) as caught:
        org.normalise_room(typed)
    assert says in caught.value.fields["room"]


def test_an_admin_cannot_add_302_next_to_302_typed_differently(db, admin):
    place = org.place_by_code(db, "1-1")
    household = org.add_household(db, admin, place_id=place.id, room="３０２室")
    assert household["room"] == "302"
    for typed in ("302", "302号", " ３０２ "):
        with pytest.raises(ValidationError):
            org.add_household(db, admin, place_id=place.id, room=typed)
    assert org.household_for(db, place.id, "302室")["id"] == household["id"]
    assert org.household_for(db, place.id, "302!") is None
    assert db.execute("SELECT COUNT(*) FROM households WHERE place_id = ?", (place.id,)
                      ).fetchone()[0] == 1


def _register(db, username: str, **fields):
    """A resident through the real registration (bcrypt made cheap by cheap_bcrypt)."""
    return accounts.register(db, username=username, display_name="居民", password="Spring2026",
                             **fields)


@pytest.mark.usefixtures("cheap_bcrypt")
@pytest.mark.parametrize("typed", ["３０２", "302室", "302 号"])
def test_a_resident_typing_302_any_way_is_bound_to_the_rosters_302(db, admin, make_user, typed):
    """Both call sites: the roster imports 302室, a resident asks for ３０２ (or the reverse)."""
    place = org.place_by_code(db, "1-1")
    roster.import_roster(db, admin, filename="r.csv", data="楼栋编号,房号\n1-1,302室\n".encode())
    resident = _register(db, "zhang_san")
    households.request_household(db, resident, place_id=place.id, room=typed)
    assert db.execute("SELECT requested_room FROM users WHERE id = ?", (resident.id,)
                      ).fetchone()[0] == "302"
    verified = households.verify_household(db, make_user("staff"), user_id=resident.id,
                                           approve=True)
    assert verified.household_id == org.household_for(db, place.id, "302")["id"]
    assert db.execute("SELECT COUNT(*) FROM households WHERE place_id = ?", (place.id,)
                      ).fetchone()[0] == 1


@pytest.mark.usefixtures("cheap_bcrypt")
def test_registering_with_a_room_uses_the_same_rule(db):
    place = org.place_by_code(db, "1-1")
    user = _register(db, "li_si", place_id=place.id, room="ｂ１－０２室")
    assert db.execute("SELECT requested_room FROM users WHERE id = ?", (user.id,)
                      ).fetchone()[0] == "B1-02"
    with pytest.raises(ValidationError) as caught:
        _register(db, "wang_wu", place_id=place.id, room="地下室")
    assert "只能包含" in caught.value.fields["room"]
    with pytest.raises(ValidationError) as caught:
        _register(db, "zhao_liu", place_id=place.id, room="  ")
    assert "请填写" in caught.value.fields["room"]


@pytest.mark.usefixtures("cheap_bcrypt")
@pytest.mark.parametrize("typed", ["3 0 2!", "", "12345678901", "地下室"])
def test_a_household_request_with_an_odd_room_changes_nothing(db, typed):
    resident = _register(db, "sun_qi")
    place = org.place_by_code(db, "1-1")
    with pytest.raises(ValidationError) as caught:
        households.request_household(db, resident, place_id=place.id, room=typed)
    assert set(caught.value.fields) == {"room"}
    assert db.execute("SELECT household_status, requested_room FROM users WHERE id = ?",
                      (resident.id,)).fetchone() == ("none", None)


def test_m007_normalises_old_rooms_and_keeps_every_row_that_would_collide(tmp_path):
    from lib.core.migrations import migrate_database, migrations
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    migrate_database(old, stop_before="m007_normalise_room_numbers")
    old.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('1-1', 'x', 'building', 't')")
    rows = [("302", "甲"), ("302室", "乙"), ("３０３", "丙"), ("b1", "丁"), ("地下室", "戊"),
            ("404号", "己"), ("４０４", "庚")]
    for room, head in rows:
        old.execute("INSERT INTO households (place_id, room, head_name, created_at)"
                    " VALUES (1, ?, ?, 't')", (room, head))
    old.execute("INSERT INTO users (username, display_name, password_hash, created_at,"
                " password_changed_at, household_status, requested_place_id, requested_room,"
                " household_id) VALUES ('u1', 'u', 'h', 't', 't', 'pending', 1, '５０１室', NULL),"
                " ('u2', 'u', 'h', 't', 't', 'verified', 1, '302室', 2),"
                " ('u3', 'u', 'h', 't', 't', 'pending', 1, '!!', NULL)")
    old.conn.commit()
    old.conn.close()

    upgraded = open_db(path)
    assert "m007_normalise_room_numbers" in {m.name for m in migrations.applied(upgraded)}
    stored = dict(upgraded.execute("SELECT head_name, room FROM households").fetchall())
    assert stored == {"甲": "302", "乙": "302室", "丙": "303", "丁": "B1", "戊": "地下室",
                      "己": "404", "庚": "４０４"}
    assert upgraded.execute("SELECT username, requested_room, household_id FROM users ORDER BY id"
                            ).fetchall() == [("u1", "501", None), ("u2", "302", 2), ("u3", "!!", None)]
    assert upgraded.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- behaviour pinned down by the mutation review (make mutate) ---------------------------------

def test_within_a_kind_codes_starting_with_a_digit_come_before_codes_starting_with_a_letter(db, admin):
    org.add_place(db, admin, code="2", name="二号亭", kind="common", microgrid_id=None)
    assert [p.code for p in org.list_places(db, kind="common")] == ["2", "D1", "gate"]


def test_a_code_padded_with_spaces_up_to_100_characters_is_found_and_one_more_is_junk(db):
    assert org.place_by_code(db, " " * 97 + "1-1").code == "1-1"
    assert org.place_by_code(db, " " * 98 + "1-1") is None


def test_an_unknown_place_id_finds_nothing(db):
    assert org.place_by_id(db, 9999) is None
    assert org.place_by_id(db, org.place_by_code(db, "gate").id).code == "gate"


def test_every_refusal_names_its_field_and_says_what_is_wrong_in_chinese(db, admin):
    def refusal(call, **kwargs) -> dict:
        with pytest.raises(ValidationError) as caught:
            call(db, admin, **kwargs)
        return caught.value.fields

    assert refusal(org.add_place, code="4 1", name=None, kind="tower", microgrid_id=None) == {
        "code": "编号为1-20位字母、数字或短横线，如 4-1 或 gate", "name": "请填写名称",
        "kind": "类型应为楼栋单元或公共区域"}
    assert refusal(org.add_place, code="5-1", name="x" * 41, kind="building", microgrid_id=None) == {
        "name": "名称最多40个字", "microgrid_id": "请选择楼栋所属的微网格"}
    assert refusal(org.add_place, code="5-1", name="五栋", kind="building", microgrid_id=999) == {
        "microgrid_id": "所选微网格不存在"}
    place_id = org.place_by_code(db, "1-1").id
    assert refusal(org.add_household, place_id=place_id, room="地下室", head_name="x" * 21) == {
        "room": "房号只能包含数字、字母和短横线，例如 302 或 B1-02。", "head_name": "户主姓名最多20个字"}
    assert refusal(org.add_household, place_id=place_id, room=" ") == {"room": "请填写房号，例如 302。"}
    for call, kwargs in ((org.rename_place, {"place_id": 9999, "name": "无"}),
                         (org.add_household, {"place_id": 9999, "room": "101"})):
        with pytest.raises(NotFound) as caught:
            call(db, admin, **kwargs)
        assert str(caught.value) == "找不到该楼栋或地点。"
    assert org.place_by_code(db, "5-1") is None and org.household_for(db, place_id, "101") is None


def test_the_longest_allowed_name_head_and_member_count_are_accepted(db, admin):
    place = org.add_place(db, admin, code="7-1", name="楼" * 40, kind="common", microgrid_id=None)
    assert place.name == "楼" * 40
    household = org.add_household(db, admin, place_id=place.id, room="101", head_name="张" * 20,
                                  members=30)
    assert (household["head_name"], household["members"]) == ("张" * 20, 30)


def test_a_household_added_with_only_a_room_has_no_head_and_one_member(db, admin):
    household = org.add_household(db, admin, place_id=org.place_by_code(db, "1-1").id, room="501")
    assert (household["room"], household["head_name"], household["members"]) == ("501", "", 1)


def test_adding_and_renaming_record_who_did_what_to_which_record(db, admin):
    place = org.add_place(db, admin, code="3-1", name="3栋1单元", kind="building",
                          microgrid_id=microgrid_id(db, "甲微网格"))
    org.rename_place(db, admin, place_id=place.id, name="3栋一单元")
    household = org.add_household(db, admin, place_id=place.id, room="201")
    entries = {entry["action"]: entry for entry in audit.recent(db)}
    assert {action: (e["actor_id"], e["target_type"], e["target_id"], json.loads(e["detail"]))
            for action, e in entries.items()} == {
        "place.add": (admin.id, "place", str(place.id),
                      {"code": "3-1", "name": "3栋1单元", "kind": "building"}),
        "place.rename": (admin.id, "place", str(place.id), {"old": "3栋1单元", "new": "3栋一单元"}),
        "household.add": (admin.id, "household", str(household["id"]),
                          {"place_id": place.id, "room": "201"}),
    }


@pytest.mark.parametrize("cell, count", [
    (None, 1), ("", 1), ("  ", 1), (3, 3), (3.0, 3), ("3", 3), ("3.0", 3), ("12.0", 12),
    ("３", 3), (" 30 ", 30), (30, 30), (1, 1),
    (0, None), (31, None), (3.5, None), (True, None), ("abc", None), ("3.", None), ("三", None),
])
def test_a_member_count_is_read_from_a_form_or_spreadsheet_cell(cell, count):
    assert org.parse_members(cell) == count


def test_a_minimal_seed_fills_in_the_defaults(tmp_path):
    database = open_db(tmp_path / "t.db")
    org.seed_organisation(database, {
        "community": {"name": "小区"},
        "grids": [{"name": "空网格"}, {"name": "网格", "microgrids": [{"name": "空微网格"}, {
            "name": "微网格", "places": [{"code": "1-1", "name": "1栋1单元",
                                          "households": [{"room": "101室"}]}]}]}],
    })
    assert database.execute("SELECT name, address FROM community").fetchall() == [("小区", "")]
    assert database["grids"].count == 2 and database["microgrids"].count == 2
    place = org.place_by_code(database, "1-1")
    assert (place.kind, place.microgrid_name, place.grid_name) == ("building", "微网格", "网格")
    assert database.execute("SELECT room, head_name, members FROM households").fetchall() == [
        ("101", "", 1)]
    org.seed_organisation(database, {"community": {"name": "小区", "address": "路1号"}})
    assert database.execute("SELECT address FROM community").fetchall() == [("",)]


def test_a_seed_keeps_the_address_and_names_the_community_already_there(db):
    assert db.execute("SELECT address FROM community").fetchall() == [("测试路1号",)]
    with pytest.raises(ValueError) as caught:
        org.seed_organisation(db, {"community": {"name": "别的小区"}})
    assert str(caught.value) == "数据库中已有其他社区：测试小区"


@pytest.mark.parametrize("place, fields", [
    ({"code": "p1", "name": "", "kind": "common"}, {"name": "p1：请填写名称"}),
    ({"code": "p1", "name": "亭", "kind": "tower"}, {"kind": "p1：类型应为楼栋单元或公共区域"}),
])
def test_a_malformed_seed_place_says_which_place_and_what_is_wrong(tmp_path, place, fields):
    database = open_db(tmp_path / "t.db")
    with pytest.raises(ValidationError) as caught:
        org.seed_organisation(database, {"community": {"name": "小区"}, "places": [place]})
    assert caught.value.fields == fields
    assert database["places"].count == 0


def test_natural_order_compares_digit_runs_as_numbers():
    assert sorted(["10-1", "1-10", "2-1", "1-2", "A-1", "1-1"], key=org.natural_key) == [
        "1-1", "1-2", "1-10", "2-1", "10-1", "A-1"]
