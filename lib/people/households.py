"""Households: a resident asks to be bound to a room, and a leader who knows the family verifies it.

An account is bound to a household only once someone responsible for that micro-grid has
confirmed it; until then the request (building + room) waits on the user row. The roster of
households itself (adding, importing) belongs to lib.people.org and lib.people.roster.
"""
from __future__ import annotations

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import LEADER, RESIDENT, STAFF, User, can_manage_microgrid, require_role
from lib.people.org import normalise_room
from lib.people.users import user_from_row, user_row


HOUSEHOLD_STATUS_LABELS = {
    "none": "未绑定",
    "pending": "待核实",
    "verified": "已核实",
    "rejected": "未通过",
}


def check_request(db: Database, place_id: int | None, room: object) -> str:
    """The cleaned room of a request for this building; raise ValidationError keyed by field.

    One rule for a request made while registering and one made later: the place must be a
    building (people do not live at the gate) and the room follows lib.people.org's room rule.
    """
    errors: dict[str, str] = {}
    if place_id is None or scalar(db, "SELECT id FROM places WHERE id = ? AND kind = 'building'",
                                  (place_id,)) is None:
        errors["place"] = "请选择所住的楼栋。"
    try:
        room = normalise_room(room)
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    return room  # type: ignore[return-value]


def request_household(db: Database, actor: User, *, place_id: int | None, room: str | None) -> None:
    """A resident asks to be bound to a household; a leader of that micro-grid verifies it."""
    require_role(actor, RESIDENT)
    room = check_request(db, place_id, room)
    with immediate(db):
        row = user_row(db, actor.id)  # type: ignore[arg-type]
        if row["household_status"] in ("pending", "verified"):
            raise ValidationError("您已提交过住户信息。")
        db.execute("UPDATE users SET household_status = 'pending', requested_place_id = ?,"
                   " requested_room = ? WHERE id = ?", (place_id, room, actor.id))
        audit.record(db, actor.id, "household.request", "user", actor.id, room=room)


def household_summary(db: Database, user: User) -> str:
    """'1栋1单元 302' for a verified household, or the pending request, or ''."""
    row = one(db, "SELECT places.name, households.room FROM households JOIN places"
                  " ON places.id = households.place_id WHERE households.id = ?",
              (user.household_id,)) if user.household_id else None
    if row is None and user.id is not None:
        row = one(db, "SELECT places.name, users.requested_room AS room FROM users JOIN places"
                      " ON places.id = users.requested_place_id WHERE users.id = ?", (user.id,))
    return f"{row['name']} {row['room']}" if row and row["room"] else ""


def pending_households(db: Database, actor: User) -> list[dict]:
    """Registrations waiting for a household check, limited to what the actor may verify."""
    require_role(actor, LEADER)
    sql = (
        "SELECT users.id, users.username, users.display_name, users.mobile, users.created_at,"
        " users.requested_room AS room, places.code AS place_code, places.name AS place_name,"
        " places.microgrid_id FROM users JOIN places ON places.id = users.requested_place_id"
        " WHERE users.household_status = 'pending' AND users.disabled = 0"
    )
    params: list[object] = []
    if not actor.at_least(STAFF):
        sql += " AND places.microgrid_id = ?"
        params.append(actor.leads_microgrid_id)
    return list(db.query(sql + " ORDER BY users.id", params))


def verify_household(db: Database, actor: User, *, user_id: int, approve: bool,
                     reason: str = "") -> User:
    """A leader of that micro-grid, or staff, confirms (or refuses) a resident's household.

    Approving binds the account to the household, creating it when the roster lacks it: the
    leader knows the family, the roster may be out of date. Repeating a decision is a no-op.
    """
    require_role(actor, LEADER)
    with immediate(db):
        row = user_row(db, user_id)
        if row["household_status"] != "pending":
            if (approve and row["household_status"] == "verified") or \
                    (not approve and row["household_status"] == "rejected"):
                return user_from_row(row)
            raise ValidationError("该用户没有待核实的住户信息。")
        place = one(db, "SELECT * FROM places WHERE id = ?", (row["requested_place_id"],))
        if place is None:
            raise NotFound("找不到该楼栋。")
        if not can_manage_microgrid(actor, place["microgrid_id"]):
            raise PermissionDenied("您只能核实自己负责的微网格内的住户。")
        if approve:
            household_id = scalar(db, "SELECT id FROM households WHERE place_id = ? AND room = ?",
                                  (place["id"], row["requested_room"]))
            if household_id is None:
                household_id = db.execute(
                    "INSERT INTO households (place_id, room, created_at) VALUES (?, ?, ?)",
                    (place["id"], row["requested_room"], now_iso()),
                ).lastrowid
            db.execute("UPDATE users SET household_id = ?, household_status = 'verified'"
                       " WHERE id = ?", (household_id, user_id))
        else:
            if not reason.strip():
                raise ValidationError({"reason": "请填写未通过的原因。"})
            db.execute("UPDATE users SET household_status = 'rejected' WHERE id = ?", (user_id,))
        audit.record(db, actor.id, "household.verify" if approve else "household.reject", "user",
                     user_id, place=place["code"], room=row["requested_room"], reason=reason)
    return user_from_row(user_row(db, user_id))


def total_by_home(db: Database, per_person_sql: str, params: tuple) -> dict[int, int]:
    """{building id: total} of ``per_person_sql``'s (user_id, amount) rows, by the building of
    each person's verified household; a person without one counts for no building.

    The star ranking counts volunteer hours, crowdfunding labour and reports this way: by where
    a person lives, never by where the work or the problem was. ``per_person_sql`` is a constant
    query of the caller's with ``?`` parameters in ``params``.
    """
    # CROSS JOIN keeps the caller's rows first: a month's records found by their own index,
    # then each person looked up, rather than every verified resident's records scanned
    return dict(db.execute(
        "SELECT h.place_id, SUM(x.amount) FROM (" + per_person_sql + ") x"
        " CROSS JOIN users u ON u.id = x.user_id AND u.household_status = 'verified'"
        " CROSS JOIN households h ON h.id = u.household_id GROUP BY h.place_id", params).fetchall())
