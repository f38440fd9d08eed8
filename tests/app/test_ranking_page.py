"""AppTest of 星级楼栋 (/ranking: a month, ?m=, ?b= a building's history, the poster) and
首页's red-flag section, for a guest and a resident; bad ?m= / ?b= get a Chinese message."""
from __future__ import annotations

import pyarrow
import pytest

from lib.core.db import scalar
from tests.app.conftest import login, texts
from tests.ranking_helpers import publish_raw


PAGE = "app_pages/ranking.py"


def place_id(db, code: str) -> int:
    return scalar(db, "SELECT id FROM places WHERE code = ?", (code,))


@pytest.fixture
def published(portal_db):
    """Three published months: 4-1 holds the flag in October (corrected), 1-1 before it; a
    November draft nobody may see."""
    one, two, four = (place_id(portal_db, code) for code in ("1-1", "2-1", "4-1"))
    publish_raw(portal_db, "2026-08", {one: 920, two: 700, four: 650})
    publish_raw(portal_db, "2026-09", {one: 880, two: 810, four: 790})
    publish_raw(portal_db, "2026-10", {one: 850, two: 610, four: 905}, corrected={four})
    portal_db.execute("UPDATE ranking_months SET corrected_at = '2026-11-03T02:00:00+00:00'"
                      " WHERE month = '2026-10'")
    portal_db.execute("INSERT INTO ranking_months (month, created_at) VALUES ('2026-11', 'now')")
    portal_db.conn.commit()
    return {"1-1": one, "2-1": two, "4-1": four}


def open_page(app, username=None, **params):
    """/ranking as a guest (None) or logged in, with ``params`` in its address."""
    at = login(app(), username) if username else app()
    at.query_params.update(params)
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def chart_values(at) -> list[list[dict]]:
    """Each chart's data rows (Streamlit sends a chart's data as Arrow beside its spec)."""
    return [pyarrow.ipc.open_stream(chart.proto.data.data).read_all().to_pylist()
            for chart in at.get("vega_lite_chart")]


def frames(at) -> list:
    return [frame.value for frame in at.dataframe]


def test_nothing_published_shows_an_empty_state(app, portal_db):
    at = open_page(app)
    assert texts(at.title) == ["星级楼栋"]
    assert texts(at.info) == ["还没有公布的评比结果。每月评比公布后，这里会显示各楼栋的星级和流动红旗。"]
    assert not at.get("vega_lite_chart")


@pytest.mark.parametrize("username", [None, "resident"])
def test_the_latest_published_month_shows_its_flag_chart_and_table(app, published, username):
    at = open_page(app, username)
    assert at.selectbox(key="ranking_month").value == "2026-10"
    assert at.selectbox(key="ranking_month").options == ["2026年10月", "2026年9月", "2026年8月"]
    flag = texts(at.markdown)
    assert "### 4栋1单元（4-1）" in flag
    assert "orange[★★★★★] **90.5** 分" in " ".join(flag)
    bars = chart_values(at)[0]
    assert [bar["楼栋"] for bar in bars] == ["1. 4栋1单元 ★★★★★", "2. 1栋1单元 ★★★★☆",
                                           "3. 2栋1单元 ★★☆☆☆"]
    assert [bar["红旗"] for bar in bars] == ["流动红旗", "", ""]
    table = frames(at)[0]
    assert list(table["名次"]) == [1, 2, 3]
    assert list(table["备注"]) == ["红旗·已更正", "", ""]
    assert list(table["楼栋"]) == ["4栋1单元", "1栋1单元", "2栋1单元"]
    assert list(table["得分"]) == ["90.5", "85.0", "61.0"]
    assert any("已更正" in caption for caption in texts(at.caption))
    assert "评分标准：环境卫生 70%、参与度 30%（每颗星 20 分；参与度按户均志愿服务、出工和随手拍计算）" \
        in texts(at.caption)
    assert not [caption for caption in texts(at.caption) if "缺少" in caption]
    history = frames(at)[1]
    assert list(history["楼栋"]) == ["4栋1单元", "1栋1单元", "1栋1单元"]


def test_m_in_the_url_picks_the_month_and_choosing_one_writes_it_there(app, published):
    at = open_page(app, m="2026-08")
    assert chart_values(at)[0][0]["楼栋"] == "1. 1栋1单元 ★★★★★"
    at.selectbox(key="ranking_month").select("2026-09").run()
    assert not at.exception
    assert at.query_params["m"] == "2026-09"
    assert list(frames(at)[0]["得分"]) == ["88.0", "81.0", "79.0"]


