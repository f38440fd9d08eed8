"""Accounts: registration, household verification, roles, passwords and login sessions.

This module checks passwords and decides who is logged in; streamlit-authenticator only sets
and deletes its cookie. That cookie is a JWT that logout never revokes, so every login also gets
a server-side session row, keyed by the cookie's hash, that logout, a password change and
disabling revoke, and that expires after SESSION_DAYS.

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

import functools
import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import bcrypt
from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso, to_iso, utc_now
from lib.core.db import immediate, one, scalar
from lib.core.errors import NotFound, PermissionDenied, PortalError, ValidationError
from lib.core.roles import (
    ACCOUNT_ROLES,
    ADMIN,
    LEADER,
    RESIDENT,
    ROLE_LABELS,
    STAFF,
    User,
    can_manage_microgrid,
    require_role,
)
from lib.people.org import normalize_room


USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]{2,19}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
COMMON_PASSWORDS = {"password1", "12345678a", "a12345678", "qwerty123", "abc12345", "admin123"}
# Logging in (see the module docstring): the first failures are free, then each checked attempt
# for that username (and from that browser session) waits 1, 2, 4 … up to 60 s after the last.
FREE_LOGIN_FAILURES = 5
LOGIN_BACKOFF_BASE_SECONDS = 1
LOGIN_BACKOFF_CAP_SECONDS = 60
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)  # a failure older than this no longer counts
LOGIN_FAILED_MESSAGE = "用户名或密码错误。"
SESSION_DAYS = 30

HOUSEHOLD_STATUS_LABELS = {
    "none": "未绑定",
    "pending": "待核实",
    "verified": "已核实",
    "rejected": "未通过",
}


def _user_from_row(row: dict) -> User:
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


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak, in Chinese, or None when it is acceptable."""
    if len(password) < 8:
        return "密码至少 8 位。"
    if len(password.encode()) > 64:
        return "密码太长，请不超过 64 个字节（约 20 个汉字）。"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码需同时包含字母和数字。"
    if password.lower() in COMMON_PASSWORDS or (username and username.lower() in password.lower()):
        return "密码太容易被猜到，请换一个。"
    return None


