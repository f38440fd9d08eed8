"""Streamlit parts of 星级楼栋 for everyone: /ranking and the 首页 section.

/ranking shows a published month (the latest unless ``?m=YYYY-MM`` names another; choosing a
month writes it into the URL, so a shared link and the browser's Back keep it), and with
``?b=<code>`` one building's own history, where 首页 leads a scanned building. Drafts are
never shown here; leaders score on 管理 › 楼栋评分.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.db import open_db
from lib.core.errors import ValidationError
from lib.core.roles import User
from lib.people import org
from lib.ranking import board, charts, poster
from lib.ranking.months import (
    Month, get_month, month_label, parse_month, published_months, stars_text,
)


MONTH_KEY = "ranking_month"
TABLE_KEY = "ranking_table"
PICK_KEY = "ranking_pick"
CHART_LIMIT = 20  # bars on a phone; the table below lists every building
TREND_MONTHS = 12
MONTH_WIDTH, STARS_WIDTH, SCORE_WIDTH = 84, 78, 44  # px: "2026年10月", "★★★☆☆", "87.5"
NOTHING_YET = "还没有公布的评比结果。每月评比公布后，这里会显示各楼栋的星级和流动红旗。"


def ranking_page(db: Database, user: User) -> None:
    """/ranking: a building's history with ?b=, else a published month (?m=, else the latest)."""
    st.title("星级楼栋")
    months = published_months(db)
    if not months:
        st.info(NOTHING_YET)
        return
    if "b" in st.query_params and building_view(db, st.query_params.get("b", "")):
        return
    month = chosen_month(months)
    month_view(db, month, months)


def _shown(text: str) -> str:
    """What someone typed into the address, cut short and made inert for a message."""
    return ui.esc(text if len(text) <= 20 else text[:20] + "…")


def chosen_month(months: list[str]) -> str:
    """?m= when it names a published month; else the latest, saying why in Chinese."""
    wanted = st.query_params.get("m")
    if wanted is None:
        return months[0]
    try:
        month = parse_month(wanted, field_name="m")
    except ValidationError as error:
        st.warning(f"“{_shown(wanted)}”：{ui.esc(error.fields['m'])}下面是最新公布的月份。")
        return months[0]
    if month not in months:
        st.warning(f"{month_label(month)}的评比还没有公布，下面是最新公布的月份。")
        return months[0]
    return month


def _month_chosen() -> None:
    st.query_params["m"] = st.session_state[MONTH_KEY]


def _open_building(code: str) -> None:
    st.query_params["b"] = code


def _close_building() -> None:
    del st.query_params["b"]


def _row_tapped(codes: list[str]) -> None:
    rows = st.session_state[TABLE_KEY].selection.rows
    if rows:
        st.query_params["b"] = codes[rows[0]]


def _building_picked() -> None:
    code = st.session_state.get(PICK_KEY)
    if code:
        st.query_params["b"] = code


def month_view(db: Database, month: str, months: list[str]) -> None:
    """The month: the red flag, the chart, the table (tap a row for its history), the flag's
    history and the poster."""
    if st.session_state.get(MONTH_KEY) != month:
        st.session_state[MONTH_KEY] = month  # the URL decides; the widget follows it
    st.selectbox("月份", months, format_func=month_label, key=MONTH_KEY,
                 on_change=_month_chosen)
    shown = get_month(db, month)
    standings = board.standings(db, month)
    corrected = f" · 已更正（{local_text(shown.corrected_at)}）" if shown.corrected_at else ""
    st.caption(f"{shown.label} · {len(standings)} 个楼栋参评 · 公布于 "
               f"{local_text(shown.published_at) if shown.published_at else ''}{corrected}")
    how_scored(shown)
    if not standings:
        st.info("这个月没有楼栋参评。")
        return
    holder = standings[0]
    with st.container(border=True, key="ranking_flag"):
        st.markdown(f":red[:material/flag: **流动红旗**] · {shown.label}")
        st.markdown(f"### {ui.esc(holder.name)}（{ui.esc(holder.code)}）")
        st.markdown(f":orange[{stars_text(holder.stars)}] **{holder.score}** 分")
        reward = poster.reward_line(db, shown)
        if reward:
            st.caption(ui.esc(reward))
        st.button("查看这栋楼的历史", key="ranking_flag_open", on_click=_open_building,
                  args=(holder.code,), icon=":material/show_chart:")
    st.vega_lite_chart(charts.month_spec(standings[:CHART_LIMIT]), width="stretch")
    if len(standings) > CHART_LIMIT:
        st.caption(f"图中为前 {CHART_LIMIT} 名，完整排名见下表。")
    month_table(standings)
    flag_history(db)
    poster_button(month)


def how_scored(shown: Month) -> None:
    """The weights the month was judged by (its snapshot) and what was missing when published."""
    weights = "、".join(f"{item['name']} {item['weight']}%" for item in shown.weights
                        if item.get("weight"))
    if weights:
        st.caption(f"评分标准：{ui.esc(weights)}（每颗星 20 分；参与度按户均志愿服务、出工和"
                   "随手拍计算）")
    if shown.missing:
        st.caption("公布时缺少的评分（按 0 分计）：" + ui.esc("；".join(shown.missing.splitlines())))


