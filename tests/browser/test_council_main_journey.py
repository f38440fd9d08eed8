"""The main journey of 议事 (issue 12's "Done when"), by taps at phone size (390x844).

Staff open a vote on a plan; 林阿姨 and 林叔叔 of one household (1-1 302) vote from two phones and
only their household's last choice counts; staff type a paper ballot for another household
(1-1 101); the vote closes (time passes); staff publish the result on 管理 › 议事 › 公示与落实, post
a progress update with a photo and mark the plan carried out; 林阿姨 reads the 公示 and rates the
result in the topic's 落实 tab.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import settle
from tests.browser.test_report_journeys import fits_phone, log_in, main, query, tap, tap_menu


SHOTS = Path("/tmp/shots")
HERE = Path(__file__).resolve().parent
TOPIC = "小区大门加装雨棚"
PLAN = "大门雨棚方案"
QUESTION = "是否同意在大门加装钢结构雨棚？"


def seed_topic_and_plan(db_path: Path) -> None:
    """Setup, not the journey: a sorted topic with a 待表决 plan written into the server's
    database file (the topic and meeting journeys tap these in; this one starts at the vote)."""
    with sqlite3.connect(db_path) as db:
        staff = db.execute("SELECT id FROM users WHERE username = 'staff'").fetchone()[0]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        topic = db.execute(
            "INSERT INTO council_topics (title, body, box, submission_key, created_at, updated_at)"
            " VALUES (?, '下雨天进出大门没有地方避雨。', 'urgent_important', 'main:topic', ?, ?)",
            (TOPIC, now, now)).lastrowid
        db.execute("INSERT INTO council_plans (topic_id, title, body, cost_fen, status, created_by,"
                   " created_at, updated_at) VALUES (?, ?, '在大门内侧加装钢结构雨棚。', 1200000,"
                   " 'draft', ?, ?, ?)", (topic, PLAN, staff, now, now))


def household_choices(db_path: Path, room: str) -> list[tuple]:
    """(option, channel) counted for 1-1 ``room``."""
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT o.label, c.channel FROM council_choices c"
            " JOIN council_vote_options o ON o.id = c.option_id"
            " JOIN households h ON h.id = c.household_id JOIN places p ON p.id = h.place_id"
            " WHERE p.code = '1-1' AND h.room = ?", (room,)).fetchall()


def counts(db_path: Path) -> list[tuple]:
    """(option, households counted) in the options' order."""
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT o.label, COUNT(c.household_id) FROM council_vote_options o"
                          " LEFT JOIN council_choices c ON c.option_id = o.id"
                          " GROUP BY o.id ORDER BY o.position").fetchall()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"council-main-{name}.png"), full_page=True)


def choose(page, radio_label: str, option: str) -> None:
    radio = main(page).get_by_test_id("stRadio").filter(has_text=radio_label)
    radio.get_by_text(option, exact=True).click()


def open_vote_tab(page) -> None:
    """议事 in the menu, the topic's card in 紧急且重要, then its 表决 tab."""
    open_topic_tab(page, "表决")
    expect(main(page).get_by_text(QUESTION)).to_be_visible()


def paper(page, room: str, option: str, signed: str) -> None:
    """录入纸质选票 for 1-1 ``room`` on 管理 › 议事 › 投票 (already open)."""
    main(page).get_by_role("combobox", name="楼栋").click()
    page.get_by_role("option", name="1栋1单元", exact=True).click()
    settle(page, quiet_ms=400)
    main(page).get_by_role("textbox", name="房号").fill(room)
    choose(page, "选票上的选择", option)
    main(page).get_by_role("textbox", name="签名人").fill(signed)
    tap(main(page).get_by_role("button", name="录入纸质选票"), page)


def open_admin_tab(page, tab: str) -> None:
    tap_menu(page, "admin-council")
    tap(main(page).get_by_role("tab", name=tab), page)


def open_topic_tab(page, tab: str) -> None:
    """议事 in the menu, the topic's card, then one of its tabs."""
    tap_menu(page, "council")
    back = main(page).get_by_role("button", name="← 议事首页")
    if back.is_visible():  # the menu keeps the topic open that was open
        tap(back, page)
    tap(main(page).get_by_role("button", name=TOPIC), page)
    expect(main(page).get_by_role("heading", name=TOPIC)).to_be_visible()
    tap(main(page).get_by_role("tab", name=tab), page)


