"""星级楼栋 as Altair charts (rows in, chart out), sized for a 390 px phone.

The month's chart is horizontal bars in rank order, so the building names read across and the
red-flag holder sits on top in red; a building's trend is its score and its rank over the
months, the rank on a reversed axis so "up" is better on both.
"""
from __future__ import annotations

import json
from functools import lru_cache

import altair as alt

from lib.ranking.board import TrendPoint
from lib.ranking.months import Standing, stars_text


FLAG_COLOUR = "#c8102e"  # the red of the 流动红旗
BAR_COLOUR = "#5b7bb0"
SCORE_COLOUR = "#1f4e99"
RANK_COLOUR = "#8a8a8a"
ROW_HEIGHT = 30
LABEL_ROOM = 176  # px of a ~340 px chart for "12. 6栋2单元 ★★★☆☆"
SHORT_BAR = 30  # a bar shorter than this score has its label after it, not inside
FLAG_TEXT = "流动红旗"
KINDS = {"Q": "quantitative", "N": "nominal", "O": "ordinal"}


def bar_label(standing: Standing) -> str:
    """"1. 4栋1单元 ★★★★★": the rank, the building and its stars on the axis."""
    return f"{standing.rank}. {standing.name or standing.code} {stars_text(standing.stars)}"


def _channel(channel, shorthand: str, **options):
    """A channel from "名次:Q" built as an object: Altair parses a shorthand string against its
    whole schema, which made up most of a chart's 200 ms on every run of the page."""
    name, kind = shorthand.split(":")
    return channel(field=name, type=KINDS[kind], **options)


def _tips(*fields: str) -> list[alt.Tooltip]:
    return [_channel(alt.Tooltip, field) for field in fields]


def _month_values(standings: list[Standing]) -> list[dict]:
    return [{"楼栋": bar_label(row), "得分": row.score_tenths / 10,
             "星级": stars_text(row.stars), "名次": row.rank,
             "标注": f"{FLAG_TEXT} {row.score}" if row.holds_red_flag else row.score,
             "红旗": FLAG_TEXT if row.holds_red_flag else "",
             "已更正": "已更正" if row.corrected else ""}
            for row in standings]


def month_chart(standings: list[Standing]) -> alt.LayerChart:
    """The month's buildings as bars of their score (0-100), best on top; the red-flag holder's
    bar is red and says 流动红旗, the others carry their score."""
    return _month_chart(_month_values(standings))


