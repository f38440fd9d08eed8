"""Accounts: registering, and what staff and admins do to a user (roles, disabling, passwords).

Also a resident's own settings (their password, whether their name is shown). Checking a login
is lib.people.login's job, the sessions a cookie stands for lib.people.sessions', and binding an
account to a household lib.people.households'; this module ends a user's sessions through
sessions.revoke_all when their password changes or their account is disabled.
"""
from __future__ import annotations

import re

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate, scalar
from lib.core.errors import ValidationError
from lib.core.roles import ACCOUNT_ROLES, ADMIN, LEADER, RESIDENT, STAFF, User, require_role
from lib.people.households import check_request
from lib.people.passwords import check_password, hash_password, password_problem
from lib.people.sessions import revoke_all
from lib.people.users import load_user, user_from_row, user_row


USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]{2,19}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


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
        try:
            room = check_request(db, place_id, room)
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
    return user_from_row(user_row(db, user_id))


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
            revoke_all(db, user_id, "disabled")
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
        revoke_all(db, row["id"], "password")
        audit.record(db, actor.id, action, "user", row["id"])


def set_privacy(db: Database, actor: User, *, show_name_publicly: bool) -> None:
    """A resident chooses whether their name may appear on public lists such as leaderboards."""
    require_role(actor, RESIDENT)
    db.execute("UPDATE users SET show_name_publicly = ? WHERE id = ?",
               (int(show_name_publicly), actor.id))
    db.conn.commit()
