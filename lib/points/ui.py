"""Streamlit parts of 积分 (/points): my balance, history and passbook, and the boards.

The tabs are Streamlit's stateful tabs: only the open one runs its queries, so a resident who
only glances at the balance does not pay for the charts.
"""
from __future__ import annotations

import streamlit as st
from sqlite_utils import Database

from lib.core import ui
from lib.core.clock import local_text, local_today
from lib.core.errors import PortalError
from lib.core.roles import User
from lib.points import boards, charts, ledger, passbook


PAGE_SIZE = 15
TAB_KEY = "points_tab"
BEFORE_KEY = "points_before"  # the id the history page starts before (None: the newest)
SOURCE_LABELS = {"reports": "查看这条随手拍", "volunteer": "查看志愿服务", "shop": "查看积分超市",
                 "crowdfund": "查看众筹项目", "ranking": "查看星级楼栋"}


def points_page(db: Database, user: User) -> None:
    st.title("积分")
    if user.is_guest:
        st.info("登录后可查看自己的积分、明细和积分存折。排行榜人人可看。")
        if st.button("登录 / 注册", type="primary", key="points_login"):
            ui.go_to("account")
        titles = ["个人榜", "楼栋榜"]
    else:
        st.metric("我的积分", f"{ledger.balance(db, user.id)} 分")
        titles = ["积分明细", "个人榜", "楼栋榜"]
    parts = {"积分明细": mine, "个人榜": person_board, "楼栋榜": building_board}
    ui.open_tab_only({title: parts[title] for title in titles}, TAB_KEY, db, user)


def mine(db: Database, user: User) -> None:
    """Yearly totals, the passbook, and the history newest first, a page at a time."""
    totals = boards.year_totals(db, user.id)
    if totals:
        st.caption(" · ".join(f"{year} 年获得 {earned} 分" for year, earned in totals))
    passbook_button(db, user, user.id, label="准备积分存折（PDF）", key="points_passbook",
                    file_name="积分存折.pdf")
    before = st.session_state.get(BEFORE_KEY)
    entries = ledger.history(db, user.id, limit=PAGE_SIZE, before_id=before)
    if not entries:
        st.write("还没有积分记录。随手拍被受理、参加志愿服务都能获得积分。")
    for entry in entries:
        entry_row(entry)
    cols = st.columns(2)
    if before is not None:
        cols[0].button("回到最新", key="points_newest", on_click=_page_from, args=(None,))
    if len(entries) == PAGE_SIZE:
        cols[1].button("更早的记录", key="points_older", on_click=_page_from,
                       args=(entries[-1].id,))


def passbook_button(db: Database, actor: User, user_id: int, *, label: str, key: str,
                    file_name: str) -> None:
    """A button that draws the passbook only when tapped, then offers it for download.

    The PDF takes a few tenths of a second per page, so a page run never draws it unasked.
    """
    if not st.button(label, icon=":material/print:", key=key):
        return
    try:
        with st.spinner("正在生成积分存折…"):
            pdf = passbook.passbook_pdf(db, actor, user_id=user_id, base_url=ui.public_base_url())
    except PortalError as error:
        ui.show_error(error)
    else:
        st.download_button("下载积分存折", pdf, file_name=file_name, mime="application/pdf",
                           key=f"{key}_download", on_click="ignore", type="primary",
                           icon=":material/download:")


def _page_from(before_id: int | None) -> None:
    st.session_state[BEFORE_KEY] = before_id


def entry_row(entry: ledger.Entry) -> None:
    """One history line: the amount, what kind, when, why, and a link to what earned it."""
    with st.container(border=True):
        st.markdown(f"**{entry.amount:+d} 分** · {ui.esc(entry.kind_label)} · "
                    f"{local_text(entry.created_at)}")
        if entry.reason:
            st.text(entry.reason)
        source = boards.source_of(entry.idempotency_key)
        if source is not None and source[0] in ui.PAGE_FILES:
            url_path, query = source
            with st.container(key=f"quiet_source_{entry.id}"):
                st.page_link(ui.PAGE_FILES[url_path], label=SOURCE_LABELS[url_path],
                             icon=":material/arrow_forward:", query_params=query or None)


def _year(db: Database) -> int:
    years = boards.years_with_points(db)
    this_year = local_today().year
    return st.selectbox("年份", years, index=years.index(this_year), key="points_year",
                        format_func=lambda year: f"{year} 年")


def person_board(db: Database, user: User) -> None:
    """Who earned most this year; a person who hides their name is shown as 林*."""
    year = _year(db)
    if not user.is_guest:
        mine = boards.my_rank(db, user.id, year)
        st.write(f"您在 {year} 年排第 {mine[0]} 名，获得 {mine[1]} 分。" if mine
                 else f"您在 {year} 年还没有获得积分。")
    rows = boards.person_board(db, year)
    if not rows:
        st.write("这一年还没有人获得积分。")
        return
    st.altair_chart(charts.person_chart(rows), width="stretch")
    st.dataframe([{"名次": row.rank, "居民": row.name, "获得积分": row.earned} for row in rows],
                 hide_index=True, width="stretch")
    st.caption("在“我的账户”中选择不公开姓名的居民，只显示姓氏。")


def building_board(db: Database, user: User) -> None:
    """Buildings by points earned, in total or per household."""
    year = _year(db)
    per_household = st.segmented_control("排序", ["总积分", "户均积分"], default="总积分",
                                         key="points_building_measure") == "户均积分"
    rows = boards.building_board(db, year)
    if not any(row.earned for row in rows):
        st.write("这一年还没有楼栋获得积分。")
        return
    st.altair_chart(charts.building_chart(rows, per_household=per_household), width="stretch")
    table = [{"楼栋": row.name, "总积分": row.earned, "户数": row.households,
              "户均积分": row.per_household} for row in rows]
    if per_household:
        table.sort(key=lambda line: -(line["户均积分"] or 0))
    st.dataframe(table, hide_index=True, width="stretch")
