"""Reading volunteer hours: a volunteer's own list, a reviewer's queue, hours per building.

Every query here is bounded by an index of m009: a person's entries by (user_id, id), the queue
by (status, place_id, id), a month's approved hours by the partial (place_id, served_on) index.
"""
from __future__ import annotations

import re

from sqlite_utils import Database

from lib.core.db import scalar
from lib.core.errors import ValidationError
from lib.core.roles import LEADER, STAFF, User, require_role


_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

_LISTED = (
    "SELECT h.id, h.user_id, h.activity, h.served_on, h.half_hours, h.photo, h.status,"
    " h.reject_reason, h.points, h.event_id, h.proxy_by, h.created_at,"
    " users.display_name, places.code AS place_code, proxies.display_name AS proxy_name"
    " FROM volunteer_hours h JOIN users ON users.id = h.user_id"
    " LEFT JOIN places ON places.id = h.place_id"
    " LEFT JOIN users proxies ON proxies.id = h.proxy_by"
)


def my_hours(db: Database, user_id: int, *, limit: int = 50) -> list[dict]:
    """The volunteer's entries, newest logged first."""
    return list(db.query(_LISTED + " WHERE h.user_id = ? ORDER BY h.id DESC LIMIT ?",
                         (user_id, max(1, min(int(limit), 500)))))


def approved_half_hours(db: Database, user_id: int, year: int) -> int:
    """Approved half hours served in the year (by the service day), e.g. for 今年已通过."""
    return int(scalar(
        db, "SELECT COALESCE(SUM(half_hours), 0) FROM volunteer_hours WHERE user_id = ?"
            " AND status = 'approved' AND served_on >= ? AND served_on < ?",
        (user_id, f"{year:04d}-01-01", f"{year + 1:04d}-01-01")))


def _queue(actor: User) -> tuple[str, list[object]]:
    """The ids of the hours waiting for this reviewer (SQL and params), for the list and its count.

    The reviewer's own entries and those they logged for someone are left out: another person
    reviews them. Raises PermissionDenied below leader.
    """
    require_role(actor, LEADER)
    sql = ("SELECT id FROM volunteer_hours WHERE status = 'pending' AND user_id != ?"
           " AND proxy_by IS NOT ?")
    params: list[object] = [actor.id, actor.id]
    if not actor.at_least(STAFF):
        sql += " AND place_id IN (SELECT id FROM places WHERE microgrid_id = ?)"
        params.append(actor.leads_microgrid_id)
    return sql, params


def pending_for(db: Database, actor: User, *, limit: int = 100) -> list[dict]:
    """Hours waiting for this reviewer, oldest first: a leader's micro-grid, or everyone's for staff.

    Raises PermissionDenied below leader (see _queue for who reviews what).
    """
    sql, params = _queue(actor)
    limit = max(1, min(int(limit), 500))
    # The queue's ids first, from the (status, place_id, id) index; names are joined for the
    # page's rows only. "+id" keeps SQLite from walking the whole table in id order to skip the
    # sort (staff, 60,000 hours of which 299 waiting: 7-9 ms that way, 0.2-0.6 ms from the index).
    return list(db.query(_LISTED + " WHERE h.id IN (" + sql + " ORDER BY +id LIMIT ?) ORDER BY h.id",
                         [*params, limit]))


def pending_count(db: Database, actor: User) -> int:
    """How many hours wait for this reviewer in all (the queue page shows only some of them)."""
    sql, params = _queue(actor)
    return int(scalar(db, "SELECT COUNT(*) FROM (" + sql + ")", params))


def hours_by_building_month(db: Database, month: str) -> dict[int, int]:
    """{place_id: approved half hours served in the month 'YYYY-MM'} for the star ranking.

    Hours of volunteers without a verified household (no building) are not counted.
    """
    found = _MONTH.fullmatch(month) if isinstance(month, str) else None
    if found is None:
        raise ValidationError({"month": "月份格式应为 YYYY-MM。"})
    year, number = int(found[1]), int(found[2])
    following = f"{year + number // 12:04d}-{number % 12 + 1:02d}-01"
    # One seek per building into the partial (place_id, served_on) index: 11 ms for 300
    # buildings and 300,000 entries, where one GROUP BY over the approved rows took 900 ms.
    # The literal 'approved' is what lets SQLite use that partial index.
    rows = db.execute(
        "SELECT places.id, (SELECT SUM(h.half_hours) FROM volunteer_hours h"
        " WHERE h.status = 'approved' AND h.place_id = places.id"
        " AND h.served_on >= ? AND h.served_on < ?) AS total FROM places",
        (f"{month}-01", following))
    return {place_id: int(total) for place_id, total in rows if total is not None}


def residents_of_microgrid(db: Database, microgrid_id: int | None) -> list[dict]:
    """Enabled accounts whose verified household is in the micro-grid: an event's tick list."""
    return list(db.query(
        "SELECT users.id, users.display_name, places.code AS place_code, households.room"
        " FROM users JOIN households ON households.id = users.household_id"
        " JOIN places ON places.id = households.place_id"
        " WHERE places.microgrid_id = ? AND users.household_status = 'verified'"
        " AND users.disabled = 0 ORDER BY places.code, households.room, users.id",
        (microgrid_id,)))


def recent_events(db: Database, actor: User, *, limit: int = 20) -> list[dict]:
    """Events this reviewer may add attendees to, newest first, with how many were credited."""
    require_role(actor, LEADER)
    sql = ("SELECT e.id, e.name, e.held_on, e.half_hours, e.microgrid_id,"
           " (SELECT COUNT(*) FROM volunteer_hours h WHERE h.event_id = e.id) AS attendees"
           " FROM volunteer_events e")
    if actor.at_least(STAFF):
        return list(db.query(sql + " ORDER BY e.held_on DESC, e.id DESC LIMIT ?", (limit,)))
    return list(db.query(sql + " WHERE e.microgrid_id = ? ORDER BY e.held_on DESC, e.id DESC"
                         " LIMIT ?", (actor.leads_microgrid_id, limit)))


def attendee_ids(db: Database, event_id: int) -> set[int]:
    return {row[0] for row in db.execute(
        "SELECT user_id FROM volunteer_hours WHERE event_id = ?", (event_id,))}
