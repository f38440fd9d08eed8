"""The auto-confirm sweep runs in one background thread per process, never on a page view."""
import logging
import time
from datetime import timedelta

from lib.core.clock import to_iso, utc_now
from lib.core.db import scalar
from lib.reports import sweeper, workflow


def resolved_long_ago(db, count=2) -> None:
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('1-1', 'x', 'building', 't')")
    long_ago = to_iso(utc_now() - timedelta(days=30))
    for n in range(count):
        db.execute("INSERT INTO reports (place_id, category_id, description, status, closed_at,"
                   " submission_key, follow_token, created_at, updated_at)"
                   " VALUES (1, 1, '路灯坏了很久', 'resolved', ?, ?, 'x', ?, ?)",
                   (long_ago, f"k{n}", long_ago, long_ago))
    db.conn.commit()


def db_path(db) -> str:
    return db.conn.execute("PRAGMA database_list").fetchone()[2]


def wait_for(condition, seconds=5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_sweep_confirms_what_is_due_on_its_own_connection(db):
    resolved_long_ago(db, 3)
    assert sweeper.sweep(db_path(db)) == 3
    assert sweeper.sweep(db_path(db)) == 0
    assert scalar(db, "SELECT COUNT(*) FROM report_events WHERE kind = 'auto_confirmed'") == 3


def test_the_thread_sweeps_at_start_and_then_on_every_tick_until_stopped(db):
    path = db_path(db)
    running = sweeper.Sweeper(path, interval=0.05).start()
    try:
        assert wait_for(lambda: running.runs >= 1)
        resolved_long_ago(db, 2)  # due after the first sweep: the next tick takes them
        assert wait_for(lambda: scalar(
            db, "SELECT COUNT(*) FROM reports WHERE confirmation = 'auto'") == 2)
    finally:
        running.stop()
    assert not running.alive
    runs = running.runs
    time.sleep(0.2)
    assert running.runs == runs


def test_one_sweeper_per_database_per_process(db):
    try:
        first = sweeper.start(db_path(db), interval=60)
        assert sweeper.start(db_path(db), interval=60) is first and first.alive
    finally:
        sweeper.stop_all()
    assert not first.alive


def test_a_failing_sweep_is_logged_not_raised(db, tmp_path, caplog, monkeypatch):
    def broken(_db):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workflow, "auto_confirm", broken)
    with caplog.at_level(logging.ERROR, logger="lib.reports.sweeper"):
        assert sweeper.sweep(db_path(db)) == 0
        assert sweeper.sweep(tmp_path / "a-folder-not-a-file" / "..") == 0
    assert "auto-confirm sweep" in caplog.text
    running = sweeper.Sweeper(db_path(db), interval=0.02).start()
    try:
        assert wait_for(lambda: running.runs >= 3)  # the thread survives and keeps ticking
    finally:
        running.stop()


def test_a_missing_database_is_not_created_by_the_sweep(tmp_path, caplog):
    gone = tmp_path / "moved" / "portal.db"
    with caplog.at_level(logging.WARNING, logger="lib.reports.sweeper"):
        assert sweeper.sweep(gone) == 0
    assert not gone.parent.exists()
    assert "no database" in caplog.text
