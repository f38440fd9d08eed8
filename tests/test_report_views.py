"""The read side of 随手拍: public follow page, wall, staff queue, statistics, charts and exports."""
from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from lib.core import tables
from lib.core.clock import to_iso
from lib.reports import views


NOW = datetime(2026, 3, 15, 4, 0, tzinfo=timezone.utc)
CLEANING, HALLWAY, PARKING = 1, 2, 3  # ids of the categories m004 seeds: 环境卫生, 楼道堆物, 车辆乱停
_keys = itertools.count(1)


def add_place(db, code: str = "4-1", name: str = "4栋1单元") -> int:
    return db.execute("INSERT INTO places (code, name, kind, created_at) VALUES (?, ?, 'common', ?)",
                      (code, name, to_iso(NOW))).lastrowid


def add_report(db, place_id: int, *, category_id: int = CLEANING, status: str = "pending",
               created: datetime = NOW, description: str = "楼道灯坏了", **columns) -> int:
    key = next(_keys)
    row = {"place_id": place_id, "category_id": category_id, "status": status,
           "description": description, "submission_key": f"submission-{key}",
           "follow_token": f"follow-{key}", "created_at": to_iso(created), "updated_at": to_iso(created)}
    row.update(columns)
    return db["reports"].insert(row).last_pk


def add_photo(db, report_id: int, name: str, stage: str = "before") -> None:
    db.execute("INSERT INTO report_photos (report_id, name, stage, created_at) VALUES (?, ?, ?, ?)",
               (report_id, name, stage, to_iso(NOW)))


def add_event(db, report_id: int, kind: str, to_status: str | None, actor_id: int | None = None,
              note: str = "") -> None:
    db.execute("INSERT INTO report_events (report_id, at, actor_id, kind, to_status, note)"
               " VALUES (?, ?, ?, ?, ?, ?)", (report_id, to_iso(NOW), actor_id, kind, to_status, note))


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def place(db):
    return add_place(db)


def test_public_report_leaks_no_phone_name_id_or_tokens(db, make_user, place):
    reporter = make_user(display_name="王小明", mobile="13700001111")
    staff = make_user("staff", display_name="李干事")
    report_id = add_report(db, place, contact_mobile="13912345678", reporter_id=reporter.id,
                           hide_name=1, handler_id=staff.id, follow_token="secret-follow-token",
                           submission_key="secret-submission-key", status="accepted")
    add_event(db, report_id, "filed", "pending", reporter.id)
    add_event(db, report_id, "accepted", "accepted", staff.id, note="已派人查看")

    result = views.public_report(db, report_id)

    text = str(result)
    for secret in ("13912345678", "13700001111", "王小明", "李干事", "secret-follow-token",
                   "secret-submission-key", reporter.username, staff.username):
        assert secret not in text
    assert not {"contact_mobile", "reporter_id", "handler_id", "follow_token", "submission_key",
                "proxy_for"} & set(result)
    assert result["reporter_label"] == "居民"
    assert [event["actor_label"] for event in result["timeline"]] == ["反映人", "社区工作人员"]


def test_public_report_shows_the_place_category_status_photos_and_timeline(db, make_user, place):
    staff = make_user("staff")
    report_id = add_report(db, place, category_id=HALLWAY, status="resolved", metoo_count=3,
                           confirmation="solved", rating=5, result_note="已清理",
                           closed_at=to_iso(NOW))
    add_photo(db, report_id, "before.jpg")
    add_photo(db, report_id, "after.jpg", "after")
    add_event(db, report_id, "filed", "pending")
    add_event(db, report_id, "resolved", "resolved", staff.id, note="杂物已清走")
    add_event(db, report_id, "rejected", "transferred", staff.id, note="交物业")
    add_event(db, report_id, "auto_confirmed", "resolved")

    result = views.public_report(db, report_id)

    assert (result["id"], result["place_name"], result["place_code"]) == (report_id, "4栋1单元", "4-1")
    assert (result["category_name"], result["status"], result["status_label"]) == (
        "楼道堆物", "resolved", "已办结")
    assert (result["metoo_count"], result["confirmation"], result["rating"]) == (3, "solved", 5)
    assert result["confirmation_label"] == "已解决"
    assert result["photos"] == [{"name": "before.jpg", "stage": "before"},
                                {"name": "after.jpg", "stage": "after"}]
    assert [(e["label"], e["to_status_label"], e["actor_label"], e["note"])
            for e in result["timeline"]] == [
        ("提交", "待受理", "反映人", ""), ("办结", "已办结", "社区工作人员", "杂物已清走"),
        ("已转交", "已转交", "社区工作人员", "交物业"), ("逾期未答复，视为已解决", "已办结", "系统", "")]
    assert [e["kind"] for e in result["timeline"]] == ["filed", "resolved", "rejected", "auto_confirmed"]


