"""A month's 星级楼栋 standings: computed live for a draft, read back once published.

THE RULES (binding; tests/test_ranking_standings.py works them by hand):

- A rater gives each star criterion 1-5 stars; a star is worth 20 points (★4 = 80).
  ``rated`` = the weighted mean over the active star criteria of (the average stars over the
  raters who rated that criterion × 20); a criterion nobody rated counts 0 (publishing warns).
- ``participation``: units = approved volunteer half hours (served in the month) + attended
  crowdfunding labour half hours (tasks worked in the month) + 2 × reports accepted in the month
  (a report counts like an hour), each by the building of the person's verified household (a
  report by its reporter's household, not the place reported). Per household = units /
  households of the building; index = 100 × per household / the best building's per household
  (0 for all when nobody took part; 0 for a building with no households).
- score = (W_stars × rated + W_participation × participation) / 100, where W_stars is the sum of
  the star criteria's weights (all weights add up to 100): exact with Fraction, rounded half up to
  a tenth once, at the end. ``rated_tenths`` and ``participation_tenths`` are shown rounded the
  same way. Weights are the active criteria's now (a draft) or the month's snapshot (published).
- Tie rule, in order: higher score; higher rated (the judges), then higher participation (both
  as shown, to the tenth, so anyone can check a rank from the published table); then fewer red
  flags held in the 12 published months before this one (the flag should rotate); then the
  building code in natural order (1-2 before 10-1). Rank 1 holds the red flag (流动红旗).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fractions import Fraction

from sqlite_utils import Database

from lib.core.roles import STAFF, User, require_role
from lib.crowdfund.labour import attended_by_building
from lib.people.households import total_by_home
from lib.people.org import natural_key
from lib.ranking.months import Standing, get_month, month_bounds, stars_for
from lib.reports.views import accepted_by_building


STARS_KIND, PARTICIPATION_KIND = "stars", "participation"
POINTS_PER_STAR = 20
REPORT_UNITS = 2  # a report accepted counts like an hour: two half hours
FLAG_MONTHS = 12  # the tie rule looks this many published months back


def round_half_up(value: Fraction) -> int:
    """The nearest integer, halves up (87.45 → 87.5 in tenths); never banker's rounding."""
    return _half_up(value.numerator, value.denominator)


def _half_up(numerator: int, denominator: int) -> int:
    """round_half_up(numerator / denominator) for a positive denominator, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def active_weights(db: Database) -> list[dict]:
    """The weights a draft month is judged by: the active criteria now, in their order.

    This list is what publication freezes into ``ranking_months.weights``.
    """
    return [dict(row) for row in db.query(
        "SELECT id, name, kind, weight FROM ranking_criteria WHERE active = 1"
        " ORDER BY position, id")]


class _Counts:
    """The participation units of the counts a building's records give (see THE RULES)."""

    volunteer_half_hours: int
    labour_half_hours: int
    reports: int

    @property
    def units(self) -> int:
        return self.volunteer_half_hours + self.labour_half_hours + REPORT_UNITS * self.reports


@dataclass
class Inputs(_Counts):
    """What one building brings to a month before ranking: the records counted and the stars."""

    place_id: int
    code: str
    name: str
    households: int
    volunteer_half_hours: int = 0
    labour_half_hours: int = 0
    reports: int = 0
    raters: int = 0
    stars: dict[int, list[int]] = field(default_factory=dict)  # criterion id -> each rater's stars


@dataclass(frozen=True)
class Participation(_Counts):
    """One building's participation counts for a month (see THE RULES)."""

    place_id: int
    households: int
    volunteer_half_hours: int
    labour_half_hours: int
    reports: int


def _buildings(db: Database) -> list[dict]:
    return list(db.query(
        "SELECT p.id, p.code, p.name, p.microgrid_id,"
        " (SELECT COUNT(*) FROM households h WHERE h.place_id = p.id) AS households"
        " FROM places p WHERE p.kind = 'building'"))


