"""积分存折: a resident's points on paper, an A4 PDF in Chinese drawn with Pillow.

For a resident who prefers paper (staff print it at the desk) or wants a record of their own:
the holder, balance and yearly totals, then every entry oldest first with its running balance,
like a bank passbook, and the portal's QR so the paper leads back to 我的积分.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from sqlite_utils import Database

from lib.core.clock import local_text, now_iso
from lib.core.errors import PermissionDenied
from lib.core import sheets
from lib.core.fonts import cjk_font
from lib.core.roles import RESIDENT, STAFF, User, require_role
from lib.core.sheets import INK, LINE, MARGIN, MUTED, Column, Sheet
from lib.people import org, posters
from lib.people import holders
from lib.points import boards, ledger


# the columns: amounts and balances are right-aligned in theirs
COLUMNS = (Column("date", "日期", MARGIN, 150), Column("kind", "类型", MARGIN + 160, 130),
           Column("reason", "事由", MARGIN + 300, 560, wrap=True),
           Column("amount", "收支", MARGIN + 870, 110, right=True),
           Column("balance", "余额", MARGIN + 990, 90, right=True))


@dataclass(frozen=True)
class Line:
    """One entry as the passbook prints it."""
    date: str
    kind: str
    reason: str
    amount: int
    balance: int


def lines_of(db: Database, user_id: int) -> list[Line]:
    """Every entry of the user, oldest first, with the balance after it."""
    running = 0
    lines = []
    for created_at, kind, reason, amount in db.execute(
            "SELECT created_at, kind, reason, amount FROM points_ledger WHERE user_id = ?"
            " ORDER BY id", (user_id,)):
        running += amount
        lines.append(Line(local_text(created_at, with_time=False),
                          ledger.KIND_LABELS.get(kind, kind), reason, amount, running))
    return lines


def render_pages(community: str, holder: holders.Holder, balance: int,
                 year_totals: list[tuple[int, int]], lines: list[Line], url: str,
                 printed: str) -> list[Image.Image]:
    """The passbook's pages as images (the PDF is these, and a test can read them back)."""
    book = Sheet(f"积分存折 · {holder.display_name}", COLUMNS)
    draw = book.draw
    qr_bottom = book.qr(posters.qr_png(url, box_size=6), "扫码查看我的积分")
    draw.text((MARGIN, book.y), "积分存折", font=cjk_font(64, True), fill=INK)
    draw.text((MARGIN, book.y + 90), community, font=cjk_font(30), fill=MUTED)
    y = book.y + 160
    facts = [("姓名", holder.display_name), ("住址", holder.address),
             ("当前余额", f"{balance} 分"), ("打印时间", printed)]
    for label, value in facts:
        draw.text((MARGIN, y), f"{label}：{value}", font=cjk_font(30, label == "当前余额"),
                  fill=INK)
        y += 48
    book.y = y
    totals = "；".join(f"{year} 年获得 {earned} 分" for year, earned in year_totals) or "暂无"
    book.text(f"历年获得：{totals}", 26, gap=LINE - 26)
    book.y = max(book.y + 30, qr_bottom + 20)
    book.table_header()
    for line in lines or [Line("", "", "暂无积分记录", 0, 0)]:
        book.row({"date": line.date, "kind": line.kind, "reason": line.reason or line.kind,
                  "amount": f"{line.amount:+d}" if line.date else "",
                  "balance": str(line.balance) if line.date else ""})
    return book.finish(f"{community} · 微网实格")


def pages_for(db: Database, actor: User, *, user_id: int, base_url: str) -> list[Image.Image]:
    """The passbook of one user; the holder themself, or staff printing it for them.

    Raises PermissionDenied (someone else's, or a guest) or NotFound.
    """
    require_role(actor, RESIDENT)
    if actor.id != user_id and not actor.at_least(STAFF):
        raise PermissionDenied("只能打印自己的积分存折。")
    holder = holders.holder(db, user_id)
    return render_pages(org.community_name(db) or "社区", holder, ledger.balance(db, user_id),
                        boards.year_totals(db, user_id), lines_of(db, user_id),
                        posters.page_url(base_url, "points"), local_text(now_iso()))


def to_pdf(pages: list[Image.Image]) -> bytes:
    return sheets.to_pdf(pages, "积分存折")


def passbook_pdf(db: Database, actor: User, *, user_id: int, base_url: str) -> bytes:
    """The printable PDF of :func:`pages_for`."""
    return to_pdf(pages_for(db, actor, user_id=user_id, base_url=base_url))
