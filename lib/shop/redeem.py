"""积分超市's redemptions: spend points on goods, collect them by a pickup code, or cancel.

A redemption is ``waiting`` until staff hand the goods over (``fulfilled``) or it is
``cancelled`` (points refunded, stock restored). The checks and both deductions (stock and
points) happen under one write lock, so two residents tapping for the last bag of rice at
once cannot both get it, and a double tap on 确认兑换 redeems once.

Who may do what: a logged-in person redeems for themself; staff and admins also for a
resident without a phone (代办, recorded as ``proxy_by``). Staff fulfil by the pickup code and
cancel any waiting redemption; the owner may cancel their own while it waits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import SHANGHAI, now_iso, utc_now
from lib.core.db import immediate, one, scalar
from lib.core.errors import (
    InsufficientPoints, InvalidTransition, NotFound, PermissionDenied, PortalError,
    ValidationError,
)
from lib.core.roles import RESIDENT, STAFF, User, require_role
from lib.points import ledger
from lib.shop import catalogue
from lib.shop.codes import new_code, normalise_code


WAITING, FULFILLED, CANCELLED = "waiting", "fulfilled", "cancelled"
STATUS_LABELS = {WAITING: "待领取", FULFILLED: "已领取", CANCELLED: "已取消"}
# the one table of moves: a handed-over or cancelled redemption is closed for good
TRANSITIONS = {WAITING: {FULFILLED, CANCELLED}, FULFILLED: set(), CANCELLED: set()}

QUANTITY_MAX = 20
KEY_MAX = 100
REASON_MAX = 100



class OutOfStock(PortalError):
    """Not enough of the item left for this redemption."""


class LimitReached(PortalError):
    """The person's monthly limit for the item would be passed."""


@dataclass(frozen=True)
class Redemption:
    """One redemption with the names a page shows beside it."""

    id: int
    item_id: int
    item_name: str
    user_id: int
    user_name: str
    quantity: int
    points: int
    month: str
    pickup_code: str
    status: str
    proxy_by: int | None
    created_at: str
    closed_at: str | None
    closed_by: int | None
    cancel_reason: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_waiting(self) -> bool:
        return self.status == WAITING


_SELECT = (
    "SELECT r.id, r.item_id, shop_items.name AS item_name, r.user_id,"
    " users.display_name AS user_name, r.quantity, r.points, r.month, r.pickup_code, r.status,"
    " r.proxy_by, r.created_at, r.closed_at, r.closed_by, r.cancel_reason"
    " FROM shop_redemptions AS r JOIN shop_items ON shop_items.id = r.item_id"
    " JOIN users ON users.id = r.user_id"
)


def _one(db: Database, where: str, params: tuple) -> Redemption | None:
    row = one(db, _SELECT + " WHERE " + where, params)
    return Redemption(**row) if row else None


def current_month() -> str:
    """The community's month (Asia/Shanghai) that a monthly limit counts in."""
    return utc_now().astimezone(SHANGHAI).strftime("%Y-%m")


def redeemed_this_month(db: Database, user_id: int, item_id: int) -> int:
    """Units of the item the person redeemed this month and did not cancel."""
    return scalar(db, "SELECT COALESCE(SUM(quantity), 0) FROM shop_redemptions WHERE user_id = ?"
                      " AND month = ? AND item_id = ? AND status != 'cancelled'",
                  (user_id, current_month(), item_id))


def redeem(db: Database, actor: User, *, item_id: int, quantity: int = 1, key: str,
           for_user_id: int | None = None) -> Redemption:
    """Spend points on ``quantity`` units of an item and reserve them for pickup by a code.

    ``for_user_id`` names the resident staff redeem for (代办). Raises PermissionDenied,
    ValidationError, NotFound, OutOfStock, LimitReached or InsufficientPoints, and then nothing
    changes; repeating ``key`` returns the first redemption instead of spending twice.
    """
    require_role(actor, RESIDENT)
    owner_id = actor.id if for_user_id is None else for_user_id
    if owner_id != actor.id and not actor.at_least(STAFF):
        raise PermissionDenied("只有社区工作人员可以代居民兑换。")
    if catalogue._whole(quantity) is None or not 1 <= quantity <= QUANTITY_MAX:
        raise ValidationError({"quantity": f"兑换数量应是 1 到 {QUANTITY_MAX} 的整数。"})
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX:
        raise ValidationError({"key": "缺少有效的操作编号，请刷新页面后重试。"})
    with immediate(db):
        first = _one(db, "r.submission_key = ?", (key,))
        if first is not None:
            if (first.user_id, first.item_id, first.quantity) != (owner_id, item_id, quantity):
                raise ValidationError({"key": "该操作编号已用于另一次兑换，请刷新页面后重试。"})
            return first
        item = catalogue.get(db, item_id)
        owner = one(db, "SELECT display_name, disabled FROM users WHERE id = ?", (owner_id,))
        if owner is None:
            raise NotFound("找不到该居民。")
        if owner["disabled"]:
            raise ValidationError({"user_id": "该账号已停用，不能兑换。"})
        who = "您" if owner_id == actor.id else "该居民"
        _check_can_redeem(db, item, owner_id, quantity, who)
        points = item.price * quantity
        redemption_id = db.execute(
            "INSERT INTO shop_redemptions (item_id, user_id, quantity, points, month,"
            " pickup_code, status, proxy_by, submission_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
            (item.id, owner_id, quantity, points, current_month(), new_code(db),
             actor.id if owner_id != actor.id else None, key, now_iso())).lastrowid
        # the stock >= 0 CHECK is the last guard should the check above ever be wrong
        db.execute("UPDATE shop_items SET stock = stock - ? WHERE id = ?", (quantity, item.id))
        ledger.spend(db, actor, user_id=owner_id, amount=points, kind=ledger.KIND_REDEEM,
                     reason=f"积分超市兑换 {item.name} × {quantity}", key=f"shop:{redemption_id}")
        audit.record(db, actor.id, "shop.redeem", "shop_redemption", redemption_id,
                     name=item.name, quantity=quantity, amount=points,
                     user_id=owner_id if owner_id != actor.id else None)
        return _one(db, "r.id = ?", (redemption_id,))


