"""志愿服务 in real Chromium at phone size, moving by taps: log hours, a leader approves them.

A resident logs 2 hours on 志愿服务; the demo leader of their micro-grid opens 管理 › 志愿审核
and taps 通过; the resident's entry then reads 已通过 +10 积分 and the balance rose by 10 (the
default rule, 5 points an hour). The refusals: a future date and missing hours get Chinese
messages beside their fields and store nothing; a resident has no 志愿审核 to tap, and the
address typed by hand answers with the role message.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import PHONE_USER_AGENT, settle, wait_ready
from tests.browser.test_journeys import (
    assert_fits_phone, log_in, main, open_sidebar, tap_sidebar, title,
)


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"volunteer-{name}.png"), full_page=True)


def query(server, sql: str, params: tuple = ()):
    with sqlite3.connect(server.data_dir / "portal.db") as connection:
        return connection.execute(sql, params).fetchone()


def balance(server, username: str) -> int:
    return query(server, "SELECT COALESCE(SUM(amount), 0) FROM points_ledger WHERE user_id ="
                         " (SELECT id FROM users WHERE username = ?)", (username,))[0]


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def open_volunteer(page) -> None:
    tap_sidebar(page, "志愿服务")
    expect(title(page)).to_have_text("志愿服务")
    page.wait_for_url(re.compile(r"/volunteer(\?|$)"))


def fill_entry(page, activity: str, hours: str | None, day: date | None = None) -> None:
    """The 登记志愿时长 form: activity, optionally another date, hours; then 提交."""
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="提交"))
    form.get_by_role("textbox", name="服务内容").fill(activity)
    if day is not None:
        # a phone gets the browser's own date picker: its <input type="date"> takes the day
        field = form.get_by_test_id("stDateInput").locator("input")
        field.fill(day.isoformat())
        expect(field).to_have_value(day.isoformat())
    if hours is not None:
        form.get_by_role("combobox", name="服务时长").tap()
        page.get_by_role("option", name=hours, exact=True).tap()
    form.get_by_role("button", name="提交").tap()
    wait_ready(page)
    settle(page, quiet_ms=400)
    assert_fits_phone(page)


def test_a_resident_logs_two_hours_and_the_leader_approves_them(server, phone, phones):
    activity = "帮邻居修剪绿化带"
    resident = phone.new_page()
    log_in(resident, server.url, "resident")  # the first page run seeds the demo community
    before = balance(server, "resident")
    open_volunteer(resident)
    expect(main(resident).get_by_text("点击下方 “Upload” 按钮可以直接拍照或从相册选择")).to_be_visible()
    shot(resident, "1-form")
    fill_entry(resident, activity, "2 小时")
    expect(main(resident).get_by_text("已提交，等待微网格长审核。")).to_be_visible()
    (hours_id,) = query(server, "SELECT id FROM volunteer_hours WHERE activity = ?"
                                " AND status = 'pending' AND half_hours = 4", (activity,))
    entry = resident.locator(f".st-key-volunteer_entry_{hours_id}")
    expect(entry).to_contain_text("待审核")
    expect(entry).to_contain_text(f"{activity} · 2 小时")
    shot(resident, "2-logged")

    leader = phones().new_page()
    log_in(leader, server.url, "leader")
    nav = open_sidebar(leader)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_text([re.compile(r"^管理")])
    tap_sidebar(leader, "志愿审核")
    expect(title(leader)).to_have_text("志愿审核")
    leader.wait_for_url(re.compile(r"/admin-volunteer(\?|$)"))
    card = leader.locator(f".st-key-volunteer_review_{hours_id}")
    expect(card).to_contain_text("居民 林阿姨（1-1）")
    expect(card).to_contain_text(activity)
    card.scroll_into_view_if_needed()
    shot(leader, "3-queue")
    card.get_by_role("button", name="通过", exact=True).tap()
    done = main(leader).get_by_text(re.compile(r"已通过：居民 林阿姨 2 小时，\+10 积分"))
    expect(done).to_be_visible()
    expect(card).to_have_count(0)
    wait_ready(leader)
    assert_fits_phone(leader)
    done.scroll_into_view_if_needed()
    shot(leader, "4-approved")

    assert balance(server, "resident") == before + 10
    open_volunteer(resident)
    expect(resident.locator(f".st-key-volunteer_entry_{hours_id}")).to_contain_text("已通过 +10 积分")
    shot(resident, "5-resident-sees-points")
    tap_sidebar(resident, "首页")
    metric = main(resident).get_by_test_id("stMetric").filter(has_text="我的积分")
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(str(before + 10))


def test_a_future_date_and_missing_hours_are_refused_and_a_resident_has_no_review(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "resident")
    entries = query(server, "SELECT COUNT(*) FROM volunteer_hours")[0]
    nav = open_sidebar(page)
    expect(nav.get_by_role("link", name="志愿审核")).to_have_count(0)
    expect(nav.get_by_test_id("stNavSectionHeader")).to_have_count(0)
    page.get_by_role("button", name="Collapse sidebar").tap()
    open_volunteer(page)

    fill_entry(page, "楼道清扫", None, day=today() + timedelta(days=1))
    refused = main(page).get_by_text("服务日期：服务日期不能晚于今天。")
    expect(refused).to_be_visible()
    refused.scroll_into_view_if_needed()
    expect(main(page).get_by_text(re.compile(r"服务时长：服务时长按半小时计，可选 0\.5-12 小时"))
           ).to_be_visible()
    shot(page, "6-refused")
    assert query(server, "SELECT COUNT(*) FROM volunteer_hours")[0] == entries

    page.goto(f"{server.url}/admin-volunteer")  # an address someone was told, typed by hand
    wait_ready(page)
    expect(main(page).get_by_text("此页面仅限微网格长及以上使用，您当前的身份是居民。")).to_be_visible()
    expect(main(page).get_by_role("button", name="通过", exact=True)).to_have_count(0)
    shot(page, "8-resident-refused")
