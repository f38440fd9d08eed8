"""Logging in: checking one attempt, behind a throttle that never locks the owner out.

This module checks passwords and decides who may log in; streamlit-authenticator only sets and
deletes its cookie (lib.people.sessions records the session behind it).

Wrong passwords slow an attacker down without ever locking the owner out. A hard lock-out
(five failures, then 15 minutes) let anyone lock anyone out again and again. Instead:
- the first FREE_LOGIN_FAILURES failures for a username within LOGIN_FAILURE_WINDOW cost
  nothing; after that, the next attempt for that username is not even checked until 1, 2, 4, …
  seconds (at most LOGIN_BACKOFF_CAP_SECONDS) have passed since the last failure. The owner
  waits at most a minute; a guesser gets about 60 tries an hour per name instead of thousands.
- the same backoff applies to a browser session's failures over all names it tries, so one
  session cannot spray a common password over many names unhindered.
- a name that does not exist (or is disabled) is counted, throttled and answered exactly like
  a real one: the same "用户名或密码错误", no tries-left count, and a bcrypt check against a
  decoy hash so the answer takes as long.
- failures older than the window no longer count, and old rows are deleted as new ones come.
streamlit-authenticator's own max_login_attempts is never passed and its form is not used, so
its lock-out (a LoginError once failed_login_attempts reaches the maximum) cannot come back.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from lib.core.clock import utc_now
from lib.core.db import immediate
from lib.core.errors import LoginFailed, LoginThrottled
from lib.core.roles import User
from lib.people.passwords import check_password, decoy_hash
from lib.people.users import active_user_named, user_from_row


FREE_LOGIN_FAILURES = 5
LOGIN_BACKOFF_BASE_SECONDS = 1
LOGIN_BACKOFF_CAP_SECONDS = 60
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)  # a failure older than this no longer counts
LOGIN_NAME_MAX = 40  # the login form's limit; a longer name is cut, never stored whole


def login_backoff_seconds(failures: int) -> float:
    """How long after the latest of ``failures`` recent failures the next attempt must wait."""
    if failures < FREE_LOGIN_FAILURES:
        return 0.0
    return float(min(LOGIN_BACKOFF_CAP_SECONDS,
                     LOGIN_BACKOFF_BASE_SECONDS * 2 ** (failures - FREE_LOGIN_FAILURES)))


def login_wait(failure_times: Iterable[datetime], now: datetime) -> float:
    """Seconds still to wait, given when the recent failures happened (older ones are ignored)."""
    recent = [moment for moment in failure_times if now - moment < LOGIN_FAILURE_WINDOW]
    if not recent:
        return 0.0
    return max(0.0, login_backoff_seconds(len(recent)) - (now - max(recent)).total_seconds())


def client_failures_after(failure_times: Iterable[datetime], now: datetime) -> list[datetime]:
    """A browser session's failures once one more happened at ``now``: only those that count."""
    return [moment for moment in failure_times if now - moment < LOGIN_FAILURE_WINDOW] + [now]


def _login_name(username: str | None) -> str:
    return (username or "").strip().lower()[:LOGIN_NAME_MAX]


def _precise(moment: datetime) -> str:
    """Milliseconds, not the usual seconds: the first waits are one and two seconds long."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def login_failure_times(db: Database, username: str, *, now: datetime | None = None
                        ) -> list[datetime]:
    """When the username's failures inside the window happened, known name or not."""
    since = _precise((now or utc_now()) - LOGIN_FAILURE_WINDOW)
    return [datetime.fromisoformat(row["at"]) for row in db.query(
        "SELECT at FROM login_failures WHERE username = ? AND at >= ? ORDER BY at",
        (_login_name(username), since))]


def authenticate(db: Database, username: str, password: str, *,
                 client_failures: Iterable[datetime] = (), now: datetime | None = None) -> User:
    """Check one login attempt; return the user, or raise LoginFailed or LoginThrottled.

    The attempt is counted before the password is checked, so parallel guesses queue behind
    each other's backoff instead of all slipping through at once; a success then clears the
    name's failures. ``client_failures`` are this browser session's recent failures, whatever
    names they tried.
    """
    now = now or utc_now()
    name = _login_name(username)
    with immediate(db):
        wait = max(login_wait(login_failure_times(db, name, now=now), now),
                   login_wait(client_failures, now))
        if wait > 0:
            raise LoginThrottled(math.ceil(wait))
        db.execute("DELETE FROM login_failures WHERE at < ?",
                   (_precise(now - LOGIN_FAILURE_WINDOW),))
        db.execute("INSERT INTO login_failures (username, at) VALUES (?, ?)", (name, _precise(now)))
    row = active_user_named(db, name) if name else None
    if row is None:
        check_password({"password_hash": decoy_hash()}, password or "")
        raise LoginFailed()
    if not check_password(row, password or ""):
        raise LoginFailed()
    with immediate(db):
        db.execute("DELETE FROM login_failures WHERE username = ?", (name,))
    return user_from_row(row)