def _check_can_redeem(db: Database, item: catalogue.Item, owner_id: int, quantity: int,
                      who: str) -> None:
    """The shop's rules, read under the write lock, in the order a resident can fix them."""
    if not item.active:
        raise ValidationError({"item": f"“{item.name}”已下架，暂不能兑换。"})
    if item.stock < quantity:
        raise OutOfStock(f"“{item.name}”库存不足：只剩 {item.stock} 件，无法兑换 {quantity} 件。"
                         if item.stock else f"“{item.name}”已兑完，请等补货后再来。")
    if item.monthly_limit:
        taken = redeemed_this_month(db, owner_id, item.id)
        if taken + quantity > item.monthly_limit:
            raise LimitReached(f"“{item.name}”每人每月限兑 {item.monthly_limit} 件，"
                               f"{who}本月已兑 {taken} 件。")
    needed, has = item.price * quantity, ledger.balance(db, owner_id)
    if has < needed:
        raise InsufficientPoints(f"积分不足：兑换需要 {needed} 积分，{who}现有 {has} 积分。")


def by_code(db: Database, actor: User, code: str) -> Redemption:
    """The redemption a pickup code names (staff); raises ValidationError or NotFound."""
    require_role(actor, STAFF)
    code = normalise_code(code)
    found = _one(db, "r.pickup_code = ?", (code,))
    if found is None:
        raise NotFound(f"没有找到取件码为 {code} 的兑换，请核对。")
    return found


def get(db: Database, redemption_id: int) -> Redemption:
    found = _one(db, "r.id = ?", (redemption_id,))
    if found is None:
        raise NotFound("找不到该兑换记录。")
    return found


def fulfil(db: Database, actor: User, code: str) -> Redemption:
    """Hand the goods over (staff): waiting -> fulfilled.

    Raises PermissionDenied, ValidationError, NotFound, or InvalidTransition when it was
    already handed over or cancelled, so nobody collects twice.
    """
    require_role(actor, STAFF)
    code = normalise_code(code)
    with immediate(db):
        found = by_code(db, actor, code)
        _require_waiting(found)
        db.execute("UPDATE shop_redemptions SET status = 'fulfilled', closed_at = ?,"
                   " closed_by = ? WHERE id = ?", (now_iso(), actor.id, found.id))
        audit.record(db, actor.id, "shop.fulfil", "shop_redemption", found.id,
                     name=found.item_name, quantity=found.quantity, code=code)
        return get(db, found.id)


def cancel(db: Database, actor: User, redemption_id: int, reason: str = "") -> Redemption:
    """Cancel a waiting redemption: points back to the owner, units back on the shelf.

    Staff cancel any, with a reason; the owner their own. Raises PermissionDenied,
    ValidationError, NotFound or InvalidTransition; the refund and the stock move together.
    """
    require_role(actor, RESIDENT)
    reason = (reason if isinstance(reason, str) else "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"取消原因不能超过 {REASON_MAX} 个字。"})
    with immediate(db):
        found = get(db, redemption_id)
        is_owner = found.user_id == actor.id
        if not is_owner and not actor.at_least(STAFF):
            raise PermissionDenied("只能取消自己的兑换。")
        if not is_owner and not reason:
            raise ValidationError({"reason": "代为取消请填写原因。"})
        _require_waiting(found)
        reason = reason or "本人取消"
        db.execute("UPDATE shop_redemptions SET status = 'cancelled', closed_at = ?,"
                   " closed_by = ?, cancel_reason = ? WHERE id = ?",
                   (now_iso(), actor.id, reason, found.id))
        db.execute("UPDATE shop_items SET stock = stock + ? WHERE id = ?",
                   (found.quantity, found.item_id))
        ledger.award(db, None, user_id=found.user_id, amount=found.points,
                     kind=ledger.KIND_REFUND, reason=f"取消兑换 {found.item_name}：{reason}",
                     key=f"shop-refund:{found.id}")
        audit.record(db, actor.id, "shop.cancel", "shop_redemption", found.id,
                     name=found.item_name, amount=found.points, reason=reason)
        return get(db, found.id)


def _require_waiting(found: Redemption) -> None:
    if found.status == FULFILLED:
        raise InvalidTransition(f"取件码 {found.pickup_code} 的商品已经领取过了。")
    if found.status == CANCELLED:
        raise InvalidTransition(f"取件码 {found.pickup_code} 的兑换已取消，积分已退回。")


def my_redemptions(db: Database, actor: User, *, limit: int = 20) -> list[Redemption]:
    """The person's own redemptions, newest first."""
    require_role(actor, RESIDENT)
    return [Redemption(**row) for row in db.query(
        _SELECT + " WHERE r.user_id = ? ORDER BY r.id DESC LIMIT ?",
        (actor.id, max(1, min(int(limit), 200))))]


def waiting(db: Database, actor: User, *, limit: int = 50) -> list[Redemption]:
    """Redemptions waiting to be collected, oldest first (staff)."""
    require_role(actor, STAFF)
    return [Redemption(**row) for row in db.query(
        _SELECT + " WHERE r.status = 'waiting' ORDER BY r.id LIMIT ?",
        (max(1, min(int(limit), 500)),))]
