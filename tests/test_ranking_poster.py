"""The month's A4 poster (lib/ranking/poster.py): a PDF that opens, says it in Chinese, holds the
red-flag building large, the table with stars, and a QR that leads to /ranking."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from lib.core.fonts import _has_chinese
from lib.core.sheets import PAGE_SIZE
from lib.ranking import board, poster
from lib.ranking.months import Month, get_month
from tests.crowdfund_helpers import make_project
from tests.ranking_helpers import add_building, publish_raw


URL = "https://portal.example/ranking"


@pytest.fixture
def drawn(monkeypatch):
    """Every text drawn on the poster's pages, with the font it was drawn in."""
    seen: list[tuple[str, object]] = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, **kwargs):
        seen.append((text, kwargs.get("font")))
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    return seen


@pytest.fixture
def october(db):
    codes = ("1-1", "2-1", "4-1")
    places = {code: add_building(db, code, None, households=4) for code in codes}
    publish_raw(db, "2026-10", {places["1-1"]: 850, places["2-1"]: 610, places["4-1"]: 905},
                corrected={places["2-1"]})
    return places


def first_page(pdf: bytes) -> Image.Image:
    start = pdf.index(b"\xff\xd8")  # Pillow writes each page as one JPEG stream
    return Image.open(io.BytesIO(pdf[start:pdf.index(b"\xff\xd9", start) + 2]))


def test_the_poster_pdf_opens_as_one_a4_page_with_the_qr_to_the_ranking(db, october):
    pdf = poster.poster_pdf(db, "2026-10", URL)
    assert pdf.startswith(b"%PDF")
    page = first_page(pdf)
    assert page.size == PAGE_SIZE == (1240, 1754)
    assert [code.text for code in zxingcpp.read_barcodes(page.convert("RGB"))] == [URL]


def test_the_poster_says_it_in_chinese_with_the_flag_holder_and_every_row(db, october, drawn):
    poster.poster_pdf(db, "2026-10", URL)
    texts = [text for text, _ in drawn]
    for wanted in ("星级楼栋评比", "流动红旗", "4栋1单元（4-1）", "★★★★★  90.5 分",
                   "1栋1单元（1-1）", "★★★★☆", "85.0", "2栋1单元（2-1）", "★★☆☆☆", "61.0",
                   "已更正", "扫码查看各楼栋走势"):
        assert wanted in texts, wanted
    assert any(text.startswith("2026年10月 · ") for text in texts)
    assert all(_has_chinese(font) for text, font in drawn if font is not None)
    flag_size = next(font.size for text, font in drawn if text == "4栋1单元（4-1）")
    row_size = next(font.size for text, font in drawn if text == "1栋1单元（1-1）")
    assert flag_size >= 2 * row_size  # the red-flag building is big


def test_the_reward_is_printed_either_way_with_its_note(db, october, make_user, drawn):
    db.execute("UPDATE ranking_months SET reward_kind = 'points', reward_points = 20,"
               " reward_note = '感谢全楼' WHERE month = '2026-10'")
    db.conn.commit()
    assert poster.reward_line(db, get_month(db, "2026-10")) == \
        "流动红旗楼栋 4-1 的住户每人获得 20 积分。（感谢全楼）"
    poster.poster_pdf(db, "2026-10", URL)
    assert "流动红旗楼栋 4-1 的住户每人获得 20 积分。（感谢全楼）" in [text for text, _ in drawn]
    project = make_project(db, created_by=make_user("staff").id, place_id=october["1-1"],
                           title="车棚地面硬化")
    db.execute("UPDATE ranking_months SET reward_kind = 'project', reward_fen = 50000,"
               " reward_project_id = ?, reward_note = '' WHERE month = '2026-10'", (project["id"],))
    db.conn.commit()
    assert poster.reward_line(db, get_month(db, "2026-10")) == \
        "奖励金 500.00 元已投入众筹项目“车棚地面硬化”。"
    assert poster.reward_line(db, Month(month="2026-09", status="published",
                                        reward_note="无")) == ""


def test_three_hundred_buildings_run_over_numbered_pages(db):
    places = [add_building(db, f"{number // 2 + 1}-{number % 2 + 1}", None)
              for number in range(300)]
    publish_raw(db, "2026-10", {place: 400 + index for index, place in enumerate(places)})
    pages = poster.poster_pages(get_month(db, "2026-10"), board.standings(db, "2026-10"), URL,
                                "测试社区", "2026-11-23 10:00")
    assert 5 <= len(pages) <= 12
    assert [code.text for code in zxingcpp.read_barcodes(pages[0].convert("RGB"))] == [URL]
    assert zxingcpp.read_barcodes(pages[1].convert("RGB")) == []


def test_a_month_without_results_still_prints_a_sheet(db, drawn):
    pages = poster.poster_pages(Month(month="2026-10", status="draft"), [], URL, "测试社区", "今天")
    assert len(pages) == 1
    assert "本月暂无公布的结果" in [text for text, _ in drawn]
