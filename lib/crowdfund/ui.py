"""Streamlit parts of 众筹 (/crowdfund): the list of open projects, a project's detail, the home
page's section.

The detail page's tabs are Streamlit's stateful tabs, so only the open one runs: 概况 here,
then the tabs other parts of the feature add to DETAIL_TABS (认捐, 出工, 公示).
"""
from __future__ import annotations

from typing import Callable

import streamlit as st
from sqlite_utils import Database

from lib.core import photos, ui
from lib.core.errors import NotFound
from lib.core.roles import User
from lib.crowdfund import projects
from lib.crowdfund.money import yuan_text
from lib.crowdfund.ui_labour import labour_tab, my_coming_slots
from lib.crowdfund.ui_ledger import ledger_tab
from lib.crowdfund.ui_parts import RETURN_PROJECT
from lib.crowdfund.ui_pledge import pledge_tab
from lib.people import org
from lib.people import ui as people_ui


TAB_KEY = "crowdfund_tab"
# The detail page's tabs after 概况, in order: title -> function(db, user, project).
# Each part of the feature adds its own line (and its import) here.
DETAIL_TABS: dict[str, Callable[[Database, User, projects.Project], None]] = {
    "认捐": pledge_tab,
    "出工": labour_tab,
    "公示": ledger_tab,
}


def crowdfund_page(db: Database, user: User) -> None:
    """/crowdfund: a project's detail with ?p=<id>, else the list (one place's with ?b=)."""
    back_to = st.session_state.pop(RETURN_PROJECT, None)
    if back_to is not None and not user.is_guest and not st.query_params.get("p"):
        st.query_params["p"] = str(back_to)  # just logged in: back to the project they were on
    if st.query_params.get("p"):
        detail(db, user, st.query_params.get("p"))
        return
    st.title("众筹")
    st.caption("社区的事大家一起办：出一份钱（筹资），或出一份力（筹劳）。")
    place = people_ui.current_place(db) if "b" in st.query_params else None
    shown = projects.list_projects(db, place_id=place.id if place else None,
                                   statuses=projects.OPEN)
    if place is not None:
        st.caption(f"只显示 **{ui.esc(place.label)}** 的项目（扫码进入）。")
        st.button("查看全部项目", key="crowdfund_all", on_click=_all_places)
    if not shown:
        st.info("这里暂时没有正在进行的众筹项目。" if place is None else
                "这个地点暂时没有正在进行的众筹项目。")
    for project in shown:
        project_card(db, project, key="crowdfund_list")
    if not user.is_guest:
        my_coming_slots(db, user)
    finished = [] if place is not None else projects.list_projects(
        db, statuses=(projects.DONE,))
    if finished:
        st.subheader("已完成的项目")
        for project in finished:
            project_card(db, project, key="crowdfund_done")


def _all_places() -> None:
    del st.query_params["b"]


def _open(project_id: int) -> None:
    st.query_params["p"] = str(project_id)


def _close() -> None:
    del st.query_params["p"]


def progress_bars(progress: projects.Progress, project: projects.Project) -> None:
    """Cash towards the goal, the match, and labour slots taken, as bars and one line each."""
    if progress.goal_fen:
        st.progress(progress.cash_share,
                    text=f"居民已到账 {yuan_text(progress.cash_fen)} 元 / 目标 "
                         f"{yuan_text(progress.goal_fen)} 元")
    if project.match_percent:
        cap = ("" if progress.match_left_fen is None
               else f"，配套上限 {yuan_text(project.match_cap_fen)} 元")
        reached = " · 已达上限" if progress.match_left_fen == 0 else ""
        st.caption(f"{ui.esc(project.match_sponsor)}按 1:{project.ratio_text} 配套：已配套 "
                   f"{yuan_text(progress.match_fen)} 元{cap}{reached}；合计 "
                   f"{yuan_text(progress.total_fen)} 元")
    if progress.grant_fen:
        st.caption(f"另有奖励金 {yuan_text(progress.grant_fen)} 元（不配套），明细见公示")
    if progress.slots_total:
        st.progress(progress.slots_share,
                    text=f"出工报名 {progress.slots_taken} / {progress.slots_total} 人次")
    if progress.labour_half_hours:
        st.caption(f"已出工 {progress.labour_half_hours / 2:g} 小时，折合 "
                   f"{yuan_text(progress.labour_value_fen)} 元")


