"""The boards as Altair bar charts (rows in, chart out), with Chinese field names and titles."""
from __future__ import annotations

import altair as alt

from lib.points.boards import BuildingRow, PersonRow


BAR_COLOUR = "#c8102e"  # the red of the village's points table on the notice board
ROW_HEIGHT = 30


def _unique(labels: list[str]) -> list[str]:
    """Two people masked the same (林*) at the same rank would share one bar: a trailing space
    (invisible on the axis) keeps every label its own."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, -1) + 1
        out.append(label + " " * seen[label])
    return out


def _bars(values: list[dict], label: str, measure: str) -> alt.Chart:
    order = [value[label] for value in values]
    return alt.Chart(alt.Data(values=values)).mark_bar(color=BAR_COLOUR).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None),
        x=alt.X(f"{measure}:Q", title=measure),
        tooltip=[f"{label}:N", f"{measure}:Q"],
    ).properties(width="container", height=ROW_HEIGHT * max(1, len(values)) + 40)


def person_chart(rows: list[PersonRow], limit: int = 10) -> alt.Chart:
    """The top earners, highest on top, labelled "名次. 姓名"."""
    rows = rows[:limit]
    labels = _unique([f"{row.rank}. {row.name}" for row in rows])
    return _bars([{"居民": label, "获得积分": row.earned} for label, row in zip(labels, rows)],
                 "居民", "获得积分")


def building_chart(rows: list[BuildingRow], *, per_household: bool,
                   limit: int = 15) -> alt.Chart:
    """The leading buildings by total earned, or by earned per household; a building with
    nothing to show (no points, or no households for the per-household view) gets no empty
    bar: the table under the chart lists every building."""
    measure = "户均积分" if per_household else "总积分"
    values = [{"楼栋": row.name, measure: row.per_household if per_household else row.earned}
              for row in rows if row.earned and (row.households or not per_household)]
    values.sort(key=lambda value: -value[measure])
    return _bars(values[:limit], "楼栋", measure)