def _month_chart(values: list[dict]) -> alt.LayerChart:
    order = [value["楼栋"] for value in values]
    score = _channel(alt.X, "得分:Q", scale=alt.Scale(domain=[0, 100]), title="得分",
                     axis=alt.Axis(values=[0, 20, 40, 60, 80, 100]))
    base = alt.Chart(alt.Data(values=values)).encode(
        x=score,
        y=_channel(alt.Y, "楼栋:N", sort=order, title=None,
                   # a fixed room for the labels: Vega measures ★ and Chinese narrower than
                   # the phone draws them, and "10. 5栋2单元 ★★☆☆☆" lost its first digit
                   axis=alt.Axis(labelLimit=LABEL_ROOM, minExtent=LABEL_ROOM,
                                 maxExtent=LABEL_ROOM, labelFontSize=12, ticks=False,
                                 domain=False)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        color=_channel(alt.Color, "红旗:N", legend=None, scale=alt.Scale(
            domain=[FLAG_TEXT, ""], range=[FLAG_COLOUR, BAR_COLOUR])),
        tooltip=_tips("名次:Q", "楼栋:N", "星级:N", "得分:Q", "红旗:N", "已更正:N"))
    # the score (and 流动红旗) written inside the end of a long bar, so nothing runs past 100;
    # after the end of a short one, which has no room inside
    label = _channel(alt.Text, "标注:N")
    inside = base.mark_text(align="right", dx=-4, color="white", fontSize=11,
                            fontWeight="bold").encode(text=label).transform_filter(
        f"(datum.得分 >= {SHORT_BAR})")
    after = base.mark_text(align="left", dx=4, color="#333333", fontSize=11).encode(
        text=label).transform_filter(f"(datum.得分 < {SHORT_BAR})")
    return alt.layer(bars, inside, after).properties(
        width="container", height=ROW_HEIGHT * max(1, len(values)) + 40)


def _trend_values(points: list[TrendPoint]) -> list[dict]:
    return [{"月份": point.month[2:], "得分": point.score_tenths / 10, "名次": point.rank,
             "参评楼栋": point.buildings, "星级": stars_text(point.stars),
             "红旗": FLAG_TEXT if point.holds_red_flag else ""}
            for point in points]


def trend_chart(points: list[TrendPoint]) -> alt.LayerChart:
    """A building's score (solid, left axis) and rank (dashed, right axis, 1 on top) month by
    month; the months it held the red flag are red dots."""
    return _trend_chart(_trend_values(points))


def _trend_chart(values: list[dict]) -> alt.LayerChart:
    most = max([value["参评楼栋"] for value in values] or [1])
    base = alt.Chart(alt.Data(values=values)).encode(
        x=_channel(alt.X, "月份:O", title=None, axis=alt.Axis(labelAngle=-45)),
        tooltip=_tips("月份:N", "得分:Q", "星级:N", "名次:Q", "参评楼栋:Q", "红旗:N"))
    # the flags' dots share the score's axis: the same y, so Vega-Lite draws one axis
    score_y = _channel(alt.Y, "得分:Q", scale=alt.Scale(domain=[0, 100]),
                       axis=alt.Axis(title="得分", titleColor=SCORE_COLOUR,
                                     values=[0, 20, 40, 60, 80, 100]))
    score = base.mark_line(color=SCORE_COLOUR, point=alt.OverlayMarkDef(
        color=SCORE_COLOUR, size=40)).encode(y=score_y)
    flags = base.mark_point(filled=True, size=140, color=FLAG_COLOUR).encode(
        y=score_y).transform_filter(f"(datum.红旗 === '{FLAG_TEXT}')")
    rank = base.mark_line(color=RANK_COLOUR, strokeDash=[5, 4], point=alt.OverlayMarkDef(
        color=RANK_COLOUR, size=25)).encode(
        y=_channel(alt.Y, "名次:Q", scale=alt.Scale(domain=[most, 1], nice=False),
                   axis=alt.Axis(title="名次", titleColor=RANK_COLOUR, orient="right",
                                 tickMinStep=1, tickCount=min(most, 5), format="d")))
    return alt.layer(alt.layer(score, flags), rank).resolve_scale(y="independent").properties(
        width="container", height=240)


# --- what the page draws ------------------------------------------------------------------
# Altair takes 100-250 ms to build and check one of these charts, on every run of the page. A
# published month's rows are frozen (a correction changes them, and so the key), so the spec
# is built once per distinct rows and kept; the page gets a fresh copy to draw.


def month_spec(standings: list[Standing]) -> dict:
    """:func:`month_chart` as the Vega-Lite dict st.vega_lite_chart draws."""
    return json.loads(_spec(_MONTH, _freeze(_month_values(standings))))


def trend_spec(points: list[TrendPoint]) -> dict:
    """:func:`trend_chart` as the Vega-Lite dict st.vega_lite_chart draws."""
    return json.loads(_spec(_TREND, _freeze(_trend_values(points))))


_MONTH, _TREND = "month", "trend"


def _freeze(values: list[dict]) -> tuple:
    return tuple(tuple(value.items()) for value in values)


@lru_cache(maxsize=256)
def _spec(kind: str, rows: tuple) -> str:
    values = [dict(row) for row in rows]
    chart = _month_chart(values) if kind == _MONTH else _trend_chart(values)
    return json.dumps(chart.to_dict(), ensure_ascii=False)
