"""The database: pragmas, transactions, and migrations that upgrade an old file in place."""
import sqlite3

import pytest

from lib.core.db import immediate, open_db, scalar
from lib.core.migrations import migrate_database, migrations


def test_connection_uses_wal_foreign_keys_durable_commits_and_a_busy_timeout(db):
    assert scalar(db, "PRAGMA journal_mode") == "wal"
    assert scalar(db, "PRAGMA foreign_keys") == 1
    assert scalar(db, "PRAGMA synchronous") == 2  # FULL
    assert scalar(db, "PRAGMA busy_timeout") >= 5000


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO households (place_id, room, created_at) VALUES (999, '1', 'x')")


def test_immediate_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError):
        with immediate(db):
            db.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
            raise RuntimeError("boom")
    assert scalar(db, "SELECT COUNT(*) FROM settings WHERE key IN ('a', 'outer', 'inner')") == 0
    assert not db.conn.in_transaction


def test_nested_immediate_is_a_savepoint_of_the_outer_transaction(db):
    with pytest.raises(RuntimeError):
        with immediate(db):
            db.execute("INSERT INTO settings (key, value) VALUES ('outer', '1')")
            with immediate(db):
                db.execute("INSERT INTO settings (key, value) VALUES ('inner', '1')")
            raise RuntimeError("outer fails after inner succeeded")
    assert scalar(db, "SELECT COUNT(*) FROM settings WHERE key IN ('a', 'outer', 'inner')") == 0


def test_immediate_takes_the_write_lock_at_begin(tmp_path):
    first = open_db(tmp_path / "p.db")
    second = open_db(tmp_path / "p.db")
    second.execute("PRAGMA busy_timeout = 50")
    with immediate(first):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            second.execute("BEGIN IMMEDIATE")


def test_an_older_database_is_upgraded_in_place_without_losing_data(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    migrate_database(old, stop_before="m002_create_points_ledger")
    assert "points_ledger" not in old.table_names()
    old.execute("INSERT INTO community (name) VALUES ('老小区')")
    old.execute("INSERT INTO users (username, display_name, password_hash, created_at,"
                " password_changed_at) VALUES ('lao_li', '老李', 'h', 't', 't')")
    old.conn.commit()
    old.conn.close()

    upgraded = open_db(path)
    assert {m.name for m in migrations.applied(upgraded)} >= {
        "m001_create_organisation_and_accounts", "m002_create_points_ledger", "m003_create_settings"}
    assert scalar(upgraded, "SELECT name FROM community") == "老小区"
    assert scalar(upgraded, "SELECT display_name FROM users WHERE username = 'lao_li'") == "老李"
    assert scalar(upgraded, "SELECT COUNT(*) FROM points_ledger") == 0
    assert scalar(upgraded, "PRAGMA integrity_check") == "ok"


def test_applying_migrations_twice_changes_nothing(db):
    before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    migrate_database(db)
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before


def _open_and_count_tables(path: str) -> int:
    database = open_db(path)
    return len(database.table_names())


def test_processes_opening_a_new_database_at_once_all_see_it_migrated(tmp_path):
    import multiprocessing

    path = str(tmp_path / "fresh.db")
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        table_counts = pool.map(_open_and_count_tables, [path] * 6)
    assert len(set(table_counts)) == 1
    assert scalar(open_db(path), "SELECT COUNT(*) FROM _sqlite_migrations") == len(migrations._migrations)
