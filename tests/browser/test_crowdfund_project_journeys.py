"""众筹 projects in real Chromium at phone size, moving by taps.

Staff open 管理 › 众筹项目, create a project with its terms, add a labour slot and launch it; a
resident then finds it by tapping 众筹 in the menu (and on 首页) and reads its terms; a QR code
on the building leads, by a tap on 首页, to that place's projects. The refusal: a resident's menu
has no 众筹项目, and the typed address gives the role message.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import PHONE_USER_AGENT, settle, wait_ready
from tests.browser.test_crowdfund_main_journey import raising_project
from tests.browser.test_journeys import (
    assert_fits_phone, log_in, main, scan, tap_sidebar, title,
)
from tests.browser.test_report_journeys import choose, query, tap


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
TITLE = "小花园改造"
QR_TITLE = "单元门口加装雨棚"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"crowdfund-project-{name}.png"), full_page=True)


def test_staff_create_and_launch_a_project_and_a_resident_finds_it_by_tapping(server, phones):
    staff = phones().new_page()
    log_in(staff, server.url, "staff")  # the first page run seeds the demo community
    tap_sidebar(staff, "众筹项目")
    expect(title(staff)).to_have_text("众筹项目")
    form = main(staff)
    form.get_by_role("textbox", name="项目名称").fill(TITLE)
    form.get_by_role("textbox", name="项目介绍").fill("把 1 栋门前的空地改成小花园。")
    choose(staff, "地点", "1栋1单元（1-1）")
    form.get_by_role("textbox", name="筹资目标").fill("20000")
    form.get_by_role("textbox", name="配套比例").fill("5")
    form.get_by_role("textbox", name="配套出资方").fill("街道办事处")
    form.get_by_role("textbox", name="每小时出工折算").fill("30")
    assert_fits_phone(staff)
    shot(staff, "1-new")
    tap(form.get_by_role("button", name="创建项目（草稿）"), staff)
    expect(main(staff).get_by_text(f"已创建：{TITLE}。")).to_be_visible()

    tap(main(staff).get_by_text("添加出工时段", exact=True), staff)
    main(staff).get_by_role("textbox", name="出工内容").fill("翻土种花")
    tap(main(staff).get_by_role("button", name="添加时段"), staff)
    expect(main(staff).get_by_text("已添加出工时段：翻土种花。")).to_be_visible()
    expect(main(staff).get_by_text(re.compile(r"翻土种花 · .* 09:00 · 2 小时 · 已报名 0/5"))
           ).to_be_visible()
    tap(main(staff).get_by_role("button", name="发起众筹"), staff)
    expect(main(staff).get_by_text("已发起众筹，居民现在可以认捐和报名出工。")).to_be_visible()
    expect(main(staff).get_by_role("button", name="开始实施")).to_be_visible()
    assert_fits_phone(staff)
    shot(staff, "2-launched")
    assert query(server.data_dir / "portal.db",
                 "SELECT status, goal_fen, match_percent, labour_hour_fen FROM crowdfund_projects"
                 " WHERE title = ?", (TITLE,)) == ("raising", 2_000_000, 500, 3_000)

    resident = phones().new_page()
    log_in(resident, server.url, "resident")
    project = main(resident).get_by_role("link", name=TITLE)  # 首页 lists the open projects
    expect(project).to_be_visible()
    project.scroll_into_view_if_needed()
    shot(resident, "0-home")
    tap_sidebar(resident, "众筹")
    resident.wait_for_url(re.compile(r"/crowdfund(\?|$)"))
    expect(title(resident)).to_have_text("众筹")
    expect(main(resident).get_by_text("居民已到账 0.00 元 / 目标 20,000.00 元")).to_be_visible()
    assert_fits_phone(resident)
    shot(resident, "3-list")
    main(resident).get_by_role("button", name=TITLE).tap()
    wait_ready(resident)
    expect(title(resident)).to_have_text(TITLE)
    expect(main(resident).get_by_role("tab", name="概况")).to_be_visible()
    expect(main(resident).get_by_text("街道办事处对已到账的居民出资按 1:5 配套（不设上限）")).to_be_visible()
    expect(main(resident).get_by_text("出工折算：每小时 30.00 元")).to_be_visible()
    assert_fits_phone(resident)
    shot(resident, "4-detail")
    tap(main(resident).get_by_role("button", name="← 全部项目"), resident)
    expect(title(resident)).to_have_text("众筹")

    tap_sidebar(resident, "首页")
    tap(main(resident).get_by_role("link", name=TITLE), resident)
    expect(title(resident)).to_have_text(TITLE)
    assert "p=" in resident.url


def test_a_buildings_qr_code_leads_by_taps_to_that_places_projects(server, phones):
    page = phones().new_page()
    scan(page, server.url, "1-1")  # the building's QR: the one address typed
    raising_project(server, QR_TITLE)  # staff's project at 1-1, launched meanwhile
    tap_sidebar(page, "众筹")
    expect(main(page).get_by_text(re.compile("只显示"))).to_have_count(0)  # the menu shows all
    tap_sidebar(page, "首页")  # back where the QR left them: 1-1 is remembered
    tap(main(page).get_by_role("button", name="只看1栋1单元（1-1）的项目"), page)
    page.wait_for_url(re.compile(r"/crowdfund\?b=1-1"))
    expect(title(page)).to_have_text("众筹")
    expect(main(page).get_by_text(re.compile("只显示 .*1-1.* 的项目"))).to_be_visible()
    expect(main(page).get_by_role("button", name=QR_TITLE)).to_be_visible()
    assert_fits_phone(page)
    shot(page, "5-qr")
    tap(main(page).get_by_role("button", name="查看全部项目"), page)
    expect(main(page).get_by_text(re.compile("只显示"))).to_have_count(0)


def test_a_resident_has_no_projects_task_and_the_typed_address_is_refused(server, phones):
    before = query(server.data_dir / "portal.db", "SELECT COUNT(*) FROM crowdfund_projects")
    page = phones().new_page()
    log_in(page, server.url, "resident")
    expand = page.get_by_test_id("stExpandSidebarButton")  # what a resident can tap: no 管理
    if expand.is_visible():
        expand.tap()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.locator("a[href$='/crowdfund']")).to_be_visible()
    expect(nav.locator("a[href$='/admin-crowdfund']")).to_have_count(0)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_count(0)
    page.goto(f"{server.url}/admin-crowdfund")  # a deliberate refusal test: the typed address
    settle(page, quiet_ms=400)
    expect(main(page).get_by_text("此页面仅限社区工作人员及以上使用，您当前的身份是居民。")).to_be_visible()
    expect(main(page).get_by_role("textbox", name="项目名称")).to_have_count(0)
    assert query(server.data_dir / "portal.db", "SELECT COUNT(*) FROM crowdfund_projects") == before
    close = page.get_by_test_id("stSidebarCollapseButton").locator("button")
    if close.is_visible():  # the menu opened above stays over the page until closed
        close.tap()
    assert_fits_phone(page)
    shot(page, "6-refused")
