"""Accounts: registration, household verification, roles, passwords and login sessions.

streamlit-authenticator draws the login form and sets its cookie; this module is the authority
behind it. Its cookie is a JWT that logout never revokes, so every login also gets a server-side
session row, keyed by the cookie's hash, that logout, a password change and disabling revoke.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import bcrypt
from sqlite_utils import Database

from lib import audit
from lib.clock import now_iso, to_iso, utc_now
from lib.db import immediate, one, scalar
from lib.errors import NotFound, PermissionDenied, ValidationError
from lib.org import normalize_room
from lib.roles import ACCOUNT_ROLES, ADMIN, LEADER, RESIDENT, ROLE_LABELS, STAFF, User, \
    can_manage_microgrid, require_role

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]{2,19}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
COMMON_PASSWORDS = {"password1", "12345678a", "a12345678", "qwerty123", "abc12345", "admin123"}
MAX_LOGIN_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
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
            room = normalize_room(room)  # lib.org's one room rule, as the roster import
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
        room = normalize_room(room)  # lib.org's one room rule, as the roster import
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


# --- login attempts ---------------------------------------------------------------------


def recent_login_failures(db: Database, username: str) -> int:
    since = to_iso(utc_now() - LOGIN_FAILURE_WINDOW)
    return scalar(db, "SELECT COUNT(*) FROM login_failures WHERE username = ? AND at >= ?",
                  ((username or "").strip().lower(), since))


def login_locked(db: Database, username: str) -> bool:
    return recent_login_failures(db, username) >= MAX_LOGIN_FAILURES


def record_login_failure(db: Database, username: str) -> int:
    """Count a wrong password; returns how many attempts remain before a lock-out."""
    username = (username or "").strip().lower()[:40]
    with immediate(db):
        db.execute("INSERT INTO login_failures (username, at) VALUES (?, ?)", (username, now_iso()))
    return max(0, MAX_LOGIN_FAILURES - recent_login_failures(db, username))


def clear_login_failures(db: Database, username: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM login_failures WHERE username = ?", ((username or "").lower(),))


def authenticator_record(db: Database, username: str) -> dict | None:
    """One active account as streamlit-authenticator expects it, with recent wrong passwords."""
    row = one(db, "SELECT username, display_name, password_hash, role FROM users"
                  " WHERE username = ? AND disabled = 0", ((username or "").strip().lower()[:40],))
    if row is None:
        return None
    record = {"first_name": row["display_name"], "last_name": "", "email": "",
              "password": row["password_hash"], "roles": [row["role"]]}
    failures = recent_login_failures(db, row["username"])
    if failures:
        record["failed_login_attempts"] = failures
    return record


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


def session_user(db: Database, token: str | None) -> User | None:
    """The user behind a session token, or None if it was revoked, expired or never issued."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    row = one(
        db,
        "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id"
        " WHERE sessions.token_hash = ? AND sessions.revoked_at IS NULL"
        " AND sessions.expires_at > ? AND users.disabled = 0",
        (_token_hash(token), now_iso()),
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
        db.execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ?"
                   " AND revoked_at IS NULL", (now_iso(), reason, row["id"]))
        audit.record(db, row["user_id"], "account.logout", "user", row["user_id"])


def _revoke_all(db: Database, user_id: int, reason: str) -> None:
    db.execute("UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ?"
               " AND revoked_at IS NULL", (now_iso(), reason, user_id))


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
