"""The points ledger: every award, spend and correction is a new, never-edited entry.

Who may grant what (checked here, under the write lock, before anything is written):

====================  =============================================================
actor                 may grant
====================  =============================================================
system (``None``)     any award kind: lib applies a rule after a recorded event
                      (report accepted, volunteer hours approved, labour, pledge,
                      refund of a redemption, the red-flag building's ``ranking``
                      reward once staff publish a month). Never a correction.
guest, resident       nothing.
leader                only ``volunteer``, with a reason, only to a user whose
                      *verified* household is in the micro-grid they lead, never to
                      themself. A leader vouches for neighbours they know, nothing more.
staff, admin          ``volunteer`` to anyone, with a reason, never to themself; and a
                      ``special`` award or deduction (:func:`special`, a signed amount up
                      to the rule ``points.special_max``, never taking a balance below
                      zero) to anyone but themself, with a reason. ``report``,
                      ``labour``, ``pledge`` and ``refund`` stand for an event that lib
                      records; granting them by hand would forge that event, so they are
                      the system's alone.
admin                 corrections (up or down), with a reason, never on their own
                      balance, never taking a balance below zero.
====================  =============================================================

Spends are the owner's own act (or staff's 代办); see :func:`spend`. The one exception is
``pledge_refund`` (认捐退款): when a cancelled project refunds a confirmed pledge, the system (and
only the system) takes back the points that pledge earned, as far as the balance allows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit, rules
from lib.core.clock import now_iso
from lib.core.db import immediate
from lib.core.errors import InsufficientPoints, NotFound, PermissionDenied, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF, User, require_role


KIND_REPORT = "report"
KIND_VOLUNTEER = "volunteer"
KIND_LABOUR = "labour"
KIND_PLEDGE = "pledge"
KIND_SPECIAL = "special"
KIND_REFUND = "refund"
KIND_REDEEM = "redeem"
KIND_PLEDGE_REFUND = "pledge_refund"
KIND_CORRECTION = "correction"
KIND_RANKING = "ranking"  # the red-flag building's reward to its residents (lib.ranking.publish)

KIND_LABELS = {
    KIND_REPORT: "随手拍受理",
    KIND_VOLUNTEER: "志愿服务",
    KIND_LABOUR: "众筹出工",
    KIND_PLEDGE: "众筹认捐",
    KIND_SPECIAL: "特别奖励",
    KIND_REFUND: "兑换退回",
    KIND_REDEEM: "积分兑换",
    KIND_PLEDGE_REFUND: "认捐退款",
    KIND_CORRECTION: "积分更正",
    KIND_RANKING: "星级楼栋奖励",
}
# correction has its own function; redeem and the take-back of a refunded pledge's points are
# the ways points leave by spend()
SPEND_KINDS = frozenset({KIND_REDEEM, KIND_PLEDGE_REFUND})
AWARD_KINDS = frozenset(KIND_LABELS) - SPEND_KINDS - {KIND_CORRECTION}
# taken back by lib when the event that earned them is undone (a cancelled project refunds its
# pledges): nobody may write one by hand, or staff could take points from anyone
SYSTEM_SPEND_KINDS = frozenset({KIND_PLEDGE_REFUND})
# what a person (not the system) may grant by hand, by role; see the module docstring
LEADER_AWARD_KINDS = frozenset({KIND_VOLUNTEER})
STAFF_AWARD_KINDS = frozenset({KIND_VOLUNTEER, KIND_SPECIAL})

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
        _check_granter(actor, kind, user_id)
    errors = _check_amount(amount, positive=True) | _check_key(key) | _check_reason(reason)
    if actor is not None and not reason:
        # a person granting points always says why; the system's rules carry their own reason
        errors["reason"] = "发放积分必须填写理由。"
    if actor is not None and kind == KIND_SPECIAL and "amount" not in errors:
        errors |= _check_special_cap(db, amount)
    if errors:
        raise ValidationError(errors)
    return _append(db, actor, user_id=user_id, amount=amount, kind=kind, reason=reason, key=key,
                   action="points.award")


def special(db: Database, actor: User, *, user_id: int, amount: int, reason: str,
            key: str) -> Entry:
    """Grant (``amount`` > 0) or deduct (``amount`` < 0) a special award; staff and admins only.

    A deduction is how a community answers, say, stairwell clutter left after warnings; it is
    the same kind as a grant so the year's earned total (the boards) falls with it. Raises
    PermissionDenied (a lower role, or the actor's own balance), ValidationError (no reason,
    zero, over ``points.special_max``) or InsufficientPoints (below zero); repeating the same
    key returns the first entry.
    """
    require_role(actor, STAFF)
    if actor.id == user_id:
        raise PermissionDenied("不能给自己发放或扣减积分。")
    reason = (reason or "").strip()
    errors = _check_amount(amount, positive=False) | _check_key(key) | _check_reason(reason)
    if "amount" not in errors:
        errors |= _check_special_cap(db, amount)
    if not reason:
        errors["reason"] = "特别奖励或扣减必须填写理由。"
    if errors:
        raise ValidationError(errors)
    return _append(db, actor, user_id=user_id, amount=amount, kind=KIND_SPECIAL, reason=reason,
                   key=key, action="points.special")


def _check_special_cap(db: Database, amount: int) -> dict[str, str]:
    cap = rules.get(db, "points.special_max")
    if abs(amount) > cap:
        return {"amount": f"单次特别奖励或扣减不能超过 {cap} 分（见积分规则）。"}
    return {}


def _check_granter(actor: User, kind: str, user_id: int) -> None:
    """The role part of the matrix; the micro-grid part needs the database (see _append)."""
    require_role(actor, LEADER)
    allowed = STAFF_AWARD_KINDS if actor.at_least(STAFF) else LEADER_AWARD_KINDS
    if kind not in allowed:
        raise PermissionDenied(f"您不能发放“{KIND_LABELS[kind]}”积分。")
    if actor.id == user_id:
        raise PermissionDenied("不能给自己发放积分。")


def _check_target_in_microgrid(db: Database, actor: User, user_id: int) -> None:
    """A leader grants only to a user whose verified household is in the micro-grid they lead."""
    if actor.at_least(STAFF):
        return
    microgrid_id = db.execute(
        "SELECT places.microgrid_id FROM users"
        " JOIN households ON households.id = users.household_id"
        " JOIN places ON places.id = households.place_id"
        " WHERE users.id = ? AND users.household_status = 'verified'", (user_id,)
    ).fetchone()
    if microgrid_id is None or actor.leads_microgrid_id is None \
            or microgrid_id[0] != actor.leads_microgrid_id:
        raise PermissionDenied("只能给本微网格内已核实住户发放积分。")


def spend(db: Database, actor: User | None, *, user_id: int, amount: int, kind: str,
          reason: str, key: str) -> Entry:
    """Take points from a user (stored as a negative entry); ``actor=None`` is the system.

    The user themself may spend, and staff may spend for them (代办); a ``pledge_refund`` is the
    system's alone. Raises InsufficientPoints, ValidationError, PermissionDenied or NotFound;
    repeating the same key returns the first entry instead of spending twice.
    """
    reason = (reason or "").strip()
    if kind not in SPEND_KINDS:
        raise ValidationError({"kind": f"未知的积分类型：{kind}。"})
    if actor is not None and kind in SYSTEM_SPEND_KINDS:
        raise PermissionDenied(f"“{KIND_LABELS[kind]}”积分只能由系统按规则扣回。")
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
    if actor.id == user_id:
        raise PermissionDenied("不能更正自己的积分，请由其他管理员操作。")
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
        if actor is not None and kind in AWARD_KINDS:
            # read under the lock: a household moved out meanwhile cannot slip through
            _check_target_in_microgrid(db, actor, user_id)
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
        # a correction may still fix the record of a disabled account, a cancelled
        # redemption's refund must still land (else its goods stay reserved for nobody), and a
        # cancelled project's refunds must not stop at one closed account
        if user[0] and kind not in (KIND_CORRECTION, KIND_REFUND, KIND_PLEDGE_REFUND):
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
        return {"amount": "积分不能为 0。"}
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
