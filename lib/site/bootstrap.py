"""First-run set-up: the database, the cookie key, and the demo community or a first admin.

Run by `make run` before the server starts (so a production admin password is printed once on
the console) and again, cheaply, when the app opens its database.
"""
from __future__ import annotations

import json
import secrets
import sys
from datetime import timedelta

from sqlite_utils import Database

from lib.core import photos
from lib.core.clock import now_iso, to_iso, utc_now
from lib.core.config import DEMO_SEED_DIR, Settings, cookie_key, load_settings
from lib.core.db import immediate, open_db, scalar
from lib.council import topics
from lib.crowdfund import projects
from lib.people import org
from lib.people.passwords import hash_password
from lib.shop import catalogue
from lib.site import demo_points, demo_volunteer


def seed_demo(db: Database) -> None:
    """Create the demo community from data/demo/; running it again changes nothing."""
    org.seed_organisation(db, json.loads((DEMO_SEED_DIR / "community.json").read_text("utf-8")))
    spec = json.loads((DEMO_SEED_DIR / "accounts.json").read_text("utf-8"))
    password_hash = None
    now = utc_now()
    with immediate(db):
        for account in spec["accounts"]:
            if scalar(db, "SELECT 1 FROM users WHERE username = ?", (account["username"],)):
                continue
            password_hash = password_hash or hash_password(spec["password"])
            leads = _place_microgrid(db, account.get("leads_place"))
            household_id = None
            if account.get("place"):
                place_id = scalar(db, "SELECT id FROM places WHERE code = ?", (account["place"],))
                household_id = scalar(db, "SELECT id FROM households WHERE place_id = ? AND room = ?",
                                      (place_id, account["room"]))
                if household_id is None:
                    household_id = db.execute(
                        "INSERT INTO households (place_id, room, created_at) VALUES (?, ?, ?)",
                        (place_id, account["room"], now_iso())).lastrowid
            requested_place = scalar(db, "SELECT id FROM places WHERE code = ?",
                                     (account.get("requested_place"),))
            status = "verified" if household_id else ("pending" if requested_place else "none")
            db["users"].insert({
                "username": account["username"], "display_name": account["display_name"],
                "password_hash": password_hash, "role": account["role"],
                "leads_microgrid_id": leads, "mobile": account.get("mobile"),
                "household_id": household_id, "household_status": status,
                "requested_place_id": requested_place or (
                    scalar(db, "SELECT place_id FROM households WHERE id = ?", (household_id,))),
                "requested_room": account.get("requested_room") or account.get("room"),
                "show_name_publicly": int(account.get("show_name_publicly", True)),
                "created_at": to_iso(now - timedelta(days=120)),
                "password_changed_at": to_iso(now - timedelta(days=120)),
            })
        for number, entry in enumerate(spec["points"]):
            user_id = scalar(db, "SELECT id FROM users WHERE username = ?", (entry["username"],))
            db.execute(
                "INSERT OR IGNORE INTO points_ledger (user_id, amount, kind, reason,"
                " idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, entry["amount"], entry["kind"], entry["reason"], f"demo:{number}",
                 to_iso(now - timedelta(days=entry["days_ago"]))),
            )


def _place_microgrid(db: Database, code: str | None) -> int | None:
    if not code:
        return None
    return scalar(db, "SELECT microgrid_id FROM places WHERE code = ?", (code,))


def create_first_admin(db: Database) -> str | None:
    """In production, the first run creates one admin and returns its one-time password."""
    if scalar(db, "SELECT COUNT(*) FROM users"):
        return None
    password = "Aa1" + secrets.token_urlsafe(12)
    with immediate(db):
        db["users"].insert({
            "username": "admin", "display_name": "社区管理员", "password_hash": hash_password(password),
            "role": "admin", "created_at": now_iso(), "password_changed_at": now_iso(),
        })
    return password


def sweep_orphan_photos(db: Database, settings: Settings) -> list[str]:
    """Remove photo files no saved record refers to (the server died between the two)."""
    referenced = {row[0] for row in db.execute(
        "SELECT name FROM report_photos"
        " UNION ALL SELECT photo FROM volunteer_hours WHERE photo IS NOT NULL")}
    referenced |= catalogue.photos_in_use(db)  # the points shop's goods
    referenced |= projects.photos_in_use(db)  # 众筹: project photos, final reports, receipts
    referenced |= topics.photos_in_use(db)  # 议事: topics, minutes, progress updates
    return photos.sweep_orphans(settings.data_dir, referenced)


def prepare(settings: Settings, *, announce=print) -> Database:
    """Open (and migrate) the database and make sure first-run content exists."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)  # password hashes and the cookie key live here
    cookie_key(settings)
    db = open_db(settings.database_path)
    if scalar(db, "SELECT value FROM settings WHERE key = 'bootstrapped'") == settings.mode:
        return db
    if settings.is_demo:
        seed_demo(db)
        demo_points.seed_awards(db)
        demo_volunteer.seed_volunteer(db, settings.data_dir)
        if settings.demo_history:
            from lib.site import demo_history  # imports the report rules: only a demo needs them

            demo_history.seed_reports(db, settings.data_dir)
        from lib.site import demo_shop  # last: residents redeem the points seeded above

        demo_shop.seed(db, settings.data_dir, history=settings.demo_history)
        if settings.demo_history:  # last: residents pledge and work beside the year above
            from lib.site import demo_crowdfund

            demo_crowdfund.seed(db, settings.data_dir)
            from lib.site import demo_ranking  # last: leaders rate the months the year above made

            demo_ranking.seed(db)
            from lib.site import demo_council  # 议事 may turn a report into a topic

            demo_council.seed(db, settings.data_dir)
    else:
        password = create_first_admin(db)
        if password:
            announce("=" * 60)
            announce("首次运行：已创建管理员账号 admin，初始密码（只显示这一次）：")
            announce(f"    {password}")
            announce("请登录后立即修改密码。")
            announce("=" * 60)
    db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bootstrapped', ?)",
               (settings.mode,))
    db.conn.commit()
    return db


if __name__ == "__main__":
    prepare(load_settings(), announce=lambda line: print(line, file=sys.stderr, flush=True))
