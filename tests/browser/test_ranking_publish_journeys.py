"""评比发布 in real Chromium at phone size, by taps: staff see what is missing, confirm and publish
last month; a leader's menu has no 评比发布."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.browser.test_report_journeys import fits_phone, log_in, main, query, tap, tap_menu


SHOTS = "/tmp/shots"


def shot(page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}/ranking-publish-{name}.png", full_page=True)


def last_month() -> str:
    today = datetime.now(timezone(timedelta(hours=8))).date()
    first = today.replace(day=1) - timedelta(days=1)
    return first.strftime("%Y-%m")


def label(month: str) -> str:
    return f"{month[:4]}年{int(month[5:])}月"


def leader_rates_first_grid(db_path, month: str) -> None:
    """老吴 has rated his four buildings (the scoring page's own journey taps this in)."""
    with sqlite3.connect(db_path) as db:
        leader = db.execute("SELECT id FROM users WHERE username = 'leader'").fetchone()[0]
        db.execute("INSERT INTO ranking_months (month, created_at) VALUES (?, 'now')"
                   " ON CONFLICT (month) DO NOTHING", (month,))
        for code, stars in (("1-1", 5), ("1-2", 4), ("2-1", 3), ("2-2", 4)):
            place = db.execute("SELECT id FROM places WHERE code = ?", (code,)).fetchone()[0]
            if db.execute("SELECT 1 FROM ranking_ratings WHERE month = ? AND place_id = ? AND"
                          " rater_id = ?", (month, place, leader)).fetchone():
                continue
            rating = db.execute("INSERT INTO ranking_ratings (month, place_id, rater_id, updated_at)"
                                " VALUES (?, ?, ?, 'now')", (month, place, leader)).lastrowid
            for criterion in (1, 2, 3, 4):
                db.execute("INSERT INTO ranking_stars (rating_id, criterion_id, stars)"
                           " VALUES (?, ?, ?)", (rating, criterion, stars))


def test_staff_see_what_is_missing_confirm_and_publish_by_taps(server, phones):
    month = last_month()
    db_path = server.data_dir / "portal.db"
    page = phones().new_page()
    log_in(page, server.url, "staff")  # the first visit also creates the demo community
    leader_rates_first_grid(db_path, month)
    tap_menu(page, "admin-ranking")
    expect(main(page).get_by_role("heading", name="评比发布")).to_be_visible()
    expect(main(page).get_by_text("评分完成情况")).to_be_visible()
    expect(main(page).get_by_text("无人评分：3-1")).to_be_visible()
    expect(main(page).get_by_test_id("stDataFrame")).to_be_visible()
    fits_phone(page)
    shot(page, "draft")

    tap(main(page).get_by_role("button", name="公布", exact=True), page)
    tap(page.get_by_role("button", name="确认公布"), page)
    expect(page.get_by_text("缺少评分：还有评分没有完成：无人评分：3-1")).to_be_visible()
    assert query(db_path, "SELECT status FROM ranking_months WHERE month = ?", (month,)) == ("draft",)
    shot(page, "refused-missing")

    tap(main(page).get_by_text("我已知道缺少哪些评分，仍要公布"), page)
    if not page.get_by_role("button", name="确认公布").is_visible():  # the tick may close it
        tap(main(page).get_by_role("button", name="公布", exact=True), page)
    expect(page.get_by_text(f"确定公布{label(month)}的星级楼栋评比吗")).to_be_visible()
    shot(page, "confirm")
    tap(page.get_by_role("button", name="确认公布"), page)
    expect(main(page).get_by_text(f"已公布{label(month)}的星级楼栋评比。")).to_be_visible()
    expect(main(page).get_by_text("流动红旗：1-1")).to_be_visible()
    assert query(db_path, "SELECT status FROM ranking_months WHERE month = ?", (month,)) == ("published",)
    assert query(db_path, "SELECT p.code FROM ranking_results r JOIN places p ON p.id = r.place_id"
                          " WHERE r.month = ? AND r.rank = 1", (month,)) == ("1-1",)
    expect(main(page).get_by_role("button", name="公布", exact=True)).to_have_count(0)
    fits_phone(page)
    shot(page, "published")


def test_a_leaders_menu_has_no_publishing(server, phones):
    page = phones().new_page()
    log_in(page, server.url, "leader")
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.tap()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.locator("a[href$='/admin-households']")).to_be_visible()  # the leader's 管理
    expect(nav.locator("a[href$='/admin-ranking']")).to_have_count(0)
    fits_phone(page)
    shot(page, "leader-menu")
