"""The months of the 星级楼栋 contest, the score scale and the stars it earns.

A month is the text 'YYYY-MM' in Asia/Shanghai time (the contest follows the community's
calendar, not UTC). A month row exists from the first rating or the first look at it as a draft
and turns 'published' once, after which its ratings and results are frozen (m012's triggers).

Scores are integer tenths of a point on 0-100 (875 is 87.5), so the ranking is exact and two
runs on the same data agree to the digit; floats never reach a comparison.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from sqlite_utils import Database

from lib.core.clock import local_today, now_iso
from lib.core.db import scalar
from lib.core.errors import ValidationError


DRAFT = "draft"
PUBLISHED = "published"
STATUS_LABELS = {DRAFT: "评分中", PUBLISHED: "已公布"}

MAX_TENTHS = 1000
# (lowest score in tenths, stars): 90 and above earn ★5, below 60 ★1
STAR_BANDS = ((900, 5), (800, 4), (700, 3), (600, 2), (0, 1))

_MONTH = re.compile(r"\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*月?\s*")


def current_month() -> str:
    """This month in Asia/Shanghai (respects clock.pretend, so demo history can be seeded)."""
    return local_today().strftime("%Y-%m")


def parse_month(value: object, *, field_name: str = "month") -> str:
    """'YYYY-MM' from what a person types ('2026-10', '2026年10月', '2026/9'); never a future month.

    Raises ValidationError with a Chinese message naming ``field_name``.
    """
    found = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise ValidationError({field_name: "月份格式应为 2026-10 这样的年-月。"})
    month = f"{int(found[1]):04d}-{int(found[2]):02d}"
    if month > current_month():
        raise ValidationError({field_name: "不能评比未来的月份。"})
    return month


def month_label(month: str) -> str:
    """'2026-10' → '2026年10月', as residents write it."""
    return f"{month[:4]}年{int(month[5:7])}月"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def month_bounds(month: str) -> tuple[str, str]:
    """The first local date of the month and of the next: ``first <= day < following``."""
    return f"{month}-01", f"{next_month(month)}-01"


def stars_for(score_tenths: int) -> int:
    """★1-5 by score band (see STAR_BANDS)."""
    return next(stars for low, stars in STAR_BANDS if score_tenths >= low)


def score_text(score_tenths: int) -> str:
    """875 → '87.5'."""
    return f"{score_tenths // 10}.{score_tenths % 10}"


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


@dataclass(frozen=True)
class Month:
    month: str
    status: str
    weights: list[dict] = field(default_factory=list)  # the snapshot taken at publication
    missing: str = ""  # what was still unscored when staff published anyway
    published_by: int | None = None
    published_at: str | None = None
    reward_kind: str = "none"
    reward_fen: int | None = None
    reward_project_id: int | None = None
    reward_points: int = 0
    reward_note: str = ""
    corrected_at: str | None = None

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def label(self) -> str:
        return month_label(self.month)


def get_month(db: Database, month: str) -> Month:
    """The month's row; a month nobody has touched yet reads as an empty draft."""
    row = db.execute(
        "SELECT month, status, weights, missing, published_by, published_at, reward_kind,"
        " reward_fen, reward_project_id, reward_points, reward_note, corrected_at"
        " FROM ranking_months WHERE month = ?", (month,)).fetchone()
    if row is None:
        return Month(month=month, status=DRAFT)
    values = list(row)
    values[2] = json.loads(values[2])  # NOT NULL, '[]' until publication
    return Month(*values)


def ensure_month(db: Database, month: str) -> None:
    """Create the draft row if missing; call inside the writer's transaction."""
    db.execute("INSERT INTO ranking_months (month, created_at) VALUES (?, ?)"
               " ON CONFLICT (month) DO NOTHING", (month, now_iso()))


def require_draft(db: Database, month: str) -> None:
    """Refuse any change to a published month with the Chinese message residents' leaders see."""
    if scalar(db, "SELECT status FROM ranking_months WHERE month = ?", (month,)) == PUBLISHED:
        raise ValidationError({"month": f"{month_label(month)}的评比已公布，不能再修改。"})


def published_months(db: Database) -> list[str]:
    """Published months, newest first."""
    return [row[0] for row in db.execute(
        "SELECT month FROM ranking_months WHERE status = 'published' ORDER BY month DESC")]


@dataclass(frozen=True)
class Standing:
    """One building's place in a month: computed live for a draft, read back once published."""

    place_id: int
    code: str
    name: str
    rank: int
    score_tenths: int
    stars: int
    rated_tenths: int  # the weighted star criteria on 0-100, averaged over raters
    participation_tenths: int  # the participation index on 0-100
    households: int
    volunteer_half_hours: int = 0
    labour_half_hours: int = 0
    reports: int = 0
    raters: int = 0
    detail: dict = field(default_factory=dict)  # {criterion name: average stars in tenths}
    corrected: bool = False

    @property
    def holds_red_flag(self) -> bool:
        return self.rank == 1

    @property
    def score(self) -> str:
        return score_text(self.score_tenths)
