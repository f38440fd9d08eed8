"""Background upkeep that must never run on a page view: today, auto-confirming old fixes.

A page that writes while it is being read makes every visitor a writer (and two visitors two
writers). Instead each server process starts one daemon thread, at start-up, that sweeps once
at once and then every ``interval`` seconds. Errors are logged, never raised: a failed sweep
is simply retried at the next tick. ``workflow.auto_confirm`` is safe to run from several
processes at once, so no coordination between processes is needed.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from lib.core.db import open_db
from lib.reports import workflow


INTERVAL_SECONDS = 600

log = logging.getLogger(__name__)


class Sweeper:
    """One daemon thread running :func:`sweep` on a database until :meth:`stop` is called."""

    def __init__(self, database_path: Path | str, *, interval: float = INTERVAL_SECONDS):
        self.database_path = str(database_path)
        self.interval = interval
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="auto-confirm-sweeper",
                                        daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        """Ask the thread to finish and wait for it (a sweep in progress completes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            sweep(self.database_path)
            self.runs += 1
            if self._stop.wait(self.interval):
                return


def sweep(database_path: Path | str) -> int:
    """Run every periodic job once on its own connection; returns reports auto-confirmed.

    Never raises: the caller is a background thread with nobody to show an error to.
    """
    if not Path(database_path).is_file():
        # never create one: the data folder may have been moved or removed (a test's temp dir)
        log.warning("auto-confirm sweep skipped: no database at %s", database_path)
        return 0
    try:
        db = open_db(database_path, migrate=False)
    except Exception:  # noqa: BLE001 - logged, retried at the next tick
        log.exception("auto-confirm sweep could not open %s", database_path)
        return 0
    try:
        confirmed = workflow.auto_confirm(db)
        if confirmed:
            log.info("auto-confirmed %d resolved reports", confirmed)
        return confirmed
    except Exception:  # noqa: BLE001 - logged, retried at the next tick
        log.exception("auto-confirm sweep failed")
        return 0
    finally:
        db.conn.close()


_running: dict[str, Sweeper] = {}
_lock = threading.Lock()


def start(database_path: Path | str, *, interval: float = INTERVAL_SECONDS) -> Sweeper:
    """The process's sweeper for this database, started on first call (one per process)."""
    key = str(database_path)
    with _lock:
        sweeper = _running.get(key)
        if sweeper is None or not sweeper.alive:
            sweeper = _running[key] = Sweeper(key, interval=interval).start()
        return sweeper


def stop_all() -> None:
    """Stop every sweeper this process started (tests, or a clean shutdown)."""
    with _lock:
        sweepers = list(_running.values())
        _running.clear()
    for sweeper in sweepers:
        sweeper.stop()
