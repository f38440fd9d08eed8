"""Reading a user: the one way a ``users`` row becomes the ``User`` every permission check takes.

The accounts, sessions, login and household modules all hand back users; they share this small
module instead of importing each other, which keeps the people's modules free of import cycles.
"""
from __future__ import annotations

from sqlite_utils import Database

from lib.core.db import one
from lib.core.errors import NotFound
from lib.core.roles import User


PUBLIC_RESIDENT = "居民"  # how a person without a usable name is shown in public


def mask_name(name: str) -> str:
    """A display name masked to its first character (张三 → 张*), for a person who opted out of
    showing it publicly: the wall's reporters and the points boards share it."""
    name = name.strip()
    return name[0] + "*" if name else PUBLIC_RESIDENT


def user_from_row(row: dict) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        leads_microgrid_id=row["leads_microgrid_id"],
        household_id=row["household_id"],
        household_status=row["household_status"],
        mobile=row["mobile"],
        show_name_publicly=bool(row["show_name_publicly"]),
    )


def load_user(db: Database, user_id: int | None) -> User | None:
    """The user as stored now (role re-read on every run), or None if missing or disabled."""
    if user_id is None:
        return None
    row = one(db, "SELECT * FROM users WHERE id = ? AND disabled = 0", (user_id,))
    return user_from_row(row) if row else None


def active_user_named(db: Database, username: str) -> dict | None:
    """The row of the enabled account with this (already lower-cased) name, or None."""
    return one(db, "SELECT * FROM users WHERE username = ? AND disabled = 0", (username,))


def user_row(db: Database, user_id: int) -> dict:
    """The stored row, disabled or not; raises NotFound for an id that does not exist."""
    row = one(db, "SELECT * FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise NotFound("找不到该用户。")
    return row
