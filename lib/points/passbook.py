"""积分存折: a resident's points on paper, an A4 PDF in Chinese drawn with Pillow.

For a resident who prefers paper (staff print it at the desk) or wants a record of their own:
the holder, balance and yearly totals, then every entry oldest first with its running balance,
like a bank passbook, and the portal's QR so the paper leads back to 我的积分.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont
from sqlite_utils import Database

from lib.core.clock import local_text, now_iso
from lib.core.errors import PermissionDenied
from lib.core.fonts import cjk_font
from lib.core.roles import RESIDENT, STAFF, User, require_role
from lib.people import org, posters
from lib.people import holders
from lib.points import boards, ledger


PAGE_DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi, as the QR posters
MARGIN = 80
INK, MUTED, RULE = 20, 110, 170
LINE = 34  # one line of an entry
MAX_LINES = 3  # a 200-character reason is cut after three lines, with "…"
BODY_SIZE = 24
FOOTER = 90
# the columns: (left edge, width); amounts and balances are right-aligned in theirs
COLUMNS = {"date": (MARGIN, 150), "kind": (MARGIN + 160, 130), "reason": (MARGIN + 300, 560),
           "amount": (MARGIN + 870, 110), "balance": (MARGIN + 990, 90)}


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


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Character-wise wrapping (Chinese has no spaces), at most MAX_LINES, the last cut with …"""
    lines, line = [], ""
    for char in text.replace("\n", " "):
        if font.getlength(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    lines.append(line)
    if len(lines) > MAX_LINES:
        last = lines[MAX_LINES - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = lines[:MAX_LINES - 1] + [last + "…"]
    return lines


class _Pages:
    """Pages being drawn, with a cursor that starts a new page when an entry does not fit."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.pages: list[Image.Image] = []
        self.y = 0

    def new_page(self) -> ImageDraw.ImageDraw:
        self.pages.append(Image.new("L", PAGE_SIZE, 255))
        self.draw = ImageDraw.Draw(self.pages[-1])
        self.y = MARGIN
        if len(self.pages) > 1:
            self.draw.text((MARGIN, self.y), f"{self.title}（续）", font=cjk_font(28, True),
                           fill=INK)
            self.y += 60
            self.table_header()
        return self.draw

    def table_header(self) -> None:
        font = cjk_font(BODY_SIZE, True)
        for name, label in (("date", "日期"), ("kind", "类型"), ("reason", "事由"),
                            ("amount", "收支"), ("balance", "余额")):
            _cell(self.draw, name, self.y, label, font)
        self.y += LINE + 6
        self.draw.line((MARGIN, self.y, PAGE_SIZE[0] - MARGIN, self.y), fill=INK, width=2)
        self.y += 10

    def room_for(self, height: int) -> bool:
        return self.y + height <= PAGE_SIZE[1] - FOOTER


def _cell(draw: ImageDraw.ImageDraw, column: str, y: int, text: str,
          font: ImageFont.FreeTypeFont) -> None:
    left, width = COLUMNS[column]
    if column in ("amount", "balance"):
        draw.text((left + width, y), text, font=font, fill=INK, anchor="ra")
    else:
        draw.text((left, y), text, font=font, fill=INK)


def render_pages(community: str, holder: holders.Holder, balance: int,
                 year_totals: list[tuple[int, int]], lines: list[Line], url: str,
                 printed: str) -> list[Image.Image]:
    """The passbook's pages as images (the PDF is these, and a test can read them back)."""
    book = _Pages(f"积分存折 · {holder.display_name}")
    draw = book.new_page()
    qr = Image.open(io.BytesIO(posters.qr_png(url, box_size=6))).convert("L")
    page = book.pages[0]
    page.paste(qr, (PAGE_SIZE[0] - MARGIN - qr.width, MARGIN - 20))
    draw.text((PAGE_SIZE[0] - MARGIN - qr.width // 2, MARGIN - 20 + qr.height), "扫码查看我的积分",
              font=cjk_font(20), fill=MUTED, anchor="ma")
    draw.text((MARGIN, book.y), "积分存折", font=cjk_font(64, True), fill=INK)
    draw.text((MARGIN, book.y + 90), community, font=cjk_font(30), fill=MUTED)
    y = book.y + 160
    facts = [("姓名", holder.display_name), ("住址", holder.address),
             ("当前余额", f"{balance} 分"), ("打印时间", printed)]
    for label, value in facts:
        draw.text((MARGIN, y), f"{label}：{value}", font=cjk_font(30, label == "当前余额"),
                  fill=INK)
        y += 48
    totals = "；".join(f"{year} 年获得 {earned} 分" for year, earned in year_totals) or "暂无"
    for text in _wrap(f"历年获得：{totals}", cjk_font(26), PAGE_SIZE[0] - 2 * MARGIN):
        draw.text((MARGIN, y), text, font=cjk_font(26), fill=INK)
        y += LINE
    book.y = max(y + 30, MARGIN - 20 + qr.height + 50)
    book.table_header()
    font = cjk_font(BODY_SIZE)
    for line in lines or [Line("", "", "暂无积分记录", 0, 0)]:
        reason = _wrap(line.reason or line.kind, font, COLUMNS["reason"][1])
        height = LINE * len(reason) + 8
        if not book.room_for(height):
            book.new_page()
        for name, text in (("date", line.date), ("kind", line.kind)):
            _cell(book.draw, name, book.y, text, font)
        for number, text in enumerate(reason):
            _cell(book.draw, "reason", book.y + number * LINE, text, font)
        if line.date:
            _cell(book.draw, "amount", book.y, f"{line.amount:+d}", font)
            _cell(book.draw, "balance", book.y, str(line.balance), font)
        book.y += height
        book.draw.line((MARGIN, book.y - 4, PAGE_SIZE[0] - MARGIN, book.y - 4), fill=RULE)
    for number, image in enumerate(book.pages, start=1):
        footer = f"第 {number} / {len(book.pages)} 页 · {community} · 微网实格"
        ImageDraw.Draw(image).text((PAGE_SIZE[0] // 2, PAGE_SIZE[1] - FOOTER // 2 - 10), footer,
                                   font=cjk_font(22), fill=MUTED, anchor="ma")
    return book.pages


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
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=PAGE_DPI,
                  quality=75, title="积分存折")
    return buf.getvalue()


def passbook_pdf(db: Database, actor: User, *, user_id: int, base_url: str) -> bytes:
    """The printable PDF of :func:`pages_for`."""
    return to_pdf(pages_for(db, actor, user_id=user_id, base_url=base_url))
