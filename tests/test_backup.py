"""Backups taken while the portal is in use restore to exactly what was saved."""
import io
import threading
import zipfile

import pytest
from PIL import Image

from lib import backup, bootstrap, reports
from lib.config import Settings
from lib.db import open_db, scalar
from lib.errors import PermissionDenied, ValidationError
from lib.roles import GUEST_USER


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "purple").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def portal(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", base_url="http://x", mode="demo")
    db = bootstrap.prepare(settings)
    yield settings, db
    db.conn.close()


def file(db, settings, n):
    return reports.file_report(db, GUEST_USER, data_dir=settings.data_dir, place_id=1,
                               category_id=1, description=f"第{n}个问题：楼道堆物",
                               photo_files=[jpeg()], submission_key=f"backup-{n}")


def test_backup_and_restore_round_trip_with_photos(portal, tmp_path):
    settings, db = portal
    first = file(db, settings, 1)
    archive = backup.create(settings, folder=tmp_path / "out")
    names = zipfile.ZipFile(archive).namelist()
    assert "portal.db" in names and "cookie_key" not in " ".join(names)
    assert sum(name.startswith("uploads/") for name in names) == 2  # photo + thumbnail

    file(db, settings, 2)  # after the backup: gone again after the restore
    db.conn.close()
    photo = next(db_row for db_row in open_db(settings.database_path).query(
        "SELECT name FROM report_photos WHERE report_id = ?", (first["id"],)))["name"]
    (settings.data_dir / "uploads" / f"{photo}.jpg").unlink()  # a lost photo comes back too
    backup.restore(settings, archive)
    restored = open_db(settings.database_path)
    assert [row[0] for row in restored.execute("SELECT id FROM reports")] == [first["id"]]
    assert (settings.data_dir / "uploads" / f"{photo}.jpg").exists()
    assert scalar(restored, "PRAGMA integrity_check") == "ok"


def test_a_backup_taken_during_writes_is_consistent(portal, tmp_path):
    settings, db = portal
    stop = threading.Event()

    def keep_filing():
        writer = open_db(settings.database_path, migrate=False)
        n = 100
        while not stop.is_set():
            file(writer, settings, n)
            n += 1
        writer.conn.close()

    thread = threading.Thread(target=keep_filing)
    thread.start()
    try:
        archives = [backup.create(settings, folder=tmp_path / "out" / str(i)) for i in range(3)]
    finally:
        stop.set()
        thread.join()
    for archive in archives:
        with zipfile.ZipFile(archive) as opened:
            opened.extract("portal.db", tmp_path / archive.parent.name)
            stored = {name.split("/")[1][:32] for name in opened.namelist() if name.startswith("uploads/")}
        copy = open_db(tmp_path / archive.parent.name / "portal.db", migrate=False)
        assert scalar(copy, "PRAGMA integrity_check") == "ok"
        referenced = {row[0] for row in copy.execute("SELECT name FROM report_photos")}
        assert referenced <= stored  # every photo the copy refers to is in the backup
        copy.conn.close()


def test_restore_refuses_a_file_that_is_not_a_sound_backup(portal, tmp_path):
    settings, db = portal
    before = scalar(db, "SELECT COUNT(*) FROM users")
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"hello")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("portal.db", b"SQLite format 3\0" + b"\x07" * 4000)
    for bad in (not_zip, broken):
        with pytest.raises(ValidationError):
            backup.restore(settings, bad)
    assert scalar(open_db(settings.database_path), "SELECT COUNT(*) FROM users") == before


def test_only_admins_take_backups_from_the_portal(portal, make_user):
    settings, _ = portal
    with pytest.raises(PermissionDenied):
        backup.create(settings, actor=make_user("staff"))
