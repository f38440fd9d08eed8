"""The points ledger: every award, spend and correction is a new, never-edited entry."""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib import audit
from lib.clock import now_iso
from lib.db import immediate
from lib.errors import InsufficientPoints, NotFound, PermissionDenied, ValidationError
from lib.roles import ADMIN, LEADER, RESIDENT, STAFF, User, require_role

KIND_REPORT = "report"
KIND_VOLUNTEER = "volunteer"
KIND_LABOUR = "labour"
KIND_PLEDGE = "pledge"
KIND_SPECIAL = "special"
KIND_REFUND = "refund"
KIND_REDEEM = "redeem"
KIND_CORRECTION = "correction"

KIND_LABELS = {
    KIND_REPORT: "随手拍受理",
    KIND_VOLUNTEER: "志愿服务",
    KIND_LABOUR: "众筹出工",
    KIND_PLEDGE: "众筹认捐",
    KIND_SPECIAL: "特别奖励",
    KIND_REFUND: "兑换退回",
    KIND_REDEEM: "积分兑换",
    KIND_CORRECTION: "积分更正",
}
# correction has its own function; redeem is the only way points leave by spend()
AWARD_KINDS = frozenset(KIND_LABELS) - {KIND_REDEEM, KIND_CORRECTION}
SPEND_KINDS = frozenset({KIND_REDEEM})

# a typo guard: no rule or reward in a community comes near this
MAX_AMOUNT = 1_000_000
MAX_REASON = 200
MAX_KEY = 200

_SELECT = (
    "SELECT id, user_id, amount, kind, reason, idempotency_key, actor_id, created_at"
    " FROM points_ledger"
)


@dataclass(frozen=True)
class Entry:
    """One ledger line; ``amount`` is positive for points in, negative for points out."""

    id: int
    user_id: int
    amount: int
    kind: str
    reason: str
    idempotency_key: str
    actor_id: int | None
    created_at: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def balance(db: Database, user_id: int) -> int:
    """The user's points: the sum of their entries, read from the covering index alone."""
    row = db.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM points_ledger WHERE user_id = ?", (user_id,)
    ).fetchone()
    return int(row[0])


def history(db: Database, user_id: int, *, limit: int = 20,
            before_id: int | None = None) -> list[Entry]:
    """The user's entries, newest first; pass the last id seen as ``before_id`` for the next page."""
    limit = max(1, min(int(limit), 500))
    if before_id is None:
        cursor = db.execute(
            _SELECT + " WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, limit),
        )
    else:
        cursor = db.execute(
            _SELECT + " WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (user_id, before_id, limit),
        )
    return [Entry(*row) for row in cursor.fetchall()]


def award(db: Database, actor: User | None, *, user_id: int, amount: int, kind: str,
          reason: str, key: str) -> Entry:
    """Give points to a user; ``actor=None`` is the system applying a points rule.

    Raises ValidationError, PermissionDenied or NotFound; repeating the same key returns the
    first entry instead of awarding twice.
    """
    reason = (reason or "").strip()
    if kind not in AWARD_KINDS:
        raise ValidationError({"kind": f"未知的积分类型：{kind}。"})
    if actor is not None:
        # residents never award; leaders approve volunteer hours; a special award is staff's call
        require_role(actor, STAFF if kind == KIND_SPECIAL else LEADER)
    errors = _check_amount(amount, positive=True) | _check_key(key) | _check_reason(reason)
    if kind == KIND_SPECIAL and not reason:
        errors["reason"] = "特别奖励必须填写理由。"
    if errors:
        raise ValidationError(errors)
    return _append(db, actor, user_id=user_id, amount=amount, kind=kind, reason=reason, key=key,
                   action="points.award")


