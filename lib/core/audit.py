"""The audit log: who did what to which record, appended in the transaction of the change.

lib.site.audit_log puts it into words for 管理 › 审计日志.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

from lib.core.clock import now_iso


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
    """Newest entries first, with the actor's username and display name for display."""
    sql = (
        "SELECT audit_log.*, users.username AS actor_username,"
        " users.display_name AS actor_display_name FROM audit_log"
        " LEFT JOIN users ON users.id = audit_log.actor_id"
    )
    params: list[object] = []
    if action:
        sql += " WHERE audit_log.action = ?"
        params.append(action)
    # by time (the audit_log_at index), not by id: imported or seeded history may be older
    sql += " ORDER BY audit_log.at DESC, audit_log.id DESC LIMIT ?"
    params.append(limit)
    return list(db.query(sql, params))