def test_a_public_reporters_name_is_masked_to_its_first_character(db, make_user, place):
    reporter = make_user(display_name="张三丰", show_name_publicly=1)
    report_id = add_report(db, place, reporter_id=reporter.id)

    result = views.public_report(db, report_id)

    assert result["reporter_label"] == "张*"
    assert "张三丰" not in str(result)


@pytest.mark.parametrize("case", ["guest", "hidden", "private", "proxy"])
def test_the_reporter_is_only_called_resident_when_the_name_must_not_show(db, make_user, place, case):
    reporter = make_user(display_name="张三丰", show_name_publicly=int(case != "private"))
    staff = make_user("staff")
    columns = {"guest": {}, "hidden": {"reporter_id": reporter.id, "hide_name": 1},
               "private": {"reporter_id": reporter.id},
               "proxy": {"reporter_id": reporter.id, "proxy_by": staff.id, "proxy_for": "张三丰"}}[case]

    result = views.public_report(db, add_report(db, place, **columns))

    assert result["reporter_label"] == "居民"
    assert "张" not in str(result)


def test_an_unknown_report_number_gives_none(db):
    assert views.public_report(db, 999) is None


def test_the_wall_is_newest_first_and_its_pages_never_overlap(db, place):
    ids = [add_report(db, place, created=ago(hours=50 - n)) for n in range(45)]

    pages, before = [], None
    while page := views.wall(db, limit=20, before_id=before):
        pages.append([row["id"] for row in page])
        before = page[-1]["id"]

    assert [len(page) for page in pages] == [20, 20, 5]
    assert sum(pages, []) == sorted(ids, reverse=True)
    assert views.wall(db, before_id=12345) == []


def test_the_wall_filters_by_status_category_and_place_and_pages_within_a_filter(db, place):
    other = add_place(db, "gate", "大门")
    expected = {}
    for n in range(30):
        status = ("pending", "resolved", "rejected")[n % 3]
        category = (CLEANING, PARKING)[n % 2]
        where = (place, other)[n % 5 == 0]
        report_id = add_report(db, where, status=status, category_id=category, created=ago(hours=40 - n))
        expected[report_id] = (status, category, where)

    def ids(**filters):
        return {row["id"] for row in views.wall(db, limit=100, **filters)}

    assert ids(status="resolved") == {i for i, (s, _, _) in expected.items() if s == "resolved"}
    assert ids(category_id=PARKING) == {i for i, (_, c, _) in expected.items() if c == PARKING}
    assert ids(place_id=other) == {i for i, (_, _, p) in expected.items() if p == other}
    assert ids(status="pending", category_id=CLEANING, place_id=place) == {
        i for i, v in expected.items() if v == ("pending", CLEANING, place)}
    first = views.wall(db, status="resolved", limit=4)
    second = views.wall(db, status="resolved", limit=4, before_id=first[-1]["id"])
    assert not {row["id"] for row in first} & {row["id"] for row in second}
    assert all(row["status_label"] == "已办结" for row in first + second)


