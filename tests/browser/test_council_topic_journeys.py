"""议事's topics in real Chromium at phone size, by taps: residents propose (with a photo) and
support, staff sort a topic into a box and turn a 随手拍 into a topic; guests and unverified
accounts are told what to do."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from tests.browser.test_report_journeys import (
    HERE, file_report, fits_phone, log_in, main, query, scan, scan_to_report, settle, tap,
    tap_menu,
)


SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"council-{name}.png"), full_page=True)


def propose(page, title: str, body: str, *, photo: Path | None = None) -> None:
    """On the 议事 board already open: open 我要提议题, fill it in and submit."""
    tap(main(page).get_by_text("我要提议题"), page)
    if photo is not None:
        main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
        main(page).get_by_text(photo.name).wait_for()
        settle(page, quiet_ms=400)
    main(page).get_by_role("textbox", name="议题标题").fill(title)
    main(page).get_by_role("textbox", name="议题说明").fill(body)
    fits_phone(page)
    shot(page, "propose-form" if photo is None else "propose-form-photo")
    tap(main(page).get_by_role("button", name="提交议题"), page)
    expect(main(page).get_by_role("heading", name=title)).to_be_visible(timeout=20_000)
    expect(main(page).get_by_text("议题已提交")).to_be_visible()
    fits_phone(page)


def pick(page, holder, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox ``label`` inside ``holder``; a late rerun may close
    the list, so open it again."""
    settle(page, quiet_ms=800)
    combobox = holder.get_by_role("combobox", name=label)
    for _ in range(3):
        combobox.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=3_000)
            choice.click()
            break
        except PlaywrightTimeout:
            continue
    settle(page, quiet_ms=400)


def topic_id(db_path, title: str) -> int:
    return query(db_path, "SELECT id FROM council_topics WHERE title = ?", (title,))[0]


def test_residents_propose_and_support_and_staff_sort_a_topic_by_taps(server, phones):
    db_path = server.data_dir / "portal.db"
    neighbour = phones().new_page()
    log_in(neighbour, server.url, "zhangwei")
    tap_menu(neighbour, "council")
    propose(neighbour, "车棚加装充电桩", "电动车在楼道充电很危险，希望车棚装充电桩。")
    charger = topic_id(db_path, "车棚加装充电桩")

    page = phones().new_page()
    log_in(page, server.url, "resident")  # scans the gate's code /?b=1-1 first
    tap_menu(page, "council")
    expect(main(page).get_by_role("heading", name="议事", exact=True)).to_be_visible()
    for box in ("紧急且重要（0）", "目前需要关注（0）", "重要但需要时间（0）", "已协商解决（0）",
                "新提出的议题（1）"):
        expect(main(page).get_by_role("heading", name=box)).to_be_visible()
    fits_phone(page)
    shot(page, "board")

    propose(page, "大门加装雨棚", "下雨天进出大门没有地方避雨，老人带孩子很不方便。",
            photo=HERE / "before.jpg")
    assert "t=" in page.url, page.url
    gate = topic_id(db_path, "大门加装雨棚")
    photo, place = query(db_path, "SELECT photo, p.code FROM council_topics t"
                                  " LEFT JOIN places p ON p.id = t.place_id WHERE t.id = ?", (gate,))
    assert photo and place == "1-1"  # the scanned building is preselected
    expect(main(page).get_by_test_id("stImage")).to_be_visible()
    shot(page, "proposed")

    tap(main(page).get_by_role("button", name="← 议事首页"), page)
    assert "t=" not in page.url
    tap(main(page).get_by_role("button", name="车棚加装充电桩"), page)
    expect(main(page).get_by_role("heading", name="车棚加装充电桩")).to_be_visible()
    tap(main(page).get_by_role("button", name="支持这个议题（已有 0 人支持）"), page)
    expect(main(page).get_by_text("你已支持这个议题。")).to_be_visible()
    assert query(db_path, "SELECT COUNT(*) FROM council_support WHERE topic_id = ?",
                 (charger,)) == (1,)
    fits_phone(page)
    shot(page, "supported")

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "admin-council")
    expect(main(staff).get_by_role("heading", name="议题分类")).to_be_visible()
    card = main(staff).locator(f".st-key-admin_council_topic_{charger}")
    pick(staff, card, "放入", "紧急且重要")
    card.get_by_role("textbox").fill("楼道充电有火灾隐患")
    tap(card.get_by_role("button", name="保存分类"), staff)
    expect(main(staff).get_by_text("“车棚加装充电桩”已放入“紧急且重要”。")).to_be_visible()
    assert query(db_path, "SELECT box, box_note FROM council_topics WHERE id = ?",
                 (charger,)) == ("urgent_important", "楼道充电有火灾隐患")
    fits_phone(staff)
    shot(staff, "admin-sorted")

    tap(main(page).get_by_role("button", name="← 议事首页"), page)  # the resident, still on it
    expect(main(page).get_by_role("heading", name="紧急且重要（1）")).to_be_visible()
    expect(main(page).get_by_role("heading", name="新提出的议题（1）")).to_be_visible()
    shot(page, "board-sorted")


def test_staff_turn_a_report_into_a_topic_and_newcomers_are_told_what_to_do(server, phones):
    db_path = server.data_dir / "portal.db"
    guest = phones().new_page()
    scan_to_report(guest, server.url)
    file_report(guest, "小区东门路灯坏了，晚上很黑。")
    report = query(db_path, "SELECT MAX(id) FROM reports")[0]
    tap_menu(guest, "council")
    tap(main(guest).get_by_text("我要提议题"), guest)
    expect(main(guest).get_by_text("登录并核实住户后，可以提出议题。")).to_be_visible()
    expect(main(guest).get_by_role("button", name="登录后提议题")).to_be_visible()
    shot(guest, "guest")

    staff = phones().new_page()
    log_in(staff, server.url, "staff")
    tap_menu(staff, "admin-council")
    expect(main(staff).get_by_role("heading", name="随手拍转议题")).to_be_visible()
    main(staff).get_by_role("textbox", name="议题标题（不填则用类别和地点）").fill("东门路灯")
    tap(main(staff).get_by_role("button", name="转为议题"), staff)
    expect(main(staff).get_by_text(f"随手拍 #{report} 已转为议题“东门路灯”")).to_be_visible()
    assert query(db_path, "SELECT title, body, photo IS NOT NULL FROM council_topics"
                          " WHERE report_id = ?", (report,)) == ("东门路灯", "小区东门路灯坏了，晚上很黑。", 1)
    fits_phone(staff)
    shot(staff, "admin-from-report")

    newcomer = phones().new_page()
    log_in(newcomer, server.url, "newcomer")
    tap_menu(newcomer, "council")
    tap(main(newcomer).get_by_role("button", name="东门路灯"), newcomer)
    expect(main(newcomer).get_by_text("随手拍转入", exact=False)).to_be_visible()
    expect(main(newcomer).get_by_text("住户核实后才能参与议事")).to_be_visible()
    expect(main(newcomer).get_by_role("button", name="支持这个议题（已有 0 人支持）")).to_have_count(0)
    fits_phone(newcomer)
    shot(newcomer, "unverified-topic")
    scan(newcomer, server.url)  # leaving by the gate's code again works as ever
