"""The public count of a vote: totals by option, turnout against the quorum, per building.

Counting reads only ``council_choices`` (one row per household that counts), in three aggregate
queries whatever the size of the vote, so a 6,000-household vote counts in milliseconds.

The outcome rule (used by 公示): fewer households voted than the quorum → ``no_quorum``; the plan
passes iff the option with the most households adopts it (同意) and has strictly more households
than every other option (a tie at the top does not pass); otherwise ``failed``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from lib.core.db import one
from lib.core.errors import NotFound


PASSED, FAILED, NO_QUORUM = "passed", "failed", "no_quorum"
OUTCOME_LABELS = {PASSED: "通过", FAILED: "未通过", NO_QUORUM: "未达法定户数"}


@dataclass(frozen=True)
class OptionCount:
    id: int
    label: str
    adopts: bool
    households: int
    online: int
    paper: int


@dataclass(frozen=True)
class BuildingTurnout:
    place_id: int
    name: str
    households: int  # households of the building in scope now
    voted: int

    @property
    def percent(self) -> float:
        return round(100 * self.voted / self.households, 1) if self.households else 0.0


@dataclass(frozen=True)
class Tally:
    vote_id: int
    options: list[OptionCount]
    voted: int  # households counted
    eligible: int  # households in scope when the vote opened
    quorum: int
    online: int
    paper: int
    buildings: list[BuildingTurnout] = field(default_factory=list)

    @property
    def quorum_met(self) -> bool:
        return self.voted >= self.quorum

    @property
    def turnout_percent(self) -> float:
        return round(100 * self.voted / self.eligible, 1) if self.eligible else 0.0


def tally(db: Database, vote_id: int) -> Tally:
    """Count a vote now (open or closed): the choices as they stand."""
    vote = one(db, "SELECT id, scope_place_id, eligible, quorum FROM council_votes WHERE id = ?",
               (vote_id,))
    if vote is None:
        raise NotFound("找不到这次表决。")
    counts: dict[int, dict[str, int]] = {}
    for option_id, channel, households in db.execute(
            "SELECT option_id, channel, COUNT(*) FROM council_choices WHERE vote_id = ?"
            " GROUP BY option_id, channel", (vote_id,)):
        counts.setdefault(option_id, {})[channel] = households
    options = []
    for option_id, label, adopts in db.execute(
            "SELECT id, label, adopts FROM council_vote_options WHERE vote_id = ?"
            " ORDER BY position", (vote_id,)):
        by_channel = counts.get(option_id, {})
        online, paper = by_channel.get("online", 0), by_channel.get("paper", 0)
        options.append(OptionCount(option_id, label, bool(adopts), online + paper, online, paper))
    buildings = [BuildingTurnout(place_id, name, households, voted) for place_id, name, households,
                 voted in db.execute(
        "SELECT p.id, p.name, COUNT(h.id), COUNT(c.household_id)"
        " FROM households h JOIN places p ON p.id = h.place_id"
        " LEFT JOIN council_choices c ON c.vote_id = ? AND c.household_id = h.id"
        " WHERE ? IS NULL OR h.place_id = ?"
        " GROUP BY p.id ORDER BY p.code, p.id",
        (vote_id, vote["scope_place_id"], vote["scope_place_id"]))]
    return Tally(
        vote_id=vote_id, options=options, voted=sum(o.households for o in options),
        eligible=vote["eligible"], quorum=vote["quorum"],
        online=sum(o.online for o in options), paper=sum(o.paper for o in options),
        buildings=buildings)


def version(db: Database, vote_id: int) -> tuple:
    """What changes whenever the count does: the vote's status, its latest ballot (ballots are
    append-only and every counted choice comes with one) and the households (a building's
    turnout). Indexes only, so a page can keep a drawn count until it changes."""
    return db.execute(
        "SELECT (SELECT status FROM council_votes WHERE id = :v),"
        " (SELECT COALESCE(MAX(id), 0) FROM council_ballots WHERE vote_id = :v),"
        " (SELECT COUNT(*) FROM households)", {"v": vote_id}).fetchone()


def outcome(result: Tally) -> tuple[str, int | None]:
    """(outcome, the top option's id when one option leads alone) by the rule in the docstring."""
    if not result.quorum_met:
        return NO_QUORUM, None
    ranked = sorted(result.options, key=lambda option: -option.households)
    top = ranked[0] if ranked else None
    alone = top is not None and all(top.households > other.households for other in ranked[1:])
    if alone and top.adopts:
        return PASSED, top.id
    return FAILED, top.id if alone else None
