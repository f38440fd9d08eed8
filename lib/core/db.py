"""Opening the portal's SQLite file and running check-then-act writes safely.

One connection per script run: a sqlite3 connection must not be shared across Streamlit's
session threads, and opening one costs well under a millisecond.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database


BUSY_TIMEOUT_MS = 10_000


def open_db(path: Path | str, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database with WAL, foreign keys and durable commits.

    ``synchronous=FULL`` in WAL mode makes every commit reach the disk before we tell a user
    that their submission is saved, so it survives a power cut.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=True)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    if migrate:
        from lib.core.migrations import migrate_database

        migrate_database(db)
    return db


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at once.

    Use it for every check-then-act (balance, stock, slot, vote): with a deferred BEGIN two
    writers can both read the old state and then both write. Nested use becomes a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    else:
        db.conn.commit()


def is_row_id(value: object) -> bool:
    """A whole number SQLite can hold as a row id (not a bool): True must not find row 1, and a
    crafted ?p=99999999999999999999 finds nothing instead of overflowing."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 63


def one(db: Database, sql: str, params: dict | tuple = ()) -> dict | None:
    """The first row of a query as a dict, or None."""
    return next(iter(db.query(sql, params)), None)


def scalar(db: Database, sql: str, params: dict | tuple = ()):
    """The first column of the first row, or None."""
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None
