"""Killing the process that files reports (SIGKILL, 30 random moments) loses nothing confirmed.

The worker runs the same domain code the server runs for a submission. After every kill: each
report its filer was told about is in the database, the file passes integrity_check, no photo
lies without its report once the start-up sweep has run, and the portal starts again.
"""
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from lib.core import photos
from lib.core.config import Settings
from lib.core.db import open_db, scalar
from lib.site import bootstrap


ROOT = Path(__file__).resolve().parent.parent
KILLS = 30


def run_and_kill(settings: Settings, mode: str, prefix: str, rnd: random.Random) -> list[str]:
    """Start a worker, let it file for a random moment, SIGKILL it; return the confirmed keys."""
    worker = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(settings.data_dir),
                               mode, prefix], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    confirmed: list[str] = []
    first = worker.stdout.readline()  # wait until it is really filing
    if first.startswith("CONFIRMED"):
        confirmed.append(first.split()[1])
    time.sleep(rnd.uniform(0.0, 0.4))
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    confirmed += [line.split()[1] for line in worker.stdout.read().splitlines()
                  if line.startswith("CONFIRMED")]
    worker.stdout.close()
    return confirmed


def lost_after_crash(settings: Settings, confirmed: list[str]) -> list[str]:
    db = open_db(settings.database_path)
    try:
        assert scalar(db, "PRAGMA integrity_check") == "ok"
        stored = {row[0] for row in db.execute("SELECT submission_key FROM reports")}
        return [key for key in confirmed if key not in stored]
    finally:
        db.conn.close()


def photo_files(settings: Settings) -> set[str]:
    folder = settings.data_dir / photos.UPLOADS
    return {path.name[:32] for path in folder.glob("*.jpg")}


def make_portal(tmp_path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", base_url="http://x", mode="demo")
    bootstrap.prepare(settings).conn.close()
    return settings


def test_thirty_kills_lose_no_confirmed_report_and_leave_no_orphan_photo(tmp_path):
    settings = make_portal(tmp_path)
    rnd = random.Random(30)
    confirmed_total = 0
    for kill in range(KILLS):
        confirmed = run_and_kill(settings, "durable", f"k{kill}", rnd)
        confirmed_total += len(confirmed)
        assert lost_after_crash(settings, confirmed) == []
    assert confirmed_total > KILLS  # the kills really happened in the middle of filing

    db = bootstrap.prepare(settings)  # the portal starts again
    referenced = {row[0] for row in db.execute("SELECT name FROM report_photos")}
    photos.sweep_orphans(settings.data_dir, referenced, older_than_seconds=0)
    assert photo_files(settings) == referenced  # no orphans left, no referenced photo missing
    db.conn.close()


def test_the_crash_check_catches_confirmations_given_before_the_commit(tmp_path):
    settings = make_portal(tmp_path)
    rnd = random.Random(7)
    lost: list[str] = []
    for attempt in range(6):
        lost += lost_after_crash(settings, run_and_kill(settings, "broken", f"b{attempt}", rnd))
        if lost:
            break
    assert lost, "the broken worker lost nothing, so the crash test proves nothing"
