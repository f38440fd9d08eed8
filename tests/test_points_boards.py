"""Boards and yearly totals from the maintained totals; source links from ledger keys."""
from __future__ import annotations

from datetime import datetime

import pytest

from lib.core import clock
from lib.core.clock import now_iso
from lib.people.users import mask_name
from lib.points import boards, ledger
from lib.points.ledger import KIND_REDEEM, KIND_REPORT


def person(db, name: str, *, place_id: int | None = None, public: bool = True,
           disabled: bool = False, room: str | None = None) -> int:
    household_id = None
    if place_id is not None:
        household_id = db.execute("INSERT INTO households (place_id, room, created_at)"
                                  " VALUES (?, ?, 'now')", (place_id, room or name)).lastrowid
    return db["users"].insert({
        "username": f"u{name}", "display_name": name, "password_hash": "x", "role": "resident",
        "household_id": household_id,
        "household_status": "verified" if household_id else "none",
        "show_name_publicly": int(public), "disabled": int(disabled),
        "created_at": now_iso(), "password_changed_at": now_iso()}).last_pk


def earn(db, user_id: int, amount: int, key: str, *, at: str | None = None,
         kind: str = KIND_REPORT) -> None:
    moment = datetime.fromisoformat(at) if at else clock.utc_now()
    with clock.pretend(moment):
        if amount > 0:
            ledger.award(db, None, user_id=user_id, amount=amount, kind=kind, reason="", key=key)
        else:
            ledger.spend(db, None, user_id=user_id, amount=-amount, kind=KIND_REDEEM, reason="",
                         key=key)


@pytest.fixture
def town(db):
    db.execute("INSERT INTO community (name) VALUES ('测试社区')")
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES"
               " ('1-1', '1栋', 'building', 'now'), ('2-1', '2栋', 'building', 'now'),"
               " ('3-1', '3栋', 'building', 'now'), ('9-9', '空楼', 'building', 'now'),"
               " ('G', '小广场', 'common', 'now')")
    db.conn.commit()
    return {"b1": 1, "b2": 2, "b3": 3, "empty": 4, "common": 5}


def test_the_person_board_ranks_by_earned_with_shared_ranks_for_ties(db, town):
    a = person(db, "林小红", place_id=town["b1"])
    b = person(db, "张伟", place_id=town["b1"])
    c = person(db, "王芳", place_id=town["b2"])
    d = person(db, "赵四", place_id=town["b2"])
    earn(db, a, 30, "a")
    earn(db, b, 20, "b")
    earn(db, c, 20, "c")
    earn(db, d, 5, "d")
    year = clock.local_today().year
    rows = boards.person_board(db, year)
    assert [(r.rank, r.name, r.earned) for r in rows] == [
        (1, "林小红", 30), (2, "张伟", 20), (2, "王芳", 20), (4, "赵四", 5)]
    assert boards.my_rank(db, c, year) == (2, 20)
    assert boards.my_rank(db, d, year) == (4, 5)
    assert [r.name for r in boards.person_board(db, year, limit=2)] == ["林小红", "张伟"]


def test_a_hidden_name_is_masked_and_a_disabled_account_is_left_out(db, town):
    hidden = person(db, "林小红", public=False)
    gone = person(db, "张伟", disabled=False)
    earn(db, hidden, 10, "a")
    earn(db, gone, 50, "b")
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (gone,))
    year = clock.local_today().year
    assert [(r.rank, r.name) for r in boards.person_board(db, year)] == [(1, "林*")]
    assert boards.my_rank(db, hidden, year) == (1, 10)  # the disabled one ahead does not count


def test_spending_and_refunds_do_not_change_what_was_earned(db, town):
    a = person(db, "林小红", place_id=town["b1"])
    earn(db, a, 30, "a")
    earn(db, a, -20, "spend")
    earn(db, a, 5, "refund", kind=ledger.KIND_REFUND)
    year = clock.local_today().year
    assert boards.person_board(db, year)[0].earned == 30
    assert boards.year_totals(db, a) == [(year, 30)]
    assert boards.building_board(db, year)[0].earned == 30


def test_nobody_with_nothing_earned_is_on_the_board_or_ranked(db, town):
    a = person(db, "林小红")
    year = clock.local_today().year
    assert boards.person_board(db, year) == [] and boards.my_rank(db, a, year) is None
    earn(db, a, 10, "a")
    ledger.correct(db, _admin(db), user_id=a, amount=-10, reason="录错", key="fix")
    assert boards.person_board(db, year) == [] and boards.my_rank(db, a, year) is None


