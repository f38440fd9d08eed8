"""一户一票 in real Chromium at phone size, by taps: staff open a vote; two members of one
household vote from two phones and only one choice counts, both seeing "你家已投…"; staff type a
paper ballot for another household and one for the household that voted online (recorded, not
counted: the page warns, the count is unchanged); a tap after closing is refused."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_report_journeys import fits_phone, log_in, main, query, tap, tap_menu


SHOTS = Path("/tmp/shots")
TOPIC = "小区大门加装雨棚"
PLAN = "大门雨棚方案"
QUESTION = "是否同意在大门加装钢结构雨棚？"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"council-vote-{name}.png"), full_page=True)


def seed_topic_and_plan(db_path: Path) -> None:
    """Setup, not the journey: a sorted topic with a 待表决 plan written into the server's
    database file (the topic and meeting journeys tap these in; this one starts at the vote)."""
    with sqlite3.connect(db_path) as db:
        staff = db.execute("SELECT id FROM users WHERE username = 'staff'").fetchone()[0]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        topic = db.execute(
            "INSERT INTO council_topics (title, body, box, submission_key, created_at, updated_at)"
            " VALUES (?, '下雨天进出大门没有地方避雨。', 'urgent_important', 'journey:topic', ?, ?)",
            (TOPIC, now, now)).lastrowid
        db.execute("INSERT INTO council_plans (topic_id, title, body, cost_fen, status, created_by,"
                   " created_at, updated_at) VALUES (?, ?, '在大门内侧加装钢结构雨棚。', 1200000,"
                   " 'draft', ?, ?, ?)", (topic, PLAN, staff, now, now))


def open_vote_tab(page) -> None:
    """议事 in the menu, the topic's card in 紧急且重要, then its 表决 tab."""
    tap_menu(page, "council")
    if not main(page).get_by_role("heading", name="议事", exact=True).is_visible():
        tap_menu(page, "council")  # a tap that landed while the menu was still sliding in
    expect(main(page).get_by_role("heading", name="议事", exact=True)).to_be_visible(timeout=20_000)
    tap(main(page).get_by_role("button", name=TOPIC), page)
    expect(main(page).get_by_role("heading", name=TOPIC)).to_be_visible()
    tap(main(page).get_by_role("tab", name="表决"), page)
    expect(main(page).get_by_text(QUESTION)).to_be_visible()


def choose(page, radio_label: str, option: str) -> None:
    radio = main(page).get_by_test_id("stRadio").filter(has_text=radio_label)
    radio.get_by_text(option, exact=True).click()


def pick(page, combobox: str, option: str) -> None:
    box = main(page).get_by_role("combobox", name=combobox)
    box.click()
    box.press_sequentially(option)  # typing narrows the list, as on a phone's keyboard
    wanted = page.get_by_role("option", name=option, exact=True)
    wanted.wait_for()
    wanted.click()
    expect(box).to_have_value(option)


def household_choices(db_path: Path, room: str) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT o.label, c.channel FROM council_choices c"
            " JOIN council_vote_options o ON o.id = c.option_id"
            " JOIN households h ON h.id = c.household_id JOIN places p ON p.id = h.place_id"
            " WHERE p.code = '1-1' AND h.room = ?", (room,)).fetchall()


def counts(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT o.label, COUNT(c.household_id) FROM council_vote_options o"
                          " LEFT JOIN council_choices c ON c.option_id = o.id"
                          " GROUP BY o.id ORDER BY o.position").fetchall()


def paper(page, room: str, option: str, signed: str) -> None:
    """录入纸质选票 for 1-1 ``room`` (the form is on 管理 › 议事 › 投票, already open)."""
    building = main(page).get_by_role("combobox", name="楼栋")
    if building.input_value() != "1栋1单元":  # the building stays picked for the next door
        pick(page, "楼栋", "1栋1单元")
    main(page).get_by_role("textbox", name="房号").fill(room)
    choose(page, "选票上的选择", option)
    main(page).get_by_role("textbox", name="签名人").fill(signed)
    tap(main(page).get_by_role("button", name="录入纸质选票"), page)


