"""The benchmark's generator: deterministic, consistent, and a valid portal database."""
import hashlib

from bench.generate import build
from lib.core.db import open_db


def fingerprint(path) -> str:
    db = open_db(path, migrate=False)
    digest = hashlib.sha256()
    for table in ("places", "households", "reports", "report_events", "points_ledger"):
        for row in db.execute(f"SELECT * FROM [{table}] ORDER BY id"):
            digest.update(repr(row).encode())
    db.conn.close()
    return digest.hexdigest()


def test_the_same_seed_builds_the_same_community(tmp_path):
    build(tmp_path / "a.db", scale=0.01, log=lambda _: None)
    build(tmp_path / "b.db", scale=0.01, log=lambda _: None)
    build(tmp_path / "c.db", scale=0.01, seed=7, log=lambda _: None)
    assert fingerprint(tmp_path / "a.db") == fingerprint(tmp_path / "b.db")
    assert fingerprint(tmp_path / "a.db") != fingerprint(tmp_path / "c.db")


def test_the_generated_community_keeps_the_portal_invariants(tmp_path):
    build(tmp_path / "g.db", scale=0.01, log=lambda _: None)
    db = open_db(tmp_path / "g.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    negative = db.execute("SELECT COUNT(*) FROM (SELECT user_id FROM points_ledger"
                          " GROUP BY user_id HAVING SUM(amount) < 0)").fetchone()[0]
    assert negative == 0
    roles = {row[0] for row in db.execute("SELECT username FROM users WHERE role <> 'resident'"
                                          " OR username = 'resident'")}
    assert roles == {"admin", "staff", "leader", "resident"}
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 500
