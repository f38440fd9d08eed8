"""星级楼栋's Altair charts (lib/ranking/charts.py): rank order, stars in the labels, the red
flag in red, a building's score and rank over months."""
from __future__ import annotations

from lib.ranking import charts
from lib.ranking.board import TrendPoint
from lib.ranking.months import Standing


def standing(rank: int, code: str, tenths: int, stars: int, corrected: bool = False) -> Standing:
    return Standing(place_id=rank, code=code, name=code.replace("-", "栋") + "单元", rank=rank,
                    score_tenths=tenths, stars=stars, rated_tenths=tenths,
                    participation_tenths=tenths, households=8, corrected=corrected)


MONTH = [standing(1, "4-1", 905, 5), standing(2, "1-1", 850, 4, corrected=True),
         standing(3, "10-1", 610, 2)]


def test_the_months_bars_run_in_rank_order_with_the_stars_in_their_labels():
    spec = charts.month_chart(MONTH).to_dict()
    rows = spec["data"]["values"]
    assert [row["楼栋"] for row in rows] == ["1. 4栋1单元 ★★★★★", "2. 1栋1单元 ★★★★☆",
                                           "3. 10栋1单元 ★★☆☆☆"]
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == [row["楼栋"] for row in rows]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 100]
    assert [row["得分"] for row in rows] == [90.5, 85.0, 61.0]
    assert [row["已更正"] for row in rows] == ["", "已更正", ""]


def test_only_the_red_flag_holders_bar_is_red_and_says_so():
    spec = charts.month_chart(MONTH).to_dict()
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["field"] == "红旗" and colour["legend"] is None
    assert colour["scale"] == {"domain": ["流动红旗", ""], "range": ["#c8102e", "#5b7bb0"]}
    assert charts.FLAG_COLOUR == "#c8102e"
    rows = spec["data"]["values"]
    assert [row["红旗"] for row in rows] == ["流动红旗", "", ""]
    assert [row["标注"] for row in rows] == ["流动红旗 90.5", "85.0", "61.0"]
    inside, after = spec["layer"][1], spec["layer"][2]
    assert inside["encoding"]["text"]["field"] == after["encoding"]["text"]["field"] == "标注"
    assert inside["mark"]["color"] == "white" and after["mark"]["align"] == "left"
    # a short bar's label goes after it: inside it would run off the chart's left edge
    assert inside["transform"] == [{"filter": "(datum.得分 >= 30)"}]
    assert after["transform"] == [{"filter": "(datum.得分 < 30)"}]


def test_the_months_chart_fits_a_phone_and_grows_with_the_buildings():
    spec = charts.month_chart(MONTH).to_dict()
    assert spec["width"] == "container"
    assert spec["height"] == 3 * charts.ROW_HEIGHT + 40
    axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == axis["minExtent"] == axis["maxExtent"] <= 200  # of ~340 px
    assert charts.month_chart([]).to_dict()["height"] == charts.ROW_HEIGHT + 40


def point(month: str, rank: int, tenths: int) -> TrendPoint:
    return TrendPoint(month=month, rank=rank, buildings=16, score_tenths=tenths, stars=3,
                      rated_tenths=tenths, participation_tenths=tenths, corrected=False)


def test_a_buildings_trend_has_score_and_rank_with_1_on_top():
    spec = charts.trend_chart([point("2026-08", 5, 720), point("2026-09", 1, 915)]).to_dict()
    rows = spec["data"]["values"]
    assert [(row["月份"], row["得分"], row["名次"], row["红旗"]) for row in rows] == [
        ("26-08", 72.0, 5, ""), ("26-09", 91.5, 1, "流动红旗")]
    score_layer, rank_layer = spec["layer"]
    rank_y = rank_layer["encoding"]["y"]
    assert rank_y["field"] == "名次" and rank_y["scale"]["domain"] == [16, 1]
    assert rank_y["axis"]["orient"] == "right"
    assert spec["resolve"]["scale"]["y"] == "independent"
    flags = score_layer["layer"][1]
    assert flags["mark"]["color"] == charts.FLAG_COLOUR
    assert flags["transform"][0]["filter"] == "(datum.红旗 === '流动红旗')"
    assert spec["width"] == "container"


def test_an_empty_trend_still_draws():
    assert charts.trend_chart([]).to_dict()["layer"][1]["encoding"]["y"]["scale"]["domain"] == [1, 1]


def test_the_page_draws_each_distinct_chart_once_and_gets_its_own_copy(monkeypatch):
    built = []
    real = charts._month_chart
    monkeypatch.setattr(charts, "_month_chart", lambda values: built.append(1) or real(values))
    charts._spec.cache_clear()
    first = charts.month_spec(MONTH)
    assert first == charts.month_chart(MONTH).to_dict()
    first["layer"].clear()  # the page may do what it likes with its copy
    again = charts.month_spec(MONTH)
    assert again == charts.month_chart(MONTH).to_dict() and len(built) == 3  # 1 cached + 2 here
    corrected = [MONTH[0], MONTH[1], standing(3, "10-1", 650, 2, corrected=True)]
    assert charts.month_spec(corrected)["data"]["values"][2]["得分"] == 65.0  # new rows: rebuilt
    assert len(built) == 4
    trend = [point("2026-09", 1, 915)]
    assert charts.trend_spec(trend) == charts.trend_chart(trend).to_dict()
