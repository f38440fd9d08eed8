"""The 公示 in every form it leaves the portal in: chart, CSV, Excel, WeChat text, A4 notice.

All of them are drawn from one ``books.Ledger``, so the wall, the spreadsheet and the group chat
can never show different figures.
"""
from __future__ import annotations

from decimal import Decimal

import altair as alt
from PIL import Image
from sqlite_utils import Database

from lib.core import sheets, tables
from lib.core.clock import local_text, now_iso
from lib.core.sheets import MARGIN, MUTED, Column, Sheet
from lib.crowdfund.projects import ratio_text
from lib.crowdfund.books import Ledger, LedgerRow, funds_series, public_ledger
from lib.crowdfund.money import yuan_text
from lib.people import org, posters


IN_COLOUR, OUT_COLOUR, BALANCE_COLOUR = "#2e7d32", "#c8102e", "#1f4e99"
HEADINGS = ["日期", "类别", "姓名", "事项", "居民出资(元)", "配套(元)", "奖励金(元)",
            "出工(小时)", "出工折算(元)", "支出(元)", "结余(元)", "收据"]


def hours_text(half_hours: int) -> str:
    return f"{half_hours / 2:g}"


def short_text(line: LedgerRow) -> str:
    """A row in a few characters for a phone: "张* 出资", "李* 出工 4 小时", "退还 张*",
    "奖励金·2026年10月流动红旗奖励", "退回奖励金·…"."""
    if line.kind == "grant":
        return f"奖励金·{line.item}"
    if line.kind == "grant_return":
        return f"退回奖励金·{line.item}"
    if line.kind == "cash":
        return f"{line.who} 出资"
    if line.kind == "refund":
        return f"退还 {line.who}"
    if line.kind == "labour":
        return f"{line.who} 出工 {hours_text(line.half_hours)} 小时"
    return line.item


def line_text(line: LedgerRow) -> str:
    """A row in one phrase for the printed notice, with what the short form leaves out."""
    if line.kind == "refund":
        return short_text(line) + " 的出资（配套撤回）"
    if line.kind == "labour":
        return f"{short_text(line)}·{line.item}（折 {yuan_text(line.labour_fen)} 元）"
    return short_text(line)


def _yuan(fen: int) -> Decimal:
    """Yuan with exactly two decimals (a Decimal, so a spreadsheet reads a number, never a
    formula, and no float ever rounds a fen)."""
    return Decimal(fen).scaleb(-2)


def _cells(line: LedgerRow) -> list[object]:
    return [line.day, line.kind_label, line.who, line.item,
            _yuan(line.cash_fen) if line.cash_fen else "",
            _yuan(line.match_fen) if line.match_fen else "",
            _yuan(line.grant_fen) if line.grant_fen else "",
            Decimal(line.half_hours) / 2 if line.half_hours else "",
            _yuan(line.labour_fen) if line.half_hours else "",
            _yuan(line.spent_fen) if line.spent_fen else "",
            _yuan(line.balance_fen) if line.kind != "labour" else "",
            "有" if line.receipt else ""]


def _rows(ledger: Ledger) -> list[list[object]]:
    totals = ledger.totals
    return [*(_cells(line) for line in ledger.rows),
            ["合计", "", "", "", _yuan(totals.cash_fen), _yuan(totals.match_fen),
             _yuan(totals.grant_fen), Decimal(totals.labour_half_hours) / 2, _yuan(totals.labour_fen),
             _yuan(totals.spent_fen), _yuan(totals.balance_fen), ""]]


def ledger_csv(ledger: Ledger) -> bytes:
    """Every line and the totals; UTF-8 with a BOM, so Excel opens the Chinese correctly."""
    return tables.csv_bytes(HEADINGS, _rows(ledger))


YUAN_FORMAT = "#,##0.00"
SHEET_WIDTHS = (12, 10, 10, 28, 14, 14, 14, 10, 14, 14, 14, 6)


def ledger_xlsx(ledger: Ledger) -> bytes:
    """The same table as an Excel workbook, amounts as numbers shown with two decimals."""
    return tables.xlsx_bytes("公示", HEADINGS, _rows(ledger), SHEET_WIDTHS,
                             {column: YUAN_FORMAT for column in (5, 6, 7, 9, 10, 11)})


