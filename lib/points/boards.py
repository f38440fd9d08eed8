"""Leaderboards and yearly totals, read from the totals the ledger's trigger keeps (m008).

Never a GROUP BY over points_ledger on the read path: at a million entries that costs about
140 ms a page view, while these are short reads of a few hundred rows at most. Earned means
awards, special deductions and corrections; a redemption and its refund move a balance, not
what a person earned for the community.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from lib.core.clock import local_today
from lib.people.users import mask_name


@dataclass(frozen=True)
class PersonRow:
    rank: int
    user_id: int
    name: str  # masked (林*) when the person opted out of showing it publicly
    earned: int


@dataclass(frozen=True)
class BuildingRow:
    rank: int
    place_id: int
    name: str
    earned: int
    households: int

    @property
    def per_household(self) -> float | None:
        """Earned per household, one decimal; None for a building nobody lives in yet."""
        return round(self.earned / self.households, 1) if self.households else None


def shown_name(display_name: str, show_publicly: object) -> str:
    return display_name if show_publicly else mask_name(display_name)


def _ranked(values: list[int]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) of values already sorted high to low."""
    ranks: list[int] = []
    for index, value in enumerate(values):
        ranks.append(ranks[-1] if index and value == values[index - 1] else index + 1)
    return ranks


def person_board(db: Database, year: int, limit: int = 20) -> list[PersonRow]:
    """The year's top earners, highest first; disabled accounts and totals of 0 or less left out."""
    rows = db.execute(
        "SELECT points_year_totals.user_id, users.display_name, users.show_name_publicly,"
        " points_year_totals.earned FROM points_year_totals"
        " JOIN users ON users.id = points_year_totals.user_id"
        " WHERE points_year_totals.year = ? AND points_year_totals.earned > 0"
        " AND users.disabled = 0"
        " ORDER BY points_year_totals.earned DESC, points_year_totals.user_id LIMIT ?",
        (year, max(1, min(int(limit), 200))),
    ).fetchall()
    ranks = _ranked([row[3] for row in rows])
    return [PersonRow(rank, user_id, shown_name(name, public), earned)
            for rank, (user_id, name, public, earned) in zip(ranks, rows)]


def my_rank(db: Database, user_id: int, year: int) -> tuple[int, int] | None:
    """(rank, earned) of one person on the year's board, or None when they earned nothing."""
    row = db.execute("SELECT earned FROM points_year_totals WHERE user_id = ? AND year = ?",
                     (user_id, year)).fetchone()
    if row is None or row[0] <= 0:
        return None
    # counted from the (year, earned) index alone, less the few disabled accounts ahead: a join
    # to users for every row ahead cost 15 ms for a middling rank among 15,000 earners
    ahead = db.execute(
        "SELECT (SELECT COUNT(*) FROM points_year_totals WHERE year = :year AND earned > :earned)"
        # CROSS JOIN keeps users outer: scan for the disabled few, then one key lookup each
        " - (SELECT COUNT(*) FROM users CROSS JOIN points_year_totals AS totals"
        "    ON totals.user_id = users.id AND totals.year = :year"
        "    WHERE users.disabled = 1 AND totals.earned > :earned)",
        {"year": year, "earned": row[0]},
    ).fetchone()[0]
    return ahead + 1, row[0]


def building_board(db: Database, year: int) -> list[BuildingRow]:
    """Every building with households or points that year, by total earned, highest first.

    A building with households but no points is listed (0) so its neighbours see where they
    stand; a building nobody lives in and nobody earned for is left out.
    """
    rows = db.execute(
        "SELECT places.id, places.name, COALESCE(totals.earned, 0),"
        " (SELECT COUNT(*) FROM households WHERE households.place_id = places.id)"
        " FROM places LEFT JOIN points_place_year_totals AS totals"
        " ON totals.place_id = places.id AND totals.year = ?"
        " WHERE places.kind = 'building'",
        (year,),
    ).fetchall()
    rows = sorted((row for row in rows if row[2] or row[3]), key=lambda row: (-row[2], row[1]))
    ranks = _ranked([row[2] for row in rows])
    return [BuildingRow(rank, *row) for rank, row in zip(ranks, rows)]


def years_with_points(db: Database) -> list[int]:
    """The years anyone earned points, newest first, always including this year."""
    # one index seek per year (a DISTINCT walked every person-year: 9 ms at a million entries)
    years = {row[0] for row in db.execute(
        "WITH RECURSIVE known(year) AS ("
        " SELECT MIN(year) FROM points_year_totals"
        " UNION ALL SELECT (SELECT MIN(year) FROM points_year_totals WHERE year > known.year)"
        " FROM known WHERE known.year IS NOT NULL)"
        " SELECT year FROM known WHERE year IS NOT NULL")}
    return sorted(years | {local_today().year}, reverse=True)


def year_totals(db: Database, user_id: int) -> list[tuple[int, int]]:
    """(year, earned) of one person, newest year first."""
    return [tuple(row) for row in db.execute(
        "SELECT year, earned FROM points_year_totals WHERE user_id = ? ORDER BY year DESC",
        (user_id,))]


# The key conventions of lib.points.ledger: "<source>:<id>[:...]" names what an entry stands for.
# A star-building reward names its month: ranking:2026-10:flag:<user id>.
_SOURCE = re.compile(r"(?:(report|volunteer|shop|shop-refund|crowdfund):([0-9]{1,11})"
                     r"|(ranking):([0-9]{4}-[0-9]{2}))(?::.*)?")
_SOURCE_PAGES = {"report": ("reports", "n"), "volunteer": ("volunteer", None),
                 "shop": ("shop", None), "shop-refund": ("shop", None),
                 "crowdfund": ("crowdfund", "p"), "ranking": ("ranking", "m")}


def source_of(key: str) -> tuple[str, dict[str, str]] | None:
    """The page (url_path, query) showing what earned or spent an entry; None if it has none.

    A report links to its follow page (``?n=``), a pledge or labour to its project (``?p=``);
    volunteer hours and redemptions to their page.
    Special awards, corrections and the demo's seed entries stand for nothing else to open.
    """
    match = _SOURCE.fullmatch(key)
    if match is None:
        return None
    source, ident = (match[1], match[2]) if match[1] else (match[3], match[4])
    url_path, param = _SOURCE_PAGES[source]
    return url_path, ({param: ident} if param else {})
