"""星级楼栋 in real Chromium at phone size, moving by taps.

A guest finds the red-flag building on 首页 and opens 星级楼栋 from it and from the menu, reads
the chart and the red flag, switches month (the month stays in the address), taps a building to
its trend and goes back; at a building's QR code (/?b=4-1, the one typed address) 首页 shows its
stars and a tap opens its own history; the month's poster downloads as a PDF.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from lib.core.db import open_db
from tests.browser.conftest import PHONE, PHONE_USER_AGENT, settle, wait_ready
from tests.browser.test_journeys import assert_fits_phone, main, scan, tap_sidebar, title
from tests.browser.test_report_journeys import tap
from tests.ranking_helpers import publish_raw


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
CODES = [f"{building}-{unit}" for building in range(1, 9) for unit in (1, 2)]
# (month, the building holding the flag): the flag moves from 1-1 to 2-1 to 4-1
MONTHS = (("2026-08", "1-1"), ("2026-09", "2-1"), ("2026-10", "4-1"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ranking-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def ranked(server, browser):
    """Three published months of all 16 demo buildings, written once the server has seeded."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    scan(page, server.url)  # the first run seeds the demo community
    context.close()
    db = open_db(server.data_dir / "portal.db", migrate=False)
    ids = dict(db.execute("SELECT code, id FROM places WHERE code IN (%s)"
                          % ",".join("?" * len(CODES)), CODES).fetchall())
    for month, leader in MONTHS:
        scores = {ids[code]: 930 if code == leader else 880 - 25 * index
                  for index, code in enumerate(CODES)}
        publish_raw(db, month, scores, corrected={ids["2-2"]} if month == "2026-10" else set())
    db.conn.close()
    return server


def pick(page, box: str, option: str) -> None:
    """Open a select box and tap one of its options; a tap that only focused the box (the
    chart above it was still settling its width) is tapped again."""
    combobox = main(page).get_by_role("combobox", name=box)
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        combobox.click()
        try:
            wanted.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    wanted.click()
    settle(page, quiet_ms=400)


def chart_fits(page, which: int = 0) -> None:
    """The Altair chart is drawn and no wider than the phone."""
    chart = main(page).get_by_test_id("stVegaLiteChart").nth(which)
    expect(chart.locator("canvas, svg").first).to_be_visible()
    box = chart.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def scan_to_history(page, base_url: str, code: str, place: str) -> None:
    """Scan ``code``'s QR code, find the building's stars on 首页 and tap on to its history."""
    scan(page, base_url, code)
    expect(main(page).get_by_text(re.compile(r"^本楼栋：★"))).to_be_visible()
    button = main(page).get_by_role("button", name=f"查看{place}的星级走势")
    button.scroll_into_view_if_needed()
    assert_fits_phone(page)
    shot(page, f"home-{code}")
    tap(button, page)
    page.wait_for_url(re.compile(rf"/ranking\?b={code}$"))
    wait_ready(page)
    expect(title(page)).to_have_text("星级楼栋")


def back_to_all(page, name: str, address: str, flag_holder: str) -> None:
    """A building's history fits the phone (its screenshot saved); ← 全部楼栋 leads back to the
    month, whose red-flag holder is ``flag_holder``."""
    chart_fits(page)
    assert_fits_phone(page)
    shot(page, name)
    tap(main(page).get_by_role("button", name="← 全部楼栋"), page)
    page.wait_for_url(re.compile(address))
    expect(main(page).get_by_role("heading", name=flag_holder)).to_be_visible()


def test_a_guest_sees_the_red_flag_and_the_months_ranking_and_a_buildings_trend(ranked, phone):
    page = phone.new_page()
    scan(page, ranked.url)
    flag = main(page).get_by_role("link", name="4栋1单元（4-1）")
    expect(main(page).get_by_text("星级楼栋 · 流动红旗")).to_be_visible()
    expect(main(page).get_by_text("2026年10月 · ★★★★★ · 93.0 分")).to_be_visible()
    flag.scroll_into_view_if_needed()
    shot(page, "0-home")
    flag.tap()
    page.wait_for_url(re.compile(r"/ranking$"))
    wait_ready(page)
    expect(title(page)).to_have_text("星级楼栋")
    expect(main(page).get_by_text("流动红旗").first).to_be_visible()
    expect(main(page).get_by_role("heading", name="4栋1单元（4-1）")).to_be_visible()
    chart_fits(page)
    assert_fits_phone(page)
    shot(page, "1-month")

    tap_sidebar(page, "首页")
    tap_sidebar(page, "星级楼栋")  # the menu leads there too
    page.wait_for_url(re.compile(r"/ranking$"))
    pick(page, "月份", "2026年9月")
    page.wait_for_url(re.compile(r"/ranking\?m=2026-09$"))
    expect(main(page).get_by_role("heading", name="2栋1单元（2-1）")).to_be_visible()
    chart_fits(page)

    pick(page, "查看楼栋历史", "1栋1单元（1-1）")
    page.wait_for_url(re.compile(r"/ranking\?m=2026-09&b=1-1$"))
    expect(main(page).get_by_role("heading", name="1栋1单元（1-1）")).to_be_visible()
    expect(main(page).get_by_text("共获得流动红旗 1 次")).to_be_visible()
    back_to_all(page, "2-building", r"/ranking\?m=2026-09$", "2栋1单元（2-1）")


def test_a_buildings_qr_code_opens_its_own_history(ranked, phone):
    page = phone.new_page()
    scan_to_history(page, ranked.url, "4-1", "4栋1单元（4-1）")
    expect(main(page).get_by_role("heading", name="4栋1单元（4-1）")).to_be_visible()
    expect(main(page).get_by_text("最新（2026年10月）")).to_be_visible()
    back_to_all(page, "3-qr", r"/ranking$", "4栋1单元（4-1）")


def test_the_flag_holder_opens_its_trend_and_the_poster_downloads(ranked, phone):
    page = phone.new_page()
    scan(page, ranked.url)
    tap_sidebar(page, "星级楼栋")
    tap(main(page).get_by_role("button", name="查看这栋楼的历史"), page)
    page.wait_for_url(re.compile(r"/ranking\?b=4-1$"))
    tap(main(page).get_by_role("button", name="← 全部楼栋"), page)
    button = main(page).get_by_role("button", name="下载2026年10月排名海报（A4 PDF）")
    button.scroll_into_view_if_needed()
    with page.expect_download() as download:
        button.tap()
    path = download.value.path()
    assert download.value.suggested_filename == "星级楼栋-2026-10.pdf"
    assert Path(path).read_bytes().startswith(b"%PDF")
    shot(page, "4-bottom")
    assert json.dumps(page.url)  # still on the page, nothing crashed
    expect(main(page).get_by_test_id("stException")).to_have_count(0)