def validate_mobile(mobile: str | None) -> str | None:
    """A normalised mainland mobile number, None if blank; raise ValidationError if malformed."""
    mobile = (mobile or "").strip().replace(" ", "").replace("-", "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    if not mobile:
        return None
    if not MOBILE_RE.fullmatch(mobile):
        raise ValidationError({"mobile": "手机号应为 11 位大陆手机号码，例如 13800138000。"})
    return mobile


def load_user(db: Database, user_id: int | None) -> User | None:
    """The user as stored now (role re-read on every run), or None if missing or disabled."""
    if user_id is None:
        return None
    row = one(db, "SELECT * FROM users WHERE id = ? AND disabled = 0", (user_id,))
    return _user_from_row(row) if row else None


def user_row(db: Database, user_id: int) -> dict:
    row = one(db, "SELECT * FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise NotFound("找不到该用户。")
    return row


def register(db: Database, *, username: str, display_name: str, password: str,
             password_repeat: str | None = None, mobile: str | None = None,
             place_id: int | None = None, room: str | None = None) -> User:
    """Create a resident account; a building + room asks for a household binding to verify.

    Raises ValidationError keyed by field; nothing is stored when any field is refused.
    """
    username = (username or "").strip().lower()
    display_name = (display_name or "").strip()
    room = (room or "").strip()
    errors: dict[str, str] = {}
    if not USERNAME_RE.fullmatch(username):
        errors["username"] = "用户名为 3-20 位小写字母、数字或下划线，以字母开头。"
    if not display_name or len(display_name) > 20 or not display_name.isprintable():
        errors["display_name"] = "请填写 1-20 个字的称呼。"
    problem = password_problem(password, username)
    if problem:
        errors["password"] = problem
    elif password_repeat is not None and password != password_repeat:
        errors["password_repeat"] = "两次输入的密码不一致。"
    try:
        mobile = validate_mobile(mobile)
    except ValidationError as error:
        errors.update(error.fields)
    if place_id is not None or room:
        if place_id is None or scalar(db, "SELECT id FROM places WHERE id = ?", (place_id,)) is None:
            errors["place"] = "请选择所住的楼栋。"
        try:
            room = normalize_room(room)  # lib.people.org's one room rule, as the roster import
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    now = now_iso()
    with immediate(db):
        if scalar(db, "SELECT 1 FROM users WHERE username = ?", (username,)):
            raise ValidationError({"username": "该用户名已被注册，请换一个。"})
        cursor = db.execute(
            "INSERT INTO users (username, display_name, password_hash, role, mobile,"
            " household_status, requested_place_id, requested_room, created_at,"
            " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (username, display_name, hash_password(password), RESIDENT, mobile,
             "pending" if place_id else "none", place_id, room or None, now, now),
        )
        user_id = cursor.lastrowid
        audit.record(db, user_id, "account.register", "user", user_id, username=username)
    return load_user(db, user_id)  # type: ignore[return-value]


def request_household(db: Database, actor: User, *, place_id: int | None, room: str | None) -> None:
    """A resident asks to be bound to a household; a leader of that micro-grid verifies it."""
    require_role(actor, RESIDENT)
    room = (room or "").strip()
    errors = {}
    if place_id is None or scalar(db, "SELECT id FROM places WHERE id = ? AND kind = 'building'",
                                  (place_id,)) is None:
        errors["place"] = "请选择所住的楼栋。"
    try:
        room = normalize_room(room)  # lib.people.org's one room rule, as the roster import
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
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
                return _user_from_row(row)
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
    return _user_from_row(user_row(db, user_id))


def search_users(db: Database, actor: User, query: str = "", *, limit: int = 50) -> list[dict]:
    """Staff and admins look users up by username, name, mobile or room."""
    require_role(actor, STAFF)
    like = f"%{query.strip()}%"
    return list(db.query(
        "SELECT users.id, username, display_name, role, mobile, household_status, disabled,"
        " leads_microgrid_id, places.code AS place_code, households.room AS room"
        " FROM users LEFT JOIN households ON households.id = users.household_id"
        " LEFT JOIN places ON places.id = households.place_id"
        " WHERE username LIKE :q OR display_name LIKE :q OR IFNULL(mobile, '') LIKE :q"
        " ORDER BY users.id LIMIT :limit",
        {"q": like, "limit": limit},
    ))


def _active_admins(db: Database) -> int:
    return scalar(db, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")


def change_role(db: Database, actor: User, *, user_id: int, role: str,
                leads_microgrid_id: int | None = None) -> User:
    """Admins set a role; a leader must be given the micro-grid they lead.

    Refuses to remove the last admin, which would lock everyone out of administration.
    """
    require_role(actor, ADMIN)
    if role not in ACCOUNT_ROLES:
        raise ValidationError({"role": "未知的角色。"})
    if role == LEADER:
        if leads_microgrid_id is None or scalar(
                db, "SELECT id FROM microgrids WHERE id = ?", (leads_microgrid_id,)) is None:
            raise ValidationError({"microgrid": "请选择该微网格长负责的微网格。"})
    else:
        leads_microgrid_id = None
    with immediate(db):
        row = user_row(db, user_id)
        if row["role"] == ADMIN and role != ADMIN and not row["disabled"] and _active_admins(db) <= 1:
            raise ValidationError({"role": "这是最后一位管理员，不能取消其管理员身份。"})
        db.execute("UPDATE users SET role = ?, leads_microgrid_id = ? WHERE id = ?",
                   (role, leads_microgrid_id, user_id))
        audit.record(db, actor.id, "user.role", "user", user_id, old=row["role"], new=role,
                     microgrid=leads_microgrid_id)
    return _user_from_row(user_row(db, user_id))


def set_disabled(db: Database, actor: User, *, user_id: int, disabled: bool) -> None:
    """Disable (or re-enable) an account; disabling ends all its sessions at once."""
    require_role(actor, ADMIN)
    with immediate(db):
        row = user_row(db, user_id)
        if disabled and row["id"] == actor.id:
            raise ValidationError("不能停用自己的账号。")
        if disabled and row["role"] == ADMIN and not row["disabled"] and _active_admins(db) <= 1:
            raise ValidationError("这是最后一位管理员，不能停用。")
        db.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
        if disabled:
            _revoke_all(db, user_id, "disabled")
        audit.record(db, actor.id, "user.disable" if disabled else "user.enable", "user", user_id)


def reset_password(db: Database, actor: User, *, user_id: int, new_password: str) -> None:
    """An admin sets a new password for a user who forgot theirs; their sessions end."""
    require_role(actor, ADMIN)
    row = user_row(db, user_id)
    problem = password_problem(new_password, row["username"])
    if problem:
        raise ValidationError({"password": problem})
    _store_password(db, actor, row, new_password, "user.reset_password")


def change_own_password(db: Database, actor: User, *, old_password: str, new_password: str,
                        new_password_repeat: str) -> None:
    """A user changes their own password; every session, this one included, ends."""
    require_role(actor, RESIDENT)
    row = user_row(db, actor.id)  # type: ignore[arg-type]
    if not check_password(row, old_password):
        raise ValidationError({"old_password": "原密码不正确。"})
    problem = password_problem(new_password, row["username"])
    if problem:
        raise ValidationError({"password": problem})
    if new_password != new_password_repeat:
        raise ValidationError({"password_repeat": "两次输入的密码不一致。"})
    _store_password(db, actor, row, new_password, "account.change_password")


def _store_password(db: Database, actor: User, row: dict, password: str, action: str) -> None:
    with immediate(db):
        db.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                   (hash_password(password), now_iso(), row["id"]))
        _revoke_all(db, row["id"], "password")
        audit.record(db, actor.id, action, "user", row["id"])


def check_password(row: dict, password: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), row["password_hash"].encode())
    except ValueError:  # bcrypt 5 refuses passwords over 72 bytes
        return False