def spend(db: Database, actor: User | None, *, user_id: int, amount: int, kind: str,
          reason: str, key: str) -> Entry:
    """Take points from a user (stored as a negative entry); ``actor=None`` is the system.

    The user themself may spend, and staff may spend for them (代办). Raises
    InsufficientPoints, ValidationError, PermissionDenied or NotFound; repeating the same key
    returns the first entry instead of spending twice.
    """
    reason = (reason or "").strip()
    if kind not in SPEND_KINDS:
        raise ValidationError({"kind": f"未知的积分类型：{kind}。"})
    if actor is not None:
        require_role(actor, RESIDENT)
        if actor.id != user_id and not actor.at_least(STAFF):
            raise PermissionDenied("只能使用自己的积分。")
    errors = _check_amount(amount, positive=True) | _check_key(key) | _check_reason(reason)
    if errors:
        raise ValidationError(errors)
    return _append(db, actor, user_id=user_id, amount=-amount, kind=kind, reason=reason, key=key,
                   action="points.spend")


def correct(db: Database, actor: User, *, user_id: int, amount: int, reason: str,
            key: str) -> Entry:
    """Correct a balance with a new entry (positive or negative); admins only, reason required.

    Raises PermissionDenied, ValidationError, NotFound or InsufficientPoints (a correction
    cannot take the balance below zero); repeating the same key returns the first entry.
    """
    require_role(actor, ADMIN)
    reason = (reason or "").strip()
    errors = _check_amount(amount, positive=False) | _check_key(key) | _check_reason(reason)
    if not reason:
        errors["reason"] = "积分更正必须填写理由。"
    if errors:
        raise ValidationError(errors)
    return _append(db, actor, user_id=user_id, amount=amount, kind=KIND_CORRECTION,
                   reason=reason, key=key, action="points.correct")


def _append(db: Database, actor: User | None, *, user_id: int, amount: int, kind: str,
            reason: str, key: str, action: str) -> Entry:
    """Insert one entry under the write lock, unless its key is already in the ledger."""
    with immediate(db):
        existing = _by_key(db, key)
        if existing is not None:
            if (existing.user_id, existing.amount, existing.kind) != (user_id, amount, kind):
                raise ValidationError(
                    {"key": "该操作编号已用于另一笔积分记录，请刷新页面后重试。"}
                )
            return existing
        user = db.execute("SELECT disabled FROM users WHERE id = ?", (user_id,)).fetchone()
        if user is None:
            raise NotFound("找不到该用户。")
        # a correction may still fix the record of a disabled account
        if user[0] and kind != KIND_CORRECTION:
            raise ValidationError({"user_id": "该账号已停用，不能变动积分。"})
        if amount < 0:
            current = balance(db, user_id)
            if current + amount < 0:
                raise InsufficientPoints(
                    f"积分不足：当前余额 {current} 积分，本次需要 {-amount} 积分。"
                )
        actor_id = actor.id if actor is not None else None
        cursor = db.execute(
            "INSERT INTO points_ledger"
            " (user_id, amount, kind, reason, idempotency_key, actor_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, amount, kind, reason, key, actor_id, now_iso()),
        )
        entry = _by_id(db, cursor.lastrowid)
        audit.record(db, actor_id, action, "user", user_id, entry_id=entry.id, amount=amount,
                     kind=kind, reason=reason)
        return entry


def _by_key(db: Database, key: str) -> Entry | None:
    row = db.execute(
        _SELECT + " WHERE idempotency_key = ?", (key,)
    ).fetchone()
    return Entry(*row) if row else None


def _by_id(db: Database, entry_id: int) -> Entry:
    row = db.execute(_SELECT + " WHERE id = ?", (entry_id,)).fetchone()
    return Entry(*row)


def _check_amount(amount: object, *, positive: bool) -> dict[str, str]:
    # bool is an int subclass: True must not become one point
    if isinstance(amount, bool) or not isinstance(amount, int):
        return {"amount": "积分必须是整数。"}
    if positive and amount <= 0:
        return {"amount": "积分必须大于 0。"}
    if amount == 0:
        return {"amount": "更正积分不能为 0。"}
    if abs(amount) > MAX_AMOUNT:
        return {"amount": f"积分不能超过 {MAX_AMOUNT}。"}
    return {}


def _check_key(key: object) -> dict[str, str]:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        return {"key": "缺少有效的操作编号。"}
    return {}


def _check_reason(reason: str) -> dict[str, str]:
    if len(reason) > MAX_REASON:
        return {"reason": f"理由不能超过 {MAX_REASON} 字。"}
    return {}
