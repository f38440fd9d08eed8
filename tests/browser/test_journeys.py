"""The main flows in real Chromium at phone size (390x844), against the real server.

Each test uses fresh browser contexts and its own usernames, so the tests share one server (and
its demo community) without depending on each other's order. A person enters only by scanning a
QR code (``/?b=…``) and then moves by tapping what they see: the sidebar, links and buttons.
"""
from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, PHONE_USER_AGENT, settle, submit_login, wait_ready


_numbers = itertools.count(1)
PASSWORD = "Harvest2026"
MY_PLACE = "1栋1单元（1-1）"
HOME_TITLE = "幸福里小区"
SHOTS = Path("/tmp/shots")
# app_pages/account.py sends every run of the account page in this window after a login on to the
# page the person came from (the cookie component's late reruns); a person tapping 我的账户 at
# once is sent on too, so a journey that wants 我的账户 right after logging in waits it out.
CONTINUE_WINDOW_MS = 5_500


# Phones that say they are phones: Streamlit closes the sidebar after a tap only then.
PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}


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


def scan(page, base_url: str, code: str = "1-1") -> None:
    """Open the address a building's QR code holds: the only URL a person types or scans."""
    page.goto(f"{base_url}/?b={code}")
    wait_ready(page)
    assert_fits_phone(page)


def open_sidebar(page):
    """The phone's sidebar menu, opened if it is closed; returns its page list."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.tap()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_in_viewport()
    return nav


def tap_sidebar(page, name: str) -> None:
    """Open the phone's sidebar menu and tap one of its pages; the menu closes by itself."""
    open_sidebar(page).get_by_role("link", name=name, exact=True).tap()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    wait_ready(page)
    assert_fits_phone(page)


def tap_link(page, name: str) -> None:
    main(page).get_by_role("link", name=name, exact=True).tap()
    wait_ready(page)
    assert_fits_phone(page)


def screenshot(page, name: int | str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"journey-{name}.png"))


def fill_registration(page, username: str, *, password: str = PASSWORD,
                      place: str | None = MY_PLACE, room: str = "601") -> None:
    """Fill and send the 注册新账号 form on the account page that is open."""
    page.get_by_role("tab", name="注册新账号").tap()
    panel = page.get_by_role("tabpanel", name="注册新账号")
    panel.get_by_role("textbox", name="用户名").fill(username)
    panel.get_by_role("textbox", name="称呼").fill("测试居民")
    panel.get_by_role("textbox", name="密码", exact=True).fill(password)
    panel.get_by_role("textbox", name="确认密码").fill(password)
    panel.get_by_role("textbox", name="手机号（可选）").fill("13900139000")
    if place:
        chooser = panel.get_by_role("combobox", name="楼栋（可选）")
        if chooser.input_value() != place:
            chooser.click()
            page.get_by_role("option", name=place, exact=True).click()
    panel.get_by_role("textbox", name="房号（可选）").fill(room)
    panel.get_by_role("button", name="注册").click()
    wait_ready(page)
    assert_fits_phone(page)


def expect_logged_in_on(page, heading: str, url_path: str, shot: str | None = None) -> None:
    """Back on the page the person came from, logged in, once the browser stops rerunning."""
    try:
        page.wait_for_function("document.cookie.includes('wwsg_session=')", timeout=20_000)
    except Exception:
        screenshot(page, "no-cookie")
        raise
    expect(title(page)).to_have_text(heading, timeout=20_000)
    settle(page)
    expect(title(page)).to_have_text(heading)
    assert re.search(rf"/{url_path}(\?|$)", page.url), page.url
    assert_fits_phone(page)
    if shot:
        screenshot(page, shot)
    nav = open_sidebar(page)
    expect(nav.get_by_role("link", name="我的账户", exact=True)).to_be_visible()
    page.get_by_role("button", name="Collapse sidebar").tap()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")


def log_in(page, base_url: str, username: str, password: str = "Demo@2026") -> None:
    """Scan the gate's QR code, tap 登录 / 注册, log in: back on 首页."""
    scan(page, base_url)
    tap_link(page, "登录 / 注册")
    submit_login(page, username, password)
    expect_logged_in_on(page, HOME_TITLE, "")


