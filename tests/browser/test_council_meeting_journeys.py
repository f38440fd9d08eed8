"""议事's meetings in real Chromium at phone size, by taps: a resident proposes a topic, staff
schedule a meeting for it (a refusal first), record its plan and its minutes with a photo, and
the resident reaches the meeting's page from /council by tapping the topic and its 方案 tab."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import settle
from tests.browser.test_report_journeys import (
    fits_phone, log_in, main, query, scan, tap, tap_menu,
)


HERE = Path(__file__).parent
SHOTS = Path("/tmp/shots")
TOPIC = "东门加装雨棚"
MEETING = "11月院落议事会"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"council-meeting-{name}.png"), full_page=True)


def shanghai_today() -> str:
    return datetime.now(timezone(timedelta(hours=8))).date().isoformat()


def form(page, button: str):
    """The form whose submit button reads ``button``."""
    return main(page).locator("[data-testid='stForm']").filter(
        has=page.get_by_role("button", name=button, exact=True))


def resident_proposes(page, base_url: str) -> None:
    log_in(page, base_url, "resident")
    tap_menu(page, "council")
    tap(main(page).get_by_text("我要提议题"), page)
    propose = form(page, "提交议题")
    propose.get_by_role("textbox", name="议题标题").fill(TOPIC)
    propose.get_by_role("textbox", name="议题说明").fill("下雨天东门进出没有地方避雨，老人容易滑倒。")
    tap(propose.get_by_role("button", name="提交议题"), page)
    expect(main(page).locator("h1").first).to_have_text(TOPIC)  # its page opens


def staff_open_meetings(page, base_url: str) -> None:
    log_in(page, base_url, "staff")
    tap_menu(page, "admin-council")
    tap(main(page).get_by_role("tab", name="会议"), page)


def fill_meeting(page, *, venue: str) -> None:
    new = form(page, "安排会议")
    new.get_by_role("textbox", name="会议名称").fill(MEETING)
    # a phone gets the browser's own date picker: its <input type="date"> takes the day
    day = new.get_by_test_id("stDateInput").locator("input")
    day.fill(shanghai_today())
    expect(day).to_have_value(shanghai_today())
    new.get_by_role("textbox", name="会议地点").fill(venue)
    new.get_by_role("textbox", name="参会人员").fill("居民代表、楼栋长、物业、社区工作人员")
    new.get_by_role("combobox", name="议程（要讨论的议题）").tap()
    page.get_by_role("option", name=f"{TOPIC}（待分类）").tap()
    page.keyboard.press("Escape")


def test_staff_hold_a_meeting_and_a_resident_taps_through_to_it(server, phones):
    db_path = server.data_dir / "portal.db"
    resident = phones().new_page()
    resident_proposes(resident, server.url)
    topic_id = query(db_path, "SELECT id FROM council_topics WHERE title = ?", (TOPIC,))[0]

    staff = phones().new_page()
    staff_open_meetings(staff, server.url)
    fill_meeting(staff, venue="")
    tap(form(staff, "安排会议").get_by_role("button", name="安排会议"), staff)
    expect(main(staff).get_by_text("会议地点：请填写会议地点")).to_be_visible()
    assert query(db_path, "SELECT COUNT(*) FROM council_meetings") == (0,)
    shot(staff, "refused")

    form(staff, "安排会议").get_by_role("textbox", name="会议地点").fill("社区活动室")
    tap(form(staff, "安排会议").get_by_role("button", name="安排会议"), staff)
    expect(main(staff).get_by_text("会议已安排，居民可以在议事页看到。")).to_be_visible()
    meeting_id, held_on = query(db_path, "SELECT id, held_on FROM council_meetings")
    assert held_on == shanghai_today()
    assert query(db_path, "SELECT topic_id FROM council_agenda WHERE meeting_id = ?",
                 (meeting_id,)) == (topic_id,)
    fits_phone(staff)
    shot(staff, "scheduled")

    tap(main(staff).get_by_text("记录这个议题的方案"), staff)
    plan = form(staff, "记录方案（待表决）")
    plan.get_by_role("textbox", name="方案名称").fill("东门内侧加装钢结构雨棚")
    plan.get_by_role("textbox", name="讨论过的方案").fill("方案一：钢结构雨棚；方案二：可伸缩遮阳篷。")
    plan.get_by_role("textbox", name="议定的方案").fill("东门内侧加装长 6 米的钢结构雨棚。")
    plan.get_by_role("textbox", name="预计费用（元，不需要花钱填 0）").fill("12000")
    plan.get_by_role("textbox", name="分工（谁做什么）").fill("物业负责施工，楼栋长监督，居民代表验收。")
    plan.get_by_role("textbox", name="负责人").fill("物业公司")
    tap(plan.get_by_role("button", name="记录方案（待表决）"), staff)
    expect(main(staff).get_by_text("已记录方案：东门内侧加装钢结构雨棚。")).to_be_visible()
    assert query(db_path, "SELECT title, cost_fen, status, meeting_id FROM council_plans") == (
        "东门内侧加装钢结构雨棚", 1_200_000, "draft", meeting_id)

    minutes = form(staff, "保存纪要（会议记为已召开）")
    minutes.get_by_role("textbox", name="会议纪要").fill("到会 23 人。\n议定东门加装雨棚，费用由众筹解决。")
    minutes.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(HERE / "after.jpg")
    expect(minutes.get_by_text("after.jpg")).to_be_visible()
    settle(staff, quiet_ms=400)
    tap(minutes.get_by_role("button", name="保存纪要（会议记为已召开）"), staff)
    expect(main(staff).get_by_text("会议纪要已保存并公开，会议记为已召开。")).to_be_visible()
    expect(form(staff, "保存纪要修改").get_by_text("after.jpg")).to_have_count(0)  # not twice
    assert query(db_path, "SELECT status FROM council_meetings WHERE id = ?", (meeting_id,)) == (
        "held",)
    assert query(db_path, "SELECT COUNT(*) FROM council_photos WHERE kind = 'minutes'"
                          " AND owner_id = ?", (meeting_id,)) == (1,)
    fits_phone(staff)
    shot(staff, "admin-held")

    # the resident, later, from the gate's code and /council: the topic's card, its 方案 tab,
    # the meeting
    scan(resident, server.url)
    tap_menu(resident, "council")
    tap(main(resident).get_by_role("button", name=TOPIC).first, resident)
    tap(main(resident).get_by_role("tab", name="方案"), resident)
    expect(main(resident).get_by_text("东门内侧加装钢结构雨棚")).to_be_visible()
    fits_phone(resident)
    shot(resident, "topic-tab")
    tap(main(resident).get_by_role("button", name=MEETING, exact=True), resident)
    assert f"m={meeting_id}" in resident.url, resident.url
    expect(main(resident).locator("h1").first).to_have_text(MEETING)
    expect(main(resident).get_by_text("议定东门加装雨棚，费用由众筹解决。")).to_be_visible()
    expect(main(resident).get_by_text("12,000.00 元")).to_be_visible()
    expect(main(resident).get_by_test_id("stImage")).to_have_count(1)
    fits_phone(resident)
    main(resident).locator("h1").first.scroll_into_view_if_needed()
    shot(resident, "page")
    main(resident).get_by_text("负责人").last.scroll_into_view_if_needed()
    shot(resident, "page-plan")

    # and back to the topic from the meeting's agenda
    tap(main(resident).get_by_role("button", name=f"1. {TOPIC}"), resident)
    assert f"t={topic_id}" in resident.url and "m=" not in resident.url, resident.url

    # the board lists the meeting too (held today: the last one held), a tap away
    tap(main(resident).get_by_role("button", name="← 议事首页"), resident)
    listed = main(resident).locator(".st-key-council_board_meetings")
    listed.scroll_into_view_if_needed()
    expect(listed.get_by_text("已召开 · ")).to_be_visible()
    fits_phone(resident)
    shot(resident, "board")
    tap(listed.get_by_role("button", name=MEETING, exact=True), resident)
    expect(main(resident).locator("h1").first).to_have_text(MEETING)
