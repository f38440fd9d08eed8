"""众筹 end to end in real Chromium at phone size, moving only by taps: issue 10's main journey.

A resident taps 众筹 in the menu, opens the raising project, pledges 100 yuan (the page says
"你的100元 → 600元" at the street office's 5x) and signs up for a labour slot, then logs out.
Staff confirm the money (到账确认) and, once the work day has come, the attendance (出勤登记).
A guest reads the 公示: the masked name, the match and the new totals. The resident's 积分 have
risen by exactly the rules: 1 per whole 10 yuan confirmed and 5 per hour worked.
The refusal: 0 and 0.001 yuan get the Chinese message and nothing is recorded.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from lib.core.clock import local_today
from lib.core.db import open_db, scalar
from tests.browser.conftest import PHONE_USER_AGENT, wait_ready
from tests.browser.crowdfund_taps import open_books, open_project
from tests.browser.test_journeys import (
    assert_fits_phone, log_in, logout, main, open_my_account, scan, tap_sidebar, title,
)
from tests.browser.test_volunteer_journeys import balance, query
from tests.crowdfund_helpers import make_project


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
TITLE = "楼道灯更换"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"crowdfund-main-{name}.png"), full_page=True)


def raising_project(server, title: str = TITLE) -> dict:
    """Staff's raising project at 1-1: a 5x match with no cap, 30 yuan an hour, one 2-hour slot
    next week with five places."""
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        return make_project(
            db, created_by=scalar(db, "SELECT id FROM users WHERE username = 'staff'"),
            title=title, goal_fen=200_000, labour_hour_fen=3_000,
            place_id=scalar(db, "SELECT id FROM places WHERE code = '1-1'"),
            tasks=(dict(name="拆旧灯", days=7, starts_at="09:00", half_hours=4, headcount=5),))
    finally:
        db.close()


def the_work_day_comes(server, task_id: int) -> None:
    """The slot's day arrives: the server's clock cannot be moved, so the slot moves back."""
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        db.execute("UPDATE crowdfund_tasks SET work_on = ? WHERE id = ?",
                   ((local_today() - timedelta(days=1)).isoformat(), task_id))
        db.conn.commit()
    finally:
        db.close()


def type_amount(page, amount: str) -> None:
    box = main(page).get_by_role("textbox", name="认捐金额（元）")
    box.fill(amount)
    box.press("Enter")
    wait_ready(page)


def pledges_of(server, project_id: int) -> list:
    return [query(server, "SELECT COUNT(*) FROM crowdfund_pledges WHERE project_id = ?",
                  (project_id,))[0]]


def test_a_pledge_and_a_slot_become_the_ledger_and_points(server, phones):
    resident = phones().new_page()
    log_in(resident, server.url, "resident")  # the first page run seeds the demo community
    project = raising_project(server)
    (task,) = project["tasks"]
    start = balance(server, "resident")

    open_project(resident, TITLE, "认捐")
    type_amount(resident, "100")
    expect(main(resident).get_by_text("你的100元 → 600元")).to_be_visible()
    expect(main(resident).get_by_text("配套资金不设上限。")).to_be_visible()
    assert_fits_phone(resident)
    shot(resident, "1-preview")
    main(resident).get_by_role("button", name="确认认捐").tap()
    expect(main(resident).get_by_text("认捐已登记：100.00 元（现金）。工作人员确认到账后计入项目。")
           ).to_be_visible()
    wait_ready(resident)
    (pledge_id, status) = query(server, "SELECT id, status FROM crowdfund_pledges"
                                        " WHERE project_id = ?", (project["id"],))
    assert status == "pledged"
    mine = resident.locator(f".st-key-pledge_mine_{pledge_id}")
    expect(mine).to_contain_text("100.00 元 · 现金 · 认捐")
    mine.scroll_into_view_if_needed()
    assert_fits_phone(resident)
    shot(resident, "2-pledged")

    main(resident).get_by_role("tab", name="出工").tap()
    wait_ready(resident)
    resident.locator(f".st-key-labour_slot_{task}").get_by_role("button", name="报名").tap()
    expect(main(resident).get_by_text(re.compile(r"^报名成功：拆旧灯"))).to_be_visible()
    wait_ready(resident)
    (signup_id,) = query(server, "SELECT id FROM crowdfund_signups WHERE task_id = ?", (task,))
    open_my_account(resident)
    logout(resident)

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    open_books(staff, "到账确认", "项目", rf"{TITLE}（1 笔，100.00 元）")
    card = staff.locator(f".st-key-pledge_pending_{pledge_id}")
    expect(card).to_contain_text("林阿姨")
    expect(card).to_contain_text("100.00 元 · 现金")
    assert_fits_phone(staff)
    shot(staff, "3-to-confirm")
    card.get_by_role("button", name="已到账").tap()
    expect(main(staff).get_by_text("已确认到账：居民 林阿姨 100.00 元，配套 500.00 元，积分 +10。")
           ).to_be_visible()
    wait_ready(staff)
    expect(card).to_have_count(0)
    shot(staff, "4-confirmed")

    the_work_day_comes(server, task)
    open_books(staff, "出勤登记", "众筹项目", TITLE)
    row = staff.locator(f".st-key-labour_roster_{signup_id}")
    expect(row).to_contain_text("林阿姨")
    row.get_by_role("button", name="到场").tap()
    expect(main(staff).get_by_text(re.compile(r"^已登记 .*林阿姨 到场。$"))).to_be_visible()
    wait_ready(staff)
    expect(row).to_contain_text("到场 +10 积分")
    shot(staff, "5-attended")

    guest = phones().new_page()
    scan(guest, server.url)
    open_project(guest, TITLE, "公示")
    panel = main(guest).get_by_role("tabpanel")
    # 100 cash + 500 match + 2 hours at 30 yuan = 660
    expect(panel.get_by_test_id("stMetric").first).to_contain_text("660.00")
    expect(panel.get_by_text("居民出资 100.00 元（1 笔）", exact=False)).to_be_visible()
    expect(panel.get_by_text("街道办事处配套 500.00 元", exact=False)).to_be_visible()
    cells = panel.get_by_test_id("stDataFrame").locator("[role='gridcell']")
    cells.first.wait_for(state="attached")  # the grid's cells are for screen readers only
    grid = " ".join(cells.all_text_contents())
    # the demo's display name is "居民 林阿姨": masked to its first character, as every board does
    assert "居* 出资" in grid and "+600.00" in grid  # 100 yuan and its 500 of match
    assert "林阿姨" not in guest.inner_text("body")
    assert_fits_phone(guest)
    shot(guest, "6-ledger")

    log_in(resident, server.url, "resident")
    tap_sidebar(resident, "积分")
    expect(title(resident)).to_have_text("积分")
    metric = main(resident).get_by_test_id("stMetric").filter(has_text="我的积分")
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(f"{start + 20} 分")
    # 积分明细: each entry links to the project that earned it
    expect(main(resident).get_by_role("link", name="查看众筹项目").first).to_be_visible()
    expect(main(resident).get_by_text("This app has encountered an error")).to_have_count(0)
    assert_fits_phone(resident)
    shot(resident, "7-points")
    assert balance(server, "resident") == start + 10 + 10
    keys = query(server, "SELECT group_concat(kind || ':' || amount || ':' || idempotency_key, ' ')"
                         " FROM points_ledger WHERE idempotency_key LIKE ?",
                 (f"crowdfund:{project['id']}:%",))[0]
    assert keys == (f"pledge:10:crowdfund:{project['id']}:pledge:{pledge_id}"
                    f" labour:10:crowdfund:{project['id']}:labour:{signup_id}")


def test_pledging_nothing_or_a_thousandth_is_refused_and_nothing_is_recorded(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "resident")
    project = raising_project(server, "单元门禁维修")
    open_project(page, "单元门禁维修", "认捐")
    for typed, message in (("0", "金额必须大于 0。"), ("0.001", "金额最多精确到分（小数点后两位）。")):
        type_amount(page, typed)
        expect(main(page).get_by_text(message)).to_be_visible()  # said while typing
        main(page).get_by_role("button", name="确认认捐").tap()
        wait_ready(page)
        expect(main(page).get_by_text(f"认捐金额：{message}")).to_be_visible()  # and on 确认
        assert pledges_of(server, project["id"]) == [0]
        assert_fits_phone(page)
        shot(page, f"8-refused-{typed}")
    expect(main(page).get_by_text("我的认捐")).to_have_count(0)
