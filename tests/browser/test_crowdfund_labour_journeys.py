"""筹劳 in real Chromium at phone size, moving by taps: sign up for a slot, see it, withdraw.

A resident taps 众筹 in the menu, opens the raising project, taps its 出工 tab, taps 报名 on a
slot with places left and finds it under 我的报名; 取消报名 gives the place back. The refusal:
a slot someone else filled reads 已满 and offers no 报名 to tap.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from lib.core.clock import pretend
from lib.core.db import open_db, scalar
from lib.crowdfund import labour
from lib.people.users import load_user
from lib.points import ledger
from tests.browser.conftest import PHONE_USER_AGENT, wait_ready
from tests.browser.crowdfund_taps import open_books, open_project
from tests.browser.test_journeys import assert_fits_phone, log_in, main, title
from tests.crowdfund_helpers import make_project


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
TITLE = "楼道扶手加装"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"labour-{name}.png"), full_page=True)


def raising_project(server) -> dict:
    """Staff's raising project at 1-1: a slot with three places, and one zhangwei has filled."""
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        def user(name):
            return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (name,)))

        project = make_project(
            db, created_by=user("staff").id, title=TITLE, labour_hour_fen=3_000,
            place_id=scalar(db, "SELECT id FROM places WHERE code = '1-1'"),
            tasks=(dict(name="搬运材料", days=7, starts_at="09:00", half_hours=4, headcount=3),
                   dict(name="刷漆", days=8, starts_at="14:00", half_hours=3, headcount=1)))
        labour.sign_up(db, user("zhangwei"), task_id=project["tasks"][1])
        return project
    finally:
        db.close()


def status_of(server, signup_id: int) -> str:
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        return scalar(db, "SELECT status FROM crowdfund_signups WHERE id = ?", (signup_id,))
    finally:
        db.close()


def test_a_resident_signs_up_for_a_slot_sees_it_and_withdraws(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "resident")  # the first page run seeds the demo community
    project = raising_project(server)
    open_slot, full_slot = project["tasks"]
    open_project(page, TITLE, "出工")
    card = page.locator(f".st-key-labour_slot_{open_slot}")
    expect(card).to_contain_text("搬运材料")
    expect(card).to_contain_text("09:00 开始 · 2 小时")
    expect(card).to_contain_text("剩余 3 个名额")
    expect(main(page).get_by_text("每出工 1 小时折合 30.00 元计入项目")).to_be_visible()
    assert_fits_phone(page)
    shot(page, "1-slots")

    # the refusal: a slot someone filled reads 已满 and has nothing to tap
    full = page.locator(f".st-key-labour_slot_{full_slot}")
    expect(full).to_contain_text("已满")
    expect(full.get_by_role("button")).to_have_count(0)

    card.get_by_role("button", name="报名").tap()
    expect(main(page).get_by_text(re.compile(r"^报名成功：搬运材料"))).to_be_visible()
    wait_ready(page)
    expect(card).to_contain_text("剩余 2 个名额")
    expect(card).to_contain_text("您已报名")
    expect(card.get_by_role("button")).to_have_count(0)
    db = open_db(server.data_dir / "portal.db", migrate=False)
    signup_id = scalar(db, "SELECT s.id FROM crowdfund_signups s JOIN users u ON u.id = s.user_id"
                           " WHERE u.username = 'resident' AND s.task_id = ?", (open_slot,))
    db.close()
    assert status_of(server, signup_id) == "signed"
    mine = page.locator(f".st-key-labour_mine_{signup_id}")
    expect(mine).to_contain_text("搬运材料 · 已报名")
    mine.scroll_into_view_if_needed()
    assert_fits_phone(page)
    shot(page, "2-signed-up")

    # back on the list, the coming slot is the resident's reminder; a tap brings them back
    main(page).get_by_role("button", name="← 全部项目").tap()
    wait_ready(page)
    reminder = page.locator(f".st-key-labour_coming_{signup_id}")
    expect(reminder).to_contain_text("09:00 开始 · 2 小时")
    reminder.scroll_into_view_if_needed()
    assert_fits_phone(page)
    shot(page, "2b-reminder")
    reminder.get_by_role("button", name=f"{TITLE} · 搬运材料").tap()
    wait_ready(page)
    expect(title(page)).to_have_text(TITLE)
    if not mine.is_visible():
        main(page).get_by_role("tab", name="出工").tap()
        wait_ready(page)

    mine.get_by_role("button", name="取消报名").tap()
    expect(main(page).get_by_text("已取消报名：搬运材料。")).to_be_visible()
    wait_ready(page)
    expect(mine).to_have_count(0)
    expect(card).to_contain_text("剩余 3 个名额")
    expect(card.get_by_role("button", name="报名")).to_be_visible()
    assert status_of(server, signup_id) == "withdrawn"
    assert_fits_phone(page)
    shot(page, "3-withdrawn")


def test_staff_mark_a_resident_present_by_tapping_and_the_points_arrive(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "staff")
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        resident = load_user(db, scalar(db, "SELECT id FROM users WHERE username = 'resident'"))
        project = make_project(
            db, created_by=scalar(db, "SELECT id FROM users WHERE username = 'staff'"),
            title="花坛补种", place_id=scalar(db, "SELECT id FROM places WHERE code = '1-1'"),
            tasks=(dict(name="翻土种花", days=-1, starts_at="08:30", half_hours=3, headcount=4),))
        task = project["tasks"][0]
        with pretend(labour.get_slot(db, task).starts - timedelta(days=1)):
            signup = labour.sign_up(db, resident, task_id=task)
        before = ledger.balance(db, resident.id)
    finally:
        db.close()
    open_books(page, "出勤登记", "众筹项目", "花坛补种")
    expect(main(page).get_by_role("combobox", name="出工时段")).to_have_value(re.compile("^翻土种花"))
    row = page.locator(f".st-key-labour_roster_{signup['id']}")
    expect(row).to_contain_text("林阿姨")
    expect(row).to_contain_text("已报名")
    assert_fits_phone(page)
    shot(page, "4-roster")
    row.get_by_role("button", name="到场").tap()
    expect(main(page).get_by_text(re.compile(r"^已登记 .*林阿姨 到场。$"))).to_be_visible()
    wait_ready(page)
    expect(row).to_contain_text("到场 +7 积分")
    expect(row.get_by_role("button")).to_have_count(0)
    assert status_of(server, signup["id"]) == "attended"
    db = open_db(server.data_dir / "portal.db", migrate=False)
    try:
        assert ledger.balance(db, resident.id) == before + 7
    finally:
        db.close()
    assert_fits_phone(page)
    shot(page, "5-attended")