def month_table(standings: list) -> None:
    """Every building of the month, compact; tapping a row (or choosing below) opens its history."""
    st.subheader("各楼栋排名")
    st.caption("点表格中的一行，或在下面选择楼栋，查看它每个月的星级和名次。")
    codes = [row.code for row in standings]
    st.dataframe({"名次": [row.rank for row in standings],
                  "楼栋": [row.name or row.code for row in standings],
                  "星级": [stars_text(row.stars) for row in standings],
                  "得分": [row.score for row in standings],
                  "备注": [_note(row) for row in standings]},
                 hide_index=True, width="stretch", key=TABLE_KEY,
                 height="content" if len(standings) <= CHART_LIMIT else "auto", on_select=partial(
                     _row_tapped, codes), selection_mode="single-row",
                 column_config=_widths(名次=32, 楼栋=70, 星级=STARS_WIDTH, 得分=SCORE_WIDTH))
    names = {row.code: f"{row.name}（{row.code}）" for row in standings}
    st.selectbox("查看楼栋历史", codes, index=None, placeholder="选择楼栋",
                 format_func=names.get, key=PICK_KEY, on_change=_building_picked)


def _widths(**widths: int) -> dict:
    """Columns of these widths (px), so a table's last column still fits a 390 px phone."""
    return {name: st.column_config.Column(width=width) for name, width in widths.items()}


def _note(row) -> str:
    """备注 in few characters: 红旗 for the holder of the red flag, 已更正 after a correction."""
    return "·".join(word for word, shown in (("红旗", row.holds_red_flag),
                                            ("已更正", row.corrected)) if shown)


def flag_history(db: Database) -> None:
    """Where the red flag went, month by month (newest first)."""
    history = board.flag_history(db, TREND_MONTHS)
    st.subheader("流动红旗记录")
    st.dataframe({"月份": [flag.label for flag in history],
                  "楼栋": [flag.name or flag.code for flag in history],
                  "星级": [stars_text(flag.stars) for flag in history],
                  "得分": [flag.score + (" 已更正" if flag.corrected else "")
                           for flag in history]},
                 hide_index=True, width="stretch", height="content",
                 column_config=_widths(月份=MONTH_WIDTH, 楼栋=76, 星级=STARS_WIDTH))


def building_view(db: Database, code: str) -> bool:
    """A building's own history (首页's way on from its QR code); False (with a message) for an unknown
    code, so the page goes on to the month's ranking instead."""
    place = org.place_by_code(db, code)
    if place is None:
        st.warning(f"没有找到编号为“{_shown(code)}”的楼栋，下面是全部楼栋的排名。")
        return False
    st.button("← 全部楼栋", key="ranking_back", on_click=_close_building)
    st.subheader(ui.esc(place.label))
    points = board.trend(db, place.id, TREND_MONTHS)
    if not points:
        st.info(f"{ui.esc(place.label)}还没有公布的评比成绩。")
        return True
    latest = points[-1]
    st.caption(f"近 {len(points)} 个月的星级评比（扫楼栋门口的二维码，在首页即可打开本页）。")
    held = board.flags_held(db, place.id)
    st.markdown(f"最新（{latest.label}）：:orange[{stars_text(latest.stars)}] **{latest.score}** 分，"
                f"第 {latest.rank} 名 / 共 {latest.buildings} 栋"
                + (f"  \n:red[:material/flag:] 共获得流动红旗 **{held}** 次" if held else ""))
    st.vega_lite_chart(charts.trend_spec(points), width="stretch")
    st.caption("实线：得分（左轴）；虚线：名次（右轴，越往上越靠前）；红点：获得流动红旗的月份。")
    newest = list(reversed(points))
    st.dataframe({"月份": [point.label for point in newest],
                  "名次": [f"{point.rank}/{point.buildings}" for point in newest],
                  "星级": [stars_text(point.stars) for point in newest],
                  "得分": [point.score for point in newest],
                  "备注": [_note(point) for point in newest]},
                 hide_index=True, width="stretch", height="content",
                 column_config=_widths(月份=MONTH_WIDTH, 名次=50, 星级=STARS_WIDTH,
                                       得分=SCORE_WIDTH))
    return True


def _poster(database_path: Path, month: str, url: str) -> bytes:
    """The poster, drawn only when tapped, on Streamlit's own thread: its own connection."""
    db = open_db(database_path, migrate=False)
    try:
        return poster.poster_pdf(db, month, url)
    finally:
        db.conn.close()


def poster_button(month: str) -> None:
    """The A4 poster of the month shown, for the notice board; its QR opens /ranking."""
    st.download_button(
        f"下载{month_label(month)}排名海报（A4 PDF）",
        partial(_poster, ui.portal().settings.database_path, month,
                f"{ui.public_base_url()}/ranking"),
        file_name=f"星级楼栋-{month}.pdf", mime="application/pdf", on_click="ignore",
        icon=":material/print:", key="ranking_poster", width="stretch")


def home_section(db: Database, place: org.Place | None) -> None:
    """首页: the building holding the red flag this month, with its stars; a tap opens /ranking.
    A scanned building ranked that month sees its own stars and a way to its history."""
    flag = board.red_flag(db)
    if flag is None:
        return
    st.subheader("星级楼栋 · 流动红旗")
    with st.container(border=True, key="home_ranking"):
        st.page_link(ui.PAGE_FILES["ranking"], label=ui.esc(flag.place_label),
                     icon=":material/flag:", width="stretch")
        st.caption(f"{flag.label} · {stars_text(flag.stars)} · {flag.score} 分"
                   + (" · 已更正" if flag.corrected else ""))
    own = board.trend(db, place.id, 1) if place is not None else []
    if own and own[0].month == flag.month:
        here = own[0]
        st.caption(f"本楼栋：{stars_text(here.stars)} · {here.score} 分 · "
                   f"第 {here.rank} 名 / 共 {here.buildings} 栋")
        if st.button(f"查看{ui.esc(place.label)}的星级走势", key="home_ranking_here",
                     icon=":material/location_on:", width="stretch"):
            ui.go_to("ranking")  # keeps ?b=<code>: /ranking opens the building's history
