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


def _old_database_with_points(path) -> None:
    old = open_db(path, migrate=False)
    migrate_database(old, stop_before="m008_points_year_totals")
    old.execute("INSERT INTO community (name) VALUES ('老小区')")
    old.execute("INSERT INTO places (id, code, name, kind, created_at)"
                " VALUES (1, '1-1', '1号楼1单元', 'building', 't')")
    old.execute("INSERT INTO households (id, place_id, room, created_at) VALUES (1, 1, '101', 't')")
    for user_id, status in ((1, "verified"), (2, "pending")):
        old.execute("INSERT INTO users (id, username, display_name, password_hash, household_id,"
                    " household_status, created_at, password_changed_at)"
                    " VALUES (?, ?, '住户', 'h', 1, ?, 't', 't')", (user_id, f"u{user_id}", status))
    entries = [  # 16:30 UTC on 31 December is already New Year in Shanghai
        (1, 5, "report", "2025-12-31T15:59:59+00:00"), (1, 10, "volunteer", "2025-12-31T16:30:00+00:00"),
        (1, -8, "redeem", "2026-01-02T00:00:00+00:00"), (1, 8, "refund", "2026-01-03T00:00:00+00:00"),
        (1, -2, "correction", "2026-01-04T00:00:00+00:00"), (2, 7, "special", "2026-02-01T00:00:00+00:00"),
    ]
    for n, (user_id, amount, kind, at) in enumerate(entries):
        old.execute("INSERT INTO points_ledger (user_id, amount, kind, idempotency_key, created_at)"
                    " VALUES (?, ?, ?, ?, ?)", (user_id, amount, kind, f"k{n}", at))
    old.conn.commit()
    old.conn.close()


def test_upgrading_fills_the_yearly_points_totals_from_the_ledger(tmp_path):
    _old_database_with_points(tmp_path / "old.db")
    db = open_db(tmp_path / "old.db")
    people = db.execute("SELECT user_id, year, earned FROM points_year_totals ORDER BY 1, 2")
    # earned: awards and corrections, never a redemption or its refund
    assert people.fetchall() == [(1, 2025, 5), (1, 2026, 8), (2, 2026, 7)]
    buildings = db.execute("SELECT place_id, year, earned FROM points_place_year_totals ORDER BY 2")
    assert buildings.fetchall() == [(1, 2025, 5), (1, 2026, 8)]  # an unverified member counts not


def test_every_new_ledger_entry_keeps_the_totals_in_the_same_transaction(tmp_path):
    _old_database_with_points(tmp_path / "old.db")
    db = open_db(tmp_path / "old.db")
    with pytest.raises(RuntimeError):
        with immediate(db):
            db.execute("INSERT INTO points_ledger (user_id, amount, kind, idempotency_key,"
                       " created_at) VALUES (1, 100, 'special', 'lost', '2026-03-01T00:00:00+00:00')")
            raise RuntimeError("the award fails after its entry")
    assert scalar(db, "SELECT earned FROM points_year_totals WHERE user_id = 1 AND year = 2026") == 8
    for n, (amount, kind) in enumerate(((4, "volunteer"), (-6, "redeem"), (6, "refund"))):
        db.execute("INSERT INTO points_ledger (user_id, amount, kind, idempotency_key, created_at)"
                   " VALUES (1, ?, ?, ?, '2026-03-01T00:00:00+00:00')", (amount, kind, f"new{n}"))
    assert scalar(db, "SELECT earned FROM points_year_totals WHERE user_id = 1 AND year = 2026") == 12
    assert scalar(db, "SELECT earned FROM points_place_year_totals WHERE year = 2026") == 12


def test_the_stock_of_a_shop_item_can_never_go_below_zero(db):
    db.execute("INSERT INTO shop_items (name, price, stock, created_at, updated_at)"
               " VALUES ('大米', 20, 1, 't', 't')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE shop_items SET stock = stock - 2")
