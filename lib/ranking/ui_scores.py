"""管理 › 楼栋评分: the month picker and the compact score table a leader fills in on a phone.

The table is an ``st.data_editor`` inside a form, so tapping stars into cells costs no rerun
until 保存草稿. Its columns are keyed by criterion id (labels are the names), so a criterion
named like a fixed column cannot clash. lib.ranking.scoring checks every cell again.
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.errors import PortalError
from lib.core.roles import ADMIN, User
from lib.ranking import scoring
from lib.ranking.months import STATUS_LABELS, get_month, month_label


MONTH_KEY = "ranking_scores_month"
VERSION_KEY = "ranking_scores_version"  # bumped after a save: the table starts from the saved rows
NOTE_KEY = "ranking_scores_note"
ROW_HEIGHT = 44  # a row an elderly finger can tap
# 楼栋 + four star columns + 备注 = 354 px: the whole table fits a 390 px phone without sideways
# scrolling (a longer note opens in the cell's own editor)
CODE_WIDTH, STAR_WIDTH, NOTE_WIDTH = 44, 60, 70


def _month_picker(db: Database) -> str:
    months = scoring.recent_months()
    default = scoring.default_month(db)
    status = {month: STATUS_LABELS[get_month(db, month).status] for month in months}
    return st.selectbox("评比月份", months, index=months.index(default), key=MONTH_KEY,
                        format_func=lambda month: f"{month_label(month)} · {status[month]}")


def _frame(sheet: scoring.ScoreSheet) -> pd.DataFrame:
    """One row per building, indexed by place id; a column per star criterion (``c<id>``)."""
    records = []
    for row in sheet.rows:
        record = {"code": row.code}
        record.update({f"c{cid}": value for cid, value in row.stars.items()})
        record["note"] = row.note
        records.append(record)
    frame = pd.DataFrame.from_records(records, index=[row.place_id for row in sheet.rows],
                                      columns=["code", *[f"c{c.id}" for c in sheet.criteria], "note"])
    for criterion in sheet.criteria:
        frame[f"c{criterion.id}"] = frame[f"c{criterion.id}"].astype("Int64")
    return frame


def short_headers(names: list[str]) -> list[str]:
    """Two-character headers (环境卫生 → 环境) when they stay distinct, else the full names.

    A phone shows 楼栋, four star columns and 备注 side by side only with headers this short;
    the caption above the table spells the names out.
    """
    short = [name[:2] for name in names]
    return short if len(set(short)) == len(short) else list(names)


def _columns(sheet: scoring.ScoreSheet) -> dict:
    config = {"code": st.column_config.TextColumn("楼栋", disabled=True, width=CODE_WIDTH)}
    headers = short_headers([criterion.name for criterion in sheet.criteria])
    for criterion, header in zip(sheet.criteria, headers):
        # no min/max here: lib refuses 0 or 6 with a Chinese message naming the building,
        # where the grid would silently drop the digit
        config[f"c{criterion.id}"] = st.column_config.NumberColumn(
            header, step=1, format="%d", width=STAR_WIDTH, help=f"{criterion.name}：1-5 星")
    config["note"] = st.column_config.TextColumn("备注", max_chars=scoring.NOTE_MAX,
                                                   width=NOTE_WIDTH)
    return config


def _plain(value: object) -> object:
    """A cell as plain Python: numpy numbers to int/float, pandas' missing markers to None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(sheet: scoring.ScoreSheet, edited: pd.DataFrame) -> list[dict]:
    return [{"place_id": int(place_id),
             "stars": {c.id: _plain(record[f"c{c.id}"]) for c in sheet.criteria},
             "note": _plain(record["note"]) or ""}
            for place_id, record in edited.iterrows()]


def _saved_text(month: str, result: scoring.SaveResult) -> str:
    if not result.changed:
        return f"{month_label(month)}的评分没有改动。"
    parts = []
    if result.saved:
        parts.append(f"{result.saved} 栋已评分")
    if result.removed:
        parts.append(f"{result.removed} 栋撤销评分")
    return f"已保存{month_label(month)}的评分草稿：{'，'.join(parts)}。公布前都可以修改。"


def scores_page(db: Database, actor: User) -> None:
    """The month, then one row per building the actor may rate; read-only once published."""
    ui.show_note(NOTE_KEY)
    month = _month_picker(db)
    try:
        sheet = scoring.score_sheet(db, actor, month)
    except PortalError as error:
        ui.show_error(error)
        return
    if not sheet.rows:
        st.info("您还没有负责的微网格，暂无可评分的楼栋。请联系社区工作人员。")
        return
    rated = sum(row.rated for row in sheet.rows)
    scope = "全部楼栋" if scoring.may_score_all(db, actor) else "本微网格"
    if sheet.published:
        st.success(f"{month_label(month)}的评比已公布，评分不能再修改。"
                   + ("如需更正，请到“评比发布”页写明原因后更正。" if actor.at_least(ADMIN)
                      else "如需更正请联系社区管理员。"))
        st.dataframe(_frame(sheet), column_config=_columns(sheet), hide_index=True,
                     placeholder="", row_height=ROW_HEIGHT, key="ranking_scores_published")
        st.caption(f"已公布 · {scope}共 {len(sheet.rows)} 栋，您评了 {rated} 栋。")
        return
    names = "、".join(criterion.name for criterion in sheet.criteria)
    st.caption(f"{scope}共 {len(sheet.rows)} 栋，您已评 {rated} 栋。请给{names}各填 1-5 星"
               "（5 最好）；整行留空表示不评。保存后公布前都可以修改。")
    version = st.session_state.get(VERSION_KEY, 0)
    with st.form(f"ranking_scores_form_{month}", border=False):
        edited = st.data_editor(_frame(sheet), column_config=_columns(sheet), hide_index=True,
                                num_rows="fixed", placeholder="", row_height=ROW_HEIGHT,
                                key=f"ranking_scores_{month}_{version}")
        submitted = st.form_submit_button("保存草稿", type="primary", width="stretch")
    if submitted:
        try:
            result = scoring.save_scores(db, actor, month=month, rows=_rows(sheet, edited))
        except PortalError as error:
            ui.show_error(error)  # the table keeps what was typed, to fix the named cell
            return
        st.session_state[VERSION_KEY] = version + 1
        ui.leave_note(NOTE_KEY, _saved_text(month, result))
        st.rerun()
