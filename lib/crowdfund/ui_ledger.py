"""The 公示 tab every visitor reads (guests too), and 管理 › 众筹账目's 支出登记 tab.

The books come from lib.crowdfund.books and every figure from one Ledger, so the table, the
chart, the files and the WeChat text agree to the fen. The domain functions check the role.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa
import streamlit as st
from sqlite_utils import Database

from lib.core import photos, ui
from lib.core.clock import local_today
from lib.core.db import open_db
from lib.core.errors import PortalError
from lib.core.roles import User
from lib.crowdfund import books, projects, publish
from lib.crowdfund.money import yuan_text
from lib.crowdfund.ui_parts import choose_project
from lib.people import posters
from lib.volunteer.ui import flash, new_key, photo_field, show_flash


SPEND_LABELS = {"amount": "金额", "item": "事项", "spent_on": "支出日期", "project": "项目",
                "photo": "收据照片", "key": "提交"}
SPEND_KEY = "crowdfund_spend_key"  # this form's submission key; a new one after each success
ROUND_KEY = "crowdfund_spend_round"
TABLE_ROWS = 200  # the 公示 table's latest lines shown unless all are asked for


def project_url(project_id: int) -> str:
    """The address the 公示's QR, the WeChat text and the files point to."""
    return f"{posters.page_url(ui.public_base_url(), 'crowdfund')}?p={project_id}"


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + yuan_text(fen)


def table_rows(ledger: books.Ledger) -> dict[str, list[str]]:
    """The ledger as a 390-pixel phone reads it: four narrow columns, newest first, amounts as
    text (cash with its match; the split is in the totals and the files). Dates drop the year
    when all the books fall in one year (the caption names it)."""
    one_year = len({line.day[:4] for line in ledger.rows}) <= 1
    columns: dict[str, list[str]] = {"日期": [], "事项": [], "收支": [], "结余": []}
    for line in reversed(ledger.rows):
        columns["日期"].append(line.day[5:] if one_year else line.day)
        columns["事项"].append(publish.short_text(line))
        columns["收支"].append(f"折{yuan_text(line.labour_fen)}" if line.kind == "labour"
                             else _signed(line.money_fen))
        columns["结余"].append("" if line.kind == "labour" else yuan_text(line.balance_fen))
    return columns


def table_caption(ledger: books.Ledger) -> str:
    years = sorted({line.day[:4] for line in ledger.rows})
    when = f"{years[0]} 年，" if len(years) == 1 else ""
    return (f"明细（{when}最新在前，单位：元；出资的收支含配套；姓名只显示姓，选择匿名的显示“匿名”；"
            "认捐在确认到账后才列入）")


def _export(database_path: Path, project_id: int, url: str, kind: str) -> bytes:
    """A download's file, made only when tapped, on Streamlit's own thread: its own connection."""
    db = open_db(database_path, migrate=False)
    try:
        if kind == "pdf":
            return publish.notice_pdf(db, project_id, url)
        ledger = books.public_ledger(db, project_id)
        return publish.ledger_csv(ledger) if kind == "csv" else publish.ledger_xlsx(ledger)
    finally:
        db.conn.close()


DOWNLOADS = (("csv", "下载 CSV", "text/csv", ":material/table:"),
             ("xlsx", "下载 Excel",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              ":material/table_view:"),
             ("pdf", "打印公示（A4 PDF）", "application/pdf", ":material/print:"))


@dataclass(frozen=True)
class Published:
    """A project's 公示 built once per change of its books, shared by every viewer."""
    ledger: books.Ledger
    table: pa.Table
    chart: dict
    caption: str
    receipts: list[books.LedgerRow]  # spending with a receipt photo, newest first


def build_published(db: Database, project_id: int) -> Published:
    """Everything the 公示 tab draws that depends only on the books (about 100 ms for 5,000
    contributions: the rows, the Arrow table, Altair's to_dict)."""
    ledger = books.public_ledger(db, project_id)
    return Published(ledger, pa.table(table_rows(ledger)), publish.funds_chart(ledger).to_dict(),
                     table_caption(ledger),
                     [line for line in reversed(ledger.rows) if line.receipt])


@st.cache_resource(max_entries=32, show_spinner=False)
def _published(_db: Database, database_path: str, project_id: int, version: tuple) -> Published:
    """Keyed by the books' version (books.ledger_version): a new contribution, attendance or
    spending makes a new entry, so nobody reads a stale 公示; a cached view costs the version
    query."""
    return build_published(_db, project_id)