def test_wall_rows_are_short_and_carry_no_personal_data(db, make_user, place):
    reporter = make_user(display_name="赵六")
    report_id = add_report(db, place, description="垃圾" * 50, contact_mobile="13912345678",
                           reporter_id=reporter.id, follow_token="secret-follow-token")
    add_photo(db, report_id, "first.jpg")
    add_photo(db, report_id, "second.jpg")
    add_photo(db, report_id, "fixed.jpg", "after")
    bare = add_report(db, place)

    rows = views.wall(db)

    assert [row["id"] for row in rows] == [bare, report_id]
    row = rows[1]
    assert len(row["description"]) == 60 and row["description"].endswith("…")
    assert (row["place_name"], row["category_name"], row["status_label"]) == ("4栋1单元", "环境卫生", "待受理")
    assert row["thumbnail"] == "first.jpg" and rows[0]["thumbnail"] is None
    for secret in ("13912345678", "赵六", "secret-follow-token", "reporter_id"):
        assert secret not in str(rows)


def test_wall_counts_give_every_status_for_the_same_filters(db, place):
    other = add_place(db, "gate", "大门")
    for status, category, where in [("pending", CLEANING, place), ("pending", PARKING, place),
                                    ("resolved", CLEANING, place), ("resolved", CLEANING, other),
                                    ("transferred", PARKING, other)]:
        add_report(db, where, status=status, category_id=category)

    assert views.wall_counts(db) == {"pending": 2, "accepted": 0, "in_progress": 0, "resolved": 2,
                                     "rejected": 0, "transferred": 1}
    assert views.wall_counts(db, category_id=CLEANING)["resolved"] == 2
    assert views.wall_counts(db, category_id=CLEANING)["pending"] == 1
    assert views.wall_counts(db, category_id=PARKING, place_id=other) == {
        "pending": 0, "accepted": 0, "in_progress": 0, "resolved": 0, "rejected": 0, "transferred": 1}


def test_my_reports_are_the_reporters_own_newest_first(db, make_user, place):
    me, neighbour = make_user(), make_user()
    older = add_report(db, place, reporter_id=me.id, created=ago(days=2), status="resolved", rating=4)
    add_report(db, place, reporter_id=neighbour.id, created=ago(days=1))
    newer = add_report(db, place, reporter_id=me.id, created=ago(hours=1))

    rows = views.my_reports(db, me.id)

    assert [row["id"] for row in rows] == [newer, older]
    assert (rows[1]["status_label"], rows[1]["rating"]) == ("已办结", 4)
    assert views.my_reports(db, me.id, limit=1)[0]["id"] == newer


def test_the_staff_queue_is_open_reports_oldest_first_with_overdue_flags(db, make_user, place):
    staff = make_user("staff", display_name="李干事")
    late_pending = add_report(db, place, created=ago(hours=25), contact_mobile="13912345678")
    fresh_pending = add_report(db, place, created=ago(hours=23), proxy_by=staff.id, proxy_for="王大爷")
    stale = add_report(db, place, status="accepted", created=ago(days=8), handler_id=staff.id)
    working = add_report(db, place, status="in_progress", created=ago(days=6), handler_id=staff.id)
    add_report(db, place, status="resolved", created=ago(days=30))
    add_report(db, place, status="rejected", created=ago(days=1))

    queue = views.staff_queue(db, now=NOW)

    assert [row["id"] for row in queue] == [stale, working, late_pending, fresh_pending]
    flags = {row["id"]: (row["overdue_accept"], row["overdue_close"]) for row in queue}
    assert flags == {stale: (False, True), working: (False, False), late_pending: (True, False),
                     fresh_pending: (False, False)}
    by_id = {row["id"]: row for row in queue}
    assert by_id[late_pending]["contact_mobile"] == "13912345678"
    assert by_id[stale]["handler_name"] == "李干事"
    assert (by_id[fresh_pending]["proxy"], by_id[late_pending]["proxy"]) == (True, False)
    assert by_id[working]["status_label"] == "处理中"


def test_the_staff_queue_reads_its_time_limits_from_settings(db, place):
    db.execute("UPDATE settings SET value = '2' WHERE key = 'reports.accept_within_hours'")
    db.execute("UPDATE settings SET value = '1' WHERE key = 'reports.close_within_days'")
    report_id = add_report(db, place, created=ago(hours=30))

    row = views.staff_queue(db, now=NOW)[0]
    assert (row["id"], row["overdue_accept"], row["overdue_close"]) == (report_id, True, True)

    db.execute("DELETE FROM settings WHERE key LIKE 'reports.%'")  # back to the defaults, 24 h and 7 days
    row = views.staff_queue(db, now=NOW)[0]
    assert (row["overdue_accept"], row["overdue_close"]) == (True, False)


