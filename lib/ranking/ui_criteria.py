"""管理 › 评比标准: names and weights of the star criteria, the participation weight, who rates.

One editable table of every criterion (a new row adds a star criterion; unticking 启用
deactivates one; rows cannot be deleted, past months' stars point at them), its live total,
and one save: lib.ranking.criteria checks the whole list again (weights add up to 100).
"""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.errors import PortalError
from lib.core.roles import User
from lib.ranking import criteria


VERSION_KEY = "ranking_criteria_version"  # bumped after a save: the table starts from the saved list
NOTE_KEY = "ranking_criteria_note"
SWITCH_KEY = "ranking_criteria_score_all"
KIND_LABELS = {criteria.STARS: "打星（1-5）", criteria.PARTICIPATION: "自动计算"}


def _frame(current: list[criteria.Criterion]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [{"id": c.id, "name": c.name, "weight": c.weight, "active": c.active,
          "kind": KIND_LABELS[c.kind]} for c in current],
        columns=["id", "name", "weight", "active", "kind"])


def _columns() -> dict:
    return {
        "id": None,  # hidden: ties a row back to its criterion
        "name": st.column_config.TextColumn("名称", max_chars=criteria.NAME_MAX, width=84),
        "weight": st.column_config.NumberColumn("权重", step=1, format="%d", width=52),
        "active": st.column_config.CheckboxColumn("启用", width=44),
        "kind": st.column_config.TextColumn("方式", disabled=True, width=84),
    }


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(edited: pd.DataFrame) -> list[dict]:
    rows = []
    for _, record in edited.iterrows():
        ident = _plain(record["id"])
        active = _plain(record["active"])
        rows.append({"id": None if ident is None else int(ident), "name": _plain(record["name"]),
                     "weight": _plain(record["weight"]),
                     "active": True if active is None else bool(active)})
    return rows


def _total(rows: list[dict]) -> int | None:
    try:
        return sum(int(row["weight"] or 0) for row in rows if row["active"])
    except (TypeError, ValueError):
        return None


def _switch_changed(actor: User) -> None:
    """Toggle callback: save the setting at once, and say so on the next run.

    The run's connection is taken here, not passed in: a callback may run in the next run's
    thread, and a sqlite3 connection must not cross threads.
    """
    try:
        criteria.set_leaders_score_all(ui.portal_db(), actor, on=bool(st.session_state[SWITCH_KEY]))
    except PortalError as error:
        ui.leave_note(NOTE_KEY, str(error), ok=False)
        return
    ui.leave_note(NOTE_KEY, "已保存：微网格长现在可给所有楼栋评分。"
                  if st.session_state[SWITCH_KEY] else "已保存：微网格长只给本微网格的楼栋评分。")


def criteria_page(db: Database, actor: User) -> None:
    """The criteria table with its live total and 保存, then the leaders-score-all switch."""
    ui.show_note(NOTE_KEY)
    st.caption("每项打星标准由微网格长给 1-5 星（1 星 20 分，5 星 100 分）；参与度按本月志愿服务、"
               "众筹出工和随手拍被受理次数的户均数自动计算。启用的各项权重合计须为 100。"
               "修改只影响尚未公布的月份；已公布的月份保留当时的权重。")
    current = criteria.list_criteria(db)
    version = st.session_state.get(VERSION_KEY, 0)
    edited = st.data_editor(_frame(current), column_config=_columns(), hide_index=True,
                            num_rows="dynamic", key=f"ranking_criteria_{version}")
    rows = _rows(edited)
    total = _total(rows)
    if total == criteria.TOTAL_WEIGHT:
        st.caption("权重合计：100 ✓")
    else:
        st.warning(f"权重合计：{'—' if total is None else total}，须为 100。")
    st.caption("在表格最后一行可新增标准；不再使用的标准请取消“启用”，不要删除。")
    if st.button("保存评比标准", key="ranking_criteria_save", type="primary", width="stretch"):
        kept = {row["id"] for row in rows}
        if any(c.id not in kept for c in current):
            st.error("评比标准不能删除（往月评分要用到），请取消“启用”来停用。")
        else:
            try:
                criteria.save_criteria(db, actor, rows=rows)
            except PortalError as error:
                ui.show_error(error)
            else:
                st.session_state[VERSION_KEY] = version + 1
                ui.leave_note(NOTE_KEY, "评比标准已保存，尚未公布的月份按新权重计算。")
                st.rerun()
    st.subheader("谁来评分")
    st.toggle("微网格长可给所有楼栋评分（默认只评本微网格）", value=criteria.leaders_score_all(db),
              key=SWITCH_KEY, on_change=_switch_changed, args=(actor,))
