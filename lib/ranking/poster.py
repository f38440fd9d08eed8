"""The month's 星级楼栋 poster for the notice board: an A4 PDF in Chinese with the portal's QR.

Drawn with lib/core/sheets like the 众筹公示 and the 积分存折 (pages, a table that runs over
them, the QR in the corner), so a community prints all its notices the same way. The page is
grey-scale, as most community offices print: the red flag is drawn as a flag, not as a colour.
"""
from __future__ import annotations

from PIL import Image
from sqlite_utils import Database

from lib.core import sheets
from lib.core.clock import local_text, now_iso
from lib.core.fonts import cjk_font
from lib.core.sheets import INK, MARGIN, MUTED, Column, Sheet
from lib.people import org, posters
from lib.ranking import board, publish
from lib.ranking.months import Month, Standing, get_month, stars_text


POSTER_COLUMNS = (
    Column("rank", "名次", MARGIN, 80, right=True),
    Column("name", "楼栋", MARGIN + 120, 260),
    Column("stars", "星级", MARGIN + 390, 200),
    Column("score", "得分", MARGIN + 600, 110, right=True),
    Column("part", "参与度", MARGIN + 730, 120, right=True),
    Column("note", "备注", MARGIN + 880, 200))


def _note(standing: Standing) -> str:
    return "、".join(word for word, shown in (("流动红旗", standing.holds_red_flag),
                                             ("已更正", standing.corrected)) if shown)


def _flag(sheet: Sheet, holder: Standing) -> None:
    """The red-flag holder large: a flag on its pole, the building, its stars and score."""
    top, size = sheet.y, 110
    draw = sheet.draw
    draw.rectangle((MARGIN, top, MARGIN + 8, top + size + 40), fill=INK)  # the pole
    draw.polygon([(MARGIN + 8, top), (MARGIN + 8 + size, top + size // 4),
                  (MARGIN + 8, top + size // 2)], fill=90)
    left = MARGIN + size + 40
    draw.text((left, top - 6), "流动红旗", font=cjk_font(34, True), fill=MUTED)
    draw.text((left, top + 36), f"{holder.name}（{holder.code}）", font=cjk_font(64, True),
              fill=INK)
    draw.text((left, top + 116), f"{stars_text(holder.stars)}  {holder.score} 分",
              font=cjk_font(40), fill=INK)
    sheet.y = top + 180


def reward_line(db: Database, month: Month) -> str:
    """The month's reward as 评比发布 words it, with the publisher's note ('' when none)."""
    text = publish.reward_text(db, month)
    return text + (f"（{month.reward_note}）" if text and month.reward_note else "")


def poster_pages(month: Month, standings: list[Standing], url: str, community: str,
                 printed: str, reward: str = "") -> list[Image.Image]:
    """The poster's pages: title, month, the red-flag building, the table, the QR to /ranking."""
    sheet = Sheet(f"星级楼栋 · {month.label}", POSTER_COLUMNS)
    qr_bottom = sheet.qr(posters.qr_png(url, box_size=5), "扫码查看各楼栋走势")
    sheet.text("星级楼栋评比", 64, bold=True, gap=26)
    sheet.text(f"{month.label} · {community}", 36, bold=True)
    if month.corrected_at:
        sheet.text(f"本月结果已于 {local_text(month.corrected_at)} 更正", 24, fill=MUTED)
    sheet.text(f"打印时间：{printed}", 22, fill=MUTED)
    sheet.y = max(sheet.y + 30, qr_bottom + 20)
    if standings:
        _flag(sheet, standings[0])
    if reward:
        sheet.text(reward, 28)
    sheet.text("得分满分 100：各项星级（每颗星 20 分）按权重合计，加上参与度（志愿服务、出工、"
               "随手拍）。90 分以上五星，80 分以上四星，70 分以上三星，60 分以上二星。",
               22, fill=MUTED)
    sheet.y += 16
    sheet.table_header()
    for standing in standings:
        sheet.row({"rank": str(standing.rank), "name": f"{standing.name}（{standing.code}）",
                   "stars": stars_text(standing.stars), "score": standing.score,
                   "part": f"{standing.participation_tenths / 10:.1f}",
                   "note": _note(standing)})
    if not standings:
        sheet.row({"name": "本月暂无公布的结果"})
    return sheet.finish(f"{community} · 微网实格")


def poster_pdf(db: Database, month: str, url: str) -> bytes:
    """The printable A4 poster of a published month (PDF) with the QR to ``url``."""
    shown = get_month(db, month)
    pages = poster_pages(shown, board.standings(db, month), url,
                         org.community_name(db) or "社区", local_text(now_iso()),
                         reward_line(db, shown))
    return sheets.to_pdf(pages, f"星级楼栋 {shown.label}")