def test_one_household_counts_once_the_result_is_published_carried_out_and_rated(server, phones):
    db_path = server.data_dir / "portal.db"
    office = phones().new_page()
    log_in(office, server.url, "staff")  # the first visit also creates the demo community
    seed_topic_and_plan(db_path)  # setup: the topic and meeting journeys tap these in

    # staff open the vote: 管理 › 议事 › 投票 › 发起表决 (同意 / 不同意 / 弃权, quorum 1)
    open_admin_tab(office, "投票")
    tap(main(office).get_by_text("发起表决").first, office)
    main(office).get_by_role("textbox", name="表决事项").fill(QUESTION)
    tap(main(office).get_by_role("button", name="发起表决"), office)
    expect(main(office).get_by_text("已发起表决，住户可以在议题的“表决”页投票。")).to_be_visible()

    # 林阿姨 (resident) and 林叔叔 (resident2) of 1-1 302, each on their own phone
    aunt = phones().new_page()
    log_in(aunt, server.url, "resident")
    open_vote_tab(aunt)
    uncle = phones().new_page()
    log_in(uncle, server.url, "resident2")
    open_vote_tab(uncle)
    choose(aunt, "你家的选择", "不同意")
    tap(main(aunt).get_by_role("button", name="投票"), aunt)
    expect(main(aunt).get_by_text(re.compile("^你家已投：不同意（线上，居民 林阿姨"))).to_be_visible()
    choose(uncle, "你家的选择", "同意")  # the family talked it over: his tap is the last
    tap(main(uncle).get_by_role("button", name="投票"), uncle)
    expect(main(uncle).get_by_text(re.compile("^你家已投：同意（线上，居民 林叔叔"))).to_be_visible()
    fits_phone(uncle)
    shot(uncle, "1-household-voted")
    assert household_choices(db_path, "302") == [("同意", "online")]  # one choice counts
    assert counts(db_path) == [("同意", 1), ("不同意", 0), ("弃权", 0)]

    # staff type the paper ballot 王秀兰 signed at her door (1-1 101). The form's 收票时间 is to
    # the minute, so a ballot "collected" in the minute the vote opened reads as before it: on a
    # fast run, wait for that minute to end (door-to-door collecting takes longer than that).
    # Leaving the tab and coming back draws the form anew, its 收票时间 now.
    opened = datetime.fromisoformat(query(db_path, "SELECT opens_at FROM council_votes")[0])
    next_minute = opened.replace(second=0) + timedelta(minutes=1)
    wait = (next_minute - datetime.now(timezone.utc)).total_seconds()
    if wait > 0:
        office.wait_for_timeout(wait * 1000 + 500)
    tap(main(office).get_by_role("tab", name="议题"), office)
    tap(main(office).get_by_role("tab", name="投票"), office)
    paper(office, "101", "同意", "王秀兰")
    expect(main(office).get_by_text("已录入1栋1单元101的纸质选票：同意，已计入。")).to_be_visible()
    assert counts(db_path) == [("同意", 2), ("不同意", 0), ("弃权", 0)]
    shot(office, "2-paper")

    # time passes: the vote closes (written into the server's database file by the test, as
    # a week going by would); a second ago, after every ballot above and after it opened
    with sqlite3.connect(db_path) as db:
        closed = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="seconds")
        db.execute("UPDATE council_votes SET closes_at = ?", (closed,))

    # staff publish on 管理 › 议事 › 公示与落实: 公示结果 opens the confirmation
    open_admin_tab(office, "公示与落实")
    expect(main(office).get_by_role("heading", name="待公示的表决")).to_be_visible()
    expect(main(office).get_by_text(PLAN)).to_be_visible()
    fits_phone(office)
    shot(office, "3-awaiting")
    tap(main(office).get_by_role("button", name="公示结果"), office)
    tap(office.get_by_role("button", name="确认公示"), office)
    expect(main(office).get_by_text(f"已公示“{PLAN}”的表决结果：通过。")).to_be_visible()
    assert query(db_path, "SELECT status, outcome, notice_days FROM council_votes") == (
        "published", "passed", 7)
    assert query(db_path, "SELECT status FROM council_plans") == ("adopted",)

    # the plan is carried out: an update with a photo, then 标记落实完成
    expect(main(office).get_by_role("heading", name="方案落实")).to_be_visible()
    form = office.locator("[data-testid='stForm']").filter(has_text="进展情况")
    form.get_by_role("textbox", name="进展情况").fill("雨棚已安装完毕，验收合格。")
    form.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(HERE / "after.jpg"))
    form.get_by_text("after.jpg").wait_for()
    tap(form.get_by_role("button", name="发布进展"), office)
    expect(main(office).get_by_text("进展已发布，居民可以在议题的“落实”中看到。")).to_be_visible()
    assert query(db_path, "SELECT COUNT(*) FROM council_photos WHERE kind = 'update'") == (1,)
    fits_phone(office)
    shot(office, "4-tracking")
    tap(main(office).get_by_role("button", name="标记落实完成"), office)
    tap(office.get_by_role("button", name="确认完成"), office)
    expect(main(office).get_by_text(f"“{PLAN}”已落实完成，居民现在可以评价。")).to_be_visible()
    assert query(db_path, "SELECT status FROM council_plans") == ("done",)

    # 林阿姨 reads the 公示 and rates the result
    open_topic_tab(aunt, "公示")
    expect(main(aunt).get_by_test_id("stAlertContentSuccess")).to_have_text("表决结果：通过（同意）")
    expect(main(aunt).get_by_text(re.compile("参与 2 户（线上 1，纸质 1）"))).to_be_visible()
    fits_phone(aunt)
    shot(aunt, "5-published")
    tap(main(aunt).get_by_role("tab", name="落实"), aunt)
    expect(main(aunt).get_by_text("雨棚已安装完毕，验收合格。")).to_be_visible()
    rating = main(aunt).get_by_test_id("stRadio").filter(has_text="你对落实结果满意吗？")
    rating.get_by_text("满意", exact=True).click()
    main(aunt).get_by_role("textbox", name="说几句（可不填）").fill("下雨天不用淋雨了。")
    tap(main(aunt).get_by_role("button", name="提交评价"), aunt)
    expect(main(aunt).get_by_text("评价已提交，谢谢！一户一个评价，以最后一次为准。")).to_be_visible()
    expect(main(aunt).get_by_text(re.compile("满意 1 户、基本满意 0 户、不满意 0 户"))).to_be_visible()
    assert query(db_path, "SELECT COUNT(*), rating FROM council_ratings") == (1, "satisfied")
    fits_phone(aunt)
    shot(aunt, "6-rated")
