"""管理 › 评比发布: the month's completeness, the draft ranking, publishing it and (admins) a correction.

Publishing is one tap on 公布 and a second on 确认公布 inside the popover that opens, so a slip
of the finger publishes nothing. The domain functions (lib.ranking.publish) check the role and
the month's state again, whatever this page showed.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text
from lib.core.errors import PortalError
from lib.core.roles import ADMIN, User
from lib.people import org
from lib.ranking import publish, standings
from lib.ranking.months import (Month, Standing, current_month, get_month, month_label,
                                previous_month, stars_text, STATUS_LABELS)


MONTH_KEY = "ranking_publish_month"
NOTE_KEY = "ranking_publish_note"
MONTHS_SHOWN = 12
LABELS = {"month": "月份", "confirm_missing": "缺少评分", "reward_kind": "奖励方式",
          "reward_yuan": "奖励金（元）", "reward_project_id": "众筹项目", "reward_points": "奖励积分",
          "reward_note": "奖励说明", "reason": "更正理由", "stars": "星级", "rater_id": "评分人"}


def finished_months(db: Database) -> tuple[list[str], int]:
    """The last 12 months that are over, newest first, and the one to open: the newest draft."""
    months = [previous_month(current_month())]
    while len(months) < MONTHS_SHOWN:
        months.append(previous_month(months[-1]))
    drafts = [i for i, month in enumerate(months) if not get_month(db, month).is_published]
    return months, (drafts[0] if drafts else 0)


def _month_picker(db: Database) -> Month:
    months, index = finished_months(db)
    # the status is not in the option labels: a label that changes on publishing would make
    # the picker a new widget and jump to another month
    month = get_month(db, st.selectbox("评比月份", months, index=index, key=MONTH_KEY,
                                       format_func=month_label))
    st.caption(f"状态：{STATUS_LABELS[month.status]}")
    return month


def _table(ranked: list[Standing]) -> None:
    """The ranking as staff check it: rank, building, score, stars and what made the score."""
    rows = [{"名次": s.rank, "楼栋": s.code, "得分": s.score, "星级": stars_text(s.stars),
             "评分": f"{s.rated_tenths / 10:.1f}", "参与度": f"{s.participation_tenths / 10:.1f}",
             "评分人": s.raters,
             # words, not a flag emoji: the grid's canvas has no emoji font on many phones
             "备注": "、".join(note for note, shown in (("流动红旗", s.holds_red_flag),
                                                        ("已更正", s.corrected)) if shown)}
            for s in ranked]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="ranking_publish_table")


def _completeness(db: Database, actor: User, month: Month) -> str:
    """Who has not rated what; returns the missing text publishing will warn about."""
    found = standings.completeness(db, actor, month.month)
    behind = [c for c in found if not c.complete]
    st.subheader("评分完成情况")
    if not found:
        st.info("还没有楼栋。")
        return ""
    if not behind:
        st.success(f"全部 {len(found)} 栋楼都已评分。")
        return ""
    st.caption(f"共 {len(found)} 栋，{len(found) - len(behind)} 栋已评完，{len(behind)} 栋缺评分：")
    lines = standings.missing_lines(found)
    for line in lines:
        st.markdown(f"- {ui.esc(line)}")
    return "\n".join(lines)


def _reward_fields(db: Database) -> dict:
    """The optional reward; the values go to lib as typed, which checks them."""
    kinds = list(publish.REWARD_LABELS)
    kind = st.radio("奖励（可选）", kinds, format_func=publish.REWARD_LABELS.get,
                    key="ranking_publish_reward_kind")
    reward: dict = {"reward_kind": kind}
    if kind == publish.REWARD_PROJECT:
        projects = publish.open_projects(db)
        if not projects:
            st.warning("目前没有众筹中或实施中的项目，不能发奖励金。")
        titles = dict(projects)
        reward["reward_project_id"] = st.selectbox(
            "投入哪个众筹项目", list(titles), format_func=titles.get, index=None,
            placeholder="请选择项目", key="ranking_publish_project")
        reward["reward_yuan"] = st.text_input("奖励金（元）", placeholder="例如 500",
                                              key="ranking_publish_yuan")
    elif kind == publish.REWARD_POINTS:
        reward["reward_points"] = st.number_input(
            "红旗楼栋每位已核实住户奖励积分", min_value=1, max_value=publish.MAX_REWARD_POINTS,
            value=10, step=1, key="ranking_publish_points")
    if kind != publish.REWARD_NONE:
        reward["reward_note"] = st.text_input("奖励说明（可选）", max_chars=publish.MAX_NOTE,
                                              key="ranking_publish_reward_note")
    return reward


def _publish_form(db: Database, actor: User, month: Month, missing: str) -> None:
    st.subheader("公布")
    reward = _reward_fields(db)
    confirm = False
    if missing:
        st.warning("还有评分没有完成，缺少的评分按 0 计算。")
        confirm = st.checkbox("我已知道缺少哪些评分，仍要公布", key="ranking_publish_confirm_missing")
    with st.popover("公布", type="primary", width="stretch"):
        st.markdown(f"确定公布**{month_label(month.month)}**的星级楼栋评比吗？公布后评分不能再修改，"
                    "排名第一的楼栋获得流动红旗。")
        if st.button("确认公布", type="primary", key="ranking_publish_go", width="stretch"):
            try:
                publish.publish(db, actor, month=month.month, confirm_missing=confirm, **reward)
            except PortalError as error:
                ui.show_error(error, LABELS)
                return
            ui.leave_note(NOTE_KEY, f"已公布{month_label(month.month)}的星级楼栋评比。")
            st.rerun()


def _published(db: Database, actor: User, month: Month) -> None:
    ranked = standings.published(db, month.month)
    flag = ranked[0] if ranked else None
    st.success(f"{month_label(month.month)}的评比已于 {local_text(month.published_at)} 公布"
               + (f"，流动红旗：{flag.code}（{flag.score} 分）。" if flag else "。"))
    if month.corrected_at:
        st.caption(f"已更正（最近一次：{local_text(month.corrected_at)}）")
    reward = publish.reward_text(db, month)
    if reward:
        st.caption(ui.esc(reward))
    if month.missing:
        st.caption("公布时缺少的评分：" + ui.esc("；".join(month.missing.splitlines())))
    _table(ranked)
    if actor.at_least(ADMIN) and ranked:
        _correction_form(db, actor, month, ranked)


def _correction_form(db: Database, actor: User, month: Month, ranked: list[Standing]) -> None:
    """An admin changes one rater's stars for one building, with a reason (audit-logged)."""
    st.subheader("更正")
    st.caption("公布后只有社区管理员可以更正，必须填写理由；改动的楼栋会标注“已更正”。")
    codes = {s.place_id: s.code for s in sorted(ranked, key=lambda s: org.natural_key(s.code))}
    place_id = st.selectbox("楼栋", list(codes), format_func=codes.get, key="ranking_fix_place")
    raters = publish.raters_of(db, actor, month=month.month, place_id=place_id)
    if not raters:
        st.info("这栋楼没有评分人可更正。")
        return
    names = {user_id: name + ("" if stars else "（未评）") for user_id, name, stars in raters}
    rater_id = st.selectbox("评分人", list(names), format_func=names.get, key="ranking_fix_rater")
    current = next(stars for user_id, _, stars in raters if user_id == rater_id)
    criteria = [c for c in month.weights if c["kind"] == standings.STARS_KIND]
    with st.form(f"ranking_fix_{month.month}_{place_id}_{rater_id}", border=False):
        stars = {c["id"]: st.selectbox(c["name"], [1, 2, 3, 4, 5],
                                       index=current.get(c["id"], 3) - 1,
                                       format_func=lambda n: f"{n} 星",
                                       key=f"ranking_fix_star_{c['id']}") for c in criteria}
        reason = st.text_area("更正理由", max_chars=publish.MAX_NOTE, key="ranking_fix_reason")
        submitted = st.form_submit_button("提交更正", width="stretch")
    if submitted:
        try:
            publish.correct(db, actor, month=month.month, place_id=place_id, rater_id=rater_id,
                            stars=stars, reason=reason)
        except PortalError as error:
            ui.show_error(error, LABELS)
            return
        ui.leave_note(NOTE_KEY, f"已更正{month_label(month.month)}的评比。")
        st.rerun()


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def _preview(database_path: str, month: str, version: tuple) -> list[Standing]:
    """The draft ranking, ranked again when a rating or weight changes and at least every minute:
    ranking 300 buildings live took two thirds of this page's run."""
    return standings.compute(ui.portal_db(), month)


def publish_page(db: Database, actor: User) -> None:
    """A finished month: its completeness, the draft ranking and 公布; or, once published, the
    frozen ranking (and for admins the 更正 form)."""
    ui.show_note(NOTE_KEY)
    month = _month_picker(db)
    if month.is_published:
        _published(db, actor, month)
        return
    missing = _completeness(db, actor, month)
    st.subheader("排名预览")
    ranked = _preview(str(ui.portal().settings.database_path), month.month,
                      standings.draft_version(db, month.month))
    if not ranked:
        return
    st.caption("按当前评分和参与度计算（参与度每分钟更新），公布时按那一刻重新计算。")
    _table(ranked)
    _publish_form(db, actor, month, missing)
