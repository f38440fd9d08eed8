"""Shared fixtures: a fresh temporary database per test and users of each role."""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.core.clock import now_iso  # noqa: E402
from lib.core.db import open_db  # noqa: E402
from lib.people import passwords  # noqa: E402
from lib.people.users import load_user  # noqa: E402


_numbers = itertools.count(1)


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "portal.db")
    yield database
    database.conn.close()


@pytest.fixture
def make_user(db):
    """Insert a user row directly (fast: no bcrypt) and return it as a lib.roles.User."""

    def make(role: str = "resident", *, username: str | None = None, **columns):
        username = username or f"{role}{next(_numbers)}"
        row = {"username": username, "display_name": f"测试{username}", "password_hash": "x",
               "role": role, "created_at": now_iso(), "password_changed_at": now_iso()}
        row.update(columns)
        user_id = db["users"].insert(row).last_pk
        return load_user(db, user_id)

    return make


@pytest.fixture
def cheap_bcrypt(monkeypatch):
    """bcrypt at cost 4 instead of 12: the same rules, a suite ten times faster.

    The decoy hash is rebuilt at the same cost; a timing test leaves this fixture out.
    """
    monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)
    passwords.decoy_hash.cache_clear()
    yield
    passwords.decoy_hash.cache_clear()


@pytest.fixture
def buildings(db):
    """Two buildings residents register in: 1-1 in micro-grid 1 (甲), 2-1 in micro-grid 2 (乙)."""
    db.execute("INSERT INTO community (name) VALUES ('幸福里小区')")
    db.execute("INSERT INTO grids (community_id, name) VALUES (1, '第一网格')")
    db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, '甲'), (1, '乙')")
    db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at) VALUES"
               " ('1-1', '1栋1单元', 'building', 1, 'now'), ('2-1', '2栋1单元', 'building', 2, 'now')")
    db.conn.commit()
