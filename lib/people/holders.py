"""Finding a person as staff do on the phone (name, username, "1-1 302") and naming them:
管理 pages that act for a resident (积分发放, 代为兑换, 代录时长) and the passbook use it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from lib.core.errors import NotFound
from lib.core.roles import STAFF, User, require_role
from lib.people.org import normalise_code


@dataclass(frozen=True)
class Holder:
    user_id: int
    username: str
    display_name: str
    building: str  # the verified household's building name, "" when none is verified
    room: str
    disabled: bool

    @property
    def address(self) -> str:
        return f"{self.building} {self.room}".strip() if self.building else "未绑定住户"


_SELECT = (
    "SELECT users.id, users.username, users.display_name,"
    " CASE WHEN users.household_status = 'verified' THEN IFNULL(places.name, '') ELSE '' END,"
    " CASE WHEN users.household_status = 'verified' THEN IFNULL(households.room, '') ELSE '' END,"
    " users.disabled"
    " FROM users LEFT JOIN households ON households.id = users.household_id"
    " LEFT JOIN places ON places.id = households.place_id"
)
_WHERE = (
    " WHERE users.display_name LIKE :q OR users.username LIKE :q OR places.code LIKE :q"
    " OR places.name LIKE :q OR households.room LIKE :q"
    " OR (places.code = :code AND households.room = :room)"
    " ORDER BY users.id LIMIT :limit"
)
# "1-1 302", "1-1-302", "1-1/302室": a building code and a room, as staff say it on the phone
_CODE_AND_ROOM = re.compile(r"\s*(\S+?)[\s\-/]+(\d+)\s*室?\s*")
MAX_QUERY = 50


def holder(db: Database, user_id: int) -> Holder:
    """One account as its passbook names it; raises NotFound."""
    row = db.execute(_SELECT + " WHERE users.id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound("找不到该用户。")
    return Holder(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def find(db: Database, actor: User, query: str, *, limit: int = 20) -> list[Holder]:
    """Staff look a person up by name, username, building (code or name) and room.

    ``1-1 302`` (or 1-1-302) matches the household 302 of building 1-1; anything else matches
    names, usernames, building codes and names, and rooms as a substring. Raises PermissionDenied.
    """
    require_role(actor, STAFF)
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    match = _CODE_AND_ROOM.fullmatch(normalise_code(query))
    rows = db.execute(_SELECT + _WHERE, {
        "q": f"%{query}%", "limit": max(1, min(int(limit), 100)),
        # NULL when the query is not "building room": that clause then matches nothing
        "code": match[1] if match else None, "room": match[2] if match else None,
    }).fetchall()
    return [Holder(row[0], row[1], row[2], row[3], row[4], bool(row[5])) for row in rows]