def open_my_account(page) -> None:
    page.wait_for_timeout(CONTINUE_WINDOW_MS)
    tap_sidebar(page, "我的账户")
    expect(title(page)).to_have_text("我的账户")


def logout(page) -> None:
    main(page).get_by_role("button", name="退出登录").tap()
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
    scan(page, server.url)
    expect(title(page)).to_have_text(HOME_TITLE)
    expect(main(page).get_by_test_id("stAlert")).to_contain_text("您所在的位置：1栋1单元（1-1）")
    screenshot(page, 1)

    tap_link(page, "登录 / 注册")
    page.wait_for_url(re.compile(r"/account\?b=1-1$"))
    expect(title(page)).to_have_text("登录 / 注册")
    page.get_by_role("tab", name="注册新账号").tap()
    chooser = page.get_by_role("tabpanel", name="注册新账号").get_by_role("combobox",
                                                                       name="楼栋（可选）")
    expect(chooser).to_have_value(MY_PLACE)
    assert_fits_phone(page)

    tap_sidebar(page, "首页")
    expect(title(page)).to_have_text(HOME_TITLE)
    expect(main(page).get_by_test_id("stAlert")).to_contain_text("您所在的位置：1栋1单元（1-1）")
    page.wait_for_url(re.compile(r"/\?b=1-1$"))


def test_unknown_place_code_in_the_url_gets_a_clear_message_and_no_place(server, phone):
    page = phone.new_page()
    scan(page, server.url, "no-such-place")
    expect(main(page).get_by_text("没有找到编号为")).to_be_visible()
    expect(main(page)).to_contain_text("没有找到编号为“no-such-place”的楼栋或地点")
    expect(main(page).get_by_text("您所在的位置")).to_have_count(0)
    expect(main(page).get_by_role("link", name="登录 / 注册")).to_be_visible()


# --- 2. A new resident registers: logged in, back where they were, and logs out ----------------


def test_new_resident_registers_from_the_wall_and_is_logged_in_back_on_the_wall(server, phone):
    username = new_username("walker")
    page = phone.new_page()
    scan(page, server.url)
    tap_sidebar(page, "问题墙")
    expect(title(page)).to_have_text("问题墙")
    tap_sidebar(page, "登录 / 注册")
    fill_registration(page, username, room="601")
    screenshot(page, "2-registered")
    expect_logged_in_on(page, "问题墙", "reports", shot="2-back-on-the-wall")

    open_my_account(page)
    expect(main(page)).to_contain_text(f"测试居民（{username}） · 居民")
    expect(main(page).get_by_text("住户核实：待核实")).to_be_visible()
    screenshot(page, 2)

    logout(page)
    expect_login_form(page)
    page.reload()  # the browser no longer holds a working login
    wait_ready(page)
    expect_login_form(page)


def test_wrong_password_is_refused_in_chinese_and_nobody_is_logged_in(server, phone):
    page = phone.new_page()
    scan(page, server.url)
    tap_link(page, "登录 / 注册")
    submit_login(page, "zhangwei", "Wrong2026x")
    expect(main(page).get_by_text("用户名或密码错误。")).to_be_visible(timeout=20_000)
    expect(main(page).get_by_text("还可以尝试")).to_have_count(0)  # no count that tells names apart
    settle(page)
    expect_login_form(page)
    assert "wwsg_session=" not in page.evaluate("document.cookie")
    assert_fits_phone(page)


def test_weak_password_is_refused_at_registration_and_no_account_is_created(server, phone):
    username = new_username("weakling")
    page = phone.new_page()
    scan(page, server.url)
    tap_link(page, "登录 / 注册")
    fill_registration(page, username, password="abc12")
    panel = page.get_by_role("tabpanel", name="注册新账号")
    expect(panel.get_by_text("密码：密码至少 8 位。")).to_be_visible()
    expect(panel.get_by_text("注册成功")).to_have_count(0)

    page.get_by_role("tab", name="登录", exact=True).tap()
    submit_login(page, username, "abc12")
    expect(main(page).get_by_text("用户名或密码错误。")).to_be_visible(timeout=20_000)
    settle(page)
    expect_login_form(page)

    fill_registration(page, username)  # the username was never taken
    expect_logged_in_on(page, HOME_TITLE, "")


