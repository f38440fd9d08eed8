"""The 随手拍 categories, which admins adapt to their community (e.g. 高空抛物, 电梯故障)."""
from __future__ import annotations

from sqlite_utils import Database

from lib.core import audit
from lib.core.db import immediate, scalar
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import ADMIN, User, require_role


NAME_MAX = 12


def all_categories(db: Database) -> list[dict]:
    """Every category, retired ones too (old reports keep theirs)."""
    return list(db.query("SELECT id, name, sort, active FROM report_categories ORDER BY sort, id"))


def _clean(db: Database, name: str, *, except_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise ValidationError({"category": f"类别名称为 1-{NAME_MAX} 个字。"})
    if scalar(db, "SELECT 1 FROM report_categories WHERE name = ? AND id IS NOT ?",
              (name, except_id)):
        raise ValidationError({"category": "已有同名类别。"})
    return name


def add_category(db: Database, actor: User, *, name: str) -> int:
    """A new category, listed before 其他."""
    require_role(actor, ADMIN)
    with immediate(db):
        name = _clean(db, name)
        sort = scalar(db, "SELECT COALESCE(MAX(sort), 0) FROM report_categories WHERE sort < 99") + 1
        category_id = db.execute("INSERT INTO report_categories (name, sort) VALUES (?, ?)",
                                 (name, sort)).lastrowid
        audit.record(db, actor.id, "category.add", "category", category_id, name=name)
    return category_id


def rename_category(db: Database, actor: User, *, category_id: int, name: str) -> None:
    require_role(actor, ADMIN)
    with immediate(db):
        if scalar(db, "SELECT 1 FROM report_categories WHERE id = ?", (category_id,)) is None:
            raise NotFound("找不到该类别。")
        name = _clean(db, name, except_id=category_id)
        db.execute("UPDATE report_categories SET name = ? WHERE id = ?", (name, category_id))
        audit.record(db, actor.id, "category.rename", "category", category_id, name=name)


def set_category_active(db: Database, actor: User, *, category_id: int, active: bool) -> None:
    """Retire a category from the filing form (or bring it back); at least one must stay."""
    require_role(actor, ADMIN)
    with immediate(db):
        if scalar(db, "SELECT 1 FROM report_categories WHERE id = ?", (category_id,)) is None:
            raise NotFound("找不到该类别。")
        if not active and scalar(db, "SELECT COUNT(*) FROM report_categories WHERE active = 1"
                                     " AND id <> ?", (category_id,)) == 0:
            raise ValidationError({"category": "至少要保留一个可选的类别。"})
        db.execute("UPDATE report_categories SET active = ? WHERE id = ?", (int(active), category_id))
        audit.record(db, actor.id, "category.active" if active else "category.retire", "category",
                     category_id)
