"""随手拍 and 问题墙 in real Chromium at phone size, moving only by taps.

A person enters by the gate's QR code (``/report?b=1-1`` or ``/?b=1-1``) or by the follow link
printed after filing; from there every step is a tap on what they see: the menu, tabs, buttons,
and the browser's Back. Each test checks the address keeps (or drops) ``?n=`` and that what a
button did was saved in the database.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, settle, submit_login


HERE = Path(__file__).parent
SHOTS = Path("/tmp/shots")
HOSTILE = "![](http://198.51.100.7/x.png)"
HOSTILE_LINK = "[点我](http://198.51.100.7/y)"


def main(page):
    return page.get_by_test_id("stMain")


def fits_phone(page) -> None:
    widths = page.evaluate("""() => {
      const main = document.querySelector("[data-testid='stMain']");
      return [document.documentElement.scrollWidth, main ? main.scrollWidth : 0];
    }""")
    assert max(widths) <= PHONE["width"], f"wider than the phone: {widths} on {page.url}"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-journey-{name}.png"), full_page=True)


def query(db_path: Path, sql: str, params: tuple = ()):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql, params).fetchone()


def number_in(url: str) -> str | None:
    found = re.search(r"[?&]n=(\d+)", url)
    return found[1] if found else None


def tap(locator, page) -> None:
    locator.click()
    settle(page, quiet_ms=400)


def tap_menu(page, url_path: str) -> None:
    """Open the phone's menu and tap the page at ``/url_path``."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.tap()
    page.get_by_test_id("stSidebarNav").locator(f"a[href$='/{url_path}']").tap()
    settle(page, quiet_ms=400)
    close = page.get_by_test_id("stSidebarCollapseButton").locator("button")
    if close.is_visible():  # the phone's menu stays over the page until closed
        close.tap()
    fits_phone(page)


def scan(page, base_url: str, path: str = "?b=1-1") -> None:
    """Open what a phone opens: the gate's QR (the home page) or a follow link saved earlier."""
    page.goto(f"{base_url}/{path}")
    settle(page, quiet_ms=400)
    fits_phone(page)


def scan_to_report(page, base_url: str) -> None:
    """Scan the gate's QR and tap 首页's 随手拍 button, as a resident does."""
    scan(page, base_url)
    tap(main(page).get_by_role("link", name="随手拍 · 反映问题"), page)
    assert "/report?b=1-1" in page.url, page.url
    fits_phone(page)


def log_in(page, base_url: str, username: str, password: str = "Demo@2026") -> None:
    """Scan the gate's code, tap 登录 / 注册 in the menu, log in; back on the home page."""
    scan(page, base_url)
    tap_menu(page, "account")
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="登录"))
    if not form.is_visible():  # a tap that landed while the menu was still sliding in
        tap_menu(page, "account")
    expect(form).to_be_visible(timeout=20_000)
    submit_login(page, username, password)
    page.wait_for_function("document.cookie.includes('wwsg_session=')", timeout=20_000)
    settle(page, quiet_ms=1_500)
    page.wait_for_timeout(5_500)  # the account page's late reruns after a login (see journeys)
    settle(page)


def choose(page, box: str, option: str) -> None:
    page.get_by_role("combobox", name=box).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page, quiet_ms=400)


def file_report(page, text: str, *, photo: Path | None = HERE / "before.jpg",
                proxy_for: str | None = None) -> str:
    """On the 随手拍 page already open, file a report at 1-1; return the follow link shown."""
    if proxy_for is not None:
        page.get_by_text("代居民登记（电话或来访）").click()
        settle(page, quiet_ms=400)
    choose(page, "问题类别", "楼道堆物")
    if photo is not None:
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
        page.get_by_text(photo.name).wait_for()
        settle(page, quiet_ms=400)
    page.get_by_role("textbox", name="问题描述").fill(text)
    if proxy_for is not None:
        page.get_by_role("textbox", name="反映人称呼或电话").fill(proxy_for)
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("提交成功").wait_for(timeout=30_000)
    settle(page, quiet_ms=400)
    fits_phone(page)
    return page.get_by_test_id("stCode").inner_text().strip()


def open_from_card(page, card_key: str, button: str) -> str:
    """Tap a card's button on the wall, 我的反映 or 处理台; return the report number shown."""
    tap(page.locator(f".st-key-{card_key}").get_by_role("button", name=button), page)
    number = number_in(page.url)
    assert number, page.url
    expect(main(page).get_by_role("heading", name=re.compile(rf"第 {number} 号"))).to_be_visible()
    return number


def status_heading(page, number: str, status: str):
    return main(page).get_by_role("heading", name=f"第 {number} 号 · {status}")