# --- 2b. Wrong passwords slow the owner down but never lock them out ---------------------------


def test_six_wrong_passwords_then_the_owner_still_logs_in_after_a_short_wait(server, phone):
    page = phone.new_page()
    scan(page, server.url)
    tap_link(page, "登录 / 注册")
    refusals = []
    for _ in range(6):
        submit_login(page, "liuyang", "Wrong2026x")
        wait_ready(page)
        alert = main(page).get_by_test_id("stAlertContentError").last
        expect(alert).to_be_visible(timeout=20_000)
        refusals.append(alert.inner_text())
    assert refusals[:5] == ["用户名或密码错误。"] * 5
    assert refusals[5] in ("用户名或密码错误。", "尝试次数较多，为保护账号，请 1 秒后再试。")
    screenshot(page, "2b-slowed-down")
    for _ in range(10):  # the owner types the right password, waiting when asked to
        submit_login(page, "liuyang", "Demo@2026")
        wait_ready(page)
        waiting = main(page).get_by_text(re.compile(r"请 (\d+) 秒后再试"))
        if not waiting.count():
            break
        seconds = int(re.search(r"请 (\d+) 秒", waiting.last.inner_text())[1])
        assert seconds <= 4  # a few seconds, never the old 15-minute lock-out
        page.wait_for_timeout(seconds * 1000 + 200)
    expect_logged_in_on(page, HOME_TITLE, "")
    expect(main(page).get_by_text("您好，刘洋")).to_be_visible()


# --- 3. A micro-grid leader confirms a new resident's household -------------------------------


def test_leader_verifies_a_new_residents_household(server, phone, phones):
    username = new_username("family")
    newcomer = phones().new_page()
    scan(newcomer, server.url)
    tap_link(newcomer, "登录 / 注册")
    fill_registration(newcomer, username, room="702")
    expect_logged_in_on(newcomer, HOME_TITLE, "")
    expect(main(newcomer).get_by_text("您的住户信息正在等待微网格长核实。")).to_be_visible()

    page = phone.new_page()
    log_in(page, server.url, "leader")
    tap_link(page, "管理")  # home's link to /admin opens the leader's first (only) 管理 task
    expect(title(page)).to_have_text("住户核实")
    page.wait_for_url(re.compile(r"/admin-households(\?|$)"))
    card = page.locator("[class*='st-key-admin_household_']").filter(has_text=f"（{username}）")
    expect(card).to_contain_text("1栋1单元 702 室")
    expect(card).to_contain_text("13900139000")
    card.scroll_into_view_if_needed()
    screenshot(page, 3)
    card.get_by_role("button", name="核实通过").tap()
    expect(card).to_have_count(0)
    wait_ready(page)
    assert_fits_phone(page)

    tap_sidebar(newcomer, "我的账户")
    expect(title(newcomer)).to_have_text("我的账户")
    expect(main(newcomer).get_by_text("住户核实：已核实")).to_be_visible()
    expect(main(newcomer)).to_contain_text("1栋1单元")


# --- 4. An admin prints the QR posters --------------------------------------------------------


def test_admin_downloads_the_poster_sheet_and_a_places_qr_code(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "admin")
    nav = open_sidebar(page)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_text([re.compile(r"^管理")])
    screenshot(page, "4-admin-menu")
    assert_fits_phone(page)
    tap_sidebar(page, "二维码")
    expect(title(page)).to_have_text("二维码")
    page.wait_for_url(re.compile(r"/admin-qr(\?|$)"))
    panel = main(page)
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
    with page.expect_download() as poster:  # drawn only when tapped
        panel.get_by_role("button", name="下载单张海报 PNG").click()
    assert poster.value.suggested_filename == "poster-1-1.png"
    image = Image.open(io.BytesIO(Path(poster.value.path()).read_bytes()))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [f"{server.url}/?b=1-1"]


# --- 5. The 管理 page is for leaders and up ----------------------------------------------------


