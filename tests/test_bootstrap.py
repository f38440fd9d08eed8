"""First run: the demo community in demo mode, only an admin in production mode."""
import stat

from lib.core.config import COOKIE_KEY_FILE, Settings, cookie_key
from lib.core.db import scalar
from lib.people.passwords import check_password
from lib.people.users import user_row
from lib.site import bootstrap


COUNTED = ["users", "places", "households", "grids", "microgrids", "points_ledger", "community"]


def counts(db):
    return {table: scalar(db, f"SELECT COUNT(*) FROM [{table}]") for table in COUNTED}


def settings(tmp_path, mode):
    return Settings(data_dir=tmp_path / "data", base_url="http://example.test", mode=mode)


def test_demo_seed_creates_the_community_and_the_four_demo_accounts(tmp_path):
    db = bootstrap.prepare(settings(tmp_path, "demo"))
    assert counts(db)["places"] == 19  # 16 building units + 3 common places
    assert 100 <= counts(db)["households"] <= 130
    for username in ("resident", "leader", "staff", "admin"):
        row = next(db.query("SELECT * FROM users WHERE username = ?", (username,)))
        assert row["role"] == username
        assert check_password(user_row(db, row["id"]), "Demo@2026")
    assert scalar(db, "SELECT code FROM places JOIN microgrids ON microgrids.id = places.microgrid_id"
                      " JOIN users ON users.leads_microgrid_id = microgrids.id"
                      " WHERE users.username = 'leader' AND places.code = '1-1'") == "1-1"


def test_seeding_twice_changes_nothing(tmp_path):
    db = bootstrap.prepare(settings(tmp_path, "demo"))
    first = counts(db)
    bootstrap.seed_demo(db)
    db.execute("DELETE FROM settings")  # force prepare to seed again
    db.conn.commit()
    bootstrap.prepare(settings(tmp_path, "demo"))
    assert counts(db) == first


def test_production_first_run_creates_only_an_admin_and_prints_its_password_once(tmp_path):
    printed: list[str] = []
    db = bootstrap.prepare(settings(tmp_path, "production"), announce=printed.append)
    assert counts(db)["places"] == 0 and counts(db)["community"] == 0
    admin = next(db.query("SELECT * FROM users"))
    assert counts(db)["users"] == 1 and admin["role"] == "admin"
    password = next(line.strip() for line in printed if line.startswith("    "))
    assert check_password(admin, password)
    assert "Demo@2026" not in "".join(printed)
    again: list[str] = []
    bootstrap.prepare(settings(tmp_path, "production"), announce=again.append)
    assert again == [] and counts(db)["users"] == 1


def test_cookie_key_is_generated_once_and_private(tmp_path):
    config = settings(tmp_path, "demo")
    key = cookie_key(config)
    assert len(key) >= 40 and cookie_key(config) == key
    mode = (config.data_dir / COOKIE_KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert cookie_key(settings(tmp_path / "other", "demo")) != key


def test_start_up_sweeps_photo_files_whose_report_never_committed(tmp_path):
    import io
    import os
    import time

    from PIL import Image

    from lib.core import photos

    config = settings(tmp_path, "demo")
    db = bootstrap.prepare(config)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "JPEG")
    kept = photos.store(config.data_dir, photos.process_photo(buffer.getvalue()))
    orphan = photos.store(config.data_dir, photos.process_photo(buffer.getvalue()))
    db.execute("INSERT INTO places (code, name, kind, created_at) VALUES ('x-1', 'x', 'common', 't')")
    db.execute("INSERT INTO reports (place_id, category_id, description, submission_key, follow_token,"
               " created_at, updated_at) VALUES (last_insert_rowid(), 1, '楼道堆物很多', 'k', 't', 't', 't')")
    db.execute("INSERT INTO report_photos (report_id, name, stage, created_at)"
               " VALUES (last_insert_rowid(), ?, 'before', 't')", (kept,))
    db.conn.commit()
    old = time.time() - 7200
    for name in (kept, orphan):
        for thumb in (False, True):
            os.utime(photos.path_for(config.data_dir, name, thumb=thumb), (old, old))
    assert bootstrap.sweep_orphan_photos(db, config) == [orphan]
    assert photos.path_for(config.data_dir, kept).exists()
    assert not photos.path_for(config.data_dir, orphan).exists()


def history_settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", base_url="", mode="demo", demo_history=True)


