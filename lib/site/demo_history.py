"""A few months of 随手拍 history for the demo community, so a newcomer sees a living wall.

Every report goes through the real rules (workflow.file_report, accept, start, resolve, reject,
confirm; photos through the real pipeline, thumbnails included), then its times are moved back
to when the story in data/demo/reports.json says it happened, relative to the seeding time. The
points ledger is append-only, so the points a resident earned for an accepted report carry the
seeding time: only the reports' own tables and the audit log are backdated.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from lib.core.clock import to_iso, utc_now
from lib.core.config import DEMO_SEED_DIR
from lib.core.db import immediate, scalar
from lib.core.roles import GUEST_USER, User
from lib.people.users import load_user
from lib.reports import workflow
from lib.site.demo_pictures import picture


SPEC_FILE = "reports.json"


def seed_reports(db: Database, data_dir: Path) -> int:
    """File the demo reports once (nothing if any report exists); returns how many were filed."""
    if scalar(db, "SELECT 1 FROM reports LIMIT 1"):
        return 0
    spec = json.loads((DEMO_SEED_DIR / SPEC_FILE).read_text("utf-8"))["reports"]
    now = utc_now().replace(microsecond=0)
    # everything this seeding writes is stamped at or after `started` until it is moved back
    started = to_iso(now - timedelta(seconds=1))
    staff = _user(db, "staff")
    pictures: dict[str, bytes] = {}

    def photo(name: str) -> bytes:
        if name not in pictures:
            pictures[name] = picture(name)
        return pictures[name]

    ids: dict[str, int] = {}
    # One transaction (each rule's own becomes a savepoint): one durable commit, not hundreds.
    with immediate(db):
        _seed(db, data_dir, spec, now, started, staff, photo, ids)
    return len(ids)


def _seed(db: Database, data_dir: Path, spec: list[dict], now: datetime, started: str,
          staff: User, photo, ids: dict[str, int]) -> None:
    for entry in sorted(spec, key=lambda e: -e["days_ago"]):
        filed_at = now - timedelta(days=entry["days_ago"])
        report_id = _file(db, data_dir, entry, staff, photo)
        ids[entry["key"]] = report_id
        _backdate(db, report_id, filed_at, started)
        for number in range(entry.get("metoo", 0)):
            workflow.me_too(db, report_id=report_id, voter=f"demo-{entry['key']}-{number}")
            _backdate(db, report_id, filed_at + timedelta(hours=6 * (number + 1)), started)
        for step in entry["steps"]:
            if step[0] == "auto_confirm":
                continue  # after all the others, below
            moment = min(filed_at + timedelta(hours=step[1]), now - timedelta(minutes=5))
            _step(db, data_dir, step, report_id, entry, staff, ids, photo)
            _backdate(db, report_id, moment, started)
    workflow.auto_confirm(db)
    _backdate_auto_confirmations(db, started)


def _user(db: Database, username: str) -> User:
    user = load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))
    assert user is not None, f"demo account {username} is missing"
    return user


def _file(db: Database, data_dir: Path, entry: dict, staff: User, photo) -> int:
    by = entry["by"]
    proxy_for = by.get("proxy_for") if isinstance(by, dict) else None
    actor = staff if proxy_for else (_user(db, by) if by else GUEST_USER)
    report = workflow.file_report(
        db, actor, data_dir=data_dir,
        place_id=scalar(db, "SELECT id FROM places WHERE code = ?", (entry["place"],)),
        category_id=scalar(db, "SELECT id FROM report_categories WHERE name = ?",
                           (entry["category"],)),
        description=entry["text"], photo_files=[photo(entry["photo"])] if entry.get("photo") else [],
        submission_key=f"demo:{entry['key']}", hide_name=entry.get("hide_name", False),
        proxy_for=proxy_for)
    return report["id"]


def _step(db: Database, data_dir: Path, step: list, report_id: int, entry: dict, staff: User,
          ids: dict[str, int], photo) -> None:
    kind = step[0]
    if kind == "accept":
        workflow.accept(db, staff, report_id=report_id)
    elif kind == "start":
        workflow.start(db, staff, report_id=report_id)
    elif kind == "resolve":
        workflow.resolve(db, staff, data_dir=data_dir, report_id=report_id, result_note=step[2],
                        after_photo=photo(step[3]))
    elif kind == "reject":
        reason, value = step[2], step[3]
        workflow.reject(db, staff, report_id=report_id, reason=reason,
                       duplicate_of=ids[value] if reason == "duplicate" else None,
                       transferred_to=value if reason == "not_ours" else "",
                       note=value if reason == "insufficient" else "")
    elif kind == "confirm":
        by = entry["by"]
        reporter = _user(db, by) if isinstance(by, str) else GUEST_USER
        token = None if isinstance(by, str) else workflow.get(db, report_id)["follow_token"]
        workflow.confirm(db, reporter, report_id=report_id, token=token, solved=step[2],
                        rating=step[3], comment=step[4])
    else:
        raise ValueError(f"unknown demo step {kind!r}")


def _backdate(db: Database, report_id: int, moment: datetime, started: str) -> None:
    """Move what the last call wrote (stamped after ``started``) back to ``moment``."""
    at = to_iso(moment)
    db.execute(
        "UPDATE reports SET updated_at = :at,"
        " created_at = CASE WHEN created_at >= :started THEN :at ELSE created_at END,"
        " accepted_at = CASE WHEN accepted_at >= :started THEN :at ELSE accepted_at END,"
        " closed_at = CASE WHEN closed_at >= :started THEN :at ELSE closed_at END"
        " WHERE id = :id", {"at": at, "started": started, "id": report_id})
    db.execute("UPDATE report_events SET at = ? WHERE report_id = ? AND at >= ?",
               (at, report_id, started))
    db.execute("UPDATE report_photos SET created_at = ? WHERE report_id = ? AND created_at >= ?",
               (at, report_id, started))
    db.execute("UPDATE report_metoo SET at = ? WHERE report_id = ? AND at >= ?",
               (at, report_id, started))
    # the ledger keeps its real time, so its audit entries do too
    db.execute("UPDATE audit_log SET at = ? WHERE at >= ? AND action NOT LIKE 'points.%'",
               (at, started))


def _backdate_auto_confirmations(db: Database, started: str) -> None:
    """An automatic confirmation happens when the reporter's days to answer run out."""
    days = scalar(db, "SELECT value FROM settings WHERE key = 'reports.confirm_within_days'")
    rows = list(db.query("SELECT id, closed_at FROM reports WHERE confirmation = 'auto'"
                         " AND updated_at >= ?", (started,)))
    for row in rows:
        moment = datetime.fromisoformat(row["closed_at"]) + timedelta(days=int(days or 7))
        _backdate(db, row["id"], moment, started)