def test_desk_stats_on_a_small_known_dataset(db, place):
    start = ago(days=20)
    add_report(db, place, status="resolved", created=start, closed_at=to_iso(start + timedelta(hours=10)),
               rating=4)
    add_report(db, place, status="resolved", created=start, closed_at=to_iso(start + timedelta(hours=20)),
               rating=5, category_id=PARKING)
    add_report(db, place, status="rejected", created=start, closed_at=to_iso(start + timedelta(hours=100)))
    add_report(db, place, status="pending", category_id=PARKING)

    stats = views.desk_stats(db, now=NOW)

    assert stats["total"] == 4
    assert stats["by_status"] == {"pending": 1, "accepted": 0, "in_progress": 0, "resolved": 2,
                                  "rejected": 1, "transferred": 0}
    assert stats["by_category"] == {"环境卫生": 2, "车辆乱停": 2}
    assert stats["avg_close_hours"] == 15.0
    assert (stats["avg_rating"], stats["rating_count"]) == (4.5, 2)
    assert [row["count"] for row in stats["by_month"]] == [0] * 10 + [3, 1]


def test_desk_stats_since_limits_every_figure(db, place):
    add_report(db, place, status="resolved", created=ago(days=40), closed_at=to_iso(ago(days=39)), rating=1)
    add_report(db, place, status="pending", category_id=PARKING, created=ago(days=2))

    stats = views.desk_stats(db, since=to_iso(ago(days=10)), now=NOW)

    assert stats["total"] == 1 and stats["by_status"]["pending"] == 1
    assert stats["by_category"] == {"车辆乱停": 1}
    assert (stats["avg_close_hours"], stats["avg_rating"], stats["rating_count"]) == (None, None, 0)
    assert sum(row["count"] for row in stats["by_month"]) == 1


def test_months_are_counted_in_shanghai_time_over_the_last_twelve(db, place):
    add_report(db, place, created=datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc))  # 2 Feb 01:00 in Shanghai
    add_report(db, place, created=datetime(2026, 1, 31, 15, 59, tzinfo=timezone.utc))  # still January
    add_report(db, place, created=datetime(2025, 3, 31, 16, 0, tzinfo=timezone.utc))  # 1 April: first month
    add_report(db, place, created=datetime(2025, 3, 31, 15, 0, tzinfo=timezone.utc))  # too old

    months = views.desk_stats(db, now=NOW)["by_month"]

    assert [row["month"] for row in months][0] == "2025-04" and months[-1]["month"] == "2026-03"
    assert len(months) == 12
    assert {row["month"]: row["count"] for row in months if row["count"]} == {
        "2025-04": 1, "2026-01": 1, "2026-02": 1}


def test_charts_are_container_wide_bars_with_chinese_fields(db):
    specs = [views.status_chart({"pending": 2, "resolved": 5}).to_dict(),
             views.category_chart({"环境卫生": 3, "车辆乱停": 1}).to_dict(),
             views.month_chart([{"month": "2026-01", "count": 2}, {"month": "2026-02", "count": 4}]).to_dict()]
    fields = [{channel["field"] for channel in (spec["encoding"]["x"], spec["encoding"]["y"])}
              for spec in specs]

    assert fields == [{"状态", "数量"}, {"类别", "数量"}, {"月份", "数量"}]
    assert all(spec["mark"]["type"] == "bar" and spec["width"] == "container" for spec in specs)
    assert specs[0]["data"]["values"] == [{"状态": "待受理", "数量": 2}, {"状态": "已办结", "数量": 5}]