def _admin(db):
    from lib.people.users import load_user
    return load_user(db, db["users"].insert({
        "username": "boss", "display_name": "boss", "password_hash": "x", "role": "admin",
        "created_at": now_iso(), "password_changed_at": now_iso()}).last_pk)


def test_years_follow_shanghai_time_and_the_boards_are_per_year(db, town):
    a = person(db, "林小红", place_id=town["b1"])
    # 2025-12-31 17:00 UTC is already 2026-01-01 01:00 in Shanghai
    earn(db, a, 7, "late", at="2025-12-31T15:59:00+00:00")
    earn(db, a, 9, "new", at="2025-12-31T17:00:00+00:00")
    assert boards.year_totals(db, a) == [(2026, 9), (2025, 7)]
    assert [r.earned for r in boards.person_board(db, 2025)] == [7]
    assert [r.earned for r in boards.building_board(db, 2026) if r.earned] == [9]
    this_year = clock.local_today().year
    assert boards.years_with_points(db) == sorted({2025, 2026, this_year}, reverse=True)


def test_years_with_points_always_offers_this_year(db, town):
    assert boards.years_with_points(db) == [clock.local_today().year]


def test_the_building_board_has_totals_per_household_and_leaves_out_empty_places(db, town):
    a = person(db, "林小红", place_id=town["b1"], room="101")
    b = person(db, "张伟", place_id=town["b1"], room="102")
    c = person(db, "王芳", place_id=town["b2"], room="101")
    person(db, "赵四", place_id=town["b3"], room="101")  # lives there, earned nothing
    earn(db, a, 30, "a")
    earn(db, b, 10, "b")
    earn(db, c, 25, "c")
    year = clock.local_today().year
    rows = boards.building_board(db, year)
    assert [(r.rank, r.name, r.earned, r.households, r.per_household) for r in rows] == [
        (1, "1栋", 40, 2, 20.0), (2, "2栋", 25, 1, 25.0), (3, "3栋", 0, 1, 0.0)]
    # a building without households or points, and a common place, are not on the board
    assert {r.name for r in rows}.isdisjoint({"空楼", "小广场"})
    assert boards.BuildingRow(1, 9, "x", 5, 0).per_household is None
    assert boards.BuildingRow(1, 9, "x", 10, 3).per_household == 3.3


def test_an_unverified_persons_points_count_for_them_but_no_building(db, town):
    a = person(db, "林小红")
    earn(db, a, 10, "a")
    year = clock.local_today().year
    assert boards.person_board(db, year)[0].earned == 10
    assert all(r.earned == 0 for r in boards.building_board(db, year))


def test_boards_read_the_totals_not_the_ledger(db, town):
    plans = []
    for sql, params in ((boards.person_board, (2026,)), (boards.building_board, (2026,))):
        db.conn.set_trace_callback(plans.append)
        sql(db, *params)
        db.conn.set_trace_callback(None)
    assert plans and not any("points_ledger" in statement for statement in plans)


def test_the_ranks_of_equal_values_are_shared_and_the_next_rank_skips():
    assert boards._ranked([9, 9, 7, 7, 7, 1]) == [1, 1, 3, 3, 3, 6]
    assert boards._ranked([]) == []
    assert boards._ranked([0]) == [1]


@pytest.mark.parametrize("key, link", [
    ("report:12:accepted", ("reports", {"n": "12"})),
    ("report:7", ("reports", {"n": "7"})),
    ("volunteer:3", ("volunteer", {})),
    ("shop:9", ("shop", {})),
    ("shop-refund:9", ("shop", {})),
    ("crowdfund:4:pledge:17", ("crowdfund", {"p": "4"})),
    ("crowdfund:4:labour:2", ("crowdfund", {"p": "4"})),
    ("crowdfund:x:pledge:1", None),
    ("ranking:2026-10:flag:5", ("ranking", {"m": "2026-10"})), ("ranking:2026-10", ("ranking", {"m": "2026-10"})),
    ("ranking:7", None), ("ranking:2026-1:flag:5", None), ("report:2026-10", None),
    ("special:0f3a", None), ("correction:ab", None), ("demo:3", None), ("report:abc", None),
    ("report:", None), ("xreport:1", None), ("report:1" + "0" * 20, None), ("", None),
])
def test_an_entry_links_to_what_earned_it_by_its_key(key, link):
    assert boards.source_of(key) == link


