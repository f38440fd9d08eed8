"""积分超市 in real Chromium at phone size, moving only by taps.

A resident opens the shop from 首页, redeems a bag of rice through the confirmation step and
gets a pickup code with its QR; staff open 管理 › 兑换核销, type that code and hand the rice
over; a newcomer without points is told in Chinese why nothing was redeemed.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_report_journeys import fits_phone, log_in, main, query, tap, tap_menu


SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"shop-{name}.png"), full_page=True)


def rice_stock(server) -> int:
    return query(server.data_dir / "portal.db",
                 "SELECT stock FROM shop_items WHERE name = '大米 5kg'")[0]


def open_shop_from_home(page) -> None:
    tap(main(page).get_by_role("link", name=re.compile("积分超市")), page)
    expect(main(page).get_by_role("heading", name="积分超市")).to_be_visible()
    fits_phone(page)


def redeem_rice(page) -> None:
    """On the shop: 兑换 on the rice card, then the confirmation step."""
    card = page.locator(".st-key-shop_item_1")
    expect(card.get_by_text("大米 5kg")).to_be_visible()
    tap(card.get_by_role("button", name="兑换"), page)
    expect(main(page).get_by_role("heading", name="确认兑换")).to_be_visible()
    expect(main(page).get_by_text(re.compile("需要 20 积分"))).to_be_visible()
    fits_phone(page)


def test_a_resident_redeems_rice_and_staff_hand_it_over_by_its_code(server, phones):
    resident = phones().new_page()
    log_in(resident, server.url, "resident")  # the first page seeds a new server's demo
    stock_before = rice_stock(server)
    open_shop_from_home(resident)
    shot(resident, "a0-shop")
    redeem_rice(resident)
    expect(main(resident).get_by_text(re.compile(r"兑换后剩 \d+ 积分"))).to_be_visible()
    shot(resident, "a1-confirm")
    tap(main(resident).get_by_role("button", name="确认兑换"), resident)
    expect(main(resident).get_by_text("兑换成功！请凭取件码或二维码到社区服务站领取。")).to_be_visible()
    code = main(resident).get_by_test_id("stMetricValue").inner_text().strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code), code
    expect(main(resident).get_by_role("img").last).to_be_visible()  # the QR
    fits_phone(resident)
    shot(resident, "a2-code")
    db = server.data_dir / "portal.db"
    assert query(db, "SELECT status FROM shop_redemptions WHERE pickup_code = ?",
                 (code,)) == ("waiting",)
    assert rice_stock(server) == stock_before - 1

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "admin-redemptions")
    expect(main(staff).get_by_role("heading", name="兑换核销")).to_be_visible()
    form = staff.locator("[data-testid='stForm']").filter(has=staff.get_by_role("button",
                                                                                name="查找"))
    form.get_by_role("textbox", name="取件码").fill(code.lower())
    tap(form.get_by_role("button", name="查找"), staff)
    card = staff.locator(".st-key-shop_desk_card")
    expect(card.get_by_text(re.compile("大米 5kg × 1"))).to_be_visible()
    expect(card.get_by_text(re.compile("居民 林阿姨"))).to_be_visible()
    shot(staff, "b0-desk-found")
    tap(card.get_by_role("button", name="确认发放"), staff)
    expect(main(staff).get_by_text("已发放：大米 5kg × 1，交给 居民 林阿姨。")).to_be_visible()
    expect(card.get_by_text(re.compile("已领取"))).to_be_visible()
    fits_phone(staff)
    shot(staff, "b1-desk-fulfilled")
    assert query(db, "SELECT status FROM shop_redemptions WHERE pickup_code = ?",
                 (code,)) == ("fulfilled",)
    assert rice_stock(server) == stock_before - 1  # handed over: the shelf is one bag short

    # the resident sees it collected under 我的兑换
    tap_menu(resident, "shop")
    tap(main(resident).get_by_role("button", name="继续逛逛"), resident)
    shot(resident, "a3-mine")
    expect(resident.locator(".st-key-shop_mine_1").get_by_text(re.compile("已领取"))).to_be_visible()


def test_redeeming_past_the_balance_is_refused_in_chinese(server, phones):
    newcomer = phones().new_page()
    log_in(newcomer, server.url, "newcomer")
    stock_before = rice_stock(server)
    open_shop_from_home(newcomer)
    redeem_rice(newcomer)
    expect(main(newcomer).get_by_text("您的积分还差 20 积分。")).to_be_visible()
    tap(main(newcomer).get_by_role("button", name="确认兑换"), newcomer)
    expect(main(newcomer).get_by_text("积分不足：兑换需要 20 积分，您现有 0 积分。")).to_be_visible()
    fits_phone(newcomer)
    main(newcomer).get_by_role("button", name="返回").scroll_into_view_if_needed()
    newcomer.screenshot(path=str(SHOTS / "shop-c0-refused.png"))  # what the phone shows now
    assert query(server.data_dir / "portal.db", "SELECT COUNT(*) FROM shop_redemptions"
                 " JOIN users ON users.id = user_id WHERE username = 'newcomer'") == (0,)
    assert rice_stock(server) == stock_before
    tap(main(newcomer).get_by_role("button", name="返回"), newcomer)
    expect(main(newcomer).get_by_role("heading", name="确认兑换")).to_have_count(0)


def test_a_guest_browses_and_is_offered_to_log_in(server, phones):
    guest = phones().new_page()
    guest.goto(f"{server.url}/?b=1-1")
    guest.wait_for_timeout(300)
    tap(main(guest).get_by_role("link", name=re.compile("积分超市")), guest)
    expect(main(guest).get_by_text("欢迎逛逛！登录后可以用积分兑换商品。")).to_be_visible()
    expect(main(guest).get_by_text("已兑完").first).to_be_visible()  # the eggs
    expect(main(guest).get_by_role("button", name="兑换", exact=True)).to_have_count(0)
    fits_phone(guest)
    shot(guest, "d0-guest")
    tap(main(guest).get_by_role("button", name="登录后兑换"), guest)
    expect(guest.locator("[data-testid='stForm']").get_by_role("button", name="登录")).to_be_visible()
