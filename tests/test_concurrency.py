"""Writers racing from separate processes keep the invariants: one award per key, one report
per submission, whatever the timing."""
import multiprocessing
import time
from pathlib import Path

import pytest

from lib.core.db import immediate, open_db, scalar
from lib.core.roles import GUEST_USER
from lib.points import ledger
from lib.reports import workflow
from tests.test_sweeper import resolved_long_ago


WORKERS = 8
# The multi-process tests are slow (each spawns 8 interpreters): `make mutate` skips them.
pytestmark = pytest.mark.slow


def _award(path: str, user_id: int, broken: bool, start, results) -> None:
    db = open_db(path, migrate=False)
    start.wait()
    try:
        if broken:  # forgets to look the key up first: the database refuses the second insert
            db.execute("INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key,"
                       " created_at) VALUES (?, 10, 'special', 'x', 'same-key', 'now')", (user_id,))
            db.conn.commit()
            results.put(("ok", None))
        else:
            entry = ledger.award(db, None, user_id=user_id, amount=10, kind=ledger.KIND_REPORT,
                                 reason="同一次受理", key="same-key")
            results.put(("ok", entry.id))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put(("error", type(error).__name__))


def _file(path: str, data_dir: str, start, results) -> None:
    db = open_db(path, migrate=False)
    start.wait()
    report = workflow.file_report(db, GUEST_USER, data_dir=Path(data_dir), place_id=1, category_id=1,
                                 description="同一次提交被点了很多下", photo_files=[],
                                 submission_key="double-tap")
    results.put(report["id"])


def race(target, *args) -> list:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, results)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        return [results.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()


def test_eight_processes_awarding_one_key_award_once(db, make_user, tmp_path):
    user = make_user("resident")
    path = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    outcomes = race(_award, path, user.id, False)
    assert {outcome for outcome, _ in outcomes} == {"ok"}
    assert len({entry_id for _, entry_id in outcomes}) == 1
    assert ledger.balance(db, user.id) == 10


def test_the_race_check_sees_a_writer_that_skips_the_key_lookup(db, make_user):
    user = make_user("resident")
    path = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    outcomes = race(_award, path, user.id, True)
    assert [outcome for outcome, _ in outcomes].count("error") == WORKERS - 1


def test_eight_taps_on_submit_file_one_report(db, tmp_path):
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('1-1', 'x', 'building', 't')")
    db.conn.commit()
    path = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    ids = race(_file, path, str(tmp_path))
    assert len(set(ids)) == 1
    assert scalar(db, "SELECT COUNT(*) FROM reports") == 1


DUE_REPORTS = 20


def _sweep(path: str, broken: bool, start, results) -> None:
    db = open_db(path, migrate=False)
    start.wait()
    if broken:  # the old sweep: reads outside the lock, then writes every event it read
        due = [row[0] for row in db.execute(
            "SELECT id FROM reports WHERE status = 'resolved' AND confirmation IS NULL")]
        time.sleep(0.05)  # the gap between reading and writing, made visible
        with immediate(db):
            for report_id in due:
                db.execute("UPDATE reports SET confirmation = 'auto' WHERE id = ?", (report_id,))
                db.execute("INSERT INTO report_events (report_id, at, kind) VALUES (?, 'now',"
                           " 'auto_confirmed')", (report_id,))
        results.put(len(due))
    else:
        results.put(workflow.auto_confirm(db))
    db.close()


def _auto_events_per_report(db) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT COUNT(report_events.id) FROM reports LEFT JOIN report_events"
        " ON report_events.report_id = reports.id AND report_events.kind = 'auto_confirmed'"
        " GROUP BY reports.id ORDER BY reports.id")]


def test_eight_processes_sweeping_at_once_confirm_each_report_once(db):
    resolved_long_ago(db, DUE_REPORTS)
    path = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    confirmed = race(_sweep, path, False)
    assert sum(confirmed) == DUE_REPORTS
    assert _auto_events_per_report(db) == [1] * DUE_REPORTS
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE confirmation = 'auto'") == DUE_REPORTS


def test_the_sweep_race_check_sees_an_unconditional_sweep(db):
    resolved_long_ago(db, DUE_REPORTS)
    path = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    race(_sweep, path, True)
    assert max(_auto_events_per_report(db)) > 1