def staff_resolve(page, number: str) -> None:
    """On the open report: 受理 → 开始处理 → 办结 with an after photo, each step on this report."""
    tap(main(page).get_by_role("button", name="受理", exact=True), page)
    expect(status_heading(page, number, "已受理")).to_be_visible()
    assert number_in(page.url) == number
    shot(page, "a2-accepted")
    tap(main(page).get_by_role("button", name="开始处理"), page)
    expect(status_heading(page, number, "处理中")).to_be_visible()
    assert number_in(page.url) == number
    form = page.locator("[data-testid='stForm']").filter(has_text="处理结果")
    form.get_by_role("textbox", name="处理结果（必填）").fill("纸箱已清走，通道畅通")
    form.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "after.jpg"))
    form.get_by_text("after.jpg").wait_for()
    form.get_by_role("button", name="办结").click()
    expect(status_heading(page, number, "已办结")).to_be_visible(timeout=30_000)
    settle(page, quiet_ms=400)
    assert number_in(page.url) == number
    expect(main(page).get_by_text("处理后", exact=True)).to_be_visible()
    fits_phone(page)


def test_staff_handle_a_report_from_the_desk_by_taps(server, phones):
    guest = phones().new_page()
    scan_to_report(guest, server.url)
    link = file_report(guest, "2单元楼道堆满纸箱，挡住消防通道")
    shot(guest, "a0-filed")
    number = number_in(link)

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "reports")
    tap(staff.get_by_role("tab", name="处理台"), staff)
    assert open_from_card(staff, f"reports_queue_{number}", "处理") == number
    expect(status_heading(staff, number, "待受理")).to_be_visible()
    shot(staff, "a1-desk-report")
    staff_resolve(staff, number)
    shot(staff, "a3-resolved")
    tap(main(staff).get_by_role("button", name="返回问题墙"), staff)  # back on the desk's tab
    expect(staff.get_by_role("tab", name="处理台")).to_have_attribute("aria-selected", "true")
    assert number_in(staff.url) is None
    expect(staff.locator(f".st-key-reports_queue_{number}")).to_have_count(0)  # no longer open
    db = server.data_dir / "portal.db"
    assert query(db, "SELECT status, handler_id IS NOT NULL FROM reports WHERE id = ?",
                 (number,)) == ("resolved", 1)
    assert query(db, "SELECT COUNT(*) FROM report_photos WHERE report_id = ? AND stage = 'after'",
                 (number,)) == (1,)


def test_a_resident_confirms_and_rates_from_my_reports(server, phones):
    resident = phones().new_page()
    log_in(resident, server.url, "zhangwei")
    tap_menu(resident, "report")
    choose(resident, "问题在哪里", "1栋1单元（1-1）")
    number = number_in(file_report(resident, "车棚里电动车飞线充电，很危险"))

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "reports")
    tap(staff.get_by_role("tab", name="处理台"), staff)
    open_from_card(staff, f"reports_queue_{number}", "处理")
    staff_resolve(staff, number)

    tap_menu(resident, "reports")
    tap(resident.get_by_role("tab", name="我的反映"), resident)
    assert open_from_card(resident, f"reports_mine_{number}", "查看详情") == number
    resident.get_by_text("问题解决了吗？").wait_for()
    resident.get_by_text("已解决", exact=True).click()
    resident.get_by_text("★★★★", exact=True).click()
    shot(resident, "b1-confirm-form")
    tap(resident.get_by_role("button", name="提交确认"), resident)
    expect(main(resident).get_by_text("已提交确认")).to_be_visible()
    expect(main(resident).get_by_text(re.compile("反映人确认已解决 · 满意度 ★★★★$"))).to_be_visible()
    assert number_in(resident.url) == number
    assert query(server.data_dir / "portal.db",
                 "SELECT confirmation, rating FROM reports WHERE id = ?", (number,)) == ("solved", 4)
    fits_phone(resident)
    shot(resident, "b2-confirmed")


def test_back_out_of_a_report_by_button_filter_menu_and_browser_back(server, phones):
    guest = phones().new_page()
    scan_to_report(guest, server.url)
    first = number_in(file_report(guest, "3单元门口垃圾没有清运"))
    guest.get_by_role("button", name="再报一个问题").click()
    settle(guest, quiet_ms=400)
    link = file_report(guest, "3单元楼道灯不亮了，晚上很黑", photo=None)
    second = number_in(link)

    scan(guest, server.url, link.split("/", 3)[3])  # the follow link, as saved
    expect(status_heading(guest, second, "待受理")).to_be_visible()
    tap(main(guest).get_by_role("button", name="返回问题墙"), guest)
    assert number_in(guest.url) is None
    expect(guest.get_by_role("tab", name="全部问题")).to_be_visible()
    choose(guest, "状态", "待受理")  # a filter keeps you on the wall
    assert number_in(guest.url) is None
    expect(main(guest).get_by_role("button", name="返回问题墙")).to_have_count(0)
    expect(guest.locator(f".st-key-reports_card_{first}")).to_be_visible()
    shot(guest, "c1-wall-filtered")

    open_from_card(guest, f"reports_card_{first}", "查看详情")
    tap_menu(guest, "reports")  # the menu's 问题墙 leaves the report
    assert number_in(guest.url) is None
    expect(guest.get_by_role("tab", name="全部问题")).to_be_visible()
    expect(main(guest).get_by_role("button", name="返回问题墙")).to_have_count(0)

    guest.go_back()  # Back returns to the report, then to the wall
    settle(guest, quiet_ms=400)
    assert number_in(guest.url) == first
    expect(status_heading(guest, first, "待受理")).to_be_visible()
    guest.go_back()
    settle(guest, quiet_ms=400)
    assert number_in(guest.url) is None
    expect(guest.get_by_role("tab", name="全部问题")).to_be_visible()


