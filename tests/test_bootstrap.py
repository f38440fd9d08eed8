"""First run: the demo community in demo mode, only an admin in production mode."""
import stat

from lib import bootstrap
from lib.accounts import check_password, user_row
from lib.config import Settings
from lib.db import scalar

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
    key = bootstrap.cookie_key(config)
    assert len(key) >= 40 and bootstrap.cookie_key(config) == key
    mode = (config.data_dir / bootstrap.COOKIE_KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert bootstrap.cookie_key(settings(tmp_path / "other", "demo")) != key


def test_start_up_sweeps_photo_files_whose_report_never_committed(tmp_path):
    import io
    import os
    import time

    from PIL import Image

    from lib import photos

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
