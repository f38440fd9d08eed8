"""Setting up the community itself: its name, its grids and their micro-grids (admins only).

A production portal starts empty; these let an admin build the organisation that places,
leaders and households hang from, without touching the database.
"""
from __future__ import annotations

from sqlite_utils import Database

from lib import audit
from lib.db import immediate, scalar
from lib.errors import ValidationError
from lib.roles import ADMIN, User, require_role

NAME_MAX = 30


def _clean_name(name: object, field: str) -> str:
    name = str(name or "").strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise ValidationError({field: f"请填写 1-{NAME_MAX} 个字的名称。"})
    return name


def set_community(db: Database, actor: User, *, name: str, address: str = "") -> None:
    """Name the community (created on first use); shown at the top of every home page."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "name")
    address = str(address or "").strip()[:100]
    with immediate(db):
        community_id = scalar(db, "SELECT id FROM community ORDER BY id LIMIT 1")
        if community_id is None:
            db.execute("INSERT INTO community (name, address) VALUES (?, ?)", (name, address))
        else:
            db.execute("UPDATE community SET name = ?, address = ? WHERE id = ?",
                       (name, address, community_id))
        audit.record(db, actor.id, "community.set", "community", community_id or 1, name=name)


def add_grid(db: Database, actor: User, *, name: str) -> int:
    """Add a grid (网格); the community must be named first."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "grid")
    with immediate(db):
        community_id = scalar(db, "SELECT id FROM community ORDER BY id LIMIT 1")
        if community_id is None:
            raise ValidationError({"grid": "请先填写社区名称。"})
        if scalar(db, "SELECT 1 FROM grids WHERE community_id = ? AND name = ?", (community_id, name)):
            raise ValidationError({"grid": "该网格已存在。"})
        grid_id = db.execute("INSERT INTO grids (community_id, name) VALUES (?, ?)",
                             (community_id, name)).lastrowid
        audit.record(db, actor.id, "grid.add", "grid", grid_id, name=name)
    return grid_id


def add_microgrid(db: Database, actor: User, *, grid_id: int | None, name: str) -> int:
    """Add a micro-grid (微网格) to a grid; leaders and buildings are then assigned to it."""
    require_role(actor, ADMIN)
    name = _clean_name(name, "microgrid")
    with immediate(db):
        if grid_id is None or scalar(db, "SELECT 1 FROM grids WHERE id = ?", (grid_id,)) is None:
            raise ValidationError({"grid": "请选择所属网格。"})
        if scalar(db, "SELECT 1 FROM microgrids WHERE grid_id = ? AND name = ?", (grid_id, name)):
            raise ValidationError({"microgrid": "该网格下已有同名微网格。"})
        microgrid_id = db.execute("INSERT INTO microgrids (grid_id, name) VALUES (?, ?)",
                                  (grid_id, name)).lastrowid
        audit.record(db, actor.id, "microgrid.add", "microgrid", microgrid_id, name=name)
    return microgrid_id


def list_grids(db: Database) -> list[dict]:
    return list(db.query("SELECT id, name FROM grids ORDER BY id"))