def test_resident_who_types_the_admin_address_is_refused_in_chinese(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "resident")
    nav = open_sidebar(page)
    expect(nav.get_by_role("link", name="管理")).to_have_count(0)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_count(0)
    expect(nav.get_by_role("link", name="住户核实")).to_have_count(0)
    page.goto(f"{server.url}/admin")  # the one typed address: a resident trying their luck
    wait_ready(page)
    expect(main(page).get_by_text("此页面仅限")).to_be_visible()
    expect(main(page)).to_contain_text("您当前的身份是居民")
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(main(page).get_by_role("heading", name="管理")).to_have_count(0)
    expect(main(page).get_by_text("住户核实")).to_have_count(0)
    expect(main(page).get_by_role("button", name="返回首页")).to_be_visible()
    screenshot(page, 5)


def test_guest_logs_in_from_the_sidebar_lands_home_then_taps_into_admin(server, phones):
    """Three fresh browsers in a row: where a login lands must not depend on timing.

    管理 is not in a guest's menu: the guest taps 登录 / 注册, lands on 首页 once logged in (not
    stranded on 我的账户, even after the cookie component's late reruns), then taps 住户核实 in
    the menu's 管理 section.
    """
    for attempt in range(3):
        page = phones().new_page()
        scan(page, server.url)
        expect(open_sidebar(page).get_by_role("link", name="管理")).to_have_count(0)
        expect(open_sidebar(page).get_by_test_id("stNavSectionHeader")).to_have_count(0)
        tap_sidebar(page, "登录 / 注册")
        expect(title(page)).to_have_text("登录 / 注册")
        panel = page.get_by_role("tabpanel", name="登录", exact=True)
        expect(panel.get_by_test_id("stBaseButton-primaryFormSubmit")).to_have_text("登录")
        if attempt == 0:
            screenshot(page, "5-login-form")
        submit_login(page, "leader", "Demo@2026")
        expect_logged_in_on(page, HOME_TITLE, "")
        landed = (page.url, title(page).inner_text())
        assert landed[1] == HOME_TITLE, (
            f"attempt {attempt + 1}: after logging in the leader ended on {landed[0]} showing "
            f"{landed[1]!r}, not on 首页")
        nav = open_sidebar(page)
        expect(nav.get_by_test_id("stNavSectionHeader")).to_have_text([re.compile(r"^管理")])
        expect(nav.get_by_role("link", name="用户")).to_have_count(0)  # staff's, not a leader's
        tap_sidebar(page, "住户核实")
        expect(title(page)).to_have_text("住户核实")
        page.wait_for_url(re.compile(r"/admin-households(\?|$)"))
        page.context.close()


# --- 6. Logging out revokes the cookie, even a copy of it -------------------------------------


def test_a_cookie_copied_before_logout_no_longer_logs_anyone_in(server, phone, phones):
    page = phone.new_page()
    log_in(page, server.url, "resident")
    copied = phone.cookies()
    assert any(cookie["name"] == "wwsg_session" for cookie in copied)

    def scan_with(cookies):
        context = phones()
        context.add_cookies(cookies)
        other = context.new_page()
        scan(other, server.url)
        return other

    control = scan_with(copied)  # while logged in, the copy does work: the test can fail
    expect(main(control).get_by_text("您好，居民 林阿姨")).to_be_visible()
    control.context.close()

    open_my_account(page)
    logout(page)
    expect_login_form(page)

    stale = scan_with(copied)
    expect(main(stale).get_by_text("您好，居民 林阿姨")).to_have_count(0)
    tap_link(stale, "登录 / 注册")
    expect_login_form(stale)
    screenshot(stale, 6)


# --- Backups -----------------------------------------------------------------------------------


def test_admin_takes_a_backup_and_downloads_it(server, phone):
    import zipfile

    page = phone.new_page()
    log_in(page, server.url, "admin")
    tap_sidebar(page, "备份")
    expect(title(page)).to_have_text("备份")
    page.get_by_role("button", name="立即备份").tap()
    page.get_by_text("已备份").wait_for(timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="下载备份").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "portal.db" in archive.namelist()
    assert_fits_phone(page)