def test_two_members_of_one_home_count_once_and_paper_never_counts_twice(server, phones):
    db_path = server.data_dir / "portal.db"
    office = phones().new_page()
    log_in(office, server.url, "staff")  # the first visit also creates the demo community
    seed_topic_and_plan(db_path)

    # staff open the vote: 管理 › 议事 › 投票 › 发起表决
    tap_menu(office, "admin-council")
    tap(main(office).get_by_role("tab", name="投票"), office)
    tap(main(office).get_by_text("发起表决").first, office)
    main(office).get_by_role("textbox", name="表决事项").fill(QUESTION)
    tap(main(office).get_by_role("button", name="发起表决"), office)
    expect(main(office).get_by_text("已发起表决，住户可以在议题的“表决”页投票。")).to_be_visible()
    assert query(db_path, "SELECT status FROM council_plans WHERE title = ?", (PLAN,)) == (
        "voting",)
    fits_phone(office)
    shot(office, "admin-opened")

    # 林阿姨 (resident) and 林叔叔 (resident2) live in 1-1 302, each with a phone
    aunt = phones().new_page()
    log_in(aunt, server.url, "resident")
    open_vote_tab(aunt)
    uncle = phones().new_page()
    log_in(uncle, server.url, "resident2")
    open_vote_tab(uncle)  # both forms are open before either votes
    shot(aunt, "before")

    choose(aunt, "你家的选择", "同意")
    tap(main(aunt).get_by_role("button", name="投票"), aunt)
    expect(main(aunt).get_by_text("已投票：同意（首次投票）。")).to_be_visible()
    expect(main(aunt).get_by_text(re.compile("^你家已投：同意（线上，居民 林阿姨"))).to_be_visible()
    shot(aunt, "voted")

    choose(uncle, "你家的选择", "不同意")  # his page still says 投票: he has not reloaded
    tap(main(uncle).get_by_role("button", name="投票"), uncle)
    expect(main(uncle).get_by_text("已改票：不同意（改票，以最后一次为准）。")).to_be_visible()
    expect(main(uncle).get_by_text(re.compile("^你家已投：不同意（线上，居民 林叔叔"))).to_be_visible()
    fits_phone(uncle)
    shot(uncle, "changed")
    assert household_choices(db_path, "302") == [("不同意", "online")]  # one choice counts
    assert counts(db_path) == [("同意", 0), ("不同意", 1), ("弃权", 0)]

    tap(main(aunt).get_by_role("tab", name="议题"), aunt)  # she looks again later
    tap(main(aunt).get_by_role("tab", name="表决"), aunt)
    expect(main(aunt).get_by_text(re.compile("^你家已投：不同意（线上，居民 林叔叔"))).to_be_visible()
    expect(main(aunt).get_by_role("button", name="改票")).to_be_visible()
    expect(main(aunt).get_by_text("不同意：1户（100.0%）")).to_be_visible()

    # staff type two paper ballots: 1-1 101 counts; 1-1 302 voted online, so it does not
    tap(main(office).get_by_role("tab", name="议题"), office)
    tap(main(office).get_by_role("tab", name="投票"), office)
    paper(office, "101", "同意", "王秀兰")
    expect(main(office).get_by_text("已录入1栋1单元101的纸质选票：同意，已计入。")).to_be_visible()
    assert household_choices(db_path, "101") == [("同意", "paper")]
    before = counts(db_path)
    assert before == [("同意", 1), ("不同意", 1), ("弃权", 0)]
    paper(office, "302", "同意", "林阿姨")
    expect(main(office).get_by_text(
        "1栋1单元302：该户已在线投票，纸质票不计入。这张纸质选票已记录在案，计票不变。")).to_be_visible()
    assert counts(db_path) == before  # the tally is unchanged
    assert household_choices(db_path, "302") == [("不同意", "online")]
    assert query(db_path, "SELECT COUNT(*), SUM(counted) FROM council_ballots") == (4, 3)
    expect(main(office).get_by_text("共 4 张选票，计入 2 户（线上 1、纸质 1）。")).to_be_visible()
    expect(main(office).get_by_test_id("stDataFrame")).to_be_visible()
    fits_phone(office)
    shot(office, "admin-paper")

    # time passes: the vote closes (written into the server's database file), and a late tap
    # on a page still showing the form is refused with the count unchanged
    with sqlite3.connect(db_path) as db:
        now = datetime.now(timezone.utc)  # the vote opened a minute ago: say it was a week
        db.execute("UPDATE council_votes SET opens_at = ?, closes_at = ?",
                   ((now - timedelta(days=7)).isoformat(timespec="seconds"),
                    (now - timedelta(seconds=1)).isoformat(timespec="seconds")))
    choose(aunt, "你家的选择", "同意")
    tap(main(aunt).get_by_role("button", name="改票"), aunt)
    expect(main(aunt).get_by_text(re.compile("截止，不能再投票或改票"))).to_be_visible()
    assert counts(db_path) == before
    shot(aunt, "closed-refused")
    tap(main(aunt).get_by_role("tab", name="议题"), aunt)
    tap(main(aunt).get_by_role("tab", name="表决"), aunt)
    expect(main(aunt).get_by_role("button", name="改票")).to_have_count(0)
    expect(main(aunt).get_by_text(re.compile("计票结果（按规则）"))).to_be_visible()
    fits_phone(aunt)
    shot(aunt, "closed")
    chart = main(aunt).get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    tap(main(aunt).get_by_text("各楼栋投票率"), aunt)
    # each building's turnout: one table (a canvas grid), beside its chart
    expect(main(aunt).get_by_test_id("stExpander").get_by_test_id("stDataFrame")).to_be_visible()
    expect(main(aunt).get_by_test_id("stExpander").get_by_test_id("stVegaLiteChart")
           ).to_be_visible()
    fits_phone(aunt)
    shot(aunt, "count")
