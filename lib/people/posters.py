"""QR codes and printable posters that send a resident's phone to the right place in the portal."""
from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont

from lib.core.fonts import cjk_font


SLOGAN = "扫码随手拍 · 众筹 · 积分"

# A4 at 150 dpi: sharp enough for a phone to scan a printed QR, small enough to build 300 fast.
PAGE_DPI = 150
PAGE_SIZE = (1240, 1754)
GRID = (2, 2)
CELL_SIZE = (PAGE_SIZE[0] // GRID[0], PAGE_SIZE[1] // GRID[1])
CUT_MARGIN = 28  # white space around each poster, so a slightly crooked cut does not bite into it
POSTER_SIZE = (CELL_SIZE[0] - 2 * CUT_MARGIN, CELL_SIZE[1] - 2 * CUT_MARGIN)

INK = (33, 33, 33)
MUTED = (110, 110, 110)
BRAND = (31, 111, 178)
CUT_LINE = (170, 170, 170)
PADDING = 28

_TOKEN = re.compile(r"[A-Za-z0-9]+|\s+|.")
Box = tuple[int, int, int, int]


def page_url(base_url: str, url_path: str, code: str | None = None) -> str:
    """The address of one portal page, with the place code as ``?b=`` when given.

    The code is percent-encoded (``/`` included) so codes with spaces, slashes or 汉字 survive.
    """
    url = f"{base_url.rstrip('/')}/{url_path.strip('/')}"
    if code is not None:
        url += f"?b={quote(code, safe='-')}"
    return url


def place_url(base_url: str, code: str) -> str:
    """The address a place's poster points to: the home page, which reads the place from ``?b=``."""
    return page_url(base_url, "", code)


def _qr_modules(url: str) -> Image.Image:
    """The QR at one pixel per module (error correction M tolerates a smudged or creased print).

    Built once and scaled, because choosing the best mask is most of the cost of a poster.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def _scaled(modules: Image.Image, box_size: int) -> Image.Image:
    """Blow modules up to ``box_size`` pixels each; NEAREST keeps their edges sharp."""
    side = modules.width * box_size
    return modules.resize((side, side), Image.Resampling.NEAREST)


@functools.lru_cache(maxsize=256)  # a pure function of its arguments, 14 ms to draw
def qr_png(url: str, box_size: int = 10) -> bytes:
    """PNG bytes of a black-on-white QR code for ``url``, for showing on screen or downloading.

    管理 › 二维码 shows the chosen place's code on every run of the page; drawing it each time
    made that page the slowest of 管理 (2.5x the typical-widgets floor in make bench).
    """
    buf = io.BytesIO()
    _scaled(_qr_modules(url), box_size).save(buf, "PNG")
    return buf.getvalue()


def _fitted_qr(url: str, side: int) -> Image.Image:
    """The largest QR that fits a ``side`` square with whole-pixel modules, which scan best."""
    modules = _qr_modules(url)
    return _scaled(modules, max(1, side // modules.width))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break text into lines no wider than ``width``; Latin words and numbers stay whole."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        pieces = [token] if font.getlength(token) <= width else list(token)
        for piece in pieces:
            if font.getlength(line + piece) <= width:
                line += piece
            elif line.strip():
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line = piece.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """Cut a line so that it plus "…" fits; used only when even the smallest size overflows."""
    while line and font.getlength(line + "…") > width:
        line = line[:-1]
    return line + "…"


def _draw_text_box(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: Box,
    sizes: tuple[int, int],
    max_lines: int,
    *,
    bold: bool = False,
    fill: tuple[int, int, int] = INK,
) -> None:
    """Draw text centred in ``box``, shrinking from ``sizes[0]`` to ``sizes[1]`` and wrapping
    to at most ``max_lines``, so that no name, however long, runs off the poster."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    largest, smallest = sizes
    for size in range(largest, smallest - 1, -2):
        font = cjk_font(size, bold)
        lines = _wrap(text, font, width)
        line_height = sum(font.getmetrics())
        if len(lines) <= max_lines and len(lines) * line_height <= height:
            break
    else:
        fit = max(1, min(max_lines, height // line_height))
        if len(lines) > fit:
            lines = lines[: fit - 1] + [_ellipsize(lines[fit - 1], font, width)]
    top = y0 + (height - len(lines) * line_height) // 2
    for i, line in enumerate(lines):
        draw.text(((x0 + x1) // 2, top + i * line_height), line, font=font, fill=fill, anchor="ma")


def _render_poster(community_name: str, code: str, name: str, base_url: str) -> Image.Image:
    """One poster: community, place, code, a big QR to the place's home page, and the slogan."""
    w, h = POSTER_SIZE
    poster = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(poster)
    header = 96
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=18, outline=BRAND, width=4)
    draw.rounded_rectangle(
        (0, 0, w - 1, header), radius=18, fill=BRAND, corners=(True, True, False, False)
    )
    inner = (PADDING, w - PADDING)
    _draw_text_box(draw, community_name, (inner[0], 10, inner[1], header - 6), (40, 22), 1,
                   bold=True, fill=(255, 255, 255))
    _draw_text_box(draw, name, (inner[0], header + 12, inner[1], header + 138), (56, 26), 2,
                   bold=True)
    _draw_text_box(draw, f"编号 {code}", (inner[0], header + 150, inner[1], header + 190),
                   (28, 18), 1, fill=MUTED)
    slogan_top = h - 96
    qr_top = header + 196
    side = min(w - 2 * PADDING, slogan_top - qr_top)
    qr = _fitted_qr(place_url(base_url, code), side)
    poster.paste(qr, ((w - qr.width) // 2, qr_top + (side - qr.height) // 2))
    _draw_text_box(draw, SLOGAN, (inner[0], slogan_top, inner[1], h - 24), (36, 22), 1,
                   bold=True, fill=BRAND)
    return poster


def poster_png(community_name: str, code: str, name: str, base_url: str) -> bytes:
    """One place's poster as PNG, for a preview or a single reprint."""
    buf = io.BytesIO()
    _render_poster(community_name, code, name, base_url).save(buf, "PNG", dpi=(PAGE_DPI, PAGE_DPI))
    return buf.getvalue()


def _blank_page() -> Image.Image:
    """An A4 page with dashed cut lines between the poster cells."""
    page = Image.new("RGB", PAGE_SIZE, "white")
    draw = ImageDraw.Draw(page)
    for col in range(1, GRID[0]):
        x = col * CELL_SIZE[0]
        for y in range(0, PAGE_SIZE[1], 24):
            draw.line((x, y, x, y + 12), fill=CUT_LINE, width=2)
    for row in range(1, GRID[1]):
        y = row * CELL_SIZE[1]
        for x in range(0, PAGE_SIZE[0], 24):
            draw.line((x, y, x + 12, y), fill=CUT_LINE, width=2)
    return page


def poster_sheet_pdf(
    community_name: str,
    places: list[tuple[str, str]],
    base_url: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """A printable A4 PDF with four cut-out posters per page, one per ``(code, name)`` place.

    ``progress(done, total)`` is called after each poster, since 300 places take a while.
    Raises ValueError for an empty list, which would otherwise make an empty, unopenable PDF.
    """
    if not places:
        raise ValueError("places must not be empty")
    per_page = GRID[0] * GRID[1]
    pages: list[Image.Image] = []
    for i, (code, name) in enumerate(places):
        slot = i % per_page
        if slot == 0:
            pages.append(_blank_page())
        col, row = slot % GRID[0], slot // GRID[0]
        origin = (col * CELL_SIZE[0] + CUT_MARGIN, row * CELL_SIZE[1] + CUT_MARGIN)
        pages[-1].paste(_render_poster(community_name, code, name, base_url), origin)
        if progress is not None:
            progress(i + 1, len(places))
    buf = io.BytesIO()
    # Pillow stores RGB pages as JPEG; quality 90 keeps QR module edges crisp enough to scan.
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=PAGE_DPI,
                  quality=90)
    return buf.getvalue()
