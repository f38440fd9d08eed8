"""Backups taken while the portal is in use restore to exactly what was saved."""
import io
import os
import subprocess
import sys
import threading
import zipfile

import pytest
from PIL import Image

from lib.core import backup
from lib.core.config import Settings
from lib.core.db import open_db, scalar
from lib.core.errors import BackupError, PermissionDenied, ValidationError
from lib.core.roles import GUEST_USER
from lib.reports import workflow
from lib.site import bootstrap


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
    return workflow.file_report(db, GUEST_USER, data_dir=settings.data_dir, place_id=1,
                               category_id=1, description=f"第{n}个问题：楼道堆物",
                               photo_files=[jpeg()], submission_key=f"backup-{n}")


def test_backup_and_restore_round_trip_with_photos(portal, tmp_path):
    settings, db = portal
    first = file(db, settings, 1)
    archive = backup.create(settings, folder=tmp_path / "out")
    names = zipfile.ZipFile(archive).namelist()
    assert "portal.db" in names and "cookie_key" not in " ".join(names)
    # every photo and thumbnail: the report's, and the demo goods' and volunteers' seeded ones
    stored = sorted(f"uploads/{path.name}" for path in (settings.data_dir / "uploads").glob("*.jpg"))
    assert sorted(name for name in names if name.startswith("uploads/")) == stored
    assert len(stored) >= 2

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


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


def test_backup_files_are_readable_by_their_owner_only(portal, tmp_path, monkeypatch):
    settings, _ = portal
    seen_modes = []
    real_replace = backup.os.replace

    def watching_replace(source, target):
        seen_modes.append(_mode(backup.Path(source)))  # the temporary zip, before it is renamed
        for temp in backup.Path(source).parent.iterdir():
            seen_modes.append(_mode(temp))  # the database snapshot beside it
        return real_replace(source, target)

    monkeypatch.setattr(backup.os, "replace", watching_replace)
    old_umask = os.umask(0o022)  # the usual umask: without care, files come out 0644
    try:
        archive = backup.create(settings, folder=tmp_path / "out")
        default = backup.create(settings)
    finally:
        os.umask(old_umask)
    assert _mode(archive) == _mode(default) == 0o600
    assert seen_modes and set(seen_modes) == {0o600}
    assert _mode(default.parent) == 0o700


def test_restored_database_is_private_too(portal, tmp_path):
    settings, db = portal
    archive = backup.create(settings, folder=tmp_path / "out")
    db.conn.close()
    backup.restore(settings, archive)
    assert _mode(settings.database_path) == 0o600


def test_restore_into_a_missing_data_folder_says_so_and_changes_nothing(portal, tmp_path):
    settings, _ = portal
    archive = backup.create(settings, folder=tmp_path / "out")
    missing = Settings(data_dir=tmp_path / "nowhere", base_url="http://x", mode="demo")
    with pytest.raises(BackupError) as caught:
        backup.restore(missing, archive)
    assert "数据目录" in str(caught.value) and "does not exist" in caught.value.english
    assert not (tmp_path / "nowhere").exists()


def run_cli(tmp_path, *args):
    env = {**os.environ, "PORTAL_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "lib.core.backup", *map(str, args)], cwd=backup.Path(
        backup.__file__).parents[2], env=env, capture_output=True, text=True, timeout=60)


def test_command_line_problems_are_one_clear_line_and_exit_code_one(portal, tmp_path):
    settings, _ = portal
    good = run_cli(tmp_path, "create", tmp_path / "fine")
    assert good.returncode == 0 and _mode(backup.Path(good.stdout.strip())) == 0o600

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cases = [
        (("create", blocker / "sub"), "无法写入备份目录"),
        (("restore", tmp_path / "no-such.zip"), "找不到备份文件"),
        (("restore", blocker), "这不是平台的备份文件"),
    ]
    if os.geteuid() != 0:  # root may write anywhere
        cases.append((("create", locked), "无法写入备份目录"))
    for args, message in cases:
        result = run_cli(tmp_path, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    elsewhere = dict(os.environ, PORTAL_DATA_DIR=str(tmp_path / "nowhere"))
    restore_missing = subprocess.run(
        [sys.executable, "-m", "lib.core.backup", "restore", good.stdout.strip()], env=elsewhere,
        cwd=backup.Path(backup.__file__).parents[2], capture_output=True, text=True, timeout=60)
    assert restore_missing.returncode == 1
    assert "数据目录" in restore_missing.stderr and "does not exist" in restore_missing.stderr
    assert "Traceback" not in restore_missing.stderr
    assert not (tmp_path / "nowhere").exists()
