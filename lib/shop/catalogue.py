"""积分超市's catalogue: the goods, their points price, stock and per-person monthly limit.

Who may change what (checked here): an admin adds and edits items (name, photo, price, limit,
active, order); staff, who hand the goods out at the service desk, may also change the stock
(a delivery arrived, a bag split open), since that is their daily work and touches no price.
Stock moves by a change (+10, -1), never by setting a number, so a restock typed while a
resident redeems cannot overwrite the sale. Every change is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import now_iso
from lib.core.db import immediate, one
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import ADMIN, STAFF, User, require_role


NAME_MAX, DESCRIPTION_MAX, REASON_MAX = 30, 200, 100
PRICE_MAX = 10_000  # 20 points buy a bag of rice: no good in a community shop costs 10,000
STOCK_MAX = 100_000
LIMIT_MAX = 100
SORT_MAX = 10_000


@dataclass(frozen=True)
class Item:
    """One good; ``monthly_limit`` 0 means no limit per person and month."""

    id: int
    name: str
    description: str
    photo: str | None
    price: int
    stock: int
    monthly_limit: int
    active: bool
    sort: int

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


_SELECT = ("SELECT id, name, description, photo, price, stock, monthly_limit, active, sort"
           " FROM shop_items")


def _item(row: dict) -> Item:
    return Item(**{**row, "active": bool(row["active"])})


def list_items(db: Database, *, include_inactive: bool = False) -> list[Item]:
    """The catalogue in shop order; residents see active items only, 管理 sees all."""
    where = "" if include_inactive else " WHERE active = 1"
    return [_item(row) for row in db.query(_SELECT + where + " ORDER BY sort, id")]


def get(db: Database, item_id: object) -> Item:
    """One item, active or not; raises NotFound."""
    row = one(db, _SELECT + " WHERE id = ?", (_whole(item_id),)) if _whole(item_id) else None
    if row is None:
        raise NotFound("找不到该商品，可能已被删除。")
    return _item(row)


def _whole(value: object) -> int | None:
    """An int that is not a bool, else None: True must not become item 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check(name: object, description: object, price: object, monthly_limit: object,
           sort: object) -> tuple[dict[str, str], str, str]:
    errors: dict[str, str] = {}
    name = (name if isinstance(name, str) else "").strip()
    description = (description if isinstance(description, str) else "").strip()
    if not name:
        errors["name"] = "请填写商品名称。"
    elif len(name) > NAME_MAX:
        errors["name"] = f"商品名称不能超过 {NAME_MAX} 个字。"
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"商品说明不能超过 {DESCRIPTION_MAX} 个字。"
    for field, value, low, high, message in (
            ("price", price, 1, PRICE_MAX, f"所需积分应是 1 到 {PRICE_MAX} 的整数。"),
            ("monthly_limit", monthly_limit, 0, LIMIT_MAX,
             f"每人每月限兑应是 0 到 {LIMIT_MAX} 的整数（0 表示不限）。"),
            ("sort", sort, 0, SORT_MAX, f"排序应是 0 到 {SORT_MAX} 的整数。")):
        if _whole(value) is None or not low <= value <= high:
            errors[field] = message
    return errors, name, description


def add_item(db: Database, actor: User, *, name: str, price: int, stock: int,
             description: str = "", monthly_limit: int = 0, active: bool = True, sort: int = 0,
             photo: bytes | None = None, data_dir: Path | None = None) -> Item:
    """Put a new good in the shop (admins only); the photo goes through the photo pipeline.

    Raises PermissionDenied, ValidationError or PhotoRejected; nothing is stored on a refusal.
    """
    require_role(actor, ADMIN)
    errors, name, description = _check(name, description, price, monthly_limit, sort)
    if _whole(stock) is None or not 0 <= stock <= STOCK_MAX:
        errors["stock"] = f"库存应是 0 到 {STOCK_MAX} 的整数。"
    if errors:
        raise ValidationError(errors)
    stored = _store_photo(photo, data_dir)
    try:
        with immediate(db):
            now = now_iso()
            item_id = db.execute(
                "INSERT INTO shop_items (name, description, photo, price, stock, monthly_limit,"
                " active, sort, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, description, stored, price, stock, monthly_limit, int(bool(active)), sort,
                 now, now)).lastrowid
            audit.record(db, actor.id, "shop.item_add", "shop_item", item_id, name=name,
                         price=price, stock=stock)
    except BaseException:
        _forget_photo(stored, data_dir)
        raise
    return get(db, item_id)