def test_export_rows_use_shanghai_dates_and_chinese_columns(db, make_user, place):
    staff = make_user("staff", display_name="李干事")
    february = add_report(db, place, created=datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc),
                          status="resolved", handler_id=staff.id, contact_mobile="13912345678",
                          closed_at="2026-02-01T02:30:00+00:00", rating=5, rating_comment="很快")
    january = add_report(db, place, created=datetime(2026, 1, 31, 15, 59, tzinfo=timezone.utc))

    rows = views.export_rows(db, start=date(2026, 2, 1), end=date(2026, 2, 28))

    assert rows == [{"编号": february, "提交时间": "2026-02-01 01:00", "地点": "4栋1单元", "类别": "环境卫生",
                     "状态": "已办结", "描述": "楼道灯坏了", "联系电话": "13912345678", "处理人": "李干事",
                     "办结时间": "2026-02-01 10:30", "满意度": 5, "评价": "很快"}]
    assert [row["编号"] for row in views.export_rows(db, start=date(2026, 1, 31), end=date(2026, 1, 31))] == [january]


def test_the_csv_has_a_bom_and_reads_back_with_the_csv_module(db, place):
    add_report(db, place, description="第一行\n第二行, 有逗号")
    rows = views.export_rows(db, start=date(2026, 3, 1), end=date(2026, 3, 31))

    data = views.export_csv(rows)

    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(read[0]) == list(views.EXPORT_COLUMNS)
    assert read[0]["描述"] == "第一行\n第二行, 有逗号" and read[0]["状态"] == "待受理"
    assert views.export_csv([]).decode("utf-8-sig").strip() == ",".join(views.EXPORT_COLUMNS)


def test_the_xlsx_opens_with_openpyxl_and_has_the_header_and_rows(db, place):
    add_report(db, place, description="控制\x0b字符")
    add_report(db, place)
    rows = views.export_rows(db, start=date(2026, 3, 1), end=date(2026, 3, 31))

    sheet = openpyxl.load_workbook(io.BytesIO(views.export_xlsx(rows))).active

    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == views.EXPORT_COLUMNS
    assert len(values) == 3 and values[1][5] == "控制字符" and values[2][4] == "待受理"


