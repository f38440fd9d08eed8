"""The demo's year of volunteer service: written once through the rules, work waiting for the leader."""
import os
import time
from datetime import timedelta

from lib.core import photos
from lib.core.clock import local_today
from lib.core.config import Settings
from lib.core.db import scalar
from lib.people.users import load_user
from lib.site import bootstrap, demo_volunteer
from lib.volunteer import queries


def demo(tmp_path):
    config = Settings(data_dir=tmp_path / "data", base_url="", mode="demo")
    return config, bootstrap.prepare(config)


def user(db, username):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def test_the_demo_has_a_year_of_events_reviews_and_work_waiting(tmp_path):
    _, db = demo(tmp_path)
    statuses = dict(db.execute("SELECT status, COUNT(*) FROM volunteer_hours GROUP BY status"))
    assert statuses["approved"] >= 25 and statuses["rejected"] >= 3 and statuses["pending"] >= 3
    assert scalar(db, "SELECT COUNT(*) FROM volunteer_events") == 12
    assert {row[0] for row in db.execute("SELECT name FROM volunteer_events")} == {
        "楼道清扫", "垃圾分类值守", "敬老探访"}
    first, last = db.execute("SELECT MIN(served_on), MAX(served_on) FROM volunteer_hours").fetchone()
    assert first <= (local_today() - timedelta(days=330)).isoformat()
    assert last >= (local_today() - timedelta(days=3)).isoformat()
    # every approval's points are in the ledger, keyed to its hours, at the time it happened
    assert scalar(db, "SELECT SUM(points) FROM volunteer_hours") == scalar(
        db, "SELECT SUM(amount) FROM points_ledger WHERE kind = 'volunteer'")
    assert scalar(db, "SELECT COUNT(*) FROM volunteer_hours h JOIN points_ledger l"
                      " ON l.idempotency_key = 'volunteer:' || h.id"
                      " WHERE substr(l.created_at, 1, 10) < substr(h.reviewed_at, 1, 10)") == 0
    assert scalar(db, "SELECT COUNT(*) FROM volunteer_hours WHERE proxy_by IS NOT NULL") >= 2


def test_the_demo_leader_finds_the_demo_residents_hours_waiting(tmp_path):
    _, db = demo(tmp_path)
    waiting = queries.pending_for(db, user(db, "leader"))
    assert "居民 林阿姨" in [row["display_name"] for row in waiting]
    assert all(row["place_code"] in ("1-1", "1-2", "2-1", "2-2") for row in waiting)


def test_seeding_again_changes_nothing_and_keeps_its_photos(tmp_path):
    config, db = demo(tmp_path)
    before = db.execute("SELECT COUNT(*), SUM(points) FROM volunteer_hours").fetchone()
    assert demo_volunteer.seed_volunteer(db, config.data_dir) == 0
    assert db.execute("SELECT COUNT(*), SUM(points) FROM volunteer_hours").fetchone() == before
    names = [row[0] for row in db.execute("SELECT photo FROM volunteer_hours WHERE photo IS NOT NULL")]
    assert names
    old = time.time() - 7200
    for path in (config.data_dir / "uploads").iterdir():
        os.utime(path, (old, old))
    assert bootstrap.sweep_orphan_photos(db, config) == []  # a volunteer's photo is not an orphan
    assert all(photos.path_for(config.data_dir, name).exists() for name in names)
