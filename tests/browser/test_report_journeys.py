"""随手拍 in real Chromium at phone size: from the gate QR code to a confirmed, rated fix."""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.conftest import login, wait_ready

HERE = Path(__file__).parent


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def file_report(page, base_url: str, text: str) -> str:
    """File a report from report?b=1-1 with a photo; return its follow link."""
    open_page(page, f"{base_url}/report?b=1-1")
    assert page.get_by_role("combobox", name="问题在哪里").input_value() == "1栋1单元（1-1）"
    page.get_by_role("combobox", name="问题类别").click()
    page.get_by_role("option", name="楼道堆物").click()
    wait_ready(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "before.jpg"))
    page.get_by_text("before.jpg").wait_for()
    page.get_by_role("textbox", name="问题描述").fill(text)
    page.get_by_role("button", name="提交").click()
    page.get_by_text("提交成功").wait_for(timeout=30_000)
    wait_ready(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    return page.get_by_test_id("stCode").inner_text().strip()


def test_guest_files_from_the_gate_staff_fix_it_and_the_guest_confirms(server, browser, phone):
    guest = phone.new_page()
    link = file_report(guest, server.url, "2单元楼道堆满纸箱，挡住消防通道")
    number = re.search(r"n=(\d+)", link)[1]
    guest.screenshot(path="/tmp/journey-report-1.png")
    open_page(guest, link)
    guest.get_by_text(f"第 {number} 号 · 待受理").wait_for()
    guest.get_by_text("处理前").wait_for()

    staff_context = browser.new_context(viewport={"width": 390, "height": 844})
    staff = staff_context.new_page()
    login(staff, server.url, "staff")
    open_page(staff, f"{server.url}/reports?n={number}")
    staff.get_by_role("button", name="受理", exact=True).click()
    staff.get_by_text(f"第 {number} 号 · 已受理").wait_for()
    wait_ready(staff)
    form = staff.locator("[data-testid='stForm']").filter(has_text="处理结果")
    form.get_by_role("textbox", name="处理结果").fill("纸箱已清走，通道畅通")
    form.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "after.jpg"))
    form.get_by_text("after.jpg").wait_for()
    form.get_by_role("button", name="办结").click()
    staff.get_by_text(f"第 {number} 号 · 已办结").wait_for(timeout=30_000)
    staff.screenshot(path="/tmp/journey-report-2.png", full_page=True)
    staff_context.close()

    open_page(guest, link)
    guest.get_by_text("问题解决了吗？").wait_for()
    guest.get_by_text("★★★★", exact=True).click()
    guest.get_by_role("button", name="提交确认").click()
    guest.get_by_text("反映人确认已解决").wait_for()
    assert "★★★★" in guest.get_by_text("反映人确认已解决").inner_text()
    assert guest.evaluate("document.documentElement.scrollWidth") <= 390
    guest.screenshot(path="/tmp/journey-report-3.png", full_page=True)


def test_a_residents_report_earns_points_once_accepted(server, browser, phone):
    resident = phone.new_page()
    login(resident, server.url, "zhangwei")
    open_page(resident, server.url)
    before = int(resident.get_by_test_id("stMetricValue").inner_text())
    link = file_report(resident, server.url, "车棚里电动车飞线充电，很危险")
    number = re.search(r"n=(\d+)", link)[1]

    staff_context = browser.new_context(viewport={"width": 390, "height": 844})
    staff = staff_context.new_page()
    login(staff, server.url, "staff")
    open_page(staff, f"{server.url}/reports?n={number}")
    staff.get_by_role("button", name="受理", exact=True).click()
    staff.get_by_text(f"第 {number} 号 · 已受理").wait_for()
    staff_context.close()

    open_page(resident, server.url)
    assert int(resident.get_by_test_id("stMetricValue").inner_text()) == before + 5
