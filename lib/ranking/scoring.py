"""Leaders' star ratings of buildings for a month: who may rate what, the score sheet, saving it.

THE RULES kept here:
- A rating is one rater's stars for one building in one month: 1-5 stars on every active star
  criterion (a star is worth 20 points) and a note of at most NOTE_MAX characters. A rater
  rates a building fully or not at all: a half-filled row is refused, and a row left all
  empty means "not rated" (it removes that rater's earlier rating of the building).
- Who: a LEADER rates the buildings of the micro-grid they lead, or every building when an
  admin has turned on ``ranking.leaders_score_all``; staff and admins may rate any building
  (roles.can_manage_microgrid). A leader outside their grid is refused with
  "只能给自己微网格内的楼栋评分。".
- When: any month up to the current one (Asia/Shanghai) while it is a draft; a future month
  and a published month are refused. Ratings stay editable until staff publish the month.
- A save is all or nothing: every row is checked first (each message names the building),
  then everything is written in one BEGIN IMMEDIATE transaction that re-checks the month is
  still a draft, so a save racing the publication either lands before it or is refused.
"""
from __future__ import annotations

import math
import numbers
import unicodedata
from dataclasses import dataclass, field

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import LEADER, STAFF, User, can_manage_microgrid, require_role
from lib.people import org
from lib.ranking import criteria as criteria_mod
from lib.ranking.months import (
    current_month, ensure_month, get_month, parse_month, previous_month, require_draft,
)


STAR_MIN, STAR_MAX = 1, 5
POINTS_PER_STAR = 20  # ★4 is 80 points of 100
NOTE_MAX = 200
OUTSIDE_GRID = "只能给自己微网格内的楼栋评分。"


@dataclass(frozen=True)
class SheetRow:
    """One building as the rater sees it: their own stars ({criterion id: 1-5 or None}) and note."""

    place_id: int
    code: str
    name: str
    stars: dict[int, int | None]
    note: str = ""

    @property
    def rated(self) -> bool:
        return all(value is not None for value in self.stars.values()) and bool(self.stars)


@dataclass(frozen=True)
class ScoreSheet:
    month: str
    published: bool
    criteria: list[criteria_mod.Criterion]  # the star columns, in order
    rows: list[SheetRow] = field(default_factory=list)


@dataclass(frozen=True)
class SaveResult:
    """What a save changed: buildings newly rated or re-rated, ratings removed, rows untouched."""

    saved: int
    removed: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.saved or self.removed)


def may_score_all(db: Database, actor: User) -> bool:
    """Whether the actor rates every building: staff and admins always, leaders when the setting is on."""
    if actor.at_least(STAFF):
        return True
    return actor.role == LEADER and criteria_mod.leaders_score_all(db)


def may_rate(db: Database, actor: User, place: org.Place, *, score_all: bool | None = None) -> bool:
    """Whether ``actor`` may rate this building (not a common area).

    ``score_all`` is may_score_all(db, actor) when the caller has it already (one settings
    read for a list of 300 buildings instead of 300).
    """
    if not place.is_building or actor is None or actor.is_guest or not actor.at_least(LEADER):
        return False
    if score_all is None:
        score_all = may_score_all(db, actor)
    return score_all or can_manage_microgrid(actor, place.microgrid_id)


def buildings_to_score(db: Database, actor: User, month: str) -> list[org.Place]:
    """The buildings ``actor`` may rate in ``month``, in natural code order (1-2 before 10-1).

    Raises PermissionDenied below LEADER, ValidationError for a malformed or future month.
    A leader who leads no micro-grid (and without the setting) gets an empty list.
    """
    require_role(actor, LEADER)
    parse_month(month)
    score_all = may_score_all(db, actor)
    return [place for place in org.list_places(db, kind=org.BUILDING)
            if may_rate(db, actor, place, score_all=score_all)]


def default_month(db: Database) -> str:
    """The month a rater most likely means: last month until it is published, then this one.

    Early in a month leaders finish the month just ended; once staff have published it, the
    running month is the open draft.
    """
    this_month = current_month()
    last = previous_month(this_month)
    return last if not get_month(db, last).is_published else this_month


def recent_months(count: int = 12) -> list[str]:
    """The current month and the ``count`` - 1 before it, newest first (the month picker's choices)."""
    months = [current_month()]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def _own_ratings(db: Database, actor_id: int, month: str) -> dict[int, tuple[str, dict[int, int]]]:
    """{place_id: (note, {criterion_id: stars})} of this rater's ratings in the month."""
    found: dict[int, tuple[str, dict[int, int]]] = {}
    for place_id, note, criterion_id, stars in db.execute(
            "SELECT r.place_id, r.note, s.criterion_id, s.stars FROM ranking_ratings r"
            " LEFT JOIN ranking_stars s ON s.rating_id = r.id"
            " WHERE r.month = ? AND r.rater_id = ?", (month, actor_id)):
        entry = found.setdefault(place_id, (note, {}))
        if criterion_id is not None:
            entry[1][criterion_id] = stars
    return found


def score_sheet(db: Database, actor: User, month: str) -> ScoreSheet:
    """The rows the score table shows: each building the actor may rate with their own stars and note.

    Raises PermissionDenied below LEADER, ValidationError for a malformed or future month.
    """
    places = buildings_to_score(db, actor, month)
    month = parse_month(month)
    columns = criteria_mod.star_criteria(db)
    mine = _own_ratings(db, actor.id, month)
    rows = []
    for place in places:
        note, stars = mine.get(place.id, ("", {}))
        rows.append(SheetRow(place.id, place.code, place.name,
                             {c.id: stars.get(c.id) for c in columns}, note))
    return ScoreSheet(month, get_month(db, month).is_published, columns, rows)