def test_text_that_looks_like_a_formula_is_neutralised_in_both_exports(db, place):
    attacks = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1"]
    for text in attacks:
        add_report(db, place, description=text)
    rows = views.export_rows(db, start=date(2026, 3, 1), end=date(2026, 3, 31))

    read = list(csv.DictReader(io.StringIO(views.export_csv(rows).decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(views.export_xlsx(rows))).active
    cells = [row[5] for row in sheet.iter_rows(min_row=2)]

    assert [row["描述"] for row in read] == ["'" + text for text in attacks]
    assert [cell.value for cell in cells] == ["'" + text for text in attacks]
    assert all(cell.data_type == "s" for cell in cells)
    assert tables.safe_cell("普通文字") == "普通文字" and tables.safe_cell(-5) == -5


def test_queue_summary_counts_open_and_overdue_reports(db):
    from datetime import datetime, timezone

    from lib.reports import views

    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('q-1', 'q', 'common', 't')")
    rows = [("pending", "2026-01-01T00:00:00+00:00"), ("pending", "2026-01-10T11:00:00+00:00"),
            ("accepted", "2026-01-01T00:00:00+00:00"), ("resolved", "2025-01-01T00:00:00+00:00")]
    for number, (status, created) in enumerate(rows):
        db.execute("INSERT INTO reports (place_id, category_id, description, status, submission_key,"
                   " follow_token, created_at, updated_at) VALUES (last_insert_rowid() * 0 + 1, 1,"
                   " '描述五个字', ?, ?, 't', ?, ?)", (status, f"q{number}", created, created))
    db.conn.commit()
    now = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
    assert views.queue_summary(db, now=now) == {
        "open": 3, "overdue_accept": 1, "overdue_close": 2}


@pytest.mark.parametrize("role", ["leader", "staff", "resident"])
def test_a_hidden_name_reports_timeline_never_shows_the_reporters_role(db, make_user, place, role):
    reporter = make_user(role, display_name="李网格")
    staff = make_user("staff")
    report_id = add_report(db, place, reporter_id=reporter.id, hide_name=1, status="resolved")
    add_event(db, report_id, "filed", "pending", reporter.id)
    add_event(db, report_id, "resolved", "resolved", staff.id)
    add_event(db, report_id, "unsolved", "resolved", reporter.id)

    timeline = views.public_report(db, report_id)["timeline"]

    assert [event["actor_label"] for event in timeline] == ["反映人", "社区工作人员", "反映人"]
    assert "微网格长" not in str(timeline) and "李" not in str(timeline)


def test_a_guests_and_a_link_holders_events_say_reporter_and_the_systems_say_system(db, place):
    report_id = add_report(db, place, status="resolved")
    add_event(db, report_id, "filed", "pending")
    add_event(db, report_id, "confirmed", "resolved")
    add_event(db, report_id, "auto_confirmed", "resolved")
    assert [e["actor_label"] for e in views.public_report(db, report_id)["timeline"]] == [
        "反映人", "反映人", "系统"]


def test_device_reports_are_this_browsers_own_with_their_follow_tokens(db, make_user, place):
    mine = add_report(db, place, device_key="a" * 32, follow_token="tok-mine")
    add_report(db, place, device_key="b" * 32)
    add_report(db, place)
    newer = add_report(db, place, device_key="a" * 32, created=ago(hours=-1))

    rows = views.device_reports(db, "a" * 32)

    assert [row["id"] for row in rows] == [newer, mine]
    assert rows[1]["follow_token"] == "tok-mine"
    assert views.device_reports(db, "") == []


def test_similar_open_reports_carry_a_thumbnail_and_whether_this_voter_said_me_too(db, place):
    first = add_report(db, place, category_id=HALLWAY)
    second = add_report(db, place, category_id=HALLWAY)
    add_report(db, place, category_id=HALLWAY, status="resolved")
    add_report(db, place, category_id=CLEANING)
    add_photo(db, first, "first.jpg")
    db.execute("INSERT INTO report_metoo (report_id, voter, at) VALUES (?, 'device:x', 't')", (first,))

    rows = views.similar_open(db, place_id=place, category_id=HALLWAY, voter="device:x")

    assert [(r["id"], r["thumbnail"], r["voted"]) for r in rows] == [
        (second, None, False), (first, "first.jpg", True)]


def test_the_exports_default_days_are_shanghai_dates():
    # 17:00 UTC on 1 March is already 2 March in Shanghai
    first, last = views.export_default_range(datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc))
    assert (first, last) == (date(2026, 1, 31), date(2026, 3, 2))
    assert views.export_default_range(datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc))[1] == \
        date(2026, 3, 1)


def test_a_guests_reports_are_rate_limited_by_the_device_key(db, tmp_path, place, make_user):
    """The one report rate limit lives in lib: per device for guests (no session limiter)."""
    from lib.core.errors import RateLimited
    from lib.core.roles import GUEST_USER
    from lib.reports import workflow

    def file(actor=GUEST_USER, device="d" * 32, key=None):
        return workflow.file_report(db, actor, data_dir=tmp_path, place_id=place, category_id=1,
                                   description="楼道里堆满了纸箱", photo_files=[],
                                   submission_key=key or f"rate-{next(_keys)}", device_key=device)

    for _ in range(workflow.RATE_LIMIT):
        file()
    with pytest.raises(RateLimited):
        file()
    file(device="e" * 32)  # another browser is not affected
    resident = make_user()
    stored = file(resident)  # an account's report is not tied to the browser
    assert stored["device_key"] is None
    assert views.device_reports(db, "d" * 32)[0]["id"] != stored["id"]


def test_an_older_database_gains_the_device_key_column_and_keeps_its_reports(tmp_path):
    from lib.core.db import open_db, scalar
    from lib.core.migrations import migrate_database

    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    migrate_database(old, stop_before="m005_report_device_key")
    assert "device_key" not in {c.name for c in old["reports"].columns}
    place_id = add_place(old)
    report_id = add_report(old, place_id)
    old.conn.commit()
    old.conn.close()

    upgraded = open_db(path)
    assert "device_key" in {c.name for c in upgraded["reports"].columns}
    assert scalar(upgraded, "SELECT description FROM reports WHERE id = ?", (report_id,)) == "楼道灯坏了"
    assert "reports_device_created" in {i.name for i in upgraded["reports"].indexes}
    upgraded.conn.close()
