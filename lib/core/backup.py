"""Backups of the whole portal (database and photos) taken while it runs, and their restore.

The database is copied with SQLite's online backup API, so the copy is one consistent moment
even while residents keep submitting. Photos are copied after it: every photo the copy refers to
already exists, and a photo newer than the copy is merely an orphan the start-up sweep removes.
The cookie key is left out: a backup file that leaks must not let anyone forge a login. What is
in it (password hashes, phone numbers) is still private, so every file written here is 0600 from
the moment it exists (created with that mode, never chmod-ed afterwards: no window to read it).

Command line: ``python -m lib.core.backup create [FOLDER]`` and ``python -m lib.core.backup restore FILE``
(restore with the portal stopped). A problem (no such folder, no permission, not a backup) is
one line in Chinese and English and exit code 1, never a traceback.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from lib.core import audit
from lib.core.clock import SHANGHAI
from lib.core.config import Settings, load_settings
from lib.core.errors import BackupError
from lib.core.photos import UPLOADS
from lib.core.roles import ADMIN, User, require_role


DATABASE_ENTRY = "portal.db"
PRIVATE = 0o600


def _private_file(path: Path):
    """A new file only the owner can read, opened for binary writing."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE), "wb")


def create(settings: Settings, *, folder: Path | None = None, actor: User | None = None) -> Path:
    """Write a zip of the database and the photos; returns its path. Admins only from the UI."""
    if actor is not None:
        require_role(actor, ADMIN)
    if not Path(settings.database_path).is_file():
        raise BackupError(f"找不到数据库 {settings.database_path}，请检查 PORTAL_DATA_DIR。",
                          f"no database at {settings.database_path}: check PORTAL_DATA_DIR")
    folder = Path(folder or settings.data_dir / "backups")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _create(settings, folder, actor)
    except OSError as error:  # no permission, a file in the way, a full disk
        raise BackupError(f"无法写入备份目录 {folder}（{error.strerror or error}），"
                          "请换一个可写的目录。",
                          f"cannot write to the backup folder {folder}: "
                          f"{error.strerror or error}") from None


def _create(settings: Settings, folder: Path, actor: User | None) -> Path:
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    target = folder / f"portal-backup-{stamp}.zip"
    with tempfile.TemporaryDirectory(dir=folder) as scratch:  # mkdtemp makes it 0700
        snapshot = Path(scratch) / DATABASE_ENTRY
        _private_file(snapshot).close()  # SQLite keeps an existing file's mode
        source = sqlite3.connect(settings.database_path)
        copy = sqlite3.connect(snapshot)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        partial = Path(scratch) / "partial.zip"
        with _private_file(partial) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(snapshot, DATABASE_ENTRY)
            uploads = settings.data_dir / UPLOADS
            if uploads.is_dir():
                for photo in sorted(uploads.glob("*.jpg")):
                    archive.write(photo, f"{UPLOADS}/{photo.name}", zipfile.ZIP_STORED)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    if actor is not None:
        from lib.core.db import open_db

        db = open_db(settings.database_path, migrate=False)
        audit.record(db, actor.id, "backup.create", "backup", target.name)
        db.conn.commit()
        db.conn.close()
    return target


def restore(settings: Settings, archive_path: Path) -> None:
    """Replace the database and photos with a backup's, after checking the backup is sound.

    Run it with the portal stopped. Raises BackupError (a ValidationError) if the data folder is
    missing or the file is not a portal backup, before anything is changed.
    """
    if not Path(settings.data_dir).is_dir():
        raise BackupError(f"数据目录 {settings.data_dir} 不存在：请检查 PORTAL_DATA_DIR，"
                          "或先创建该目录再恢复。",
                          f"the data folder {settings.data_dir} does not exist: check "
                          "PORTAL_DATA_DIR or create the folder first")
    if not Path(archive_path).is_file():
        raise BackupError(f"找不到备份文件 {archive_path}。", f"no backup file at {archive_path}")
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError):
        raise BackupError("这不是平台的备份文件。", "this is not a portal backup file") from None
    with archive, tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
        names = archive.namelist()
        if DATABASE_ENTRY not in names:
            raise BackupError("备份文件中没有数据库。", "the backup holds no database")
        photos = [name for name in names if name.startswith(f"{UPLOADS}/")
                  and Path(name).name == name.split("/", 1)[1] and name.endswith(".jpg")]
        candidate = Path(scratch) / DATABASE_ENTRY
        with _private_file(candidate) as out, archive.open(DATABASE_ENTRY) as packed:
            shutil.copyfileobj(packed, out)
        check = sqlite3.connect(candidate)
        try:
            sound = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and check.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'users'").fetchone()
        except sqlite3.DatabaseError:
            sound = False
        finally:
            check.close()
        if not sound:
            raise BackupError("备份中的数据库已损坏，未做任何更改。",
                              "the database in the backup is damaged; nothing was changed")
        uploads = settings.data_dir / UPLOADS
        uploads.mkdir(parents=True, exist_ok=True)
        for name in photos:
            target = uploads / Path(name).name
            if not target.exists():
                target.write_bytes(archive.read(name))
        for suffix in ("-wal", "-shm"):
            Path(f"{settings.database_path}{suffix}").unlink(missing_ok=True)
        os.replace(candidate, settings.database_path)


def main(argv: list[str]) -> int:
    """The command line; returns the exit code (0 done, 1 refused with a message, 2 usage)."""
    settings = load_settings()
    try:
        if 1 <= len(argv) <= 2 and argv[0] == "create":
            print(create(settings, folder=Path(argv[1]) if len(argv) > 1 else None))
            return 0
        if len(argv) == 2 and argv[0] == "restore":
            restore(settings, Path(argv[1]))
            print(f"已恢复 / restored {argv[1]} into {settings.data_dir}")
            return 0
    except BackupError as error:
        print(f"{error}\n{error.english}", file=sys.stderr)
        return 1
    print("usage: python -m lib.core.backup create [FOLDER] | restore FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