def test_refused_photos_are_said_in_chinese_and_nothing_is_filed(server, phones, tmp_path):
    db = server.data_dir / "portal.db"
    before = query(db, "SELECT COUNT(*) FROM reports")[0]
    gif = tmp_path / "cat.gif"
    gif.write_bytes(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
                    b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
    huge = tmp_path / "huge.jpg"
    huge.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024))
    guest = phones().new_page()
    scan_to_report(guest, server.url)
    choose(guest, "问题类别", "楼道堆物")
    guest.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(gif), str(huge)])
    errors = main(guest).get_by_test_id("stAlertContentError")
    expect(errors.filter(has_text="cat.gif")).to_contain_text("JPG")
    expect(errors.filter(has_text="huge.jpg")).to_contain_text("MB")
    settle(guest, quiet_ms=400)
    guest.get_by_role("textbox", name="问题描述").fill("楼道里有人乱贴小广告")
    guest.get_by_role("button", name="提交", exact=True).click()
    settle(guest, quiet_ms=400)
    expect(main(guest).get_by_text("照片有问题，还没有提交")).to_be_visible()
    fits_phone(guest)
    shot(guest, "d1-refused-photos")
    assert query(db, "SELECT COUNT(*) FROM reports")[0] == before


def test_a_guest_finds_the_report_again_under_my_reports_after_reopening_the_site(server, phones):
    context = phones()
    guest = context.new_page()
    scan_to_report(guest, server.url)
    number = number_in(file_report(guest, "5栋门口的路灯坏了好几天"))
    expect(main(guest).get_by_role("button", name="复制链接")).to_be_visible()
    shot(guest, "d2-filed-copy-link")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    main(guest).get_by_role("button", name="复制链接").click()
    expect(main(guest).get_by_role("button", name=re.compile("已复制"))).to_be_visible()
    assert f"reports?n={number}&t=" in guest.evaluate("navigator.clipboard.readText()")
    guest.close()

    again = context.new_page()  # the same phone, the site opened again from the gate's code
    scan(again, server.url)
    tap_menu(again, "reports")
    tap(again.get_by_role("tab", name="我的反映"), again)
    assert open_from_card(again, f"reports_mine_{number}", "查看详情") == number
    shot(again, "d3-guest-mine")
    other = phones().new_page()  # another phone sees nothing of it
    scan(other, server.url)
    tap_menu(other, "reports")
    tap(other.get_by_role("tab", name="我的反映"), other)
    expect(other.locator(f".st-key-reports_mine_{number}")).to_have_count(0)


def test_markdown_in_every_text_field_never_makes_a_browser_fetch_another_host(server, phones):
    db = server.data_dir / "portal.db"
    scan(phones().new_page(), server.url)  # the first visit prepares the database
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE users SET display_name = ?, show_name_publicly = 1"
                           " WHERE username IN ('liuyang', 'staff')", (HOSTILE,))
    outside: list[str] = []

    def guard(route) -> None:
        if urlparse(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            route.abort()  # never let traffic leave the machine
        else:
            route.continue_()

    resident_context, staff_context = phones(), phones()
    for context in (resident_context, staff_context):
        context.route("**/*", guard)
    resident = resident_context.new_page()
    log_in(resident, server.url, "liuyang")
    tap_menu(resident, "report")
    choose(resident, "问题在哪里", "1栋1单元（1-1）")
    number = number_in(file_report(resident, f"{HOSTILE} {HOSTILE_LINK} 楼道"))

    staff = staff_context.new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "report")
    choose(staff, "问题在哪里", "1栋1单元（1-1）")
    proxied = number_in(file_report(staff, f"{HOSTILE_LINK} 电话反映楼道堵塞", proxy_for=HOSTILE))
    tap_menu(staff, "reports")
    tap(staff.get_by_role("tab", name="处理台"), staff)
    open_from_card(staff, f"reports_queue_{proxied}", "处理")
    tap(main(staff).get_by_role("button", name="受理", exact=True), staff)
    tap(main(staff).get_by_role("button", name="返回问题墙"), staff)
    tap(staff.get_by_role("tab", name="处理台"), staff)
    open_from_card(staff, f"reports_queue_{number}", "处理")
    shot(staff, "e1-hostile-staff-view")
    tap_menu(resident, "reports")
    open_from_card(resident, f"reports_card_{number}", "查看详情")
    for page in (resident, staff):
        settle(page)
        assert page.locator("[data-testid='stMain'] img[src*='198.51.100.7']").count() == 0
        assert page.locator("[data-testid='stMain'] a[href*='198.51.100.7']").count() == 0
    assert HOSTILE in main(staff).inner_text()  # shown as the text it is
    assert not outside, outside
