"""The main flows in real Chromium at phone size (390x844), against the real server.

Each test uses fresh browser contexts and its own usernames, so the tests share one server (and
its demo community) without depending on each other's order.
"""
from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, login, settle, submit_login, wait_ready

_numbers = itertools.count(1)
PASSWORD = "Harvest2026"
MY_PLACE = "1栋1单元（1-1）"


def new_username(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}"


def main(page):
    return page.get_by_test_id("stMain")


def title(page):
    """The page's st.title, the heading a person reads first."""
    return main(page).locator("h1").first


def assert_fits_phone(page) -> None:
    """Nothing is wider than the phone: no sideways scrolling of the page or the main column."""
    widths = page.evaluate("""() => {
      const main = document.querySelector("[data-testid='stMain']");
      return [document.documentElement.scrollWidth, main ? main.scrollWidth : 0];
    }""")
    assert max(widths) <= PHONE["width"], f"wider than the phone: {widths} on {page.url}"


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    assert_fits_phone(page)


def screenshot(page, journey: int | str) -> None:
    page.screenshot(path=f"/tmp/journey-{journey}.png")


def register(page, base_url: str, username: str, *, password: str = PASSWORD,
             place: str | None = MY_PLACE, room: str = "601") -> None:
    """Fill and send the 注册新账号 form on a freshly opened account page."""
    open_page(page, f"{base_url}/account")
    page.get_by_role("tab", name="注册新账号").click()
    panel = page.get_by_role("tabpanel", name="注册新账号")
    panel.get_by_role("textbox", name="用户名").fill(username)
    panel.get_by_role("textbox", name="称呼").fill("测试居民")
    panel.get_by_role("textbox", name="密码", exact=True).fill(password)
    panel.get_by_role("textbox", name="确认密码").fill(password)
    panel.get_by_role("textbox", name="手机号（可选）").fill("13900139000")
    if place:
        panel.get_by_role("combobox", name="楼栋（可选）").click()
        page.get_by_role("option", name=place, exact=True).click()
    panel.get_by_role("textbox", name="房号（可选）").fill(room)
    panel.get_by_role("button", name="注册").click()
    wait_ready(page)
    assert_fits_phone(page)


def login_tab(page):
    page.get_by_role("tab", name="登录", exact=True).click()
    return page.get_by_role("tabpanel", name="登录", exact=True)


def logout(page) -> None:
    main(page).get_by_role("button", name="退出登录").click()
    expect(main(page).get_by_text("您已退出登录。")).to_be_visible()
    settle(page)


def expect_login_form(page) -> None:
    expect(title(page)).to_have_text("登录 / 注册")
    panel = page.get_by_role("tabpanel", name="登录", exact=True)
    expect(panel.get_by_role("textbox", name="用户名")).to_be_visible()
    expect(panel.get_by_role("button", name="登录")).to_be_visible()
    expect(main(page).get_by_text("我的账户")).to_have_count(0)


# --- 1. A guest scans a building's QR code ---------------------------------------------------


def test_guest_from_a_qr_code_sees_the_place_and_keeps_it_across_pages(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/?b=1-1")
    expect(title(page)).to_have_text("幸福里小区")
    expect(main(page).get_by_test_id("stAlert")).to_contain_text("您所在的位置：1栋1单元（1-1）")
    screenshot(page, 1)

    main(page).get_by_role("link", name="登录 / 注册").tap()
    page.wait_for_url(re.compile(r"/account\?b=1-1$"))
    expect(title(page)).to_have_text("登录 / 注册")
    wait_ready(page)
    assert_fits_phone(page)
    page.get_by_role("tab", name="注册新账号").tap()
    chooser = page.get_by_role("tabpanel", name="注册新账号").get_by_role("combobox",
                                                                       name="楼栋（可选）")
    expect(chooser).to_have_value(MY_PLACE)
    assert_fits_phone(page)

    page.get_by_test_id("stExpandSidebarButton").tap()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="首页").tap()
    expect(title(page)).to_have_text("幸福里小区")
    expect(main(page).get_by_test_id("stAlert")).to_contain_text("您所在的位置：1栋1单元（1-1）")
    wait_ready(page)
    page.wait_for_url(re.compile(r"/\?b=1-1$"))
    assert_fits_phone(page)