def set_privacy(db: Database, actor: User, *, show_name_publicly: bool) -> None:
    """A resident chooses whether their name may appear on public lists such as leaderboards."""
    require_role(actor, RESIDENT)
    db.execute("UPDATE users SET show_name_publicly = ? WHERE id = ?",
               (int(show_name_publicly), actor.id))
    db.conn.commit()


# --- logging in: a throttle, never a lock-out ------------------------------------------


class LoginFailed(PortalError):
    """Wrong username or password: one message for both, so it tells nobody which names exist."""

    def __init__(self):
        super().__init__(LOGIN_FAILED_MESSAGE)


class LoginThrottled(PortalError):
    """Too many recent failures: this attempt was not even checked; try after ``retry_after`` s."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"尝试次数较多，为保护账号，请 {retry_after} 秒后再试。")


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


def _login_name(username: str | None) -> str:
    return (username or "").strip().lower()[:40]


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


@functools.cache
def _decoy_hash() -> bytes:
    """A hash of a random password at the cost real ones have, for names that do not exist."""
    return hash_password(secrets.token_urlsafe(16)).encode()


def authenticate(db: Database, username: str, password: str, *,
                 client_failures: Iterable[datetime] = (), now: datetime | None = None) -> User:
    """Check one login attempt; return the user, or raise LoginFailed or LoginThrottled.

    The attempt is counted before the password is checked, so parallel guesses queue behind
    each other's backoff instead of all slipping through at once. ``client_failures`` are this
    browser session's recent failures, whatever names they tried.
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
    row = one(db, "SELECT * FROM users WHERE username = ? AND disabled = 0", (name,)) \
        if name else None
    if row is None:
        check_password({"password_hash": _decoy_hash().decode()}, password or "")
        raise LoginFailed()
    if not check_password(row, password or ""):
        raise LoginFailed()
    clear_login_failures(db, name)
    return _user_from_row(row)


def clear_login_failures(db: Database, username: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM login_failures WHERE username = ?", (_login_name(username),))


# --- server-side sessions ---------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Database, username: str, token: str, *, days: float = SESSION_DAYS) -> User:
    """Record a fresh login; ``token`` is the cookie value the browser will present later."""
    row = one(db, "SELECT * FROM users WHERE username = ? AND disabled = 0",
              ((username or "").lower(),))
    if row is None:
        raise NotFound("找不到该用户。")
    now = utc_now()
    with immediate(db):
        db.execute(
            "INSERT OR IGNORE INTO sessions (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_token_hash(token), row["id"], to_iso(now), to_iso(now + timedelta(days=days))),
        )
        db.execute("DELETE FROM login_failures WHERE username = ?", (row["username"],))
        audit.record(db, row["id"], "account.login", "user", row["id"])
    return _user_from_row(row)


def session_user(db: Database, token: str | None, *, now: datetime | None = None) -> User | None:
    """The user behind a session token, or None if it was revoked, expired or never issued."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    row = one(
        db,
        "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id"
        " WHERE sessions.token_hash = ? AND sessions.revoked_at IS NULL"
        " AND sessions.expires_at > ? AND users.disabled = 0",
        (_token_hash(token), to_iso(now or utc_now())),
    )
    return _user_from_row(row) if row else None


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


def _revoke_all(db: Database, user_id: int, reason: str) -> None:
    db.execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ?"
               " AND revoked_at IS NULL", (now_iso(), reason, user_id))


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
