"""众筹账目: spending within the money held, and the 公示 in every form, exact to the fen."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import zxingcpp
from PIL import Image

from lib.core import audit, clock
from lib.core.clock import local_text, local_today, now_iso
from lib.core.db import open_db, scalar
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.core.roles import ADMIN, LEADER, STAFF
from lib.crowdfund import books, publish
from lib.crowdfund.money import MAX_PROJECT_FEN, match_unlocked
from lib.people.users import load_user
from lib.site import audit_log
from tests.crowdfund_helpers import make_project
from tests.races import WORKERS, race
from tests.volunteer_helpers import make_cast, placed_user


URL = "https://portal.example.cn/crowdfund?p=1"


@pytest.fixture
def cast(db):
    return make_cast(db)


@pytest.fixture
def project(db, cast):
    return make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                        tasks=({"name": "平整地面", "half_hours": 8, "days": -1},))


def receive(db, project_id: int, user, amount_fen: int, *, anonymous: int = 0,
            status: str = "received", match_fen: int | None = None, at: str | None = None) -> int:
    """A pledge as the pledges module leaves it once confirmed: the match stored at that time."""
    row = db.execute("SELECT match_percent, match_cap_fen FROM crowdfund_projects WHERE id = ?",
                     (project_id,)).fetchone()
    before = scalar(db, "SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_pledges"
                        " WHERE project_id = ? AND status = 'received'", (project_id,))
    share = match_unlocked(before, amount_fen, row[0], row[1]) if match_fen is None else match_fen
    decided = status in ("received", "refunded", "not_received")
    pledge_id = db["crowdfund_pledges"].insert({
        "project_id": project_id, "user_id": user.id, "amount_fen": amount_fen, "method": "cash",
        "anonymous": anonymous, "status": status, "match_fen": share if decided else 0,
        "submission_key": uuid.uuid4().hex, "created_at": at or now_iso(),
        "decided_at": (at or now_iso()) if decided else None,
        "refunded_at": (at or now_iso()) if status == "refunded" else None}).last_pk
    db.conn.commit()
    return pledge_id


def attend(db, task_id: int, user, *, at: str | None = None) -> int:
    signup_id = db["crowdfund_signups"].insert({
        "task_id": task_id, "user_id": user.id, "status": "attended", "created_at": now_iso(),
        "marked_at": at or now_iso()}).last_pk
    db.conn.commit()
    return signup_id


def spend(db, actor, project_id: int, amount="100", *, item="水泥 20 袋", key=None,
          spent_on=None, **extra) -> dict:
    return books.record_spending(db, actor, project_id=project_id, amount=amount, item=item,
                                 spent_on=spent_on or local_today(), key=key or uuid.uuid4().hex,
                                 **extra)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def spending_rows(db) -> int:
    return scalar(db, "SELECT COUNT(*) FROM crowdfund_spending")


# --- who may record spending ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["guest", "in", LEADER])
def test_only_staff_record_spending_and_a_refusal_stores_nothing(db, cast, project, who):
    receive(db, project["id"], cast["in"], 10_000)
    with pytest.raises(PermissionDenied):
        spend(db, cast[who], project["id"])
    assert spending_rows(db) == 0
    assert books.balance(db, project["id"]) == 60_000


@pytest.mark.parametrize("who", [STAFF, ADMIN])
def test_staff_and_admins_record_spending_which_lowers_the_balance(db, cast, project, who):
    receive(db, project["id"], cast["in"], 10_000)  # 100 yuan, 500 at 5x: 600 held
    row = spend(db, cast[who], project["id"], "250.5", item="  水泥\n20 袋 ")
    assert (row["amount_fen"], row["item"], row["spent_on"], row["recorded_by"]) == (
        25_050, "水泥 20 袋", local_today().isoformat(), cast[who].id)
    assert books.balance(db, project["id"]) == 60_000 - 25_050
    entry = audit.recent(db, action="crowdfund.spend")[0]
    assert (entry["actor_id"], entry["target_type"], entry["target_id"]) == (
        cast[who].id, "crowdfund_spending", str(row["id"]))
    assert audit_log.action_label("crowdfund.spend") == "登记众筹支出"
    assert "250.50" in audit_log.detail_text("crowdfund.spend", entry["detail"])


# --- the balance ----------------------------------------------------------------------------


def test_spending_beyond_the_balance_is_refused_with_the_balance_and_nothing_changes(db, cast,
                                                                                      project):
    receive(db, project["id"], cast["in"], 10_000)
    spend(db, cast[STAFF], project["id"], "100")
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "500.01")
    assert caught.value.fields == {"amount": "支出超过结余：当前结余 500.00 元"}
    assert spending_rows(db) == 1 and books.balance(db, project["id"]) == 50_000


def test_exactly_the_balance_may_be_spent_and_then_not_one_fen_more(db, cast, project):
    receive(db, project["id"], cast["in"], 12_345)  # 123.45 + 617.25 match = 740.70
    spend(db, cast[STAFF], project["id"], "740.70")
    assert books.balance(db, project["id"]) == 0
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "0.01")
    assert caught.value.fields == {"amount": "支出超过结余：当前结余 0.00 元"}
    assert spending_rows(db) == 1


def test_pledges_not_yet_received_are_not_money_held(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, status="pledged")
    receive(db, project["id"], cast["in2"], 10_000, status="not_received")
    receive(db, project["id"], cast["out"], 10_000, status="refunded")
    assert books.balance(db, project["id"]) == 0
    with pytest.raises(ValidationError, match="当前结余 0.00 元"):
        spend(db, cast[STAFF], project["id"], "1")
    assert spending_rows(db) == 0


def test_the_trigger_refusing_is_told_in_the_same_words(db, cast, project, monkeypatch):
    receive(db, project["id"], cast["in"], 10_000)
    real = books.balance
    calls = []

    def lying_balance(db_, project_id):  # the check passes once, as if another process raced
        calls.append(project_id)
        return 10 ** 9 if len(calls) == 1 else real(db_, project_id)

    monkeypatch.setattr(books, "balance", lying_balance)
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "600.01")
    assert caught.value.fields == {"amount": "支出超过结余：当前结余 600.00 元"}
    assert spending_rows(db) == 0 and audit.recent(db, action="crowdfund.spend") == []


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, message", [
    ("0", "金额必须大于 0。"), ("-5", "金额必须大于 0。"), ("", "请输入金额。"),
    ("0.001", "金额最多精确到分（小数点后两位）。"), ("1e3", "请输入金额，例如 100 或 100.50。"),
    ("一百", "请输入金额，例如 100 或 100.50。"),
    ("10000000.01", "金额不能超过 10,000,000.00 元，请检查是否多输了位数。"),
])
def test_bad_amounts_are_refused_and_nothing_is_stored(db, cast, project, amount, message):
    receive(db, project["id"], cast["in"], 10_000)
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], amount)
    assert caught.value.fields == {"amount": message}
    assert spending_rows(db) == 0


def test_the_largest_amount_is_allowed_when_held(db, cast, project):
    receive(db, project["id"], cast["in"], 2_000_000_00, match_fen=MAX_PROJECT_FEN)
    spend(db, cast[STAFF], project["id"], "10,000,000.00")
    assert books.balance(db, project["id"]) == 2_000_000_00


def test_every_bad_field_is_named_at_once(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "abc", item="   ",
              spent_on=local_today() + timedelta(days=1))
    assert caught.value.fields == {"amount": "请输入金额，例如 100 或 100.50。",
                                   "item": "请填写支出事项，例如“水泥 20 袋”。",
                                   "spent_on": "支出日期不能晚于今天。"}
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "1", item="长" * (books.ITEM_MAX + 1),
              spent_on="not a date")
    assert caught.value.fields == {"item": f"支出事项不能超过 {books.ITEM_MAX} 个字。",
                                   "spent_on": "请选择支出日期。"}
    assert spending_rows(db) == 0


def test_a_past_date_and_an_item_of_the_longest_length_are_fine(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    row = spend(db, cast[STAFF], project["id"], "1", item="长" * books.ITEM_MAX,
                spent_on=(local_today() - timedelta(days=40)).isoformat())
    assert row["spent_on"] == (local_today() - timedelta(days=40)).isoformat()
    assert spend(db, cast[STAFF], project["id"], "1", spent_on=local_today())["amount_fen"] == 100


@pytest.mark.parametrize("status", ["draft", "done", "cancelled"])
def test_only_a_raising_or_building_project_takes_spending(db, cast, status):
    closed = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                          status=status)
    receive(db, closed["id"], cast["in"], 10_000)
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], closed["id"], "1")
    assert caught.value.fields["project"].endswith("不能登记支出。")
    assert spending_rows(db) == 0


def test_a_building_project_takes_spending_and_a_missing_one_is_not_found(db, cast):
    building = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                            status="building")
    receive(db, building["id"], cast["in"], 10_000)
    assert spend(db, cast[STAFF], building["id"], "1")["project_id"] == building["id"]
    with pytest.raises(NotFound):
        spend(db, cast[STAFF], 999, "1")


def test_a_repeated_key_returns_the_first_spending_once(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    first = spend(db, cast[STAFF], project["id"], "100", key="tap")
    again = spend(db, cast[STAFF], project["id"], "100", key="tap")
    assert again == first and spending_rows(db) == 1
    assert len(audit.recent(db, action="crowdfund.spend")) == 1
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], other["id"], "100", key="tap")
    assert caught.value.fields == {"key": "该操作编号已用于另一条记录，请刷新页面后重试。"}
    for blank in ("  ", "", None):
        with pytest.raises(ValidationError) as caught:
            books.record_spending(db, cast[STAFF], project_id=project["id"], amount="1",
                                  item="水泥", spent_on=local_today(), key=blank)
        assert caught.value.fields == {"key": "缺少操作编号，请刷新页面后重试。"}
    assert spending_rows(db) == 1


def test_a_receipt_goes_through_the_photo_pipeline(db, cast, project, tmp_path):
    receive(db, project["id"], cast["in"], 10_000)
    row = spend(db, cast[STAFF], project["id"], receipt=jpeg(), data_dir=tmp_path)
    assert (tmp_path / "uploads" / f"{row['receipt']}.jpg").exists()
    with pytest.raises(PhotoRejected):
        spend(db, cast[STAFF], project["id"], receipt=b"not a photo", data_dir=tmp_path)
    assert spending_rows(db) == 1


def test_a_receipt_is_removed_again_when_the_spending_is_refused(db, cast, project, tmp_path):
    receive(db, project["id"], cast["in"], 10_000)
    with pytest.raises(ValidationError):
        spend(db, cast[STAFF], project["id"], "600.01", receipt=jpeg(), data_dir=tmp_path)
    first = spend(db, cast[STAFF], project["id"], "1", key="k", receipt=jpeg(), data_dir=tmp_path)
    spend(db, cast[STAFF], project["id"], "1", key="k", receipt=jpeg(), data_dir=tmp_path)
    assert sorted(path.name for path in (tmp_path / "uploads").iterdir()) == sorted(
        [f"{first['receipt']}.jpg", f"{first['receipt']}.thumb.jpg"])


def test_the_spending_list_is_newest_first(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    old = spend(db, cast[STAFF], project["id"], "1", spent_on=local_today() - timedelta(days=3))
    new = spend(db, cast[STAFF], project["id"], "2")
    assert [row["id"] for row in books.spending_of(db, project["id"])] == [new["id"], old["id"]]


# --- the public ledger ----------------------------------------------------------------------


def seed_example(db, cast, project) -> None:
    """The reference's compound: 40,000 yuan of resident cash, matched 5x with no cap."""
    for number in range(40):
        resident = placed_user(db, f"r{number}", "resident", cast["grid"]["place_a"])
        receive(db, project["id"], resident, 1_000_00, anonymous=number % 7 == 0)