def edit_item(db: Database, actor: User, *, item_id: int, name: str, price: int,
              description: str = "", monthly_limit: int = 0, active: bool = True,
              sort: int = 0, photo: bytes | None = None, data_dir: Path | None = None) -> Item:
    """Change an item's details (admins only); stock changes go through change_stock.

    A new price applies to redemptions from now on; waiting ones keep the points they cost.
    A replaced photo's files are removed once the change is saved.
    """
    require_role(actor, ADMIN)
    errors, name, description = _check(name, description, price, monthly_limit, sort)
    if errors:
        raise ValidationError(errors)
    stored = _store_photo(photo, data_dir)
    try:
        with immediate(db):
            old = get(db, item_id)
            db.execute(
                "UPDATE shop_items SET name = ?, description = ?, photo = ?, price = ?,"
                " monthly_limit = ?, active = ?, sort = ?, updated_at = ? WHERE id = ?",
                (name, description, stored or old.photo, price, monthly_limit,
                 int(bool(active)), sort, now_iso(), old.id))
            changed = {field: getattr(old, field) for field, new in (
                ("name", name), ("description", description), ("price", price),
                ("monthly_limit", monthly_limit), ("active", bool(active)), ("sort", sort))
                if getattr(old, field) != new}
            audit.record(db, actor.id, "shop.item_edit", "shop_item", old.id, name=name,
                         old=changed, photo="新照片" if stored else "")
    except BaseException:
        _forget_photo(stored, data_dir)
        raise
    if stored and old.photo:
        _forget_photo(old.photo, data_dir)
    return get(db, item_id)


def change_stock(db: Database, actor: User, *, item_id: int, change: int,
                 reason: str = "") -> Item:
    """Add (delivery) or remove (damaged, counted short) units; staff and admins.

    Raises PermissionDenied, NotFound or ValidationError (zero, not whole, or more removed
    than there is: stock never goes below zero).
    """
    require_role(actor, STAFF)
    reason = (reason if isinstance(reason, str) else "").strip()
    if _whole(change) is None or change == 0 or abs(change) > STOCK_MAX:
        raise ValidationError({"change": f"库存变动应是 1 到 {STOCK_MAX} 的整数（减少填负数）。"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"说明不能超过 {REASON_MAX} 个字。"})
    if change < 0 and not reason:
        raise ValidationError({"reason": "减少库存请说明原因（如破损、盘点短少）。"})
    with immediate(db):
        item = get(db, item_id)
        if item.stock + change < 0:
            raise ValidationError({"change": f"库存只有 {item.stock} 件，不能减少 {-change} 件。"})
        if item.stock + change > STOCK_MAX:
            raise ValidationError({"change": f"库存不能超过 {STOCK_MAX} 件。"})
        db.execute("UPDATE shop_items SET stock = stock + ?, updated_at = ? WHERE id = ?",
                   (change, now_iso(), item.id))
        audit.record(db, actor.id, "shop.stock", "shop_item", item.id, name=item.name,
                     change=change, stock=item.stock + change, reason=reason)
    return get(db, item_id)


def photos_in_use(db: Database) -> set[str]:
    """The stored photo names items refer to, so the start-up sweep keeps them."""
    return {row[0] for row in db.execute("SELECT photo FROM shop_items WHERE photo IS NOT NULL")}


def _store_photo(photo: bytes | None, data_dir: Path | None) -> str | None:
    if not photo:
        return None
    if data_dir is None:
        raise ValueError("a photo needs the data directory to be stored in")
    return photos.store(data_dir, photos.process_photo(photo))


def _forget_photo(name: str | None, data_dir: Path | None) -> None:
    if name and data_dir is not None:
        photos.delete(data_dir, name)