@pytest.mark.parametrize("params, message", [
    ({"m": "abc"}, "“abc”：月份格式应为 2026-10 这样的年-月。下面是最新公布的月份。"),
    ({"m": "2031-01"}, "“2031-01”：不能评比未来的月份。下面是最新公布的月份。"),
    ({"m": "2020-01"}, "2020年1月的评比还没有公布，下面是最新公布的月份。"),
    ({"m": "2026-11"}, "2026年11月的评比还没有公布，下面是最新公布的月份。"),  # the draft
    ({"b": "99-9"}, "没有找到编号为“99-9”的楼栋，下面是全部楼栋的排名。"),
    ({"b": "<b>" * 10}, "没有找到编号为“<b><b><b><b><b><b><b…”的楼栋，下面是全部楼栋的排名。"),
])
def test_a_bad_month_or_building_in_the_url_says_so_in_chinese_and_shows_the_latest(
        app, published, params, message):
    at = open_page(app, **params)
    assert texts(at.warning) == [message]
    assert not [warning for warning in at.warning if "<b>" in warning.value]  # shown as text
    assert at.selectbox(key="ranking_month").value == "2026-10"


def test_a_buildings_qr_opens_its_history(app, published):
    at = open_page(app, b="4-1")
    assert "4栋1单元（4-1）" in texts(at.subheader)
    points = chart_values(at)[0]
    assert [(point["月份"], point["名次"], point["得分"]) for point in points] == [
        ("26-08", 3, 65.0), ("26-09", 3, 79.0), ("26-10", 1, 90.5)]
    months = frames(at)[0]
    assert list(months["月份"]) == ["2026年10月", "2026年9月", "2026年8月"]
    assert list(months["名次"]) == ["1/3", "3/3", "3/3"]
    assert list(months["备注"]) == ["红旗·已更正", "", ""]
    assert any("共获得流动红旗 **1** 次" in line for line in texts(at.markdown))
    at.button(key="ranking_back").click().run()
    assert "b" not in at.query_params
    assert at.selectbox(key="ranking_month").value == "2026-10"


def test_choosing_a_building_opens_its_history(app, published):
    at = open_page(app)
    at.selectbox(key="ranking_pick").select("2-1").run()
    assert not at.exception
    assert at.query_params["b"] == "2-1"
    assert "2栋1单元（2-1）" in texts(at.subheader)


def test_the_flag_holders_button_opens_its_history(app, published):
    at = open_page(app, m="2026-09")
    at.button(key="ranking_flag_open").click().run()
    assert at.query_params["b"] == "1-1"
    assert any("共获得流动红旗 **2** 次" in line for line in texts(at.markdown))


def test_a_place_never_ranked_says_so(app, published):
    at = open_page(app, b="8-2")
    assert texts(at.info) == ["8栋2单元（8-2）还没有公布的评比成绩。"]


def test_a_month_published_with_ratings_missing_says_what_was_missing(app, published, portal_db):
    portal_db.execute("UPDATE ranking_months SET missing = ? WHERE month = '2026-09'",
                      ("无人评分：8-2\n老林未评：5-1",))
    portal_db.conn.commit()
    at = open_page(app, m="2026-09")
    assert "公布时缺少的评分（按 0 分计）：无人评分：8-2；老林未评：5-1" in texts(at.caption)


def test_the_poster_is_offered_for_the_month_shown(app, published):
    at = open_page(app, m="2026-09")
    button = at.get("download_button")[0]
    assert button.proto.label == "下载2026年9月排名海报（A4 PDF）"


def test_home_shows_the_red_flag_building_and_links_to_the_ranking(app, published):
    at = app()
    at.run()
    assert not at.exception
    assert "星级楼栋 · 流动红旗" in texts(at.subheader)
    link = next(link for link in at.get("page_link") if "4-1" in link.proto.label.replace("\\", ""))
    assert link.proto.page == "ranking"
    assert "2026年10月 · ★★★★★ · 90.5 分 · 已更正" in texts(at.caption)


def test_home_has_no_ranking_section_before_any_publication(app, portal_db):
    at = app()
    at.run()
    assert "星级楼栋 · 流动红旗" not in texts(at.subheader)


def test_a_scanned_building_sees_its_own_stars_on_home_and_taps_on_to_its_history(app, published):
    at = app()
    at.query_params["b"] = "1-1"  # the building's QR code
    at.run()
    assert "本楼栋：★★★★☆ · 85.0 分 · 第 2 名 / 共 3 栋" in texts(at.caption)
    at.button(key="home_ranking_here").click().run()
    assert not at.exception
    assert at.title[0].value == "星级楼栋"
    assert at.query_params["b"] == "1-1"
    assert "1栋1单元（1-1）" in texts(at.subheader)
    assert any("共获得流动红旗 **2** 次" in line for line in texts(at.markdown))


def test_a_scanned_place_not_ranked_last_month_gets_no_ranking_button(app, published):
    at = app()
    at.query_params["b"] = "3-1"  # a building no month ranked
    at.run()
    assert not at.exception
    assert "星级楼栋 · 流动红旗" in texts(at.subheader)
    assert not [button for button in at.button if button.key == "home_ranking_here"]
    assert not [line for line in texts(at.caption) if line.startswith("本楼栋")]
