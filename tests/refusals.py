"""Read a refusal or an audit entry whole, so a test compares exactly what a page would show.

A page places each ValidationError message by its field name, so the edge tests compare the
whole ``fields`` dict; NotFound and PermissionDenied by their exact Chinese text.
"""
from __future__ import annotations

import json

import pytest

from lib.core import audit
from lib.core.errors import NotFound, PermissionDenied, ValidationError


def fields(call) -> dict:
    """The ``fields`` of the ValidationError ``call()`` raises."""
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.fields


def not_found(call) -> str:
    with pytest.raises(NotFound) as caught:
        call()
    return str(caught.value)


def denied(call) -> str:
    with pytest.raises(PermissionDenied) as caught:
        call()
    return str(caught.value)


def last_audit(db, action: str) -> dict:
    """The newest audit entry of ``action``: who, on what, and its detail as a dict."""
    row = audit.recent(db, action=action)[0]
    return {"actor": row["actor_id"], "type": row["target_type"], "id": row["target_id"],
            "detail": json.loads(row["detail"]) if row["detail"] else {}}
