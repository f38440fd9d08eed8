"""Importing a household roster from CSV (UTF-8 or GBK) or Excel; bad rows reported, good rows kept."""
from __future__ import annotations

import datetime
import io
import json
import random

import openpyxl
import pytest

from lib.core import audit
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import ADMIN, RESIDENT
from lib.people import org, roster


SPEC = {
    "community": {"name": "测试小区"},
    "grids": [{"name": "第一网格", "microgrids": [{"name": "甲微网格", "places": [
        {"code": "1-1", "name": "1栋1单元", "kind": "building",
         "households": [{"room": "101", "head_name": "原户主", "members": 2}]},
        {"code": "1-2", "name": "1栋2单元", "kind": "building"},
    ]}]}],
    "places": [{"code": "gate", "name": "大门", "kind": "common"}],
}
GOOD_CSV = "楼栋编号,房号,户主,人数\n1-1,201,赵一,3\n1-2,101,钱二,\n1-2,102,,5\n"


@pytest.fixture
def db(db):
    """The shared temporary database, with this module's small community seeded."""
    org.seed_organisation(db, SPEC)
    return db


@pytest.fixture
def admin(make_user):
    return make_user(ADMIN, username="admin")


def households(db) -> dict[tuple[str, str], tuple[str, int]]:
    rows = db.query("SELECT places.code, households.room, households.head_name, households.members"
                    " FROM households JOIN places ON places.id = households.place_id")
    return {(r["code"], r["room"]): (r["head_name"], r["members"]) for r in rows}


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_utf8_csv_is_imported_with_defaults_for_blank_cells(db, admin):
    result = roster.import_roster(db, admin, filename="名单.csv", data=GOOD_CSV.encode("utf-8-sig"))
    assert (result.imported, result.skipped_existing, result.errors) == (3, 0, [])
    assert households(db) == {("1-1", "101"): ("原户主", 2), ("1-1", "201"): ("赵一", 3),
                              ("1-2", "101"): ("钱二", 1), ("1-2", "102"): ("", 5)}


def test_a_gbk_csv_from_excel_on_windows_is_imported(db, admin):
    result = roster.import_roster(db, admin, filename="名单.csv", data=GOOD_CSV.encode("gbk"))
    assert result.imported == 3 and not result.errors
    assert households(db)[("1-1", "201")] == ("赵一", 3)


def test_english_headers_and_upper_case_codes_are_accepted(db, admin):
    data = b"place,room,head_name,members\nGATE,kiosk,,1\n1-2,301,Li,2\n"
    result = roster.import_roster(db, admin, filename="r.csv", data=data)
    assert result.imported == 2 and not result.errors
    assert ("gate", "KIOSK") in households(db)  # rooms are upper-cased, one rule everywhere


def test_an_xlsx_with_a_title_row_and_numeric_rooms_is_imported(db, admin):
    data = xlsx_bytes([["幸福里小区住户名单"], ["楼栋编号", "房号", "户主", "人数"],
                       ["1-1", 301, "孙三", 4], ["1-2", 401.0, "李四", 2.0]])
    rows = roster.parse_roster("名单.xlsx", data)
    assert [(r["line"], r["room"]) for r in rows] == [(3, "301"), (4, "401")]
    result = roster.import_roster(db, admin, filename="名单.xlsx", data=data)
    assert result.imported == 2 and not result.errors
    assert households(db)[("1-2", "401")] == ("李四", 2)


def test_a_code_that_excel_turned_into_a_date_is_read_back_as_the_code(db, admin):
    data = xlsx_bytes([["楼栋编号", "房号"], [datetime.datetime(2026, 1, 2), "601"]])
    result = roster.import_roster(db, admin, filename="名单.xlsx", data=data)
    assert result.imported == 1 and ("1-2", "601") in households(db)


def test_content_decides_the_format_not_the_file_name(db, admin):
    data = xlsx_bytes([["楼栋编号", "房号"], ["1-2", "501"]])
    result = roster.import_roster(db, admin, filename="roster.csv", data=data)
    assert result.imported == 1


def test_broken_rows_are_reported_by_line_while_good_rows_are_imported(db, admin):
    data = ("楼栋编号,房号,户主,人数\n"
            "1-1,202,周五,2\n"        # 2 good
            "9-9,101,吴六,1\n"        # 3 unknown place
            "1-1,,郑七,1\n"           # 4 missing room
            "1-2,201,王八,0\n"        # 5 members out of range
            "1-2,202,冯九,很多\n"      # 6 members not a number
            "\n"                      # 7 blank line: skipped, numbering kept
            "1-1,202,陈十,3\n"        # 8 duplicate of line 2
            "1-2,12345678901,褚一,1\n"  # 9 room too long
            "1-2,203,卫二,2\n")       # 10 good
    result = roster.import_roster(db, admin, filename="名单.csv", data=data.encode())
    assert result.imported == 2
    lines = {error.line: error.message for error in result.errors}
    assert sorted(lines) == [3, 4, 5, 6, 8, 9]
    assert "9-9" in lines[3] and "房号" in lines[4] and "人数" in lines[5] and "第2行" in lines[8]
    stored = households(db)
    assert stored[("1-1", "202")] == ("周五", 2) and ("1-2", "203") in stored
    assert ("1-2", "201") not in stored and ("1-2", "202") not in stored
    assert len(stored) == 3