def ledger_tab(db: Database, user: User, project: projects.Project) -> None:
    """公示: totals, the chart of funds, every line of the books, receipts, files, WeChat text."""
    published = _published(db, str(ui.portal().settings.database_path), project.id,
                           books.ledger_version(db, project.id))
    ledger = published.ledger
    totals = ledger.totals
    with st.container(horizontal=True):  # side by side on a phone too (columns would stack)
        st.metric("合计（元）", yuan_text(totals.total_fen), width="content")
        st.metric("结余（元）", yuan_text(totals.balance_fen), width="content")
    st.markdown("  \n".join(ui.esc(line) for line in publish.summary_lines(ledger)))
    if not ledger.rows:
        st.info("还没有已到账的出资、出工或支出。认捐经工作人员确认到账后才会公示。")
        return
    st.vega_lite_chart(spec=published.chart, width="stretch")  # Altair's spec, built once
    st.caption(published.caption)
    shown = published.table
    if shown.num_rows > TABLE_ROWS and not st.toggle(
            f"显示全部 {shown.num_rows:,} 条明细", key=f"crowdfund_all_rows_{project.id}"):
        # a phone scrolls the latest lines; all 5,000 drawn on every run cost a third of the page
        st.caption(f"下表为最近 {TABLE_ROWS} 条；打开上面的开关，或下载 CSV / Excel 查看全部。")
        shown = shown.slice(0, TABLE_ROWS)
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"日期": st.column_config.TextColumn(
                                    width=48 if published.table["日期"][0].as_py()[2:3] == "-"
                                    else 84),  # "11-23" or "2025-11-23"
                                "事项": st.column_config.TextColumn(width=104),
                                "收支": st.column_config.TextColumn(width=84),
                                "结余": st.column_config.TextColumn(width=96)})
    _receipts(published)
    _downloads(project)
    st.caption("复制下面的文字发到微信群：")
    st.code(publish.wechat_text(ledger, project_url(project.id)), language=None,
            wrap_lines=True)


def _receipts(published: Published) -> None:
    """One chosen receipt at a time: a project may have hundreds."""
    spent = published.receipts
    if not spent:
        return
    chosen = st.selectbox("查看收据照片", spent, index=None, placeholder="选择一笔支出",
                          format_func=lambda line: f"{line.day} {line.item} {yuan_text(line.spent_fen)} 元",
                          key=f"crowdfund_receipt_{published.ledger.project.id}")
    if chosen is not None:
        path = photos.path_for(ui.portal().settings.data_dir, chosen.receipt)
        if path.exists():
            st.image(str(path), width="stretch")
        else:
            st.caption("这张收据照片已不在服务器上。")


def _downloads(project: projects.Project) -> None:
    url = project_url(project.id)
    database_path = ui.portal().settings.database_path
    for column, (kind, label, mime, icon) in zip(st.columns(3), DOWNLOADS):
        column.download_button(
            label, partial(_export, database_path, project.id, url, kind),
            file_name=f"众筹公示-{project.id}.{kind}", mime=mime, icon=icon, on_click="ignore",
            key=f"crowdfund_download_{kind}", width="stretch")


# --- 管理 › 众筹账目 › 支出登记 ------------------------------------------------------------


def spending_tab(db: Database, actor: User) -> None:
    """Record a spending against a raising or building project's balance, with its receipt."""
    show_flash()
    if (project := choose_project(db, books.SPENDING_STATUSES, key="crowdfund_spend_project",
                                  none_text="目前没有众筹中或实施中的项目。")) is None:
        return
    st.metric("当前结余（元）", yuan_text(books.balance(db, project.id)))
    # the widgets' keys carry a round number: a recorded spending starts a fresh, empty form
    # (the browser keeps a text box's value when only its state is removed)
    prefix = f"crowdfund_spend_{st.session_state.get(ROUND_KEY, 0)}"
    receipt, problem = photo_field(prefix, "收据照片")
    with st.form("crowdfund_spend_form"):
        amount = st.text_input("金额（元）", key=f"{prefix}_amount", placeholder="例如 1250.50")
        places = {"amount": st.empty()}
        item = st.text_input("事项", key=f"{prefix}_item", max_chars=books.ITEM_MAX,
                             placeholder="例如 水泥 20 袋")
        places["item"] = st.empty()
        today = local_today()
        spent_on = st.date_input("支出日期", value=today, key=f"{prefix}_date",
                                 min_value=today - timedelta(days=365 * 3), format="YYYY-MM-DD")
        places["spent_on"] = st.empty()
        submitted = st.form_submit_button("登记支出", type="primary", width="stretch")
        places["*"] = st.empty()
    if submitted:
        if problem:
            st.error("收据照片有问题，还没有提交：请先删除或更换上面的照片。")
        else:
            _record(db, actor, project, amount, item, spent_on, receipt, places)
    _recent(db, project)


def _record(db: Database, actor: User, project: projects.Project, amount: str, item: str,
            spent_on, receipt: bytes | None, places: dict) -> None:
    try:
        row = books.record_spending(db, actor, project_id=project.id, amount=amount, item=item,
                                    spent_on=spent_on, receipt=receipt,
                                    data_dir=ui.portal().settings.data_dir, key=new_key(SPEND_KEY))
    except PortalError as error:
        ui.show_error(error, SPEND_LABELS, places=places)
        return
    st.session_state.pop(SPEND_KEY, None)
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
    flash(f"已登记支出：{row['item']} {yuan_text(row['amount_fen'])} 元。")
    st.rerun()


def _recent(db: Database, project: projects.Project) -> None:
    spent = books.spending_of(db, project.id)
    if not spent:
        st.caption("这个项目还没有支出。")
        return
    st.caption(f"已登记 {len(spent)} 笔支出（最新在前）")
    st.dataframe({"日期": [row["spent_on"] for row in spent[:50]],
                  "事项": [row["item"] for row in spent[:50]],
                  "金额(元)": [yuan_text(row["amount_fen"]) for row in spent[:50]],
                  "收据": ["有" if row["receipt"] else "" for row in spent[:50]]},
                 hide_index=True, width="stretch")
