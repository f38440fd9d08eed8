"""Printable A4 sheets in Chinese drawn with Pillow: pages, a table that runs over them, a QR.

The 积分存折 and the 众筹公示 are both a header, a table of lines that may run over several
numbered pages, and the portal's QR so the paper leads back to the screen; they share this
instead of each drawing its own pages, wrapping and footers.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from lib.core.fonts import cjk_font


PAGE_DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi, as the QR posters
MARGIN = 80
INK, MUTED, RULE = 20, 110, 170
LINE = 34  # one line of a table row
MAX_LINES = 3  # a long text is cut after three lines, with "…"
BODY_SIZE = 24
FOOTER = 90
TEXT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN


@dataclass(frozen=True)
class Column:
    """One table column: its key in a row, heading, left edge, width; numbers right-aligned."""
    key: str
    label: str
    left: int
    width: int
    right: bool = False
    wrap: bool = False


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int,
         max_lines: int = MAX_LINES) -> list[str]:
    """Character-wise wrapping (Chinese has no spaces), at most ``max_lines``, the last cut with …"""
    lines, line = [], ""
    for char in text.replace("\n", " "):
        if font.getlength(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = lines[:max_lines - 1] + [last + "…"]
    return lines


class Sheet:
    """Pages being drawn, with a cursor that starts a new page when a row does not fit.

    A continued page repeats the title with （续） and the table's heading.
    """

    def __init__(self, title: str, columns: Sequence[Column]) -> None:
        self.title = title
        self.columns = list(columns)
        self.pages: list[Image.Image] = []
        self.y = 0
        self.new_page()

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return self._draw

    def new_page(self) -> None:
        self.pages.append(Image.new("L", PAGE_SIZE, 255))
        self._draw = ImageDraw.Draw(self.pages[-1])
        self.y = MARGIN
        if len(self.pages) > 1:
            self._draw.text((MARGIN, self.y), f"{self.title}（续）", font=cjk_font(28, True),
                            fill=INK)
            self.y += 60
            self.table_header()

    def text(self, text: str, size: int = 30, *, bold: bool = False, fill: int = INK,
             gap: int = 14) -> None:
        """A paragraph across the page at the cursor, wrapped, moving the cursor below it."""
        font = cjk_font(size, bold)
        for line in wrap(text, font, TEXT_WIDTH, max_lines=20):
            if not self.room_for(size + gap):
                self.new_page()
            self._draw.text((MARGIN, self.y), line, font=font, fill=fill)
            self.y += size + gap

    def qr(self, png: bytes, caption: str) -> int:
        """The QR in the first page's top right corner with its caption; returns its bottom."""
        image = Image.open(io.BytesIO(png)).convert("L")
        left, top = PAGE_SIZE[0] - MARGIN - image.width, MARGIN - 20
        self.pages[0].paste(image, (left, top))
        ImageDraw.Draw(self.pages[0]).text((left + image.width // 2, top + image.height), caption,
                                           font=cjk_font(20), fill=MUTED, anchor="ma")
        return top + image.height + 30

    def table_header(self) -> None:
        font = cjk_font(BODY_SIZE, True)
        for column in self.columns:
            self._cell(column, self.y, column.label, font)
        self.y += LINE + 6
        self._draw.line((MARGIN, self.y, PAGE_SIZE[0] - MARGIN, self.y), fill=INK, width=2)
        self.y += 10

    def row(self, values: dict[str, str]) -> None:
        """One table row; wrapping columns take up to MAX_LINES lines, on a new page if need be."""
        font = cjk_font(BODY_SIZE)
        cells = {column.key: (wrap(values.get(column.key, ""), font, column.width)
                              if column.wrap else [values.get(column.key, "")])
                 for column in self.columns}
        height = LINE * max(len(lines) for lines in cells.values()) + 8
        if not self.room_for(height):
            self.new_page()
        for column in self.columns:
            for number, text in enumerate(cells[column.key]):
                self._cell(column, self.y + number * LINE, text, font)
        self.y += height
        self._draw.line((MARGIN, self.y - 4, PAGE_SIZE[0] - MARGIN, self.y - 4), fill=RULE)

    def room_for(self, height: int) -> bool:
        return self.y + height <= PAGE_SIZE[1] - FOOTER

    def _cell(self, column: Column, y: int, text: str, font: ImageFont.FreeTypeFont) -> None:
        if column.right:
            self._draw.text((column.left + column.width, y), text, font=font, fill=INK,
                            anchor="ra")
        else:
            self._draw.text((column.left, y), text, font=font, fill=INK)

    def finish(self, footer: str) -> list[Image.Image]:
        """Number the pages ("第 1 / 3 页 · <footer>") and hand them back."""
        for number, image in enumerate(self.pages, start=1):
            ImageDraw.Draw(image).text(
                (PAGE_SIZE[0] // 2, PAGE_SIZE[1] - FOOTER // 2 - 10),
                f"第 {number} / {len(self.pages)} 页 · {footer}", font=cjk_font(22), fill=MUTED,
                anchor="ma")
        return self.pages


def to_pdf(pages: list[Image.Image], title: str) -> bytes:
    """The pages as one PDF at A4 size (each page one JPEG stream)."""
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=PAGE_DPI,
                  quality=75, title=title)
    return buf.getvalue()
