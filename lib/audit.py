"""The audit log: who did what to which record, for staff and admins to review."""
from __future__ import annotations

import json

from sqlite_utils import Database

from lib.clock import now_iso


def record(db: Database, actor_id: int | None, action: str, target_type: str = "",
           target_id: object = "", **detail: object) -> None:
    """Append one entry; call it inside the transaction of the change it describes."""
    db.execute(
        "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (now_iso(), actor_id, action, target_type, str(target_id),
         json.dumps(detail, ensure_ascii=False) if detail else ""),
    )


def recent(db: Database, *, limit: int = 200, action: str | None = None) -> list[dict]:
    """Newest entries first, with the actor's username for display."""
    sql = (
        "SELECT audit_log.*, users.username AS actor_username FROM audit_log"
        " LEFT JOIN users ON users.id = audit_log.actor_id"
    )
    params: list[object] = []
    if action:
        sql += " WHERE audit_log.action = ?"
        params.append(action)
    sql += " ORDER BY audit_log.id DESC LIMIT ?"
    params.append(limit)
    return list(db.query(sql, params))
