"""The main flows in real Chromium at phone size (390x844), against the real server."""
from __future__ import annotations

import io
import itertools
import re

import zxingcpp
from PIL import Image

from tests.browser.conftest import login, submit_login, wait_ready

_numbers = itertools.count(1)


def assert_fits_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def register(page, base_url: str, username: str, *, place: str | None = "1栋1单元（1-1）",
             room: str = "601", password: str = "Harvest2026") -> None:
    open_page(page, f"{base_url}/account")
    page.get_by_role("tab", name="注册新账号").click()
    form = page.locator("[data-testid='stForm']").filter(has_text="确认密码")
    form.get_by_role("textbox", name="用户名").fill(username)
    form.get_by_role("textbox", name="称呼").fill("测试居民")
    form.get_by_role("textbox", name="密码", exact=True).fill(password)
    form.get_by_role("textbox", name="确认密码").fill(password)
    if place:
        form.get_by_role("combobox").click()
        page.get_by_role("option", name=place).click()
    form.get_by_role("textbox", name="房号（可选）").fill(room)
    form.get_by_role("button", name="注册").click()
    wait_ready(page)


def logout(page) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已退出登录。").wait_for()
    wait_ready(page)


def test_guest_from_a_qr_code_sees_the_place_and_keeps_it_across_pages(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/?b=1-1")
    page.get_by_text("1栋1单元").first.wait_for()
    assert "1-1" in page.get_by_test_id("stAlert").first.inner_text()
    assert_fits_phone(page)
    page.screenshot(path="/tmp/journey-1.png")

    page.get_by_test_id("stMain").get_by_role("link", name="登录 / 注册").click()
    page.get_by_role("tab", name="注册新账号").wait_for()
    wait_ready(page)
    assert "b=1-1" in page.url
    page.get_by_role("tab", name="注册新账号").click()
    form = page.locator("[data-testid='stForm']").filter(has_text="确认密码")
    assert form.get_by_role("combobox").input_value() == "1栋1单元（1-1）"

    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("link", name="首页").first.click()
    page.get_by_text("您所在的位置").wait_for()
    assert "1栋1单元" in page.get_by_test_id("stAlert").first.inner_text()


def test_unknown_place_code_in_the_url_gets_a_clear_message(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/?b=no-such-place")
    page.get_by_text("没有找到编号为").wait_for()
    assert page.get_by_text("您所在的位置").count() == 0


def test_new_resident_registers_logs_in_and_out(server, phone):
    username = f"walker{next(_numbers)}"
    page = phone.new_page()
    register(page, server.url, username, password="weak")
    page.get_by_text("密码至少 8 位").wait_for()
    register(page, server.url, username)
    page.get_by_text("注册成功").wait_for()

    open_page(page, f"{server.url}/account")
    submit_login(page, username, "wrong-password1")
    page.get_by_text("用户名或密码错误").wait_for()

    login(page, server.url, username, "Harvest2026")
    page.get_by_text("待核实").wait_for()
    assert_fits_phone(page)
    page.screenshot(path="/tmp/journey-2.png")
    logout(page)
    page.get_by_role("button", name="登录").wait_for()


def test_leader_verifies_a_new_residents_household(server, browser, phone):
    username = f"family{next(_numbers)}"
    newcomer_context = browser.new_context(viewport={"width": 390, "height": 844})
    newcomer = newcomer_context.new_page()
    register(newcomer, server.url, username, room="702")
    newcomer.get_by_text("注册成功").wait_for()

    page = phone.new_page()
    login(page, server.url, "leader")
    open_page(page, f"{server.url}/admin")
    card = page.locator("[class*='st-key-admin_household_']").filter(has_text=username)
    card.get_by_role("button", name="核实通过").click()
    wait_ready(page)
    assert page.get_by_text(username).count() == 0
    assert_fits_phone(page)
    page.screenshot(path="/tmp/journey-3.png")

    login(newcomer, server.url, username, "Harvest2026")
    newcomer.get_by_text("已核实").wait_for()
    newcomer_context.close()


def test_admin_downloads_the_poster_sheet_and_a_qr_code(server, phone):
    page = phone.new_page()
    login(page, server.url, "admin")
    open_page(page, f"{server.url}/admin?b=1-1")
    page.get_by_role("tab", name="二维码").click()
    page.get_by_role("button", name="生成海报 PDF").click()
    with page.expect_download() as sheet:
        page.get_by_role("button", name="下载海报 PDF").click(timeout=60_000)
    pdf = open(sheet.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 5  # 19 places, 4 a page

    with page.expect_download() as code:
        page.get_by_role("button", name="下载二维码 PNG").click()
    image = Image.open(io.BytesIO(open(code.value.path(), "rb").read()))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [f"{server.url}/?b=1-1"]
    assert_fits_phone(page)
    page.screenshot(path="/tmp/journey-4.png")


def test_resident_cannot_reach_the_admin_page_by_its_url(server, phone):
    page = phone.new_page()
    login(page, server.url, "resident")
    open_page(page, f"{server.url}/admin")
    page.get_by_text("此页面仅限").wait_for()
    assert page.get_by_role("tab").count() == 0
    page.screenshot(path="/tmp/journey-5.png")


def test_guest_sent_to_log_in_comes_back_to_the_page(server, phone):
    page = phone.new_page()
    open_page(page, f"{server.url}/admin")
    page.get_by_text("此页面需要登录").wait_for()
    page.get_by_role("button", name="登录 / 注册").click()
    page.get_by_role("button", name="登录").wait_for()
    wait_ready(page)
    submit_login(page, "leader", "Demo@2026")
    page.get_by_role("tab", name="住户核实").wait_for(timeout=20_000)
    assert page.url.split("?")[0].endswith("/admin")


def test_a_cookie_copied_before_logout_no_longer_logs_anyone_in(server, browser, phone):
    page = phone.new_page()
    login(page, server.url, "resident")
    copied = phone.cookies()
    assert any(cookie["name"] == "wwsg_session" for cookie in copied)

    def account_title_with(cookies) -> str:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        context.add_cookies(cookies)
        other = context.new_page()
        open_page(other, f"{server.url}/account")
        title = other.locator("h1").first.inner_text()
        context.close()
        return title

    assert "我的账户" in account_title_with(copied)  # the control: the copy works while logged in
    logout(page)
    assert "登录 / 注册" in account_title_with(copied)


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
