"""The main journey of 星级楼栋 (issue 11's "Done when"), by taps at phone size.

Two leaders score last month on 管理 › 楼栋评分 (老吴 1-1, 老林 4-1, each tapping stars into the
table), staff publish it on 管理 › 评比发布 after confirming the ratings still missing, and a
guest finds the red flag on 首页 (1-1: its residents' volunteer hours outweigh 4-1's five
stars), sees the month's ranking on 星级楼栋, then at 4-1's door scans its QR code (/?b=4-1, the
one typed URL) and taps from 首页 on to 4-1's trend.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PHONE_USER_AGENT
from tests.browser.test_journeys import (
    assert_fits_phone, log_in, main, scan, tap_sidebar, title,
)
from tests.browser.test_ranking_journeys import chart_fits, scan_to_history, shot
from tests.browser.test_ranking_publish_journeys import label, last_month
from tests.browser.test_ranking_scoring_journeys import open_scores, rows_of, save, type_cell
from tests.browser.test_report_journeys import query, tap


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone


def score_first_building(page, server, username: str, stars: str) -> None:
    """A leader logs in, opens 楼栋评分 and gives the first building of their table ``stars``."""
    log_in(page, server.url, username)
    open_scores(page)
    for column, value in enumerate(stars, start=1):
        type_cell(page, 0, column, value)
    save(page)
    expect(main(page).get_by_text(re.compile(r"^已保存.*1 栋已评分"))).to_be_visible()


def test_two_leaders_score_staff_publish_and_a_guest_follows_the_red_flag(server, phones):
    month = last_month()
    score_first_building(phones().new_page(), server, "leader", "4534")
    score_first_building(phones().new_page(), server, "leader2", "5555")
    assert [row[0] for row in rows_of(server, "leader")] == ["1-1"]
    assert [row[0] for row in rows_of(server, "leader2")] == ["4-1"]

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_sidebar(staff, "评比发布")
    expect(title(staff)).to_have_text("评比发布")
    tap(main(staff).get_by_text("我已知道缺少哪些评分，仍要公布"), staff)
    tap(main(staff).get_by_role("button", name="公布", exact=True), staff)
    tap(staff.get_by_role("button", name="确认公布"), staff)
    expect(main(staff).get_by_text(f"已公布{label(month)}的星级楼栋评比。")).to_be_visible()
    assert query(server.data_dir / "portal.db", "SELECT status FROM ranking_months WHERE month = ?",
                 (month,)) == ("published",)

    guest = phones().new_page()
    scan(guest, server.url)
    # 1-1 wins on its residents' volunteer hours (participation, 30%) over 4-1's five stars
    flag = main(guest).get_by_role("link", name="1栋1单元（1-1）")
    expect(flag).to_be_visible()  # 首页 shows the red-flag building
    flag.scroll_into_view_if_needed()
    shot(guest, "main-1-home")
    tap_sidebar(guest, "星级楼栋")
    expect(title(guest)).to_have_text("星级楼栋")
    expect(main(guest).get_by_role("heading", name="1栋1单元（1-1）")).to_be_visible()
    expect(main(guest).get_by_text(f"{label(month)} · 16 个楼栋参评", exact=False)).to_be_visible()
    chart_fits(guest)
    assert_fits_phone(guest)
    shot(guest, "main-2-ranking")

    scan_to_history(guest, server.url, "4-1", "4栋1单元（4-1）")
    expect(main(guest).get_by_role("heading", name="4栋1单元（4-1）")).to_be_visible()
    expect(main(guest).get_by_text(re.compile(r"第 2 名 / 共 16 栋"))).to_be_visible()
    chart_fits(guest)
    assert_fits_phone(guest)
    shot(guest, "main-3-trend")