def test_reimporting_the_same_file_skips_existing_rooms_and_changes_nothing(db, admin):
    data = GOOD_CSV.encode()
    roster.import_roster(db, admin, filename="名单.csv", data=data)
    before = households(db)
    again = roster.import_roster(db, admin, filename="名单.csv", data=data)
    assert (again.imported, again.skipped_existing, again.errors) == (0, 3, [])
    assert households(db) == before


def test_a_room_already_registered_keeps_its_existing_head(db, admin):
    result = roster.import_roster(db, admin, filename="r.csv", data="楼栋编号,房号,户主\n1-1,101,新名字\n".encode())
    assert (result.imported, result.skipped_existing) == (0, 1)
    assert households(db)[("1-1", "101")] == ("原户主", 2)


def test_a_large_roster_imports_in_chunks_with_progress_and_one_audit_entry(db, admin):
    lines = ["楼栋编号,房号,人数"] + [f"1-2,{room},2" for room in range(1, 1201)]
    calls = []
    result = roster.import_roster(db, admin, filename="big.csv", data="\n".join(lines).encode(),
                                  progress=lambda done, total: calls.append((done, total)))
    assert result.imported == 1200
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]
    entries = audit.recent(db, action="roster.import")
    assert len(entries) == 1
    assert json.loads(entries[0]["detail"])["imported"] == 1200


def test_a_resident_cannot_import_and_nothing_is_stored(db, make_user):
    resident = make_user(RESIDENT, username="resident")
    before = households(db)
    with pytest.raises(PermissionDenied):
        roster.import_roster(db, resident, filename="名单.csv", data=GOOD_CSV.encode())
    assert households(db) == before


@pytest.mark.parametrize("data", [
    b"",
    b"   \n\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
    random.Random(7).randbytes(4000),
    random.Random(8).randbytes(4000).replace(b"\x00", b"\x01"),
    b"PK\x03\x04 not really a zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls",
    "姓名,电话\n张三,123\n".encode(),
    "楼栋编号,房号\n".encode(),
], ids=["empty", "blank", "png", "random", "random-without-nul", "broken-zip", "old-xls", "no-header", "header-only"])
def test_a_file_that_is_not_a_roster_is_refused_with_a_message_and_nothing_is_stored(db, admin, data):
    before = households(db)
    with pytest.raises(ValidationError) as caught:
        roster.import_roster(db, admin, filename="名单.csv", data=data)
    assert set(caught.value.fields) == {"file"} and str(caught.value)
    assert households(db) == before
    assert not audit.recent(db, action="roster.import")


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
    random.Random(7).randbytes(4000),
    b"\x01\x02\x1b\x7f" * 100 + "楼栋编号,房号".encode(),
], ids=["png", "random", "control-bytes"])
def test_binary_files_are_called_not_a_table(data):
    with pytest.raises(ValidationError) as caught:
        roster.parse_roster("photo.csv", data)
    assert str(caught.value) == roster.NOT_A_TABLE


def test_an_xlsx_with_nothing_in_it_is_refused(db, admin):
    with pytest.raises(ValidationError):
        roster.parse_roster("空.xlsx", xlsx_bytes([]))


def test_more_than_20000_rows_are_refused(db, admin):
    data = "楼栋编号,房号\n" + "1-1,1\n" * (roster.MAX_ROWS + 1)
    with pytest.raises(ValidationError) as caught:
        roster.parse_roster("big.csv", data.encode())
    assert "20,000" in str(caught.value)
    assert len(roster.parse_roster("ok.csv", ("楼栋编号,房号\n" + "1-1,1\n" * roster.MAX_ROWS).encode())) \
        == roster.MAX_ROWS


def test_tab_separated_text_is_read_too(db, admin):
    rows = roster.parse_roster("r.txt", "楼栋编号\t房号\t户主\n1-1\t502\t蒋三\n".encode())
    assert rows == [{"place_code": "1-1", "room": "502", "head_name": "蒋三", "members": "", "line": 2}]


def test_rooms_in_a_roster_follow_the_one_room_rule(db, admin):
    data = ("楼栋编号,房号,户主\n"
            "1-2,３０２,甲\n"       # 2 full-width: 302
            "1-2,302室,乙\n"        # 3 the same room again: a duplicate of line 2
            "1-2,b1-02,丙\n"        # 4 upper-cased
            "1-2, 4 0 1 号,丁\n"    # 5 spaces and 号 dropped
            "1-2,地下室,戊\n"       # 6 odd: refused with the rule's message
            "1-1,１０１室,己\n")    # 7 already registered as 101: skipped, not changed
    result = roster.import_roster(db, admin, filename="r.csv", data=data.encode())
    lines = {error.line: error.message for error in result.errors}
    assert sorted(lines) == [3, 6]
    assert "第2行" in lines[3] and "302" in lines[3]
    assert "只能包含" in lines[6] and "地下室" in lines[6]
    assert (result.imported, result.skipped_existing) == (3, 1)
    stored = households(db)
    assert stored[("1-2", "302")] == ("甲", 1) and ("1-2", "B1-02") in stored
    assert ("1-2", "401") in stored and stored[("1-1", "101")] == ("原户主", 2)
    assert len(stored) == 4