def _star_value(value: object) -> int | None | str:
    """A cell's stars: an int, None when empty, or the string "bad" when it is no whole number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return "bad"
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return None
        return int(value) if float(value).is_integer() else "bad"
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        return int(text) if text.isascii() and text.isdigit() else "bad"
    return "bad"


def _clean_note(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value.strip() if isinstance(value, str) else None


def _check_rows(db: Database, actor: User, columns: list[criteria_mod.Criterion],
                rows: list[dict]) -> list[tuple[org.Place, dict[int, int] | None, str]]:
    """Every row checked before anything is written: [(place, {criterion: stars} or None, note)].

    Raises PermissionDenied for a building outside the actor's scope, ValidationError listing
    every bad row by its building otherwise.
    """
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({"_": "评分表的格式不对。"})
    known = {c.id: c for c in columns}
    score_all = may_score_all(db, actor)
    errors: dict[str, str] = {}
    checked = []
    seen: set[int] = set()
    for row in rows:
        place_id = row.get("place_id")
        place = org.place_by_id(db, place_id) if isinstance(place_id, int) else None
        if place is None or not place.is_building:
            raise ValidationError({"_": "评分表里有不存在的楼栋，请刷新页面后重试。"})
        if not may_rate(db, actor, place, score_all=score_all):
            raise PermissionDenied(OUTSIDE_GRID)
        if place.id in seen:
            raise ValidationError({place.code: f"{place.code}：同一楼栋出现了两次。"})
        seen.add(place.id)
        given = row.get("stars") or {}
        if not isinstance(given, dict) or set(given) - set(known):
            raise ValidationError({"_": "评比标准已被修改，请刷新页面后重试。"})
        values = {cid: _star_value(given.get(cid)) for cid in known}
        bad = [known[cid].name for cid, value in values.items()
               if value == "bad" or (isinstance(value, int) and not STAR_MIN <= value <= STAR_MAX)]
        note = _clean_note(row.get("note"))
        filled = [value for value in values.values() if value is not None]
        if bad:
            errors[place.code] = f"{place.code}：{'、'.join(bad)}只能打 1-5 星（填 1 到 5 的整数）。"
        elif note is None:
            errors[place.code] = f"{place.code}：备注应为文字。"
        elif len(note) > NOTE_MAX:
            errors[place.code] = f"{place.code}：备注最多{NOTE_MAX}个字，现在是{len(note)}个字。"
        elif filled and len(filled) < len(values):
            missing = "、".join(known[cid].name for cid, value in values.items() if value is None)
            errors[place.code] = f"{place.code}：还没给{missing}打星；请每项都打星，或整行留空表示不评。"
        elif not filled and note:
            errors[place.code] = f"{place.code}：只写了备注，请同时给每项打星。"
        else:
            checked.append((place, values if filled else None, note))
    if errors:
        raise ValidationError(errors)
    return checked


def save_scores(db: Database, actor: User, *, month: str, rows: list[dict]) -> SaveResult:
    """Save the actor's ratings for ``month``, all rows or none.

    ``rows``: [{place_id, stars: {criterion_id: 1-5 or None}, note}] for the buildings the
    table showed. A fully starred row is saved (replacing the rater's earlier stars and note),
    an empty row removes the rater's rating of that building, a half-filled row, a star outside
    1-5 or a note over NOTE_MAX characters is refused naming the building.

    Raises PermissionDenied (below LEADER; a building outside the leader's micro-grid),
    ValidationError (malformed or future month; the month is published; bad rows). Nothing is
    written unless every row is valid; an unchanged row writes nothing.
    """
    require_role(actor, LEADER)
    month = parse_month(month)
    require_draft(db, month)  # early and friendly; checked again under the lock below
    with immediate(db):
        require_draft(db, month)
        columns = criteria_mod.star_criteria(db)
        checked = _check_rows(db, actor, columns, rows)
        mine = _own_ratings(db, actor.id, month)
        now = now_iso()
        saved = removed = unchanged = 0
        ensure_month(db, month)
        for place, stars, note in checked:
            before = mine.get(place.id)
            if stars is None:
                if before is None:
                    unchanged += 1
                    continue
                rating_id = db.execute("SELECT id FROM ranking_ratings WHERE month = ? AND"
                                       " place_id = ? AND rater_id = ?",
                                       (month, place.id, actor.id)).fetchone()[0]
                db.execute("DELETE FROM ranking_stars WHERE rating_id = ?", (rating_id,))
                db.execute("DELETE FROM ranking_ratings WHERE id = ?", (rating_id,))
                removed += 1
                continue
            if before == (note, stars):
                unchanged += 1
                continue
            rating_id = db.execute(
                "INSERT INTO ranking_ratings (month, place_id, rater_id, note, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (month, place_id, rater_id)"
                " DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at"
                " RETURNING id", (month, place.id, actor.id, note, now)).fetchone()[0]
            # stars of a criterion deactivated since go: the rating is exactly today's columns
            db.execute("DELETE FROM ranking_stars WHERE rating_id = ?", (rating_id,))
            db.conn.executemany("INSERT INTO ranking_stars (rating_id, criterion_id, stars) VALUES (?, ?, ?)",
                           [(rating_id, cid, value) for cid, value in stars.items()])
            saved += 1
        if saved or removed:
            audit.record(db, actor.id, "ranking.score", "ranking_month", month,
                         saved=saved, removed=removed)
    return SaveResult(saved, removed, unchanged)

