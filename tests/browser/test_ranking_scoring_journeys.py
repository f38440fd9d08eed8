"""楼栋评分 in real Chromium at phone size, moving by taps: a leader scores a month's draft.

The demo leader 老吴 logs in, opens 管理 › 楼栋评分 from the menu, taps the cells of 1-1 and
types its stars (and a note), taps 保存草稿, and after reloading the page finds them kept. A
bad cell (6 stars) and a half-filled row are refused with Chinese messages naming the building
and nothing is stored. (A leader outside their micro-grid is refused in lib: tests/test_ranking_
scoring.py; the table here offers only their own buildings.)

The table is a Glide data grid drawn on a canvas: a cell is tapped at its place on the canvas
(the column widths and row height are the page's own), then typed into as on a phone keyboard.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import expect

from lib.ranking import ui_scores
from tests.browser.conftest import PHONE_USER_AGENT, settle, wait_ready
from tests.browser.test_journeys import assert_fits_phone, log_in, main, tap_sidebar, title


PHONE_OPTIONS = {"user_agent": PHONE_USER_AGENT}  # the menu closes after a tap, as on a phone
SHOTS = Path("/tmp/shots")
# 楼栋 and the four star columns, as ui_scores draws them
WIDTHS = [ui_scores.CODE_WIDTH, *[ui_scores.STAR_WIDTH] * 4]


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ranking-scores-{name}.png"), full_page=True)


def rows_of(server, username: str) -> list[tuple]:
    """The user's ratings of the default month: (code, note, [stars in criterion order])."""
    with sqlite3.connect(server.data_dir / "portal.db") as connection:
        found = connection.execute(
            "SELECT p.code, r.note, group_concat(s.stars, ',') FROM ranking_ratings r"
            " JOIN places p ON p.id = r.place_id JOIN users u ON u.id = r.rater_id"
            " JOIN ranking_stars s ON s.rating_id = r.id"
            " WHERE u.username = ? GROUP BY r.id ORDER BY p.code", (username,)).fetchall()
    return [(code, note, stars) for code, note, stars in found]


def open_scores(page) -> None:
    tap_sidebar(page, "楼栋评分")
    expect(title(page)).to_have_text("楼栋评分")
    page.wait_for_url(re.compile(r"/admin-ranking-scores(\?|$)"))
    settle(page, quiet_ms=400)


def grid_cells(page) -> list[str]:
    cells = page.get_by_test_id("stDataFrame").locator("[role='gridcell']")
    cells.first.wait_for(state="attached")  # the grid draws after the script has finished
    return [cells.nth(n).inner_text() for n in range(cells.count())]


def type_cell(page, row: int, column: int, text: str) -> None:
    """Tap one cell of the score table and type into it, as a thumb and a phone keyboard do.

    A tap that lands while the grid is still settling selects nothing and the typing is lost
    (a person would see the empty cell and tap again): so does this, up to three times.
    """
    canvas = page.get_by_test_id("stDataFrame").locator("canvas").first
    for _ in range(3):
        cells = grid_cells(page)
        box = canvas.bounding_box()
        header = box["height"] - len(cells) // 6 * ui_scores.ROW_HEIGHT
        if column < len(WIDTHS):
            x = box["x"] + sum(WIDTHS[:column]) + WIDTHS[column] / 2
        else:  # 备注 takes what is left of the width
            x = box["x"] + sum(WIDTHS) + (box["width"] - sum(WIDTHS)) / 2
        y = box["y"] + header + row * ui_scores.ROW_HEIGHT + ui_scores.ROW_HEIGHT / 2
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(500)
        if not text.isascii():
            # a phone's IME sends no key presses: a second tap on the chosen cell opens its editor
            page.touchscreen.tap(x, y)
            page.locator("textarea.gdg-input").wait_for()
        page.keyboard.type(text)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        if grid_cells(page)[row * 6 + column] == text:
            return
    raise AssertionError(f"cell {row},{column} would not take {text!r}: {grid_cells(page)}")


def save(page) -> None:
    main(page).get_by_role("button", name="保存草稿").tap()
    wait_ready(page)
    settle(page, quiet_ms=400)
    assert_fits_phone(page)


def test_a_leader_scores_a_building_and_finds_it_kept_after_reloading(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "leader")
    open_scores(page)
    assert_fits_phone(page)
    assert grid_cells(page)[::6] == ["1-1", "1-2", "2-1", "2-2"]
    month = page.get_by_test_id("stSelectbox").inner_text()
    shot(page, "1-table")
    for column, stars in enumerate("4534", start=1):
        type_cell(page, 0, column, stars)
    type_cell(page, 0, 5, "楼道干净")
    assert grid_cells(page)[:6] == ["1-1", "4", "5", "3", "4", "楼道干净"]
    shot(page, "2-filled")
    save(page)
    saved = main(page).get_by_text(re.compile(r"^已保存\d{4}年\d{1,2}月的评分草稿：1 栋已评分。公布前都可以修改。$"))
    expect(saved).to_be_visible()
    shot(page, "3-saved")
    assert ("1-1", "楼道干净", "4,5,3,4") in rows_of(server, "leader")

    page.reload()
    wait_ready(page)
    settle(page, quiet_ms=400)
    expect(title(page)).to_have_text("楼栋评分")
    assert page.get_by_test_id("stSelectbox").inner_text() == month
    assert grid_cells(page)[:6] == ["1-1", "4", "5", "3", "4", "楼道干净"]
    expect(main(page).get_by_text(re.compile(r"您已评 1 栋"))).to_be_visible()
    shot(page, "4-reloaded")


def test_a_bad_cell_and_a_half_filled_row_are_refused_and_nothing_is_stored(server, phone):
    page = phone.new_page()
    log_in(page, server.url, "leader2")
    open_scores(page)
    assert grid_cells(page)[::6] == ["4-1", "4-2", "5-1", "5-2"]
    before = rows_of(server, "leader2")
    for column, stars in enumerate("4634", start=1):
        type_cell(page, 0, column, stars)
    save(page)
    error = main(page).get_by_test_id("stAlertContentError")
    expect(error).to_have_text("4-1：楼道整洁只能打 1-5 星（填 1 到 5 的整数）。")
    assert grid_cells(page)[:5] == ["4-1", "4", "6", "3", "4"]  # what was typed is kept to fix
    shot(page, "5-six-stars")
    assert rows_of(server, "leader2") == before

    type_cell(page, 0, 2, "5")
    type_cell(page, 1, 1, "3")  # 4-2 gets one star of four
    save(page)
    expect(error).to_have_text("4-2：还没给楼道整洁、车辆停放、邻里和睦打星；请每项都打星，或整行留空表示不评。")
    shot(page, "6-half-row")
    assert rows_of(server, "leader2") == before
