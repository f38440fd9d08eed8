"""A vote's public count as Altair charts (tally in, chart out), with Chinese field names.

Horizontal bars: option labels and building names are Chinese words that would be cut or
turned sideways under a vertical bar on a 390 px phone.
"""
from __future__ import annotations

import altair as alt

from lib.council.tally import Tally


ADOPT_COLOUR = "#2e7d32"  # an option that adopts the plan (同意)
OTHER_COLOUR = "#9e9e9e"
TURNOUT_COLOUR = "#c8102e"  # the red of the notice board, as the points charts
ROW_HEIGHT = 34


def option_chart(result: Tally) -> alt.Chart:
    """Households per option, in the options' order; 同意-like options green."""
    values = [{"选项": option.label, "户数": option.households,
               "类别": "通过方案" if option.adopts else "其他"} for option in result.options]
    order = [value["选项"] for value in values]
    return alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("选项:N", sort=order, title=None),
        x=alt.X("户数:Q", title="户数", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("类别:N", scale=alt.Scale(domain=["通过方案", "其他"],
                                                 range=[ADOPT_COLOUR, OTHER_COLOUR]),
                        legend=None),
        tooltip=["选项:N", "户数:Q"],
    ).properties(width="container", height=ROW_HEIGHT * max(1, len(values)) + 40)


def building_chart(result: Tally, limit: int = 30) -> alt.Chart:
    """Turnout per building (percent of its households that voted), in the buildings' order."""
    values = [{"楼栋": row.name, "投票率%": row.percent, "已投户数": row.voted,
               "户数": row.households} for row in result.buildings[:limit]]
    order = [value["楼栋"] for value in values]
    return alt.Chart(alt.Data(values=values)).mark_bar(color=TURNOUT_COLOUR).encode(
        y=alt.Y("楼栋:N", sort=order, title=None),
        x=alt.X("投票率%:Q", title="投票率（%）", scale=alt.Scale(domain=[0, 100])),
        tooltip=["楼栋:N", "已投户数:Q", "户数:Q", "投票率%:Q"],
    ).properties(width="container", height=ROW_HEIGHT * max(1, len(values)) + 40)