def project_card(db: Database, project: projects.Project, *, key: str) -> None:
    """One project in a list: tapping its title opens the detail."""
    with st.container(border=True, key=f"{key}_{project.id}"):
        st.button(ui.esc(project.title), key=f"{key}_open_{project.id}", on_click=_open,
                  args=(project.id,), width="stretch", icon=":material/chevron_right:")
        st.caption(f"{project.status_label} · {ui.esc(project.place_label)} · 截止 "
                   f"{project.deadline}")
        progress_bars(projects.progress(db, project.id), project)


def detail(db: Database, user: User, project_id: object) -> None:
    """A project's page: header, progress, then the tabs (only the open one runs)."""
    st.button("← 全部项目", key="crowdfund_back", on_click=_close)
    try:
        wanted = int(project_id)
    except ValueError:  # a crafted ?p= finds nothing, as an unknown number does
        wanted = None
    try:
        project = projects.get_visible(db, user, wanted)
    except NotFound as error:
        st.warning(str(error))
        return
    st.title(ui.esc(project.title))
    st.caption(f"{project.status_label} · {ui.esc(project.place_label)}")
    photo(project.photo, thumb=False)
    progress_bars(projects.progress(db, project.id), project)
    ui.open_tab_only({"概况": overview, **DETAIL_TABS}, TAB_KEY, db, user, project)


def photo(name: str | None, *, thumb: bool = True) -> None:
    """A stored photo (nothing when there is none or its file is gone)."""
    if not name:
        return
    path = photos.path_for(ui.portal().settings.data_dir, name, thumb=thumb)
    if path.exists():
        st.image(str(path), width="stretch")


def overview(db: Database, user: User, project: projects.Project) -> None:
    """概况: what, where, until when, on which terms; a finished project's final report."""
    if project.status == projects.CANCELLED:
        st.warning(f"项目已取消：{ui.esc(project.cancel_reason)}")
    if project.status == projects.DONE:
        final_report(db, project)
    if project.description:
        st.text(project.description)
    st.markdown(terms_text(project))


def terms_text(project: projects.Project) -> str:
    """The project's terms as markdown lines (user text escaped)."""
    lines = [f"- 地点：{ui.esc(project.place_label)}", f"- 截止日期：{project.deadline}",
             f"- 筹资目标：{yuan_text(project.goal_fen)} 元" if project.goal_fen
             else "- 筹资目标：只筹劳力，不筹资金"]
    if project.match_percent:
        cap = ("不设上限" if project.match_cap_fen is None
               else f"上限 {yuan_text(project.match_cap_fen)} 元")
        lines.append(f"- 配套：{ui.esc(project.match_sponsor)}对已到账的居民出资按 "
                     f"1:{project.ratio_text} 配套（{cap}）")
    if project.labour_hour_fen:
        lines.append(f"- 出工折算：每小时 {yuan_text(project.labour_hour_fen)} 元")
    return "\n".join(lines)


def final_report(db: Database, project: projects.Project) -> None:
    """完工报告: the summary, the photos, and where the money went."""
    st.subheader("完工报告")
    st.text(project.final_report)
    names = projects.report_photos(db, project.id)
    columns = st.columns(3)
    for index, name in enumerate(names):
        with columns[index % 3]:
            photo(name)
    money = projects.progress(db, project.id)
    grant = f"，奖励金 {yuan_text(money.grant_fen)} 元" if money.grant_fen else ""
    st.markdown(f"共筹得 {yuan_text(money.total_fen)} 元（居民 {yuan_text(money.cash_fen)} 元，"
                f"配套 {yuan_text(money.match_fen)} 元{grant}），支出 {yuan_text(money.spent_fen)} 元，"
                f"结余 {yuan_text(money.balance_fen)} 元。")


def home_section(db: Database, place: org.Place | None) -> None:
    """首页: open projects with their progress, the scanned place's first; each opens its page."""
    shown = projects.list_projects(db)
    if not shown:
        return
    here = place is not None and any(project.place_id == place.id for project in shown)
    if here:
        shown.sort(key=lambda project: project.place_id != place.id)  # stable: keeps the order
    st.subheader("众筹 · 一起办")
    if here:  # the building's QR leads on to its own projects (/crowdfund?b=<code>)
        if st.button(f"只看{place.label}的项目", key="home_crowdfund_here",
                     icon=":material/location_on:"):
            ui.go_to("crowdfund")
    for project in shown:
        with st.container(border=True, key=f"home_crowdfund_{project.id}"):
            st.page_link(ui.PAGE_FILES["crowdfund"], label=ui.esc(project.title),
                         icon=":material/savings:",
                         query_params={"p": str(project.id)}, width="stretch")
            st.caption(f"{project.status_label} · {ui.esc(project.place_label)}")
            progress_bars(projects.progress(db, project.id), project)
