"""What everyone may read of 星级楼栋: the published months, their standings, the red flag.

Only published months are public: a draft's scores change while leaders are still rating, so
nothing here reads ``ranking_ratings``; every figure comes from the frozen ``ranking_results``
that publication wrote (and an admin's correction rewrote, marking it 已更正). Each query walks
an index m012 made: results by (month, rank) for a month and the flag, by (place_id, month) for
a building's trend, months by (status, month) for the list of months.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib.core.db import scalar
from lib.ranking import standings as standings_mod
from lib.ranking.months import Standing, month_label, score_text


def is_published(db: Database, month: str) -> bool:
    return scalar(db, "SELECT 1 FROM ranking_months WHERE month = ? AND status = 'published'",
                  (month,)) is not None


def latest_published(db: Database) -> str | None:
    """The newest published month ('YYYY-MM'), or None before the first publication."""
    return scalar(db, "SELECT month FROM ranking_months WHERE status = 'published'"
                      " ORDER BY month DESC LIMIT 1")


def standings(db: Database, month: str) -> list[Standing]:
    """A published month's buildings by rank (the red-flag holder first); [] for a draft or a
    month nobody published, so a draft's half-scored ranking never leaks to the public."""
    return standings_mod.published(db, month) if is_published(db, month) else []


class _MonthWords:
    """A month's row in the words the page prints: '2026年10月', '87.5'."""

    month: str
    score_tenths: int

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def score(self) -> str:
        return score_text(self.score_tenths)


@dataclass(frozen=True)
class TrendPoint(_MonthWords):
    """One published month of one building: where it stood among how many."""

    month: str
    rank: int
    buildings: int  # how many buildings that month was ranked among
    score_tenths: int
    stars: int
    rated_tenths: int
    participation_tenths: int
    corrected: bool

    @property
    def holds_red_flag(self) -> bool:
        return self.rank == 1


def trend(db: Database, place_id: int, months: int = 12) -> list[TrendPoint]:
    """The building in the community's last ``months`` published months, oldest first (a chart
    reads left to right). A month it was not ranked in (built later, say) is simply absent, so
    "近 12 个月" means the same calendar for every building."""
    rows = db.execute(
        "SELECT r.month, r.rank,"
        " (SELECT MAX(rank) FROM ranking_results a WHERE a.month = r.month),"
        " r.score_tenths, r.stars, r.rated_tenths, r.participation_tenths, r.corrected"
        " FROM ranking_results r WHERE r.place_id = ? AND r.month IN ("
        "  SELECT month FROM ranking_months WHERE status = 'published'"
        "  ORDER BY month DESC LIMIT ?) ORDER BY r.month",
        (place_id, months)).fetchall()
    return [TrendPoint(*row[:7], corrected=bool(row[7])) for row in rows]


@dataclass(frozen=True)
class Flag(_MonthWords):
    """The red flag (流动红旗) of one published month and the building that held it."""

    month: str
    place_id: int
    code: str
    name: str
    score_tenths: int
    stars: int
    corrected: bool

    @property
    def place_label(self) -> str:
        return f"{self.name}（{self.code}）"


def flag_history(db: Database, limit: int = 12) -> list[Flag]:
    """Who held the red flag, newest month first, as it moved from building to building."""
    rows = db.execute(
        "SELECT m.month, r.place_id, p.code, p.name, r.score_tenths, r.stars, r.corrected"
        " FROM ranking_months m JOIN ranking_results r ON r.month = m.month AND r.rank = 1"
        " JOIN places p ON p.id = r.place_id"
        " WHERE m.status = 'published' ORDER BY m.month DESC LIMIT ?", (limit,)).fetchall()
    return [Flag(*row[:6], corrected=bool(row[6])) for row in rows]


def red_flag(db: Database) -> Flag | None:
    """The building holding the red flag now: rank 1 of the latest published month (首页)."""
    history = flag_history(db, 1)
    return history[0] if history else None


def flags_held(db: Database, place_id: int) -> int:
    """How many published months this building held the red flag."""
    return scalar(db, "SELECT COUNT(*) FROM ranking_results r JOIN ranking_months m"
                      " ON m.month = r.month AND m.status = 'published'"
                      " WHERE r.place_id = ? AND r.rank = 1", (place_id,))
