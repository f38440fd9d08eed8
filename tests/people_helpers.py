"""Helpers shared by the people's tests: a resident registered as the account page does it,
and the audit entries an action left.

Use with the ``buildings`` and ``cheap_bcrypt`` fixtures (tests/conftest.py).
"""
import json

from lib.core.roles import User
from lib.people import accounts


def register(db, **overrides) -> User:
    """王阿姨 (wang_ayi, Spring2026) asking to be bound to 1-1 room 302; overrides replace fields."""
    fields = dict(username="wang_ayi", display_name="王阿姨", password="Spring2026",
                  password_repeat="Spring2026", mobile="13912345678", place_id=1, room="302")
    fields.update(overrides)
    return accounts.register(db, **fields)


def audit_rows(db, pattern):
    """(actor, action, target type, target id, detail) of the audit entries matching pattern."""
    return [(r["actor_id"], r["action"], r["target_type"], r["target_id"],
             json.loads(r["detail"]) if r["detail"] else None)
            for r in db.query("SELECT * FROM audit_log WHERE action LIKE ? ORDER BY id",
                              (pattern,))]