def test_the_seed_example_shows_the_match_and_the_whole_exactly(db, cast, project):
    seed_example(db, cast, project)
    ledger = books.public_ledger(db, project["id"])
    totals = ledger.totals
    assert (totals.cash_fen, totals.match_fen, totals.total_fen) == (
        40_000_00, 200_000_00, 240_000_00)
    assert totals.contributions == 40 and totals.balance_fen == 240_000_00
    assert "居民出资 40,000.00 元（40 笔）" in publish.summary_lines(ledger)
    assert "合计 240,000.00 元" in publish.summary_lines(ledger)
    assert ledger.rows[-1].balance_fen == 240_000_00


def test_names_are_masked_or_anonymous_and_promises_are_not_shown(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    receive(db, project["id"], cast["in2"], 20_000, anonymous=1)
    receive(db, project["id"], cast["out"], 30_000, status="pledged")
    receive(db, project["id"], cast["unverified"], 40_000, status="not_received")
    rows = books.public_ledger(db, project["id"]).rows
    assert [(row.kind_label, row.who, row.cash_fen, row.match_fen) for row in rows] == [
        ("居民出资", "n*", 10_000, 50_000), ("居民出资", "匿名", 20_000, 100_000)]


def test_labour_is_valued_at_the_published_rate_and_the_rows_add_up(db, cast):
    odd = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                       labour_hour_fen=2_999,
                       tasks=({"name": "搬砖", "half_hours": 1, "headcount": 9, "days": -1},))
    for number in range(3):
        attend(db, odd["tasks"][0], placed_user(db, f"w{number}", "resident",
                                                cast["grid"]["place_a"]))
    db.execute("INSERT INTO crowdfund_signups (task_id, user_id, status, created_at)"
               " VALUES (?, ?, 'signed', ?)", (odd["tasks"][0], cast["in"].id, now_iso()))
    ledger = books.public_ledger(db, odd["id"])
    labour = [row for row in ledger.rows if row.kind == "labour"]
    # 3 x 14.995 yuan: each row is its share of the floored whole, so they add up to it
    assert [row.labour_fen for row in labour] == [1_499, 1_500, 1_499]
    assert [row.who for row in labour] == ["w*", "w*", "w*"]
    assert ledger.totals.labour_fen == 3 * 2_999 // 2 == sum(row.labour_fen for row in labour)
    assert (ledger.totals.labour_half_hours, ledger.totals.workers) == (3, 3)
    assert ledger.totals.total_fen == 4_498 and ledger.totals.balance_fen == 0
    assert all(row.balance_fen == 0 for row in labour) and labour[0].day == (
        local_today() - timedelta(days=1)).isoformat()


