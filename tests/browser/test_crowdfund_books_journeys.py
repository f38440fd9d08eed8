"""公示 and 支出登记 in real Chromium at phone size, moving by taps.

A guest scans the gate's code, taps 众筹, opens the project and its 公示 tab: the totals, masked
names (匿名 for who asked), and a CSV that opens in Excel. Staff record a spending with a receipt
photo on 管理 › 众筹账目; the refusal: more than the balance reads the balance in Chinese and
nothing is recorded.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from lib.core.db import open_db, scalar
from lib.people.users import load_user, mask_name
from tests.browser.conftest import PHONE_USER_AGENT, wait_ready
from tests.browser.crowdfund_taps import open_books, open_project
from tests.browser.test_journeys import assert_fits_phone, log_in, main, scan
from tests.crowdfund_helpers import make_project
from tests.test_crowdfund_books import attend, receive


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
HERE = Path(__file__).resolve().parent
TITLE = "雨污分流改造"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"books-{name}.png"), full_page=True)


def funded_project(server, title: str = TITLE) -> dict:
    """A raising project at 1-1: resident gave 100 yuan, zhangwei 200 anonymously, one
    pledge still waits; zhangwei worked 4 hours. 5x match: 1,800.00 held."""
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        def user(name):
            return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (name,)))

        project = make_project(db, created_by=user("staff").id, title=title,
                               place_id=scalar(db, "SELECT id FROM places WHERE code = '1-1'"),
                               tasks=({"name": "清理杂物", "days": -1},))
        receive(db, project["id"], user("resident"), 10_000)
        receive(db, project["id"], user("zhangwei"), 20_000, anonymous=1)
        receive(db, project["id"], user("wangxiulan"), 30_000, status="pledged")
        attend(db, project["tasks"][0], user("zhangwei"))
        return {**project, "names": [user(name).display_name
                                     for name in ("resident", "zhangwei", "wangxiulan")]}
    finally:
        db.close()


def spending(server, project_id: int) -> list[tuple]:
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        return db.execute("SELECT amount_fen, item, receipt IS NOT NULL FROM crowdfund_spending"
                          " WHERE project_id = ? ORDER BY id", (project_id,)).fetchall()
    finally:
        db.close()


def test_a_guest_reads_the_ledger_with_masked_names_and_downloads_the_csv(server, phone):
    page = phone.new_page()
    scan(page, server.url)  # the first page run seeds the demo community
    project = funded_project(server)
    open_project(page, TITLE, "公示")
    panel = main(page).get_by_role("tabpanel")
    expect(panel.get_by_test_id("stMetric").first).to_contain_text("1,920.00")
    expect(panel.get_by_text("居民出资 300.00 元（2 笔）", exact=False)).to_be_visible()
    cells = panel.get_by_test_id("stDataFrame").locator("[role='gridcell']")
    expect(cells.first).to_be_attached()  # glide draws on a canvas; its cells are for readers
    grid = " ".join(cells.all_text_contents())
    masked = [mask_name(name) for name in project["names"]]
    assert f"{masked[0]} 出资" in grid and "匿名 出资" in grid and "折120.00" in grid
    body = page.inner_text("body")
    assert not [name for name in project["names"] if name in body]
    assert_fits_phone(page)
    shot(page, "1-ledger")
    panel.get_by_test_id("stDataFrame").scroll_into_view_if_needed()
    shot(page, "2-ledger-table")
    with page.expect_download() as download:
        panel.get_by_role("button", name="下载 CSV", exact=True).tap()
    assert download.value.suggested_filename == f"众筹公示-{project['id']}.csv"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[-1][:6] == ["合计", "", "", "", "300.00", "1500.00"]
    assert {row[2] for row in rows[1:-1]} == {masked[0], "匿名", masked[1]}
    expect(panel.locator("code")).to_contain_text("【众筹公示】雨污分流改造")
    assert_fits_phone(page)


def open_spending_tab(page, project_title: str) -> None:
    open_books(page, "支出登记", "众筹项目", project_title)
    expect(main(page).get_by_test_id("stMetric")).to_contain_text("1,800.00")


def fill_spending(page, amount: str, item: str) -> None:
    form = main(page).get_by_test_id("stForm")
    form.get_by_label("金额（元）").fill(amount)
    form.get_by_label("事项").fill(item)
    form.get_by_role("button", name="登记支出").tap()
    wait_ready(page)


def test_staff_record_a_spending_with_a_receipt_photo(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "staff")
    project = funded_project(server, "车棚地面硬化")
    open_spending_tab(page, "车棚地面硬化")
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "after.jpg"))
    wait_ready(page)
    fill_spending(page, "1250.5", "水泥 20 袋")
    expect(main(page).get_by_text("已登记支出：水泥 20 袋 1,250.50 元。")).to_be_visible()
    expect(main(page).get_by_test_id("stMetric")).to_contain_text("549.50")
    assert spending(server, project["id"]) == [(125_050, "水泥 20 袋", 1)]
    assert_fits_phone(page)
    shot(page, "3-spent")


def test_spending_beyond_the_balance_is_refused_and_nothing_is_recorded(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "staff")
    project = funded_project(server, "楼道扶手加装")
    open_spending_tab(page, "楼道扶手加装")
    fill_spending(page, "1800.01", "施工队人工费")
    expect(main(page).get_by_text("金额：支出超过结余：当前结余 1,800.00 元")).to_be_visible()
    assert spending(server, project["id"]) == []
    expect(main(page).get_by_test_id("stMetric")).to_contain_text("1,800.00")
    assert_fits_phone(page)
    shot(page, "4-refused")
