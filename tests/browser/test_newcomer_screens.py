"""A newcomer's screens in Chromium at 390x844: no Streamlit chrome, big buttons, the real address.

This module's server runs as `make run` does: no PORTAL_BASE_URL, and the demo history seeded.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import Server, settle, submit_login, wait_ready


SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("portal-newcomer"),
                     env={"PORTAL_BASE_URL": "", "PORTAL_DEMO_HISTORY": "1"})
    yield running
    running.stop()


def main(page):
    return page.get_by_test_id("stMain")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"newcomer-{name}.png"))


def short_buttons(page) -> list:
    """Visible buttons of the main column (and their heights) lower than 44 px."""
    return page.evaluate("""() => [...document.querySelectorAll(
        "[data-testid='stMain'] [data-testid='stButton'] button,"
        + "[data-testid='stMain'] [data-testid='stFormSubmitButton'] button,"
        + "[data-testid='stMain'] [data-testid='stDownloadButton'] button")]
        .filter(b => b.offsetParent !== null)
        .map(b => [b.innerText, b.getBoundingClientRect().height])
        .filter(([, height]) => height < 44)""")


def test_a_resident_screen_has_no_streamlit_menu_and_no_english_enter_hint(server, phone):
    page = phone.new_page()
    page.goto(f"{server.url}/?b=1-1")
    wait_ready(page)
    assert page.get_by_test_id("stMainMenu").count() == 0  # toolbarMode = "minimal"
    assert page.get_by_text("Made with Streamlit").count() == 0
    main(page).get_by_text("登录 / 注册").tap()
    wait_ready(page)
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="登录"))
    form.get_by_role("textbox", name="用户名").fill("resident")
    instructions = page.get_by_test_id("InputInstructions")
    assert instructions.count() >= 1  # Streamlit drew the hint …
    assert not any(hint.is_visible() for hint in instructions.all())  # … and nobody sees it
    shot(page, "login-typing")
    assert short_buttons(page) == []
    login_button = form.get_by_role("button", name="登录")
    assert login_button.bounding_box()["height"] >= 44


def tap_menu(page, name: str) -> None:
    """Open the phone's sidebar menu and tap a page in it, as a person does."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.tap()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).tap()
    wait_ready(page)
    sidebar = page.get_by_test_id("stSidebar")
    if sidebar.get_attribute("data-collapsed") != "true":  # a desktop user agent keeps it open
        sidebar.get_by_test_id("stSidebarCollapseButton").get_by_role("button").tap()
    expect(sidebar).to_have_attribute("data-collapsed", "true")


def test_admin_sees_where_the_qr_codes_point_and_they_open_this_portal(server, phone):
    page = phone.new_page()
    page.goto(f"{server.url}/?b=1-1")  # the gate QR code
    wait_ready(page)
    main(page).get_by_text("登录 / 注册").tap()
    wait_ready(page)
    submit_login(page, "admin", "Demo@2026")
    manage = main(page).get_by_text("管理", exact=True)  # logged in: home offers 管理
    expect(manage).to_be_visible(timeout=20_000)
    settle(page)
    main(page).get_by_text("管理", exact=True).tap()
    settle(page)
    expect(main(page).locator("h1").first).to_have_text("住户核实")  # /admin: the first task
    assert short_buttons(page) == []
    tap_menu(page, "二维码")
    expect(main(page).locator("h1").first).to_have_text("二维码")
    panel = main(page)
    expect(panel.get_by_text("二维码将指向")).to_be_visible()
    expect(panel.get_by_text(server.url, exact=True)).to_be_visible()
    expect(panel.get_by_text("PORTAL_BASE_URL")).to_be_visible()  # 127.0.0.1 opens nowhere else
    panel.get_by_role("combobox", name="楼栋或地点").click()
    page.get_by_role("option", name="1栋1单元（1-1）", exact=True).click()
    png_button = panel.get_by_role("button", name="下载二维码 PNG")
    expect(png_button).to_be_visible()
    wait_ready(page)
    shot(page, "admin-qr")
    with page.expect_download() as code:
        png_button.click()
    image = Image.open(io.BytesIO(Path(code.value.path()).read_bytes()))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [f"{server.url}/?b=1-1"]
    tap_menu(page, "审计日志")
    expect(main(page).get_by_test_id("stDataFrame")).to_be_visible()
    page.wait_for_timeout(1000)  # the canvas grid paints after the page shows (for the picture)
    shot(page, "admin-audit")


def test_the_demo_wall_is_alive_with_reports_and_photos(server, phone):
    page = phone.new_page()
    page.goto(f"{server.url}/?b=1-1")
    wait_ready(page)
    main(page).get_by_text("问题墙 · 看处理进度").tap()
    settle(page)
    text = main(page).inner_text()
    assert "已办结" in text and "待受理" in text
    assert main(page).locator("img").count() >= 3
    shot(page, "wall")