def test_the_running_balance_follows_the_books_in_the_order_written(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2026-01-01T02:00:00+00:00")
    with clock.pretend(datetime.fromisoformat("2026-01-02T02:00:00+00:00")):
        spend(db, cast[STAFF], project["id"], "100", item="水泥")
    receive(db, project["id"], cast["in2"], 5_000, at="2026-01-03T02:00:00+00:00")
    attend(db, project["tasks"][0], cast["out"], at="2026-01-04T02:00:00+00:00")
    ledger = books.public_ledger(db, project["id"])
    assert [(row.kind, row.money_fen, row.balance_fen) for row in ledger.rows] == [
        ("cash", 60_000, 60_000), ("spending", -10_000, 50_000), ("cash", 30_000, 80_000),
        ("labour", 0, 80_000)]
    assert ledger.rows[0].day == "2026-01-01" and ledger.rows[1].item == "水泥"
    totals = ledger.totals
    assert (totals.cash_fen, totals.match_fen, totals.spent_fen, totals.balance_fen,
            totals.labour_half_hours, totals.labour_fen) == (15_000, 75_000, 10_000, 80_000, 8,
                                                              12_000)
    assert totals.total_fen == 15_000 + 75_000 + 12_000


def test_the_day_is_the_date_in_shanghai(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2025-12-31T17:30:00+00:00")
    assert books.public_ledger(db, project["id"]).rows[0].day == "2026-01-01"


def test_a_cancelled_project_shows_the_refunds_and_holds_nothing(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, status="refunded",
            at="2026-01-01T02:00:00+00:00")
    db.execute("UPDATE crowdfund_pledges SET refunded_at = '2026-01-05T02:00:00+00:00'")
    ledger = books.public_ledger(db, project["id"])
    assert [(row.kind_label, row.who, row.cash_fen, row.match_fen, row.balance_fen, row.day)
            for row in ledger.rows] == [
        ("居民出资", "n*", 10_000, 50_000, 60_000, "2026-01-01"),
        ("退款", "n*", -10_000, -50_000, 0, "2026-01-05")]
    assert (ledger.totals.cash_fen, ledger.totals.match_fen, ledger.totals.refunded_fen,
            ledger.totals.balance_fen, ledger.totals.contributions) == (0, 0, 60_000, 0, 0)
    assert "已退还 600.00 元（含撤回的配套）" in publish.summary_lines(ledger)


def test_a_missing_project_has_no_ledger(db):
    with pytest.raises(NotFound):
        books.public_ledger(db, 404)


def test_the_funds_series_sums_each_day(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2026-01-01T02:00:00+00:00")
    receive(db, project["id"], cast["in2"], 10_000, at="2026-01-01T03:00:00+00:00")
    receive(db, project["id"], cast["out"], 10_000, at="2026-01-03T03:00:00+00:00")
    spend(db, cast[STAFF], project["id"], "50", spent_on="2026-01-03")
    spend(db, cast[STAFF], project["id"], "25", spent_on="2026-01-04")
    attend(db, project["tasks"][0], cast["out"])
    spend(db, cast[STAFF], project["id"], "0.5", spent_on="2026-01-04")
    ledger = books.public_ledger(db, project["id"])
    series = books.funds_series(ledger)
    # the day of the labour alone (today) moves no money: it is not a day of the chart
    assert [(d.day, d.in_fen, d.out_fen, d.balance_fen) for d in series] == [
        ("2026-01-01", 120_000, 0, 120_000), ("2026-01-03", 60_000, 5_000, 175_000),
        ("2026-01-04", 0, 2_550, 172_450)]
    assert (ledger.totals.spent_fen, ledger.totals.balance_fen) == (7_550, 172_450)
    spec = publish.funds_chart(books.public_ledger(db, project["id"])).to_dict()
    bars = spec["layer"][0]["data"]["values"]
    assert {"日期": "2026-01-04", "类别": "支出", "金额(元)": -25.5} in bars
    assert spec["layer"][1]["data"]["values"][0] == {"日期": "2026-01-01", "结余(元)": 1200.0}


# --- exports --------------------------------------------------------------------------------


@pytest.fixture
def books_with_everything(db, cast, project, tmp_path):
    receive(db, project["id"], cast["in"], 10_000)
    receive(db, project["id"], cast["in2"], 12_345, anonymous=1)
    attend(db, project["tasks"][0], cast["out"])
    spend(db, cast[STAFF], project["id"], "99.99", item="水泥 2 袋", receipt=jpeg(),
          data_dir=tmp_path)
    return books.public_ledger(db, project["id"])


def test_the_csv_opens_in_excel_and_reads_back_exactly(books_with_everything):
    data = publish.ledger_csv(books_with_everything)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    today = local_today().isoformat()
    assert rows[0] == publish.HEADINGS
    assert rows[1] == [today, "居民出资", "n*", "居民出资", "100.00", "500.00", "", "", "", "",
                       "600.00", ""]
    assert rows[2] == [today, "居民出资", "匿名", "居民出资", "123.45", "617.25", "", "", "", "",
                       "1340.70", ""]
    assert rows[3][1:9] == ["出工", "s*", "平整地面", "", "", "", "4", "120.00"]
    assert rows[4][1:] == ["支出", "", "水泥 2 袋", "", "", "", "", "", "99.99", "1240.71", "有"]
    assert rows[5] == ["合计", "", "", "", "223.45", "1117.25", "0.00", "4", "120.00", "99.99",
                       "1240.71", ""]
    assert len(rows) == 6


def test_the_excel_file_reads_back_with_amounts_to_the_fen(books_with_everything):
    book = openpyxl.load_workbook(io.BytesIO(publish.ledger_xlsx(books_with_everything)))
    sheet = book["公示"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == publish.HEADINGS
    assert rows[2][2:6] == ["匿名", "居民出资", 123.45, 617.25]
    assert rows[-1][:11] == ["合计", None, None, None, 223.45, 1117.25, 0, 4, 120, 99.99, 1240.71]
    assert sheet["E2"].number_format == "#,##0.00" and sheet["K5"].number_format == "#,##0.00"
    assert sheet["G6"].number_format == "#,##0.00"


def test_no_export_carries_a_real_name(db, cast, books_with_everything):
    names = [cast[who].display_name for who in ("in", "in2", "out")]
    texts = [publish.ledger_csv(books_with_everything).decode("utf-8-sig"),
             publish.wechat_summary(db, books_with_everything.project.id, URL),
             str([[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(
                 publish.ledger_xlsx(books_with_everything)))["公示"].iter_rows()])]
    assert not [name for name in names for text in texts if name in text]


def test_the_wechat_text_gives_the_totals_and_the_link(db, books_with_everything):
    text = publish.wechat_summary(db, books_with_everything.project.id, URL)
    lines = text.splitlines()
    assert lines[0] == "【众筹公示】车棚地面硬化（众筹中）"
    assert lines[1:6] == [
        "居民出资 223.45 元（2 笔）", "街道办事处配套 1,117.25 元（按居民出资的 5 倍）",
        "出工 1 人次共 4 小时，按每小时 30.00 元折合 120.00 元", "合计 1,460.70 元",
        "已支出 99.99 元，结余 1,240.71 元"]
    assert lines[6] == f"明细和收据：{URL}"
    assert lines[7] == f"截至 {local_text(now_iso())}"


def test_a_cap_is_named_and_no_match_means_no_match_line(db, cast):
    capped = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                          match_percent=350, match_cap_fen=100_000)
    receive(db, capped["id"], cast["in"], 100_000)
    lines = publish.summary_lines(books.public_ledger(db, capped["id"]))
    assert lines[1] == "街道办事处配套 1,000.00 元（按居民出资的 3.5 倍，上限 1,000.00 元）"
    none = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"],
                        match_percent=0)
    receive(db, none["id"], cast["in"], 100_000)
    assert publish.summary_lines(books.public_ledger(db, none["id"])) == [
        "居民出资 1,000.00 元（1 笔）", "合计 1,000.00 元", "已支出 0.00 元，结余 1,000.00 元"]


def first_page(pdf: bytes) -> Image.Image:
    start = pdf.index(b"\xff\xd8")  # Pillow writes each page as one JPEG stream
    return Image.open(io.BytesIO(pdf[start:pdf.index(b"\xff\xd9", start) + 2]))


def test_the_notice_pdf_carries_the_projects_qr(db, books_with_everything):
    pdf = publish.notice_pdf(db, books_with_everything.project.id, URL)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") <= 1
    image = first_page(pdf)
    assert image.size == (1240, 1754)
    assert [code.text for code in zxingcpp.read_barcodes(image.convert("RGB"))] == [URL]


def test_a_long_ledger_runs_over_numbered_pages(db, cast, project):
    for number in range(publish.NOTICE_CONTRIBUTION_LINES):
        receive(db, project["id"], cast["in"], 100 + number)
    ledger = books.public_ledger(db, project["id"])
    assert publish.notice_lines(ledger.rows) == (ledger.rows, [])
    pages = publish.notice_pages(ledger, URL, "测试社区", "2026-11-23 10:00")
    assert len(pages) >= 2
    assert [code.text for code in zxingcpp.read_barcodes(pages[0].convert("RGB"))] == [URL]
    assert zxingcpp.read_barcodes(pages[1].convert("RGB")) == []
    empty = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    assert len(publish.notice_pages(books.public_ledger(db, empty["id"]), URL, "测试社区",
                                    "2026-11-23 10:00")) == 1


def test_the_notice_prints_all_spending_and_the_latest_contributions(db, cast, project):
    for number in range(publish.NOTICE_CONTRIBUTION_LINES + 140):
        receive(db, project["id"], cast["in"], 1_000 + number)
        if number == 10:
            books.record_spending(db, cast[STAFF], project_id=project["id"], amount="50",
                                  item="水泥", spent_on=local_today().isoformat(), key="early")
    ledger = books.public_ledger(db, project["id"])
    printed, left_out = publish.notice_lines(ledger.rows)
    assert len(left_out) == 140 and [line.kind for line in left_out] == ["cash"] * 140
    assert left_out == [line for line in ledger.rows if line.kind == "cash"][:140]
    assert [line.item for line in printed if line.kind == "spending"] == ["水泥"]
    assert len(printed) == publish.NOTICE_CONTRIBUTION_LINES + 1
    pages = publish.notice_pages(ledger, URL, "测试社区", "2026-11-23 10:00")
    assert 2 <= len(pages) <= 3


# --- the race -------------------------------------------------------------------------------


def _spender(path: str, staff_id: int, project_id: int, attempts: int, start, results) -> None:
    db = open_db(path, migrate=False)
    staff = load_user(db, staff_id)
    done, refused = [], 0
    start.wait()
    for attempt in range(attempts):
        try:
            done.append(books.record_spending(
                db, staff, project_id=project_id, amount="30", item="水泥",
                spent_on=date.today() - timedelta(days=1),
                key=f"{staff_id}:{attempt}:{uuid.uuid4()}")["id"])
        except ValidationError as error:
            assert error.fields["amount"].startswith("支出超过结余")
            refused += 1
    results.put((done, refused))
    db.close()


@pytest.mark.slow
def test_staff_spending_at_once_from_many_processes_never_exceed_the_balance(tmp_path):
    path = tmp_path / "race.db"
    db = open_db(path)
    cast = make_cast(db)
    project = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    receive(db, project["id"], cast["in"], 16_667)  # 166.67 + 833.35 match = 1,000.02 yuan held
    staff_ids = [cast[STAFF].id, cast["staff2"].id, cast[ADMIN].id] + [
        placed_user(db, f"s{n}", STAFF, cast["grid"]["place_a"]).id for n in range(WORKERS - 3)]
    db.close()
    outcomes = race(_spender, lambda n: (str(path), staff_ids[n], project["id"], 5))
    done = [spending for ids, _ in outcomes for spending in ids]
    assert len(done) == 33 and sum(refused for _, refused in outcomes) == WORKERS * 5 - 33
    db = open_db(path, migrate=False)
    assert scalar(db, "SELECT SUM(amount_fen) FROM crowdfund_spending") == 33 * 3_000
    assert books.balance(db, project["id"]) == 100_002 - 99_000
    assert books.public_ledger(db, project["id"]).totals.balance_fen == 1_002
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'crowdfund.spend'") == 33
    db.close()


def test_the_lib_checks_the_balance_itself_not_only_the_trigger(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    db.execute("DROP TRIGGER crowdfund_spending_within_funds")
    with pytest.raises(ValidationError, match="当前结余 600.00 元"):
        spend(db, cast[STAFF], project["id"], "600.01")
    spend(db, cast[STAFF], project["id"], "600")
    assert spending_rows(db) == 1 and books.balance(db, project["id"]) == 0


def test_the_books_version_changes_with_every_change_the_ledger_shows(db, cast, project):
    seen = [books.ledger_version(db, project["id"])]

    def changed() -> bool:
        seen.append(books.ledger_version(db, project["id"]))
        return seen[-1] != seen[-2]

    receive(db, project["id"], cast["in"], 10_000, status="pledged")
    assert not changed()  # a promise is not in the ledger
    pledge = receive(db, project["id"], cast["in2"], 10_000)
    assert changed()
    spend(db, cast[STAFF], project["id"], "1")
    assert changed()
    attend(db, project["tasks"][0], cast["out"])
    assert changed()
    db.execute("UPDATE crowdfund_pledges SET status = 'refunded' WHERE id = ?", (pledge,))
    assert changed()
    db.execute("UPDATE crowdfund_projects SET status = 'building' WHERE id = ?", (project["id"],))
    assert changed()
    other = make_project(db, created_by=cast[STAFF].id, place_id=cast["grid"]["place_a"])
    receive(db, other["id"], cast["in"], 10_000)
    assert not changed()  # another project's books
    assert len(set(seen)) == 6


def test_a_formula_typed_as_an_item_stays_text_and_refunds_stay_numbers(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    spend(db, cast[STAFF], project["id"], "1", item="=HYPERLINK(\"http://x\")")
    receive(db, project["id"], cast["in2"], 10_000, status="refunded")
    ledger = books.public_ledger(db, project["id"])
    rows = list(csv.reader(io.StringIO(publish.ledger_csv(ledger).decode("utf-8-sig"))))
    assert [row[3] for row in rows if row[1] == "支出"] == ["'=HYPERLINK(\"http://x\")"]
    assert [row[4:6] for row in rows if row[1] == "退款"] == [["-100.00", "-500.00"]]
    sheet = openpyxl.load_workbook(io.BytesIO(publish.ledger_xlsx(ledger)))["公示"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[3] for row in values if row[1] == "支出"] == ["'=HYPERLINK(\"http://x\")"]
    assert [row[4:6] for row in values if row[1] == "退款"] == [[-100, -500]]


def test_every_line_carries_exactly_its_own_figures(db, cast, project, tmp_path):
    at = "2026-01-02T02:00:00+00:00"
    receive(db, project["id"], cast["in"], 10_000, at=at)
    attend(db, project["tasks"][0], cast["out"], at=at)
    with clock.pretend(datetime.fromisoformat(at)):
        spend(db, cast[STAFF], project["id"], "10", item="水泥", receipt=jpeg(), data_dir=tmp_path)
    receive(db, project["id"], cast["in2"], 20_000, status="refunded", at=at)
    rows = books.public_ledger(db, project["id"]).rows
    receipt = rows[3].receipt
    # the same second: money in, then labour, then spending, then the refund
    assert rows == [
        books.LedgerRow("cash", "2026-01-02", "n*", "居民出资", 10_000, 50_000, 0, 0, 0, None,
                        60_000),
        books.LedgerRow("cash", "2026-01-02", "n*", "居民出资", 20_000, 100_000, 0, 0, 0, None,
                        180_000),
        books.LedgerRow("labour", (local_today() - timedelta(days=1)).isoformat(), "s*",
                        "平整地面", 0, 0, 8, 12_000, 0, None, 180_000),
        books.LedgerRow("spending", "2026-01-02", "", "水泥", 0, 0, 0, 0, 1_000, receipt,
                        179_000),
        books.LedgerRow("refund", "2026-01-02", "n*", "项目取消，退还出资，配套撤回", -20_000,
                        -100_000, 0, 0, 0, None, 59_000)]
    assert receipt and rows[3].kind_label == "支出" and rows[4].money_fen == -120_000


def test_refunds_run_after_the_money_they_return_and_all_of_them_count(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, status="refunded",
            at="2026-01-01T02:00:00+00:00")
    receive(db, project["id"], cast["in2"], 20_000, status="refunded",
            at="2026-01-03T02:00:00+00:00")
    db.execute("UPDATE crowdfund_pledges SET refunded_at = '2026-01-05T02:00:00+00:00'")
    ledger = books.public_ledger(db, project["id"])
    assert [(row.kind, row.day, row.balance_fen) for row in ledger.rows] == [
        ("cash", "2026-01-01", 60_000), ("cash", "2026-01-03", 180_000),
        ("refund", "2026-01-05", 120_000), ("refund", "2026-01-05", 0)]
    assert ledger.totals.refunded_fen == 180_000


def test_lines_without_a_recorded_time_come_first_and_keep_what_is_known(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000, at="2026-01-01T02:00:00+00:00")
    late = receive(db, project["id"], cast["in2"], 20_000, status="refunded",
                   at="2026-01-03T02:00:00+00:00")
    undated = receive(db, project["id"], cast["out"], 30_000)
    db.execute("UPDATE crowdfund_pledges SET decided_at = NULL WHERE id = ?", (undated,))
    db.execute("UPDATE crowdfund_pledges SET refunded_at = NULL WHERE id = ?", (late,))
    attend(db, project["tasks"][0], cast["unverified"])
    db.execute("UPDATE crowdfund_signups SET marked_at = NULL")
    rows = books.public_ledger(db, project["id"]).rows
    assert [(row.kind, row.who, row.day) for row in rows] == [
        ("cash", "s*", ""), ("labour", "n*", (local_today() - timedelta(days=1)).isoformat()),
        ("cash", "n*", "2026-01-01"), ("cash", "n*", "2026-01-03"), ("refund", "n*", "2026-01-03")]


def test_no_item_at_all_is_refused(db, cast, project):
    receive(db, project["id"], cast["in"], 10_000)
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "1", item=None)
    assert caught.value.fields == {"item": "请填写支出事项，例如“水泥 20 袋”。"}
    assert spending_rows(db) == 0


def test_a_repeated_key_never_touches_its_receipt_again(db, cast, project, tmp_path, monkeypatch):
    receive(db, project["id"], cast["in"], 10_000)
    first = spend(db, cast[STAFF], project["id"], "1", key="k", receipt=jpeg(), data_dir=tmp_path)

    def no_second_photo(data):
        raise AssertionError("a repeated submission processed its photo again")

    monkeypatch.setattr(books.photos, "process_photo", no_second_photo)
    assert spend(db, cast[STAFF], project["id"], "1", key="k", receipt=jpeg(),
                 data_dir=tmp_path) == first


def test_a_double_tap_that_waited_for_the_lock_returns_the_first_even_with_nothing_left(
        db, cast, project, monkeypatch, tmp_path):
    receive(db, project["id"], cast["in"], 10_000)
    first = spend(db, cast[STAFF], project["id"], "600", key="tap")  # everything held
    real = books._by_key
    calls = []

    def not_yet_committed(db_, key):  # the second tap read before the first committed
        calls.append(key)
        return None if len(calls) == 1 else real(db_, key)

    monkeypatch.setattr(books, "_by_key", not_yet_committed)
    assert spend(db, cast[STAFF], project["id"], "600", key="tap", receipt=jpeg(),
                 data_dir=tmp_path) == first
    assert calls == ["tap", "tap"] and spending_rows(db) == 1
    assert list((tmp_path / "uploads").iterdir()) == []  # the second tap's photo is gone


def test_a_project_closed_while_waiting_for_the_lock_takes_no_spending(db, cast, project,
                                                                      monkeypatch):
    import dataclasses

    from lib.crowdfund import projects
    receive(db, project["id"], cast["in"], 10_000)
    real = projects.get_project
    monkeypatch.setattr(projects, "get_project", lambda db_, project_id: dataclasses.replace(
        real(db_, project_id), status="raising"))  # what the check saw before the lock
    db.execute("UPDATE crowdfund_projects SET status = 'done' WHERE id = ?", (project["id"],))
    with pytest.raises(ValidationError) as caught:
        spend(db, cast[STAFF], project["id"], "1")
    assert caught.value.fields == {"project": "项目已完成，不能登记支出。"}
    assert spending_rows(db) == 0


def test_the_audit_entry_names_the_project_amount_item_and_receipt(db, cast, project, tmp_path):
    import json
    receive(db, project["id"], cast["in"], 10_000)
    spend(db, cast[STAFF], project["id"], "12.5", item="水泥", receipt=jpeg(), data_dir=tmp_path)
    entry = audit.recent(db, action="crowdfund.spend")[0]
    assert json.loads(entry["detail"]) == {"project": project["id"], "yuan": "12.50",
                                           "item": "水泥", "receipt": True}


def test_the_trigger_refusing_removes_the_receipt_again(db, cast, project, tmp_path, monkeypatch):
    receive(db, project["id"], cast["in"], 10_000)
    monkeypatch.setattr(books, "balance", lambda db_, project_id: 10 ** 9)  # the check is fooled
    with pytest.raises(ValidationError):
        spend(db, cast[STAFF], project["id"], "600.01", receipt=jpeg(), data_dir=tmp_path)
    assert list((tmp_path / "uploads").iterdir()) == [] and spending_rows(db) == 0


def test_a_key_taken_between_the_checks_and_the_insert_returns_the_first(db, cast, project,
                                                                         monkeypatch):
    receive(db, project["id"], cast["in"], 10_000)
    first = spend(db, cast[STAFF], project["id"], "1", key="tap")
    real = books._by_key
    calls = []

    def missed_twice(db_, key):  # both checks ran before the other tap committed
        calls.append(key)
        return None if len(calls) <= 2 else real(db_, key)

    monkeypatch.setattr(books, "_by_key", missed_twice)
    assert spend(db, cast[STAFF], project["id"], "1", key="tap") == first
    assert len(calls) == 3 and spending_rows(db) == 1
