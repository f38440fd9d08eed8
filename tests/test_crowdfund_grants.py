"""奖励金: a grant paid into a 众筹 project (the 星级楼栋 reward), in every place its money shows."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from datetime import datetime

import openpyxl
import pytest

from lib.core import audit, clock
from lib.core.db import immediate, scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.crowdfund import books, projects, publish
from lib.crowdfund.money import MAX_PROJECT_FEN
from lib.site import audit_log
from tests.crowdfund_helpers import make_project
from tests.test_crowdfund_books import receive, spend
from tests.volunteer_helpers import make_cast


URL = "https://portal.example.cn/crowdfund?p=1"
SOURCE = "2026年10月流动红旗奖励"


@pytest.fixture
def cast(db):
    return make_cast(db)


@pytest.fixture
def project(db, cast):
    return make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])


def grant(db, actor, project_id: int, amount_fen: object = 50_000, *, source: object = SOURCE,
          key: str | None = None) -> int:
    return books.add_grant(db, actor, project_id=project_id, amount_fen=amount_fen,
                           source=source, key=key or uuid.uuid4().hex)


def state(db) -> tuple:
    """Everything a grant could change: the grants, the spending and the audit log."""
    return (db.execute("SELECT * FROM crowdfund_grants ORDER BY id").fetchall(),
            scalar(db, "SELECT COUNT(*) FROM crowdfund_spending"),
            scalar(db, "SELECT COUNT(*) FROM audit_log"))


# --- who may pay a grant --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["guest", "in", LEADER])
def test_only_staff_pay_a_grant_and_a_refusal_stores_nothing(db, cast, project, who):
    before = state(db)
    with pytest.raises(PermissionDenied):
        grant(db, cast[who], project["id"])
    assert state(db) == before
    assert books.balance(db, project["id"]) == 0


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_and_admins_pay_a_grant_which_is_held_without_a_match(db, cast, project, who):
    receive(db, project["id"], cast["in"], 10_000)  # 100 yuan and 500 of match
    grant_id = grant(db, cast[who], project["id"], 50_000, source="  2026年10月\n流动红旗奖励 ")
    row = db.execute("SELECT project_id, amount_fen, source, status, granted_by, returned_at"
                     " FROM crowdfund_grants WHERE id = ?", (grant_id,)).fetchone()
    assert row == (project["id"], 50_000, "2026年10月 流动红旗奖励", "received", cast[who].id, None)
    assert books.balance(db, project["id"]) == 60_000 + 50_000
    money = projects.progress(db, project["id"])
    assert (money.cash_fen, money.match_fen, money.grant_fen, money.balance_fen,
            money.total_fen) == (10_000, 50_000, 50_000, 110_000, 110_000)
    assert money.cash_share == 10_000 / 24_000_000  # the goal is residents' cash only
    entry = audit.recent(db, action="crowdfund.grant")[0]
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        cast[who].id, "crowdfund_grant", str(grant_id))
    assert audit_log.action_label("crowdfund.grant") == "众筹项目收到奖励金"
    assert audit_log.detail_text("crowdfund.grant", entry["detail"]) == (
        f"众筹项目：{project['id']}，金额（元）：500.00，来源：2026年10月 流动红旗奖励")


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, message", [
    (0, "奖励金金额必须是大于 0 的整数分。"), (-100, "奖励金金额必须是大于 0 的整数分。"),
    (1.5, "奖励金金额必须是大于 0 的整数分。"), ("500", "奖励金金额必须是大于 0 的整数分。"),
    (True, "奖励金金额必须是大于 0 的整数分。"), (None, "奖励金金额必须是大于 0 的整数分。"),
    (MAX_PROJECT_FEN + 1, "奖励金金额不能超过 10,000,000.00 元。")])
def test_a_bad_amount_is_refused_in_chinese_and_nothing_changes(db, cast, project, amount,
                                                                 message):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], project["id"], amount)
    assert refused.value.fields == {"amount": message}
    assert state(db) == before


def test_the_largest_grant_allowed_is_the_project_limit(db, cast, project):
    grant(db, cast[STAFF], project["id"], MAX_PROJECT_FEN)
    assert books.balance(db, project["id"]) == MAX_PROJECT_FEN


@pytest.mark.parametrize("source, message", [
    ("", "请填写奖励金的来源，例如“2026年10月流动红旗奖励”。"),
    ("  \n ", "请填写奖励金的来源，例如“2026年10月流动红旗奖励”。"),
    (None, "请填写奖励金的来源，例如“2026年10月流动红旗奖励”。"),
    ("奖" * 101, "奖励金来源不能超过 100 个字。")])
def test_a_grant_needs_a_source_of_at_most_100_characters(db, cast, project, source, message):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], project["id"], source=source)
    assert refused.value.fields == {"source": message}
    assert state(db) == before
    grant(db, cast[STAFF], project["id"], source="奖" * 100)
    assert scalar(db, "SELECT length(source) FROM crowdfund_grants") == 100


def test_amount_and_source_are_refused_together(db, cast, project):
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], project["id"], 0, source="")
    assert set(refused.value.fields) == {"amount", "source"}


@pytest.mark.parametrize("status, label", [("draft", "草稿"), ("done", "已完成"),
                                           ("cancelled", "已取消")])
def test_only_a_raising_or_building_project_takes_a_grant(db, cast, status, label):
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                         status=status)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], other["id"])
    assert refused.value.fields == {
        "project": f"项目{label}，只有众筹中或实施中的项目能收奖励金。"}
    assert state(db) == before


def test_a_building_project_takes_a_grant(db, cast):
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                         status="building")
    grant(db, cast[STAFF], other["id"], 1)
    assert books.balance(db, other["id"]) == 1


@pytest.mark.parametrize("project_id", [999, None, "x"])
def test_a_missing_project_is_not_found(db, cast, project_id):
    with pytest.raises(NotFound):
        grant(db, cast[STAFF], project_id)
    assert state(db)[0] == []


@pytest.mark.parametrize("key", [" ", "", None])
def test_a_grant_needs_a_key(db, cast, project, key):
    with pytest.raises(ValidationError) as refused:
        books.add_grant(db, cast[STAFF], project_id=project["id"], amount_fen=100,
                        source=SOURCE, key=key)
    assert refused.value.fields == {"key": "缺少操作编号，请刷新页面后重试。"}
    assert state(db)[0] == []


def test_a_project_closed_while_waiting_for_the_lock_is_refused(db, cast, project, monkeypatch):
    """The status is read again under the lock: a cancel that won the race refuses the grant."""
    real = projects.get_project

    def cancelled_meanwhile(db_, project_id):
        found = real(db_, project_id)
        db_.execute("UPDATE crowdfund_projects SET status = 'cancelled' WHERE id = ?",
                    (project_id,))
        db_.conn.commit()
        return found

    monkeypatch.setattr(projects, "get_project", cancelled_meanwhile)
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], project["id"])
    assert refused.value.fields == {"project": "项目已取消，只有众筹中或实施中的项目能收奖励金。"}
    assert state(db)[0] == []


# --- safe to repeat -------------------------------------------------------------------------


def test_the_same_key_returns_the_same_grant_and_writes_nothing(db, cast, project):
    first = grant(db, cast[STAFF], project["id"], key="ranking:2026-10:reward")
    audits = scalar(db, "SELECT COUNT(*) FROM audit_log")
    again = grant(db, cast[ADMIN], project["id"], 99_999, source="别的", key="ranking:2026-10:reward")
    assert again == first
    assert db.execute("SELECT amount_fen, source, granted_by FROM crowdfund_grants").fetchall() \
        == [(50_000, SOURCE, cast[STAFF].id)]
    assert scalar(db, "SELECT COUNT(*) FROM audit_log") == audits
    assert books.balance(db, project["id"]) == 50_000


def test_a_key_used_for_another_project_is_refused(db, cast, project):
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    grant(db, cast[STAFF], project["id"], key="k1")
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], other["id"], key="k1")
    assert refused.value.fields == {"key": "该操作编号已用于另一笔奖励金，请刷新页面后重试。"}
    assert books.balance(db, other["id"]) == 0


def blind_to_the_key(monkeypatch, checks: int) -> None:
    """Make the first ``checks`` key look-ups miss, as if the first grant landed just after."""
    real, blind = books._grant_by_key, [checks]

    def not_seen_yet(db_, key):
        if blind[0]:
            blind[0] -= 1
            return None
        return real(db_, key)

    monkeypatch.setattr(books, "_grant_by_key", not_seen_yet)


def test_a_key_recorded_while_waiting_for_the_lock_returns_that_grant(db, cast, project,
                                                                      monkeypatch):
    first = grant(db, cast[STAFF], project["id"], key="k1")
    audits = scalar(db, "SELECT COUNT(*) FROM audit_log")
    blind_to_the_key(monkeypatch, 1)
    assert grant(db, cast[STAFF], project["id"], key="k1") == first
    assert scalar(db, "SELECT COUNT(*) FROM crowdfund_grants") == 1
    assert scalar(db, "SELECT COUNT(*) FROM audit_log") == audits


def test_a_key_recorded_for_another_project_while_waiting_is_refused(db, cast, project,
                                                                     monkeypatch):
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    grant(db, cast[STAFF], project["id"], key="k1")
    blind_to_the_key(monkeypatch, 1)
    with pytest.raises(ValidationError) as refused:
        grant(db, cast[STAFF], other["id"], key="k1")
    assert refused.value.fields == {"key": "该操作编号已用于另一笔奖励金，请刷新页面后重试。"}
    assert books.balance(db, other["id"]) == 0


def test_a_key_taken_between_the_check_and_the_insert_returns_that_grant(db, cast, project,
                                                                         monkeypatch):
    """The UNIQUE key is the last line: a repeat that slipped past both checks gets the first."""
    first = grant(db, cast[STAFF], project["id"], key="k1")
    blind_to_the_key(monkeypatch, 2)  # the check before and the one under the lock
    assert grant(db, cast[STAFF], project["id"], key="k1") == first
    assert scalar(db, "SELECT COUNT(*) FROM crowdfund_grants") == 1


def test_inside_the_callers_transaction_a_grant_goes_back_with_it(db, cast, project):
    """The ranking pays its reward inside its publication: a publication that fails pays none."""
    with pytest.raises(RuntimeError):
        with immediate(db):
            grant(db, cast[STAFF], project["id"], key="ranking:2026-10:reward")
            raise RuntimeError("publication failed after the reward")
    assert state(db)[0] == []
    with immediate(db):
        grant_id = grant(db, cast[STAFF], project["id"], key="ranking:2026-10:reward")
    assert books.grants_of(db, project["id"])[0]["id"] == grant_id


# --- spending the grant ---------------------------------------------------------------------


def test_spending_may_use_grant_money_but_never_beyond(db, cast, project):
    receive(db, project["id"], cast["in"], 1_000)  # 10 yuan and 50 of match: 60 held
    grant(db, cast[STAFF], project["id"], 4_000)  # 40 more: 100 held
    with pytest.raises(ValidationError, match="当前结余 100.00 元"):
        spend(db, cast[STAFF], project["id"], "100.01")
    spend(db, cast[STAFF], project["id"], "99.99")
    assert books.balance(db, project["id"]) == 1
    with pytest.raises(sqlite3.IntegrityError, match="exceeds"):  # the trigger counts grants too
        db.execute("INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on,"
                   " recorded_by, submission_key, created_at) VALUES (?, 2, '油漆', '2026-11-01',"
                   " ?, 'raw', 'now')", (project["id"], cast[STAFF].id))
    spend(db, cast[STAFF], project["id"], "0.01")
    assert books.balance(db, project["id"]) == 0


def test_a_returned_grant_is_not_money_held(db, cast, project):
    grant(db, cast[STAFF], project["id"], 4_000)
    db.execute("UPDATE crowdfund_grants SET status = 'returned'")
    assert books.balance(db, project["id"]) == 0
    with pytest.raises(ValidationError, match="当前结余 0.00 元"):
        spend(db, cast[STAFF], project["id"], "1")


# --- the 公示 ---------------------------------------------------------------------------------


def at(text: str):
    return clock.pretend(datetime.fromisoformat(text))


@pytest.fixture
def books_with_a_grant(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2026-01-02T02:00:00+00:00")
    with at("2026-01-03T02:00:00+00:00"):
        grant(db, cast[STAFF], project["id"], 12_345, source="2025年12月流动红旗奖励")
    with at("2026-01-04T02:00:00+00:00"):
        spend(db, cast[STAFF], project["id"], "700.01", item="水泥")
    return books.public_ledger(db, project["id"])


def test_the_ledger_shows_the_grant_with_its_source_in_the_running_balance(books_with_a_grant):
    rows = books_with_a_grant.rows
    assert [(row.kind, row.kind_label, row.day, row.item, row.money_fen, row.balance_fen)
            for row in rows] == [
        ("cash", "居民出资", "2026-01-02", "居民出资", 60_000, 60_000),
        ("grant", "奖励金", "2026-01-03", "2025年12月流动红旗奖励", 12_345, 72_345),
        ("spending", "支出", "2026-01-04", "水泥", -70_001, 2_344)]
    assert (rows[1].cash_fen, rows[1].match_fen, rows[1].grant_fen, rows[1].who) == (0, 0, 12_345, "")
    totals = books_with_a_grant.totals
    assert (totals.cash_fen, totals.match_fen, totals.grant_fen, totals.spent_fen,
            totals.balance_fen, totals.total_fen, totals.grant_sources) == (
        10_000, 50_000, 12_345, 70_001, 2_344, 72_345, ("2025年12月流动红旗奖励",))
    assert sum(row.money_fen for row in rows) == totals.balance_fen == rows[-1].balance_fen
    assert [(day.day, day.in_fen, day.out_fen, day.balance_fen)
            for day in books.funds_series(books_with_a_grant)] == [
        ("2026-01-02", 60_000, 0, 60_000), ("2026-01-03", 12_345, 0, 72_345),
        ("2026-01-04", 0, 70_001, 2_344)]


def test_the_csv_and_excel_carry_the_grant_in_its_own_column(books_with_a_grant):
    rows = list(csv.reader(io.StringIO(
        publish.ledger_csv(books_with_a_grant).decode("utf-8-sig"))))
    assert rows[0][6] == "奖励金(元)"
    assert rows[2] == ["2026-01-03", "奖励金", "", "2025年12月流动红旗奖励", "", "", "123.45", "",
                       "", "", "723.45", ""]
    assert rows[-1] == ["合计", "", "", "", "100.00", "500.00", "123.45", "0", "0.00", "700.01",
                        "23.44", ""]
    sheet = openpyxl.load_workbook(io.BytesIO(publish.ledger_xlsx(books_with_a_grant)))["公示"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[2][6] == 123.45 and values[-1][6] == 123.45 and values[-1][10] == 23.44
    assert sheet["G3"].number_format == "#,##0.00"


def test_the_wechat_text_and_the_chart_count_the_grant(db, books_with_a_grant):
    text = publish.wechat_text(books_with_a_grant, URL)
    assert "奖励金 123.45 元（2025年12月流动红旗奖励）" in text.splitlines()
    assert "合计 723.45 元" in text and "结余 23.44 元" in text
    spec = publish.funds_chart(books_with_a_grant).to_dict()
    bars = [layer for layer in spec["layer"] if layer["mark"]["type"] == "bar"][0]
    incoming = [value for value in bars["data"]["values"] if value["类别"] == "收入"]
    assert {"日期": "2026-01-03", "类别": "收入", "金额(元)": 123.45} in incoming


def test_the_a4_notice_prints_the_grant_line(db, books_with_a_grant):
    shown = [publish.line_text(line) for line in publish.notice_lines(books_with_a_grant.rows)[0]]
    assert "奖励金·2025年12月流动红旗奖励" in shown
    assert publish.NOTICE_COLUMNS[3].label == "配套/奖励金"
    pages = publish.notice_pages(books_with_a_grant, URL, "幸福里社区", "2026-01-05 10:00")
    assert len(pages) == 1
    assert publish.notice_pdf(db, books_with_a_grant.project.id, URL).startswith(b"%PDF")


def test_the_books_version_changes_with_a_grant_and_its_return(db, cast, project):
    seen = [books.ledger_version(db, project["id"])]
    grant(db, cast[STAFF], project["id"])
    seen.append(books.ledger_version(db, project["id"]))
    db.execute("UPDATE crowdfund_grants SET status = 'returned', returned_at = 'x'")
    seen.append(books.ledger_version(db, project["id"]))
    assert len(set(seen)) == 3


# --- cancelling returns the grant -----------------------------------------------------------


def test_cancelling_returns_the_grant_in_the_same_transaction_shown_as_returned(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2026-01-02T02:00:00+00:00")
    with at("2026-01-03T02:00:00+00:00"):
        first = grant(db, cast[STAFF], project["id"], 12_345)
        second = grant(db, cast[ADMIN], project["id"], 5)
    with at("2026-01-05T02:00:00+00:00"):
        projects.cancel(db, cast[STAFF], project_id=project["id"], reason="场地另有安排")
    assert db.execute("SELECT id, status, returned_at FROM crowdfund_grants ORDER BY id").fetchall() \
        == [(first, "returned", "2026-01-05T02:00:00+00:00"),
            (second, "returned", "2026-01-05T02:00:00+00:00")]
    money = projects.progress(db, project["id"])
    assert (money.grant_fen, money.balance_fen, money.total_fen) == (0, 0, 0)
    ledger = books.public_ledger(db, project["id"])
    assert [(row.kind, row.kind_label, row.day, row.money_fen, row.balance_fen)
            for row in ledger.rows] == [
        ("cash", "居民出资", "2026-01-02", 60_000, 60_000),
        ("grant", "奖励金", "2026-01-03", 12_345, 72_345),
        ("grant", "奖励金", "2026-01-03", 5, 72_350),
        ("refund", "退款", "2026-01-05", -60_000, 12_350),
        ("grant_return", "退回", "2026-01-05", -12_345, 5),
        ("grant_return", "退回", "2026-01-05", -5, 0)]
    assert (ledger.totals.grant_fen, ledger.totals.grants_returned_fen,
            ledger.totals.balance_fen) == (0, 12_350, 0)
    assert publish.short_text(ledger.rows[4]) == f"退回奖励金·{SOURCE}"
    assert "已退回奖励金 123.50 元" in publish.summary_lines(ledger)
    entry = audit.recent(db, action="crowdfund.grant_return")[0]
    assert (entry["actor_id"], entry["target_type"], entry["target_id"],
            json.loads(entry["detail"])) == (
        cast[STAFF].id, "crowdfund_project", str(project["id"]), {"grants": 2})
    assert audit_log.action_label("crowdfund.grant_return") == "项目取消，退回奖励金"


def test_a_cancel_that_fails_keeps_the_grant(db, cast, project):
    grant(db, cast[STAFF], project["id"], 10_000)
    spend(db, cast[STAFF], project["id"], "1")
    with pytest.raises(ValidationError, match="项目已有支出"):
        projects.cancel(db, cast[STAFF], project_id=project["id"], reason="资金不够")
    assert db.execute("SELECT status, returned_at FROM crowdfund_grants").fetchall() == [
        ("received", None)]
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'crowdfund.grant_return'") == 0


def test_cancelling_without_a_grant_logs_no_return(db, cast, project):
    projects.cancel(db, cast[STAFF], project_id=project["id"], reason="不做了")
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'crowdfund.grant_return'") == 0


def test_another_projects_grant_is_not_returned(db, cast, project):
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    grant(db, cast[STAFF], other["id"], 10_000)
    projects.cancel(db, cast[STAFF], project_id=project["id"], reason="不做了")
    assert scalar(db, "SELECT status FROM crowdfund_grants") == "received"
    assert books.balance(db, other["id"]) == 10_000
