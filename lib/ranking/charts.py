"""星级楼栋 as Altair charts (rows in, chart out), sized for a 390 px phone.

The month's chart is horizontal bars in rank order, so the building names read across and the
red-flag holder sits on top in red; a building's trend is its score and its rank over the
months, the rank on a reversed axis so "up" is better on both.
"""
from __future__ import annotations

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


def bar_label(standing: Standing) -> str:
    """"1. 4栋1单元 ★★★★★": the rank, the building and its stars on the axis."""
    return f"{standing.rank}. {standing.name or standing.code} {stars_text(standing.stars)}"


def month_chart(standings: list[Standing]) -> alt.Chart:
    """The month's buildings as bars of their score (0-100), best on top; the red-flag holder's
    bar is red and says 流动红旗, the others carry their score."""
    values = [{"楼栋": bar_label(row), "得分": row.score_tenths / 10,
               "星级": stars_text(row.stars), "名次": row.rank,
               "标注": f"{FLAG_TEXT} {row.score}" if row.holds_red_flag else row.score,
               "红旗": FLAG_TEXT if row.holds_red_flag else "",
               "已更正": "已更正" if row.corrected else ""}
              for row in standings]
    order = [value["楼栋"] for value in values]
    base = alt.Chart(alt.Data(values=values)).encode(
        y=alt.Y("楼栋:N", sort=order, title=None,
                # a fixed room for the labels: Vega measures ★ and Chinese narrower than the
                # phone draws them, and "10. 5栋2单元 ★★☆☆☆" lost its first digit
                axis=alt.Axis(labelLimit=LABEL_ROOM, minExtent=LABEL_ROOM, maxExtent=LABEL_ROOM,
                              labelFontSize=12, ticks=False, domain=False)))
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("得分:Q", scale=alt.Scale(domain=[0, 100]), title="得分",
                axis=alt.Axis(values=[0, 20, 40, 60, 80, 100])),
        color=alt.condition(alt.datum.红旗 == FLAG_TEXT, alt.value(FLAG_COLOUR),
                            alt.value(BAR_COLOUR)),
        tooltip=["名次:Q", "楼栋:N", "星级:N", "得分:Q", "红旗:N", "已更正:N"])
    # the score (and 流动红旗) written inside the end of a long bar, so nothing runs past 100;
    # after the end of a short one, which has no room inside
    inside = base.mark_text(align="right", dx=-4, color="white", fontSize=11,
                            fontWeight="bold").encode(x="得分:Q", text="标注:N").transform_filter(
        alt.datum.得分 >= SHORT_BAR)
    after = base.mark_text(align="left", dx=4, color="#333333", fontSize=11).encode(
        x="得分:Q", text="标注:N").transform_filter(alt.datum.得分 < SHORT_BAR)
    return alt.layer(bars, inside, after).properties(
        width="container", height=ROW_HEIGHT * max(1, len(values)) + 40)


def trend_chart(points: list[TrendPoint]) -> alt.Chart:
    """A building's score (solid, left axis) and rank (dashed, right axis, 1 on top) month by
    month; the months it held the red flag are red dots."""
    values = [{"月份": point.month[2:], "得分": point.score_tenths / 10, "名次": point.rank,
               "参评楼栋": point.buildings, "星级": stars_text(point.stars),
               "红旗": FLAG_TEXT if point.holds_red_flag else ""}
              for point in points]
    most = max([point.buildings for point in points] or [1])
    x = alt.X("月份:O", title=None, axis=alt.Axis(labelAngle=-45))
    base = alt.Chart(alt.Data(values=values)).encode(
        x=x, tooltip=["月份:N", "得分:Q", "星级:N", "名次:Q", "参评楼栋:Q", "红旗:N"])
    # the flags' dots share the score's axis: the same y, so Vega-Lite draws one axis
    score_y = alt.Y("得分:Q", scale=alt.Scale(domain=[0, 100]),
                    axis=alt.Axis(title="得分", titleColor=SCORE_COLOUR,
                                  values=[0, 20, 40, 60, 80, 100]))
    score = base.mark_line(color=SCORE_COLOUR, point=alt.OverlayMarkDef(
        color=SCORE_COLOUR, size=40)).encode(y=score_y)
    flags = base.mark_point(filled=True, size=140, color=FLAG_COLOUR).encode(
        y=score_y).transform_filter(alt.datum.红旗 == FLAG_TEXT)
    rank = base.mark_line(color=RANK_COLOUR, strokeDash=[5, 4], point=alt.OverlayMarkDef(
        color=RANK_COLOUR, size=25)).encode(
        y=alt.Y("名次:Q", scale=alt.Scale(domain=[most, 1], nice=False),
                axis=alt.Axis(title="名次", titleColor=RANK_COLOUR, orient="right",
                              tickMinStep=1, tickCount=min(most, 5), format="d")))
    return alt.layer(alt.layer(score, flags), rank).resolve_scale(y="independent").properties(
        width="container", height=240)
