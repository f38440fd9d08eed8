"""Backups of the whole portal (database and photos) taken while it runs, and their restore.

The database is copied with SQLite's online backup API, so the copy is one consistent moment
even while residents keep submitting. Photos are copied after it: every photo the copy refers to
already exists, and a photo newer than the copy is merely an orphan the start-up sweep removes.
The cookie key is left out: a backup file that leaks must not let anyone forge a login.

Command line: ``python -m lib.backup create [FOLDER]`` and ``python -m lib.backup restore FILE``
(restore with the portal stopped).
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from lib import audit
from lib.clock import SHANGHAI
from lib.config import Settings, load_settings
from lib.errors import ValidationError
from lib.photos import UPLOADS
from lib.roles import ADMIN, User, require_role

DATABASE_ENTRY = "portal.db"


def create(settings: Settings, *, folder: Path | None = None, actor: User | None = None) -> Path:
    """Write a zip of the database and the photos; returns its path. Admins only from the UI."""
    if actor is not None:
        require_role(actor, ADMIN)
    folder = Path(folder or settings.data_dir / "backups")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    target = folder / f"portal-backup-{stamp}.zip"
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        snapshot = Path(scratch) / DATABASE_ENTRY
        source = sqlite3.connect(settings.database_path)
        copy = sqlite3.connect(snapshot)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        partial = Path(scratch) / "partial.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(snapshot, DATABASE_ENTRY)
            uploads = settings.data_dir / UPLOADS
            if uploads.is_dir():
                for photo in sorted(uploads.glob("*.jpg")):
                    archive.write(photo, f"{UPLOADS}/{photo.name}", zipfile.ZIP_STORED)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    if actor is not None:
        from lib.db import open_db

        db = open_db(settings.database_path, migrate=False)
        audit.record(db, actor.id, "backup.create", "backup", target.name)
        db.conn.commit()
        db.conn.close()
    return target


def restore(settings: Settings, archive_path: Path) -> None:
    """Replace the database and photos with a backup's, after checking the backup is sound.

    Run it with the portal stopped. Raises ValidationError if the file is not a portal backup.
    """
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError):
        raise ValidationError({"file": "这不是平台的备份文件。"}) from None
    with archive, tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
        names = archive.namelist()
        if DATABASE_ENTRY not in names:
            raise ValidationError({"file": "备份文件中没有数据库。"})
        photos = [name for name in names if name.startswith(f"{UPLOADS}/")
                  and Path(name).name == name.split("/", 1)[1] and name.endswith(".jpg")]
        archive.extract(DATABASE_ENTRY, scratch)
        candidate = Path(scratch) / DATABASE_ENTRY
        check = sqlite3.connect(candidate)
        try:
            sound = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and check.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'users'").fetchone()
        except sqlite3.DatabaseError:
            sound = False
        finally:
            check.close()
        if not sound:
            raise ValidationError({"file": "备份中的数据库已损坏，未做任何更改。"})
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
    settings = load_settings()
    if len(argv) >= 1 and argv[0] == "create":
        print(create(settings, folder=Path(argv[1]) if len(argv) > 1 else None))
        return 0
    if len(argv) == 2 and argv[0] == "restore":
        restore(settings, Path(argv[1]))
        print(f"restored {argv[1]} into {settings.data_dir}")
        return 0
    print("usage: python -m lib.backup create [FOLDER] | restore FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
