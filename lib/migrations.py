"""Numbered schema migrations, applied at start-up; an older database is upgraded in place."""
from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("portal")


@migrations()
def m001_create_organisation_and_accounts(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE community (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            address TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE grids (
            id INTEGER PRIMARY KEY,
            community_id INTEGER NOT NULL REFERENCES community(id),
            name TEXT NOT NULL,
            UNIQUE (community_id, name)
        );
        CREATE TABLE microgrids (
            id INTEGER PRIMARY KEY,
            grid_id INTEGER NOT NULL REFERENCES grids(id),
            name TEXT NOT NULL,
            UNIQUE (grid_id, name)
        );
        CREATE TABLE places (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('building', 'common')),
            microgrid_id INTEGER REFERENCES microgrids(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX places_microgrid ON places(microgrid_id);
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            place_id INTEGER NOT NULL REFERENCES places(id),
            room TEXT NOT NULL,
            head_name TEXT NOT NULL DEFAULT '',
            members INTEGER NOT NULL DEFAULT 1 CHECK (members BETWEEN 1 AND 30),
            created_at TEXT NOT NULL,
            UNIQUE (place_id, room)
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'resident'
                CHECK (role IN ('resident', 'leader', 'staff', 'admin')),
            leads_microgrid_id INTEGER REFERENCES microgrids(id),
            mobile TEXT,
            household_id INTEGER REFERENCES households(id),
            household_status TEXT NOT NULL DEFAULT 'none'
                CHECK (household_status IN ('none', 'pending', 'verified', 'rejected')),
            requested_place_id INTEGER REFERENCES places(id),
            requested_room TEXT,
            show_name_publicly INTEGER NOT NULL DEFAULT 1,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL
        );
        CREATE INDEX users_household ON users(household_id);
        CREATE INDEX users_pending ON users(household_status, requested_place_id);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_reason TEXT
        );
        CREATE INDEX sessions_user ON sessions(user_id);
        CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL COLLATE NOCASE,
            at TEXT NOT NULL
        );
        CREATE INDEX login_failures_username_at ON login_failures(username, at);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES users(id),
            action TEXT NOT NULL,
            target_type TEXT NOT NULL DEFAULT '',
            target_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        """
    )


@migrations()
def m002_create_points_ledger(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE points_ledger (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            amount INTEGER NOT NULL CHECK (amount <> 0),
            kind TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            idempotency_key TEXT NOT NULL UNIQUE,
            actor_id INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        -- covering index: a balance is a SUM read from the index alone
        CREATE INDEX points_ledger_user_amount ON points_ledger(user_id, amount);
        CREATE INDEX points_ledger_user_id ON points_ledger(user_id, id);
        CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
        BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;
        CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
        BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;
        """
    )


@migrations()
def m003_create_settings(db: Database) -> None:
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def migrate_database(db: Database, *, stop_before: str | None = None) -> None:
    """Apply every pending migration, all under one write lock.

    Two processes starting on a new file at once (the server and `make run`'s bootstrap, or
    several workers) would otherwise both try to create the same tables.
    """
    from lib.db import immediate

    if "_sqlite_migrations" in db.table_names() and not migrations.pending(db):
        return  # the usual start-up: nothing to do, so no write lock is taken
    with immediate(db):
        migrations.apply(db, stop_before=stop_before)