def _volunteer_by_building(db: Database, first: str, following: str) -> dict[int, int]:
    return total_by_home(db, "SELECT user_id, half_hours AS amount FROM volunteer_hours"
                             " WHERE status = 'approved' AND served_on >= ? AND served_on < ?",
                         (first, following))


def _counted_buildings(db: Database, month: str) -> list[tuple[dict, Participation]]:
    """Every building's row with its participation counts for ``month``, read live."""
    first, following = month_bounds(month)
    volunteer = _volunteer_by_building(db, first, following)
    labour = attended_by_building(db, first, following)
    reports = accepted_by_building(db, first, following)
    return [(row, Participation(row["id"], row["households"], volunteer.get(row["id"], 0),
                                labour.get(row["id"], 0), reports.get(row["id"], 0)))
            for row in _buildings(db)]


def participation(db: Database, month: str) -> dict[int, Participation]:
    """Each building's participation counts for ``month``, read live from the portal's records."""
    return {row["id"]: counts for row, counts in _counted_buildings(db, month)}


def _stars(db: Database, month: str) -> dict[int, tuple[int, dict[int, list[int]]]]:
    """{place id: (raters, {criterion id: [stars, ...]})} of the month's ratings."""
    found: dict[int, tuple[set, dict[int, list[int]]]] = {}
    for place_id, rater_id, criterion_id, stars in db.execute(
            "SELECT r.place_id, r.rater_id, s.criterion_id, s.stars FROM ranking_ratings r"
            " JOIN ranking_stars s ON s.rating_id = r.id WHERE r.month = ?", (month,)):
        raters, by_criterion = found.setdefault(place_id, (set(), {}))
        raters.add(rater_id)
        by_criterion.setdefault(criterion_id, []).append(stars)
    return {place_id: (len(raters), stars) for place_id, (raters, stars) in found.items()}


def _live_inputs(db: Database, month: str) -> list[Inputs]:
    ratings = _stars(db, month)
    inputs = []
    for row, count in _counted_buildings(db, month):
        raters, stars = ratings.get(row["id"], (0, {}))
        inputs.append(Inputs(row["id"], row["code"], row["name"], count.households,
                             count.volunteer_half_hours, count.labour_half_hours, count.reports,
                             raters, stars))
    return inputs


def frozen_inputs(db: Database, month: str) -> list[Inputs]:
    """A published month's inputs: participation counts as published, the stars as they are now.

    A correction re-ranks from these, so a volunteer hour approved after publication never
    moves a published month.
    """
    ratings = _stars(db, month)
    inputs = []
    for row in db.query(
            "SELECT r.place_id, p.code, p.name, r.households, r.volunteer_half_hours,"
            " r.labour_half_hours, r.reports FROM ranking_results r"
            " JOIN places p ON p.id = r.place_id WHERE r.month = ?", (month,)):
        raters, stars = ratings.get(row["place_id"], (0, {}))
        inputs.append(Inputs(row["place_id"], row["code"], row["name"], row["households"],
                             row["volunteer_half_hours"], row["labour_half_hours"],
                             row["reports"], raters, stars))
    return inputs


def flags_before(db: Database, month: str, *, count: int = FLAG_MONTHS) -> dict[int, int]:
    """Red flags each building held in the ``count`` published months before ``month``."""
    return dict(db.execute(
        "SELECT place_id, COUNT(*) FROM ranking_results WHERE rank = 1 AND month IN ("
        " SELECT month FROM ranking_months WHERE status = 'published' AND month < ?"
        " ORDER BY month DESC LIMIT ?) GROUP BY place_id", (month, count)).fetchall())


