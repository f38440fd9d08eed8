"""Server-side login sessions: what makes a browser's cookie log someone in, and what ends it.

streamlit-authenticator only sets and deletes its cookie. That cookie is a JWT that logout never
revokes, so every login also gets a session row here, keyed by the cookie's hash, that logout, a
password change and disabling revoke, and that expires after SESSION_DAYS.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso, to_iso, utc_now
from lib.core.db import immediate, one
from lib.core.errors import NotFound
from lib.core.roles import User
from lib.people.users import active_user_named, user_from_row


SESSION_DAYS = 30
TOKEN_MAX_CHARS = 4096  # a cookie longer than any the library issues is junk, never hashed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str, token: str, *, days: float = SESSION_DAYS) -> User:
    """Record a fresh login; ``token`` is the cookie value the browser will present later."""
    row = active_user_named(db, (username or "").lower())
    if row is None:
        raise NotFound("找不到该用户。")
    now = utc_now()
    with immediate(db):
        db.execute(
            "INSERT OR IGNORE INTO sessions (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_token_hash(token), row["id"], to_iso(now), to_iso(now + timedelta(days=days))),
        )
        # the name's failed attempts no longer count against it once it is logged in
        db.execute("DELETE FROM login_failures WHERE username = ?", (row["username"],))
        audit.record(db, row["id"], "account.login", "user", row["id"])
    return user_from_row(row)


def session_user(db: Database, token: str | None, *, now: datetime | None = None) -> User | None:
    """The user behind a session token, or None if it was revoked, expired or never issued."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX_CHARS:
        return None
    row = one(
        db,
        "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id"
        " WHERE sessions.token_hash = ? AND sessions.revoked_at IS NULL"
        " AND sessions.expires_at > ? AND users.disabled = 0",
        (_token_hash(token), to_iso(now or utc_now())),
    )
    return user_from_row(row) if row else None


def end_session(db: Database, token: str | None, reason: str = "logout") -> None:
    """Revoke one session so its cookie, even a copy of it, logs nobody in again."""
    if not token:
        return
    with immediate(db):
        row = one(db, "SELECT id, user_id FROM sessions WHERE token_hash = ?", (_token_hash(token),))
        if row is None:
            return
        revoked = db.execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ?"
                             " AND revoked_at IS NULL", (now_iso(), reason, row["id"])).rowcount
        if revoked:  # a second logout of the same session is no new event
            audit.record(db, row["user_id"], "account.logout", "user", row["user_id"])


def revoke_all(db: Database, user_id: int, reason: str) -> None:
    """End every session of a user (a new password, a disabled account), inside the caller's
    transaction so the change and the logouts happen together."""
    db.execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ?"
               " AND revoked_at IS NULL", (now_iso(), reason, user_id))