def test_a_masked_name_keeps_only_the_first_character():
    assert mask_name("林阿姨") == "林*" and mask_name("  王 ") == "王*" and mask_name(" ") == "居民"
    assert boards.shown_name("林阿姨", 1) == "林阿姨" and boards.shown_name("林阿姨", 0) == "林*"


def test_the_demo_awards_go_through_the_ledger_once_with_their_past_dates(db):
    from lib.site import bootstrap, demo_points
    bootstrap.seed_demo(db)
    first = demo_points.seed_awards(db)
    assert first == len(demo_points.AWARDS)
    assert demo_points.seed_awards(db) == 0  # idempotent
    rows = db.execute("SELECT amount, actor_id, created_at FROM points_ledger"
                      " WHERE idempotency_key LIKE 'special:demo-%' ORDER BY id").fetchall()
    staff_id = db.execute("SELECT id FROM users WHERE username = 'staff'").fetchone()[0]
    assert len(rows) == first and {row[1] for row in rows} == {staff_id}
    assert any(row[0] < 0 for row in rows)  # the stairwell deduction
    assert rows[0][2] < rows[-1][2] < clock.now_iso()  # spread over the past year
    audited = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'points.special'"
                         ).fetchone()[0]
    assert audited == first
    assert boards.person_board(db, clock.local_today().year)


def test_years_with_gaps_are_all_found_newest_first(db, town):
    a = person(db, "林小红")
    for year in (2019, 2022, 2025):
        earn(db, a, 1, f"y{year}", at=f"{year}-06-01T00:00:00+00:00")
    this_year = clock.local_today().year
    assert boards.years_with_points(db) == sorted({2019, 2022, 2025, this_year}, reverse=True)


def test_a_disabled_account_behind_me_does_not_lower_my_rank(db, town):
    ahead = person(db, "甲")
    me = person(db, "乙")
    behind = person(db, "丙")
    earn(db, ahead, 30, "a")
    earn(db, me, 20, "b")
    earn(db, behind, 10, "c")
    earn(db, behind, 50, "old", at="2020-06-01T00:00:00+00:00")
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (behind,))
    year = clock.local_today().year
    assert boards.my_rank(db, me, year) == (2, 20)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (ahead,))
    assert boards.my_rank(db, me, year) == (1, 20)
    assert boards.my_rank(db, behind, 2020) == (1, 50)  # its other year is its own


def test_the_building_order_is_by_earned_then_name_whatever_the_ids(db, town):
    for number in range(3):
        person(db, f"住{number}", place_id=town["b1"], room=f"1{number}")
    top = person(db, "王芳", place_id=town["b3"], room="101")
    tie = person(db, "赵四", place_id=town["b2"], room="101")
    earn(db, top, 50, "top")
    earn(db, tie, 10, "tie")
    # points kept for a building everyone has since moved out of: still on the board
    year = clock.local_today().year
    db.execute("INSERT INTO points_place_year_totals (place_id, year, earned) VALUES (?, ?, 10)",
               (town["empty"], year))
    rows = boards.building_board(db, year)
    assert [(r.rank, r.name, r.earned, r.households) for r in rows] == [
        (1, "3栋", 50, 1), (2, "2栋", 10, 1), (2, "空楼", 10, 0), (4, "1栋", 0, 3)]


def test_the_board_shows_twenty_by_default_and_a_single_point_counts(db, town):
    people = [person(db, f"人{number:02d}") for number in range(25)]
    for number, user_id in enumerate(people):
        earn(db, user_id, number + 1, f"k{number}")
    year = clock.local_today().year
    rows = boards.person_board(db, year)
    assert len(rows) == 20 and rows[0].user_id == people[-1] and rows[-1].earned == 6
    assert [row.user_id for row in rows] == people[::-1][:20]
    assert boards.my_rank(db, people[0], year) == (25, 1)


def test_ties_between_buildings_go_by_name_not_by_when_they_were_added(db, town):
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('0-1', '0栋', 'building',"
               " 'now')")
    year = clock.local_today().year
    for place_id in (town["b2"], town["empty"], 6):
        db.execute("INSERT INTO points_place_year_totals (place_id, year, earned) VALUES (?, ?, 10)",
                   (place_id, year))
    assert [row.name for row in boards.building_board(db, year)] == ["0栋", "2栋", "空楼"]