def rank(inputs: list[Inputs], weights: list[dict], flags: dict[int, int]) -> list[Standing]:
    """THE RULES applied to the buildings' inputs with these weights; best first, ranks 1..n."""
    star_criteria = [c for c in weights if c["kind"] == STARS_KIND]
    star_weight = sum(c["weight"] for c in star_criteria)
    part_weight = sum(c["weight"] for c in weights if c["kind"] == PARTICIPATION_KIND)

    def per_household(building: Inputs) -> Fraction:
        return Fraction(building.units, building.households) if building.households else Fraction(0)

    best = max((per_household(b) for b in inputs), default=Fraction(0))
    # Exact, in integers over a common denominator: Fraction objects cost 0.1 ms a building,
    # a third of 评比发布's run for 300 buildings.
    scored = []
    for building in inputs:
        rated = [(c, building.stars[c["id"]]) for c in star_criteria if building.stars.get(c["id"])]
        common = math.lcm(*(len(given) for _, given in rated)) if rated else 1
        # rated_tenths = weighted / (common × star_weight)
        weighted = sum(c["weight"] * sum(given) * (common // len(given)) * POINTS_PER_STAR * 10
                       for c, given in rated)
        # participation_tenths = part_top / part_bottom
        part_top, part_bottom = ((1000 * building.units * best.denominator,
                                  building.households * best.numerator)
                                 if best and building.households else (0, 1))
        score = _half_up(weighted * part_bottom + part_weight * part_top * common,
                         100 * common * part_bottom)
        averages = {c["name"]: _half_up(10 * sum(given), len(given)) for c, given in rated}
        detail = {c["name"]: averages.get(c["name"], 0) for c in star_criteria}
        scored.append((score, _half_up(weighted, common * star_weight) if star_weight else 0,
                       _half_up(part_top, part_bottom), building, detail))
    scored.sort(key=lambda item: (-item[0], -item[1], -item[2], flags.get(item[3].place_id, 0),
                                  natural_key(item[3].code)))
    return [Standing(place_id=b.place_id, code=b.code, name=b.name, rank=position,
                     score_tenths=score, stars=stars_for(score), rated_tenths=rated,
                     participation_tenths=part, households=b.households,
                     volunteer_half_hours=b.volunteer_half_hours,
                     labour_half_hours=b.labour_half_hours, reports=b.reports, raters=b.raters,
                     detail=detail)
            for position, (score, rated, part, b, detail) in enumerate(scored, start=1)]


def live(db: Database, month: str, weights: list[dict] | None = None) -> list[Standing]:
    """The month ranked now from the portal's records (``weights``: the active criteria's)."""
    return rank(_live_inputs(db, month), active_weights(db) if weights is None else weights,
                flags_before(db, month))


def published(db: Database, month: str) -> list[Standing]:
    """A published month's frozen standings, in rank order."""
    return [Standing(place_id=row["place_id"], code=row["code"], name=row["name"],
                     rank=row["rank"], score_tenths=row["score_tenths"], stars=row["stars"],
                     rated_tenths=row["rated_tenths"],
                     participation_tenths=row["participation_tenths"],
                     households=row["households"],
                     volunteer_half_hours=row["volunteer_half_hours"],
                     labour_half_hours=row["labour_half_hours"], reports=row["reports"],
                     raters=row["raters"], detail=json.loads(row["detail"]),
                     corrected=bool(row["corrected"]))
            for row in db.query(
                "SELECT r.*, p.code, p.name FROM ranking_results r"
                " JOIN places p ON p.id = r.place_id WHERE r.month = ? ORDER BY r.rank",
                (month,))]


def draft_version(db: Database, month: str) -> tuple:
    """What changes whenever a rating of ``month`` or a weight changes: a preview's cache key.

    Participation is not in it (every approved hour would change it); a cached preview lags
    those by at most its lifetime, and publishing always ranks afresh under its lock.
    """
    return tuple(db.execute(
        "SELECT (SELECT COUNT(*) || ':' || TOTAL(s.stars * s.criterion_id) || ':'"
        " || TOTAL(s.stars * s.rating_id) FROM ranking_stars s"
        " JOIN ranking_ratings r ON r.id = s.rating_id WHERE r.month = ?),"
        " (SELECT MAX(updated_at) FROM ranking_ratings WHERE month = ?),"
        " (SELECT group_concat(id || '=' || weight || '/' || active, ',') FROM ranking_criteria)",
        (month, month)).fetchone())

def compute(db: Database, month: str) -> list[Standing]:
    """The month's standings, best first: read back once published, else computed live."""
    if get_month(db, month).is_published:
        return published(db, month)
    return live(db, month)


# --- completeness (staff) ----------------------------------------------------------------

@dataclass(frozen=True)
class Completeness:
    """Who has rated one building this month, and who of its expected raters has not.

    Expected raters are the leaders of the building's micro-grid; ``unrated`` names the active
    star criteria nobody rated yet (they count 0 if the month is published like that).
    """

    place_id: int
    code: str
    name: str
    rated_by: list[str]
    not_yet: list[str]
    unrated: list[str]

    @property
    def complete(self) -> bool:
        return bool(self.rated_by) and not self.not_yet and not self.unrated

    def missing_text(self) -> str:
        """'2-1：无人评分' or '1-1：老吴未评；车辆停放无人打分' ("" when complete)."""
        if not self.rated_by:
            return f"{self.code}：无人评分"
        parts = [f"{'、'.join(self.not_yet)}未评"] if self.not_yet else []
        if self.unrated:
            parts.append(f"{'、'.join(self.unrated)}无人打分")
        return f"{self.code}：{'；'.join(parts)}" if parts else ""


def _completeness(db: Database, month: str) -> list[Completeness]:
    criteria = [c for c in active_weights(db) if c["kind"] == STARS_KIND]
    leaders: dict[int, list[tuple[int, str]]] = {}
    for microgrid_id, user_id, name in db.execute(
            "SELECT leads_microgrid_id, id, display_name FROM users WHERE role = 'leader'"
            " AND disabled = 0 AND leads_microgrid_id IS NOT NULL ORDER BY id"):
        leaders.setdefault(microgrid_id, []).append((user_id, name))
    raters: dict[int, dict[int, str]] = {}
    for place_id, user_id, name in db.execute(
            "SELECT r.place_id, r.rater_id, u.display_name FROM ranking_ratings r"
            " JOIN users u ON u.id = r.rater_id WHERE r.month = ?"
            " AND EXISTS (SELECT 1 FROM ranking_stars s WHERE s.rating_id = r.id)"
            " ORDER BY r.id", (month,)):
        raters.setdefault(place_id, {})[user_id] = name
    rated_criteria = _stars(db, month)
    found = []
    for row in sorted(_buildings(db), key=lambda row: natural_key(row["code"])):
        rated_by = raters.get(row["id"], {})
        stars = rated_criteria.get(row["id"], (0, {}))[1]
        found.append(Completeness(
            row["id"], row["code"], row["name"], list(rated_by.values()),
            [name for user_id, name in leaders.get(row["microgrid_id"], [])
             if user_id not in rated_by],
            [c["name"] for c in criteria if rated_by and not stars.get(c["id"])]))
    return found


def completeness(db: Database, actor: User, month: str) -> list[Completeness]:
    """Per building (natural order): who rated, which expected leaders have not, what is unrated.

    Staff and admins only (PermissionDenied otherwise): it names the leaders who are behind.
    """
    require_role(actor, STAFF)
    return _completeness(db, month)


def missing_lines(found: list[Completeness]) -> list[str]:
    """What is unscored: the buildings nobody rated in one line, then one line a building."""
    unrated = [c.code for c in found if not c.rated_by]
    lines = [f"无人评分：{'、'.join(unrated)}"] if unrated else []
    return lines + [c.missing_text() for c in found if c.rated_by and not c.complete]


def missing_text(db: Database, month: str) -> str:
    """What is still unscored for ``month`` (see missing_lines), "" when all is rated."""
    return "\n".join(missing_lines(_completeness(db, month)))