def test_unknown_place_code_in_the_url_gets_a_clear_message_and_no_place(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/?b=no-such-place")
    expect(main(page).get_by_text("没有找到编号为")).to_be_visible()
    expect(main(page)).to_contain_text("没有找到编号为“no-such-place”的楼栋或地点")
    expect(main(page).get_by_text("您所在的位置")).to_have_count(0)
    expect(main(page).get_by_role("link", name="登录 / 注册")).to_be_visible()


# --- 2. A new resident registers, logs in and out -------------------------------------------


def test_new_resident_registers_logs_in_sees_pending_check_and_logs_out(server, phone):
    username = new_username("walker")
    page = phone.new_page()
    register(page, server.url, username, room="601")
    expect(main(page).get_by_text("注册成功")).to_be_visible()

    open_page(page, f"{server.url}/account")
    login_tab(page)
    submit_login(page, username, PASSWORD)
    expect(title(page)).to_have_text("我的账户", timeout=20_000)
    page.wait_for_function("document.cookie.includes('wwsg_session=')")
    settle(page)
    expect(main(page)).to_contain_text(f"测试居民（{username}） · 居民")
    expect(main(page).get_by_text("住户核实：待核实")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, 2)

    logout(page)
    expect_login_form(page)
    open_page(page, f"{server.url}/account")  # the browser no longer holds a working login
    expect_login_form(page)


def test_wrong_password_is_refused_in_chinese_and_nobody_is_logged_in(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/account")
    submit_login(page, "zhangwei", "Wrong2026x")
    expect(main(page).get_by_text("用户名或密码错误")).to_be_visible(timeout=20_000)
    expect(main(page)).to_contain_text("还可以尝试")
    settle(page)
    expect_login_form(page)
    assert "wwsg_session=" not in page.evaluate("document.cookie")
    assert_fits_phone(page)


def test_weak_password_is_refused_at_registration_and_no_account_is_created(server, phone):
    username = new_username("weakling")
    page = phone.new_page()
    register(page, server.url, username, password="abc12")
    panel = page.get_by_role("tabpanel", name="注册新账号")
    expect(panel.get_by_text("密码：密码至少 8 位。")).to_be_visible()
    expect(panel.get_by_text("注册成功")).to_have_count(0)

    open_page(page, f"{server.url}/account")
    submit_login(page, username, "abc12")
    expect(main(page).get_by_text("用户名或密码错误")).to_be_visible(timeout=20_000)
    settle(page)
    expect_login_form(page)

    register(page, server.url, username)  # the username was never taken
    expect(main(page).get_by_text("注册成功")).to_be_visible()


# --- 3. A micro-grid leader confirms a new resident's household -------------------------------


def test_leader_verifies_a_new_residents_household(server, phone, phones):
    username = new_username("family")
    newcomer = phones().new_page()
    register(newcomer, server.url, username, room="702")
    expect(main(newcomer).get_by_text("注册成功")).to_be_visible()
    login(newcomer, server.url, username, PASSWORD)
    expect(main(newcomer).get_by_text("住户核实：待核实")).to_be_visible()

    page = phone.new_page()
    login(page, server.url, "leader")
    open_page(page, f"{server.url}/admin")
    expect(title(page)).to_have_text("管理")
    page.get_by_role("tab", name="住户核实").tap()
    card = page.locator("[class*='st-key-admin_household_']").filter(has_text=f"（{username}）")
    expect(card).to_contain_text("1栋1单元 702 室")
    expect(card).to_contain_text("13900139000")
    card.scroll_into_view_if_needed()
    screenshot(page, 3)
    card.get_by_role("button", name="核实通过").tap()
    expect(card).to_have_count(0)
    wait_ready(page)
    assert_fits_phone(page)

    newcomer.reload()
    wait_ready(newcomer)
    expect(title(newcomer)).to_have_text("我的账户")
    expect(main(newcomer).get_by_text("住户核实：已核实")).to_be_visible()
    expect(main(newcomer)).to_contain_text("1栋1单元")


# --- 4. An admin prints the QR posters --------------------------------------------------------


def test_admin_downloads_the_poster_sheet_and_a_places_qr_code(server, phone):
    page = phone.new_page()
    login(page, server.url, "admin")
    open_page(page, f"{server.url}/admin")
    page.get_by_role("tab", name="二维码").tap()
    panel = page.get_by_role("tabpanel", name="二维码")
    panel.get_by_role("button", name="生成海报 PDF").tap()
    sheet_button = panel.get_by_role("button", name="下载海报 PDF")
    expect(sheet_button).to_be_visible(timeout=60_000)
    expect(panel.get_by_text("已生成")).to_be_visible()
    with page.expect_download() as sheet:
        sheet_button.click()
    assert sheet.value.suggested_filename == "qr-posters.pdf"
    pdf = Path(sheet.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 5  # 19 places, 4 a page
    assert_fits_phone(page)

    panel.get_by_role("combobox", name="楼栋或地点").click()
    page.get_by_role("option", name=MY_PLACE, exact=True).click()
    png_button = panel.get_by_role("button", name="下载二维码 PNG")
    expect(png_button).to_be_visible()
    expect(panel.get_by_text(f"{server.url}/?b=1-1", exact=True)).to_be_visible()
    wait_ready(page)
    assert_fits_phone(page)
    screenshot(page, 4)
    with page.expect_download() as code:
        png_button.click()
    assert code.value.suggested_filename == "qr-1-1.png"
    image = Image.open(io.BytesIO(Path(code.value.path()).read_bytes()))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [f"{server.url}/?b=1-1"]


# --- 5. The 管理 page is for leaders and up ----------------------------------------------------


def test_resident_who_types_the_admin_address_is_refused_in_chinese(server, phone):
    page = phone.new_page()
    login(page, server.url, "resident")
    open_page(page, f"{server.url}/admin")
    expect(main(page).get_by_text("此页面仅限")).to_be_visible()
    expect(main(page)).to_contain_text("您当前的身份是居民")
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(main(page).get_by_role("heading", name="管理")).to_have_count(0)
    expect(main(page).get_by_text("住户核实")).to_have_count(0)
    expect(main(page).get_by_role("button", name="返回首页")).to_be_visible()
    screenshot(page, 5)


def test_guest_sent_to_log_in_is_brought_back_to_the_admin_page(server, phones):
    """Five fresh browsers in a row: coming back after login must not depend on timing.

    The page lands on 管理 and is then, in some runs, taken back to 我的账户 by a late rerun the
    browser's cookie component requests for the account page; one attempt would rarely see it.
    """
    for attempt in range(5):
        page = phones().new_page()
        open_page(page, f"{server.url}/admin")
        expect(main(page).get_by_text("此页面需要登录")).to_be_visible()
        main(page).get_by_role("button", name="登录 / 注册").tap()
        page.wait_for_url(re.compile(r"/account$"))
        expect(main(page).get_by_text("请先登录，登录后将回到您刚才要打开的页面。")).to_be_visible()
        wait_ready(page)
        assert_fits_phone(page)
        submit_login(page, "leader", "Demo@2026")
        # Shown only until the browser has stored the cookie and reruns the page by itself.
        page.wait_for_function(
            """() => [...document.querySelectorAll("[data-testid='stAlertContentSuccess']")]
                     .some(alert => alert.textContent.includes("登录成功"))""",
            polling="raf", timeout=20_000)
        expect(title(page)).to_have_text("管理", timeout=20_000)
        settle(page)  # the page the person is left on, once the browser has stopped rerunning
        landed = (page.url, title(page).inner_text())
        assert landed[1] == "管理" and re.search(r"/admin(\?|$)", landed[0]), (
            f"attempt {attempt + 1}: after logging in from the 管理 page the guest ended on "
            f"{landed[0]} showing {landed[1]!r}, not back on 管理")
        expect(page.get_by_role("tab", name="住户核实")).to_be_visible()
        assert_fits_phone(page)
        page.context.close()


# --- 6. Logging out revokes the cookie, even a copy of it -------------------------------------


def test_a_cookie_copied_before_logout_no_longer_logs_anyone_in(server, phone, phones):
    page = phone.new_page()
    login(page, server.url, "resident")
    copied = phone.cookies()
    assert any(cookie["name"] == "wwsg_session" for cookie in copied)

    def open_account_with(cookies):
        context = phones()
        context.add_cookies(cookies)
        other = context.new_page()
        open_page(other, f"{server.url}/account")
        return other

    control = open_account_with(copied)  # while logged in, the copy does work: the test can fail
    expect(title(control)).to_have_text("我的账户")
    expect(main(control)).to_contain_text("居民 林阿姨（resident）")
    control.context.close()

    logout(page)
    expect_login_form(page)

    stale = open_account_with(copied)
    expect_login_form(stale)
    expect(main(stale).get_by_text("居民 林阿姨")).to_have_count(0)
    screenshot(stale, 6)
    open_page(stale, f"{server.url}/")
    expect(main(stale).get_by_role("link", name="登录 / 注册")).to_be_visible()


# --- Backups -----------------------------------------------------------------------------------


def test_admin_takes_a_backup_and_downloads_it(server, phone):
    import zipfile

    page = phone.new_page()
    login(page, server.url, "admin")
    open_page(page, f"{server.url}/admin")
    page.get_by_role("tab", name="备份").click()
    page.get_by_role("button", name="立即备份").click()
    page.get_by_text("已备份").wait_for(timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载备份").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "portal.db" in archive.namelist()
    assert_fits_phone(page)
