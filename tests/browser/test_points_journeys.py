"""积分 in real Chromium at phone size, moving only by taps: a resident's balance, history,
boards and passbook; staff granting a special award; a resident refused 管理 › 积分发放."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import settle
from tests.browser.test_report_journeys import fits_phone, log_in, main, query, tap, tap_menu


SHOTS = "/tmp/shots"


def shot(page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}/points-{name}.png", full_page=True)


def balance(server, username: str) -> int:
    return query(server.data_dir / "portal.db",
                 "SELECT COALESCE(SUM(amount), 0) FROM points_ledger JOIN users"
                 " ON users.id = user_id WHERE username = ?", (username,))[0]


def test_a_resident_opens_points_from_home_sees_boards_and_downloads_the_passbook(server, phones):
    page = phones().new_page()
    log_in(page, server.url, "resident")
    tap_menu(page, "")
    tap(main(page).get_by_role("link", name="我的积分 · 明细与排行榜"), page)
    expect(main(page).get_by_role("heading", name="积分")).to_be_visible()
    expect(main(page).get_by_test_id("stMetricValue")).to_have_text(
        f"{balance(server, 'resident')} 分")
    newest = query(server.data_dir / "portal.db",
                   "SELECT reason FROM points_ledger JOIN users ON users.id = user_id"
                   " WHERE username = 'resident' ORDER BY points_ledger.id DESC LIMIT 1")[0]
    expect(main(page).get_by_text(newest, exact=True).first).to_be_visible()
    fits_phone(page)
    shot(page, "mine")
    tap(main(page).get_by_role("button", name="准备积分存折（PDF）"), page)
    with page.expect_download() as download:
        main(page).get_by_role("button", name="下载积分存折").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    tap(main(page).get_by_role("tab", name="个人榜"), page)
    expect(main(page).get_by_text("您在")).to_be_visible()
    expect(main(page).get_by_test_id("stVegaLiteChart")).to_be_visible()
    fits_phone(page)
    shot(page, "person-board")
    tap(main(page).get_by_role("tab", name="楼栋榜"), page)
    shot(page, "building-board-total")
    tap(main(page).get_by_test_id("stButtonGroup").get_by_text("户均积分"), page)
    expect(main(page).get_by_test_id("stVegaLiteChart")).to_be_visible()
    fits_phone(page)
    shot(page, "building-board")


def test_a_guest_sees_the_boards_and_a_login_offer(server, phones):
    page = phones().new_page()
    page.goto(f"{server.url}/?b=1-1")
    settle(page, quiet_ms=400)
    tap_menu(page, "points")
    expect(main(page).get_by_role("button", name="登录 / 注册")).to_be_visible()
    expect(main(page).get_by_role("tab", name="个人榜")).to_be_visible()
    expect(main(page).get_by_test_id("stMetric")).to_have_count(0)
    fits_phone(page)
    shot(page, "guest")


def test_staff_grant_twenty_points_to_a_resident_by_taps(server, phones):
    before = balance(server, "resident")
    page = phones().new_page()
    log_in(page, server.url, "staff")
    tap_menu(page, "admin-points")
    search = main(page).get_by_role("textbox", name="查找居民")
    search.fill("林阿姨")
    search.press("Enter")
    settle(page, quiet_ms=400)
    expect(main(page).get_by_text("居民 林阿姨 的积分")).to_be_visible()
    main(page).get_by_role("textbox", name="积分数").fill("20")
    main(page).get_by_role("textbox", name="理由").fill("让出自家菜地修路")
    main(page).get_by_text("我已核对居民、积分数和理由").click()
    tap(main(page).get_by_role("button", name="确认发放"), page)
    expect(main(page).get_by_text("发放 20 分")).to_be_visible()
    assert balance(server, "resident") == before + 20
    fits_phone(page)
    shot(page, "staff-granted")


def test_a_resident_typing_the_admin_points_address_is_refused(server, phones):
    before = query(server.data_dir / "portal.db", "SELECT COUNT(*) FROM points_ledger")
    page = phones().new_page()
    log_in(page, server.url, "resident")
    expand = page.get_by_test_id("stExpandSidebarButton")  # what a resident can tap: no 管理
    if expand.is_visible():
        expand.tap()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.locator("a[href$='/points']")).to_be_visible()
    expect(nav.locator("a[href$='/admin-points']")).to_have_count(0)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_count(0)
    page.goto(f"{server.url}/admin-points")  # a deliberate refusal test: the one typed address
    settle(page, quiet_ms=400)
    expect(main(page).get_by_text("此页面仅限社区工作人员及以上使用")).to_be_visible()
    expect(main(page).get_by_role("textbox", name="查找居民")).to_have_count(0)
    assert query(server.data_dir / "portal.db", "SELECT COUNT(*) FROM points_ledger") == before
    shot(page, "refused")