def test_the_demo_community_has_months_of_reports_in_every_status_with_photos(tmp_path):
    from datetime import datetime, timedelta, timezone

    from lib.core import photos
    from lib.reports import workflow

    config = history_settings(tmp_path)
    db = bootstrap.prepare(config)
    statuses = {row[0] for row in db.execute("SELECT status FROM reports")}
    assert statuses == set(workflow.STATUS_LABELS)
    assert 20 <= scalar(db, "SELECT COUNT(*) FROM reports") <= 30
    names = [row[0] for row in db.execute("SELECT name FROM report_photos")]
    assert len(names) >= 15
    assert all(photos.path_for(config.data_dir, name).stat().st_size > 1000
               and photos.path_for(config.data_dir, name, thumb=True).exists() for name in names)
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE status = 'resolved' AND NOT EXISTS"
                      " (SELECT 1 FROM report_photos WHERE report_id = reports.id"
                      " AND stage = 'after')") == 0
    # the kinds of closing a newcomer should see
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE confirmation = 'auto'") >= 1
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE rating IS NOT NULL") >= 5
    original = scalar(db, "SELECT duplicate_of FROM reports WHERE reject_reason = 'duplicate'")
    assert original and scalar(db, "SELECT id FROM reports WHERE id = ?", (original,))
    assert scalar(db, "SELECT transferred_to FROM reports WHERE status = 'transferred'")
    assert scalar(db, "SELECT result_note FROM reports WHERE status = 'resolved' LIMIT 1")
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE metoo_count > 0") >= 2
    # spread over the last months, every event at or after its report was filed
    now = datetime.now(timezone.utc)
    created = [datetime.fromisoformat(row[0]) for row in db.execute("SELECT created_at FROM reports")]
    assert max(created) < now and now - min(created) > timedelta(days=90)
    assert scalar(db, "SELECT COUNT(*) FROM report_events JOIN reports ON reports.id = report_id"
                      " WHERE report_events.at < reports.created_at OR report_events.at > ?",
                  (now.isoformat(),)) == 0
    assert scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'report.file'") == len(created)


def test_the_demo_resident_has_a_fix_to_confirm_and_points_for_accepted_reports(tmp_path):
    from datetime import datetime, timedelta, timezone

    from lib.core import rules
    from lib.reports import workflow

    db = bootstrap.prepare(history_settings(tmp_path))
    resident = scalar(db, "SELECT id FROM users WHERE username = 'resident'")
    waiting = list(db.query("SELECT * FROM reports WHERE reporter_id = ? AND status = 'resolved'"
                            " AND confirmation IS NULL", (resident,)))
    assert len(waiting) == 1
    days = rules.get(db, "reports.confirm_within_days")
    closed = datetime.fromisoformat(waiting[0]["closed_at"])
    assert datetime.now(timezone.utc) - closed < timedelta(days=days - 1)  # not auto-confirmed soon
    assert workflow.auto_confirm(db) == 0
    accepted = scalar(db, "SELECT COUNT(*) FROM reports WHERE reporter_id = ? AND accepted_at IS NOT NULL",
                      (resident,))
    earned = scalar(db, "SELECT SUM(amount) FROM points_ledger WHERE user_id = ? AND kind = 'report'",
                    (resident,))
    assert accepted >= 3
    assert earned == min(accepted * rules.get(db, "points.report_accepted"),
                         rules.get(db, "points.report_monthly_cap"))
    # the resident also has reports waiting and being handled, and others' reports are on the wall
    assert scalar(db, "SELECT COUNT(DISTINCT status) FROM reports WHERE reporter_id = ?", (resident,)) >= 3
    assert scalar(db, "SELECT COUNT(*) FROM reports WHERE reporter_id IS NULL") >= 5


def test_demo_history_is_seeded_once_and_can_be_left_out(tmp_path, monkeypatch):
    from lib.core.config import load_settings

    config = history_settings(tmp_path)
    db = bootstrap.prepare(config)
    first = scalar(db, "SELECT COUNT(*) FROM reports"), scalar(db, "SELECT COUNT(*) FROM report_photos")
    db.execute("DELETE FROM settings WHERE key = 'bootstrapped'")
    db.conn.commit()
    bootstrap.prepare(config)
    assert (scalar(db, "SELECT COUNT(*) FROM reports"),
            scalar(db, "SELECT COUNT(*) FROM report_photos")) == first
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "0")
    assert load_settings().demo_history is False
    monkeypatch.delenv("PORTAL_DEMO_HISTORY")
    assert load_settings().demo_history is True
    bare = bootstrap.prepare(settings(tmp_path / "bare", "demo"))
    assert scalar(bare, "SELECT COUNT(*) FROM reports") == 0
