"""回头看: residents rate a carried-out plan, and the next meeting opens with the last round.

One rating per household (a later one by any member replaces it), as the vote was one per
household: the rating says whether the households are satisfied, not how many accounts they
opened. The next meeting's page starts with what is still open and how done plans were rated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import SHANGHAI, now_iso
from lib.core.db import immediate, is_row_id, one
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import User
from lib.council import tracking
from lib.council.publish import verified_household


SATISFIED, BASIC, UNSATISFIED = "satisfied", "basic", "unsatisfied"
RATING_LABELS = {SATISFIED: "满意", BASIC: "基本满意", UNSATISFIED: "不满意"}
COMMENT_MAX = 200
DONE_SHOWN_WITHOUT_PREVIOUS = 5  # a first meeting looks back on the latest few done plans


@dataclass(frozen=True)
class Summary:
    """How the households rated a done plan."""

    counts: dict[str, int]  # rating -> households, every rating present

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, rating: str) -> float:
        return self.counts[rating] / self.total if self.total else 0.0

    @property
    def text(self) -> str:
        """"满意 5 户、基本满意 2 户、不满意 1 户（共 8 户）" or "还没有住户评价"."""
        if not self.total:
            return "还没有住户评价"
        return "、".join(f"{label} {self.counts[key]} 户" for key, label in RATING_LABELS.items()) \
            + f"（共 {self.total} 户）"


@dataclass(frozen=True)
class Rating:
    rating: str
    comment: str
    updated_at: str
    by_me: bool  # this member gave it (else another member of the household)

    @property
    def label(self) -> str:
        return RATING_LABELS[self.rating]


@dataclass(frozen=True)
class LastRound:
    """The next meeting's first section: plans still open, and plans done since the last one."""

    since: str | None  # the previous meeting's date, None for a first meeting
    open_plans: tuple[tracking.Tracked, ...]
    done_plans: tuple[tuple[tracking.Tracked, Summary], ...]

    @property
    def empty(self) -> bool:
        return not self.open_plans and not self.done_plans


def _plan_row(db: Database, plan_id: object) -> dict:
    row = one(db, "SELECT id, status FROM council_plans WHERE id = ?", (plan_id,)) \
        if is_row_id(plan_id) else None
    if row is None:
        raise NotFound("找不到该方案。")
    return row


def rate(db: Database, actor: User, *, plan_id: int, rating: str, comment: str = "") -> Rating:
    """A verified household member rates a done plan; the household's later rating replaces it.

    Raises PermissionDenied, NotFound or ValidationError (unknown rating, long comment, plan not
    done); nothing changes on a refusal. Rating the same way again changes nothing.
    """
    if rating not in RATING_LABELS:
        raise ValidationError({"rating": "请选择 满意、基本满意 或 不满意。"})
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": f"评价内容不能超过 {COMMENT_MAX} 个字。"})
    with immediate(db):
        household = verified_household(db, actor, "评价落实结果")
        row = _plan_row(db, plan_id)
        if row["status"] != tracking.DONE:
            raise ValidationError({"rating": "方案落实完成后才能评价。"})
        old = one(db, "SELECT * FROM council_ratings WHERE plan_id = ? AND household_id = ?",
                  (row["id"], household))
        now = now_iso()
        if old is None:
            db.execute("INSERT INTO council_ratings (plan_id, household_id, user_id, rating,"
                       " comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (row["id"], household, actor.id, rating, text, now, now))
        elif (old["rating"], old["comment"], old["user_id"]) != (rating, text, actor.id):
            db.execute("UPDATE council_ratings SET user_id = ?, rating = ?, comment = ?,"
                       " updated_at = ? WHERE plan_id = ? AND household_id = ?",
                       (actor.id, rating, text, now, row["id"], household))
        else:
            return household_rating(db, actor, plan_id=row["id"])  # type: ignore[return-value]
        audit.record(db, actor.id, "council.rate", "council_plan", row["id"], rating=rating,
                     replaced=old["rating"] if old else "")
    return household_rating(db, actor, plan_id=row["id"])  # type: ignore[return-value]


def household_rating(db: Database, actor: User, *, plan_id: int) -> Rating | None:
    """The rating that counts for the actor's household, whoever in it gave it; None if none."""
    if actor is None or actor.household_id is None:  # a guest has no household
        return None
    row = one(db, "SELECT * FROM council_ratings WHERE plan_id = ? AND household_id = ?",
              (plan_id, actor.household_id))
    if row is None:
        return None
    return Rating(row["rating"], row["comment"], row["updated_at"], row["user_id"] == actor.id)


def summary(db: Database, plan_id: int) -> Summary:
    """Households by rating for one plan."""
    counts = dict.fromkeys(RATING_LABELS, 0)
    for rating, households in db.execute(
            "SELECT rating, COUNT(*) FROM council_ratings WHERE plan_id = ? GROUP BY rating",
            (plan_id,)):
        counts[rating] = households
    return Summary(counts)


def comments(db: Database, plan_id: int, limit: int = 20) -> list[tuple[str, str]]:
    """(rating label, comment) of the latest ratings with a comment; no names."""
    return [(RATING_LABELS[r], c) for r, c in db.execute(
        "SELECT rating, comment FROM council_ratings WHERE plan_id = ? AND comment != ''"
        " ORDER BY updated_at DESC LIMIT ?", (plan_id, limit))]


def _start_of(day: str) -> str:
    """The UTC instant a Shanghai date begins, as stored timestamps are compared."""
    moment = datetime.combine(date.fromisoformat(day), time(0), SHANGHAI)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def last_round(db: Database, meeting: Any) -> LastRound:
    """上轮落实情况 for ``meeting`` (anything with ``id`` and ``held_on``, e.g. a Meeting).

    Open: adopted plans not yet done, nearest deadline first. Done: plans completed since the
    day of the previous held meeting (as meetings.previous_meeting finds it) and before the day
    after this one, with their ratings; a first meeting shows the latest few done plans.
    """
    previous = one(db, "SELECT held_on FROM council_meetings WHERE status = 'held'"
                       " AND (held_on < ? OR (held_on = ? AND id < ?))"
                       " ORDER BY held_on DESC, id DESC LIMIT 1",
                       (meeting.held_on, meeting.held_on, meeting.id))
    until = _start_of((date.fromisoformat(meeting.held_on) + timedelta(days=1)).isoformat())
    if previous is None:
        rows = db.execute("SELECT id FROM council_plans WHERE status = 'done' AND done_at < ?"
                          " ORDER BY done_at DESC, id DESC LIMIT ?",
                          (until, DONE_SHOWN_WITHOUT_PREVIOUS))
    else:
        rows = db.execute("SELECT id FROM council_plans WHERE status = 'done' AND done_at >= ?"
                          " AND done_at < ? ORDER BY done_at DESC, id DESC",
                          (_start_of(previous["held_on"]), until))
    done = tuple((tracking.get_tracked(db, row[0]), summary(db, row[0])) for row in rows)
    return LastRound(since=previous["held_on"] if previous else None,
                     open_plans=tuple(tracking.in_progress(db)), done_plans=done)
