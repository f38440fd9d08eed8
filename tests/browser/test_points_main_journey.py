"""The points loop end to end in real Chromium at phone size, moving only by taps.

Issue 9's main journey, three people on three phones: a resident logs 2 hours of service, the
leader of their micro-grid approves them, the resident's balance rises by the rule's 10 points;
the resident spends 20 of them on a bag of rice and gets a pickup code; staff hand the rice over
by typing that code, and the shelf holds one bag fewer. The ledger tells the same story.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PHONE_USER_AGENT
from tests.browser.test_journeys import log_in, main, tap_sidebar, title
from tests.browser.test_report_journeys import tap, tap_menu
from tests.browser.test_shop_journeys import redeem_rice, rice_stock
from tests.browser.test_volunteer_journeys import balance, fill_entry, open_volunteer, query, shot


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone


def home_balance(page):
    metric = main(page).get_by_test_id("stMetric").filter(has_text="我的积分")
    return metric.get_by_test_id("stMetricValue")


def test_hours_become_points_become_rice_handed_over_by_its_code(server, phones):
    resident = phones().new_page()
    log_in(resident, server.url, "resident")  # the first page run seeds the demo community
    start = balance(server, "resident")
    stock = rice_stock(server)
    expect(home_balance(resident)).to_have_text(str(start))

    activity = "楼道扶手消毒"
    open_volunteer(resident)
    fill_entry(resident, activity, "2 小时")
    expect(main(resident).get_by_text("已提交，等待微网格长审核。")).to_be_visible()
    (hours_id,) = query(server, "SELECT id FROM volunteer_hours WHERE activity = ?", (activity,))

    leader = phones().new_page()
    log_in(leader, server.url, "leader")
    tap_sidebar(leader, "志愿审核")
    expect(title(leader)).to_have_text("志愿审核")
    card = leader.locator(f".st-key-volunteer_review_{hours_id}")
    card.scroll_into_view_if_needed()
    card.get_by_role("button", name="通过", exact=True).tap()
    expect(main(leader).get_by_text(re.compile(r"已通过：.*2 小时，\+10 积分"))).to_be_visible()

    tap_sidebar(resident, "首页")
    expect(home_balance(resident)).to_have_text(str(start + 10))
    tap(main(resident).get_by_role("link", name=re.compile("积分超市")), resident)
    redeem_rice(resident)
    tap(main(resident).get_by_role("button", name="确认兑换"), resident)
    expect(main(resident).get_by_text("兑换成功！请凭取件码或二维码到社区服务站领取。")).to_be_visible()
    code = main(resident).get_by_test_id("stMetricValue").inner_text().strip()
    shot(resident, "main-journey-code")
    assert balance(server, "resident") == start + 10 - 20

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "admin-redemptions")
    form = staff.locator("[data-testid='stForm']").filter(
        has=staff.get_by_role("button", name="查找"))
    form.get_by_role("textbox", name="取件码").fill(code)
    tap(form.get_by_role("button", name="查找"), staff)
    tap(staff.locator(".st-key-shop_desk_card").get_by_role("button", name="确认发放"), staff)
    expect(main(staff).get_by_text(re.compile(r"已发放：大米 5kg × 1"))).to_be_visible()
    shot(staff, "main-journey-handed-over")

    assert rice_stock(server) == stock - 1
    assert query(server, "SELECT status FROM shop_redemptions WHERE pickup_code = ?",
                 (code,)) == ("fulfilled",)
    # the ledger: +10 for the hours (once), -20 for the rice, nothing else
    entries = query(server, "SELECT group_concat(kind || ':' || amount, ' ') FROM points_ledger"
                            " WHERE user_id = (SELECT id FROM users WHERE username = 'resident')"
                            " AND (idempotency_key = ? OR idempotency_key LIKE 'shop:%')"
                            " AND created_at >= (SELECT created_at FROM volunteer_hours"
                            " WHERE id = ?)", (f"volunteer:{hours_id}", hours_id))[0]
    assert entries == "volunteer:10 redeem:-20"