def funds_chart(ledger: Ledger) -> alt.Chart:
    """Money in (green: cash, match and grants) and out (red) by day, and the balance held
    as a line."""
    values = []
    for day in funds_series(ledger):
        values.append({"日期": day.day, "类别": "收入", "金额(元)": day.in_fen / 100})
        values.append({"日期": day.day, "类别": "支出", "金额(元)": -day.out_fen / 100})
    balance = [{"日期": day.day, "结余(元)": day.balance_fen / 100}
               for day in funds_series(ledger)]
    bars = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("日期:T", title=None, axis=alt.Axis(format="%m-%d")),  # not "Mon 23"
        y=alt.Y("金额(元):Q"),
        color=alt.Color("类别:N", scale=alt.Scale(domain=["收入", "支出"],
                                                 range=[IN_COLOUR, OUT_COLOUR]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["日期:T", "类别:N", alt.Tooltip("金额(元):Q", format=",.2f")])
    line = alt.Chart(alt.Data(values=balance)).mark_line(
        color=BALANCE_COLOUR, point=True).encode(
        x="日期:T", y=alt.Y("结余(元):Q"),
        tooltip=["日期:T", alt.Tooltip("结余(元):Q", format=",.2f")])
    return alt.layer(bars, line).properties(width="container", height=240)


def summary_lines(ledger: Ledger) -> list[str]:
    """The totals in sentences, shared by the WeChat text and the printed notice."""
    project, totals = ledger.project, ledger.totals
    lines = [f"居民出资 {yuan_text(totals.cash_fen)} 元（{totals.contributions} 笔）"]
    if project.match_percent:
        sponsor = project.match_sponsor or "配套方"
        lines.append(f"{sponsor}配套 {yuan_text(totals.match_fen)} 元"
                     f"（按居民出资的 {ratio_text(project.match_percent)} 倍"
                     + (f"，上限 {yuan_text(project.match_cap_fen)} 元" if project.match_cap_fen
                        is not None else "") + "）")
    if totals.grant_fen:
        lines.append(f"奖励金 {yuan_text(totals.grant_fen)} 元（{'、'.join(totals.grant_sources)}）")
    if totals.labour_half_hours:
        lines.append(f"出工 {totals.workers} 人次共 {hours_text(totals.labour_half_hours)} 小时，"
                     f"按每小时 {yuan_text(project.labour_hour_fen)} 元折合 "
                     f"{yuan_text(totals.labour_fen)} 元")
    lines.append(f"合计 {yuan_text(totals.total_fen)} 元")
    lines.append(f"已支出 {yuan_text(totals.spent_fen)} 元，结余 {yuan_text(totals.balance_fen)} 元")
    if totals.refunded_fen:
        lines.append(f"已退还 {yuan_text(totals.refunded_fen)} 元（含撤回的配套）")
    if totals.grants_returned_fen:
        lines.append(f"已退回奖励金 {yuan_text(totals.grants_returned_fen)} 元")
    return lines


def wechat_summary(db: Database, project_id: int, url: str) -> str:
    """A short plain text staff paste into the WeChat group, with the link to the whole 公示."""
    return wechat_text(public_ledger(db, project_id), url)


def wechat_text(ledger: Ledger, url: str) -> str:
    """:func:`wechat_summary` of a ledger already read (the 公示 tab has it in hand)."""
    project = ledger.project
    return "\n".join([f"【众筹公示】{project.title}（{project.status_label}）",
                      *summary_lines(ledger),
                      f"明细和收据：{url}", f"截至 {local_text(now_iso())}"])


NOTICE_COLUMNS = (
    Column("day", "日期", MARGIN, 150), Column("line", "事项", MARGIN + 160, 320, wrap=True),
    Column("cash", "居民出资", MARGIN + 490, 140, right=True),
    Column("match", "配套/奖励金", MARGIN + 640, 150, right=True),
    Column("spent", "支出", MARGIN + 800, 130, right=True),
    Column("balance", "结余", MARGIN + 940, 140, right=True))


# A notice board holds a few pages, not 145: every spending and refund is printed (where the money
# went is what residents read on paper), and the latest contributions; the QR opens the rest.
NOTICE_CONTRIBUTION_LINES = 60


def notice_lines(rows: list[LedgerRow]) -> tuple[list[LedgerRow], list[LedgerRow]]:
    """(what the notice prints, the earlier contributions it leaves to the online 公示)."""
    contributions = [index for index, line in enumerate(rows) if line.kind in ("cash", "labour")]
    left_out = set(contributions[:-NOTICE_CONTRIBUTION_LINES])
    return ([line for index, line in enumerate(rows) if index not in left_out],
            [rows[index] for index in sorted(left_out)])


def notice_pages(ledger: Ledger, url: str, community: str, printed: str) -> list[Image.Image]:
    """The A4 公示 sheet's pages: title, totals, the project's QR, every spending and refund
    and the latest contributions (the earlier ones summed in one line)."""
    project = ledger.project
    sheet = Sheet(f"众筹公示 · {project.title}", NOTICE_COLUMNS)
    qr_bottom = sheet.qr(posters.qr_png(url, box_size=5), "扫码查看明细和收据")
    sheet.text("众筹公示", 64, bold=True, gap=26)
    sheet.text(project.title, 36, bold=True)
    sheet.text(f"{community} · {project.place_name}（{project.place_code}）· {project.status_label}",
               26, fill=MUTED)
    sheet.y += 10
    for line in summary_lines(ledger):
        sheet.text(line, 28)
    sheet.text(f"打印时间：{printed}", 22, fill=MUTED)
    sheet.y = max(sheet.y + 20, qr_bottom + 20)
    sheet.table_header()
    printed_rows, left_out = notice_lines(ledger.rows or [])
    if left_out:
        sheet.row({"line": f"较早的 {len(left_out)} 笔出资和出工未逐笔列出，扫码查看完整明细",
                   "cash": yuan_text(sum(line.cash_fen for line in left_out)),
                   "match": yuan_text(sum(line.match_fen for line in left_out))})
    for line in printed_rows:
        sheet.row({"day": line.day, "line": line_text(line),
                   "cash": yuan_text(line.cash_fen) if line.cash_fen else "",
                   "match": yuan_text(line.match_fen or line.grant_fen)
                   if line.match_fen or line.grant_fen else "",
                   "spent": yuan_text(line.spent_fen) if line.spent_fen else "",
                   "balance": yuan_text(line.balance_fen) if line.kind != "labour" else ""})
    if not ledger.rows:
        sheet.row({"line": "暂无已到账的出资和支出"})
    return sheet.finish(f"{community} · 微网实格")


def notice_pdf(db: Database, project_id: int, url: str) -> bytes:
    """The printable A4 公示 (PDF, several pages when the books are long) with the project's QR."""
    ledger = public_ledger(db, project_id)
    pages = notice_pages(ledger, url, org.community_name(db) or "社区", local_text(now_iso()))
    return sheets.to_pdf(pages, f"众筹公示 {ledger.project.title}")
