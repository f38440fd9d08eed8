"""A large community for the benchmark, built deterministically from a seed.

Sized like the reference articles' communities: 6,000 households in 300 buildings and 70
micro-grids, 15,000 accounts, five years of history. Each feature adds its history as one
function in GENERATORS; ``scale`` shrinks everything for a quick test of the generator itself.
"""
from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lib.core.db import open_db
from lib.people.passwords import hash_password


DEMO_PASSWORD = "Demo@2026"
YEARS = 5
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)  # fixed, so two builds are identical


@dataclass(frozen=True)
class Size:
    households: int = 6_000
    buildings: int = 300
    microgrids: int = 70
    accounts: int = 15_000
    reports: int = 50_000
    ledger_entries: int = 1_000_000

    def scaled(self, factor: float) -> "Size":
        return Size(*(max(4, int(value * factor)) for value in self.__dict__.values()))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _moment(rnd: random.Random) -> datetime:
    return NOW - timedelta(seconds=rnd.randrange(YEARS * 365 * 24 * 3600))


def organisation(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    conn.execute("INSERT INTO community (name, address) VALUES ('锦江花园社区', '基准测试路1号')")
    grids = max(1, size.microgrids // 7)
    for grid in range(1, grids + 1):
        conn.execute("INSERT INTO grids (community_id, name) VALUES (1, ?)", (f"第{grid}网格",))
    conn.executemany("INSERT INTO microgrids (grid_id, name) VALUES (?, ?)",
                     [(m % grids + 1, f"第{m + 1}微网格") for m in range(size.microgrids)])
    conn.executemany(
        "INSERT INTO places (code, name, kind, microgrid_id, created_at) VALUES (?, ?, 'building', ?, ?)",
        [(f"{b // 2 + 1}-{b % 2 + 1}", f"{b // 2 + 1}栋{b % 2 + 1}单元", b % size.microgrids + 1,
          _iso(NOW - timedelta(days=YEARS * 365))) for b in range(size.buildings)])
    conn.executemany(
        "INSERT INTO places (code, name, kind, created_at) VALUES (?, ?, 'common', ?)",
        [("gate", "大门", _iso(NOW)), ("bike", "车棚", _iso(NOW)), ("plaza", "中心广场", _iso(NOW))])
    per_building = max(1, size.households // size.buildings)
    conn.executemany(
        "INSERT INTO households (place_id, room, members, created_at) VALUES (?, ?, ?, ?)",
        [(b + 1, f"{h // 2 + 1}0{h % 2 + 1}", rnd.randint(1, 5), _iso(NOW))
         for b in range(size.buildings) for h in range(per_building)])


def accounts(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Residents bound to households, plus the four demo accounts the bench logs in as."""
    password = hash_password(DEMO_PASSWORD)
    households = conn.execute("SELECT COUNT(*) FROM households").fetchone()[0]
    rows = [("admin", "管理员", "admin", None, None), ("staff", "网格员", "staff", None, None),
            ("leader", "楼栋长", "leader", 1, None), ("resident", "居民", "resident", None, 1)]
    rows += [(f"user{n}", f"居民{n}", "resident", None, rnd.randint(1, households))
             for n in range(size.accounts - len(rows))]
    conn.executemany(
        "INSERT INTO users (username, display_name, password_hash, role, leads_microgrid_id,"
        " household_id, household_status, created_at, password_changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN 'none' ELSE 'verified' END, ?, ?)",
        [(u, name, password, role, leads, household, household, _iso(NOW), _iso(NOW))
         for u, name, role, leads, household in rows])


STATUS_MIX = ["resolved"] * 70 + ["rejected"] * 8 + ["transferred"] * 4 + \
             ["pending"] * 6 + ["accepted"] * 6 + ["in_progress"] * 6
TEXTS = ["楼道堆满纸箱，挡住消防通道", "电动车在楼道飞线充电，很危险", "垃圾房满了没人清运",
         "路灯坏了，晚上很黑", "车辆乱停堵住了消防通道", "楼上装修噪音太大", "狗粪没人清理"]


def reports(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Five years of 随手拍 with their timelines."""
    places = conn.execute("SELECT COUNT(*) FROM places").fetchone()[0]
    users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    report_rows, events = [], []
    for number in range(1, size.reports + 1):
        created = _moment(rnd)
        status = rnd.choice(STATUS_MIX)
        closed = created + timedelta(hours=rnd.randint(2, 400))
        is_closed = status in ("resolved", "rejected", "transferred")
        report_rows.append((
            rnd.randint(1, places), rnd.randint(1, 9), rnd.choice(TEXTS), status,
            rnd.randint(1, users) if rnd.random() < 0.6 else None,
            f"13{rnd.randint(100000000, 999999999)}" if rnd.random() < 0.3 else None,
            f"bench-{number}", f"{rnd.getrandbits(64):016x}", _iso(created), _iso(created),
            _iso(closed) if is_closed else None,
            rnd.randint(1, 5) if status == "resolved" and rnd.random() < 0.5 else None,
            "solved" if status == "resolved" else None, rnd.randint(0, 6)))
        events.append((number, _iso(created), "filed", None, "pending"))
        if status != "pending":
            events.append((number, _iso(created + timedelta(hours=1)), "accepted", "pending", "accepted"))
        if is_closed:
            events.append((number, _iso(closed), status, "accepted", status))
    conn.executemany(
        "INSERT INTO reports (place_id, category_id, description, status, reporter_id,"
        " contact_mobile, submission_key, follow_token, created_at, updated_at, closed_at, rating,"
        " confirmation, metoo_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", report_rows)
    conn.executemany("INSERT INTO report_events (report_id, at, kind, from_status, to_status)"
                     " VALUES (?, ?, ?, ?, ?)", events)


def ledger(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Points earned over five years, with a spend now and then that never overdraws."""
    users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    balances = [0] * (users + 1)
    rows = []
    for number in range(size.ledger_entries):
        user = rnd.randint(1, users)
        amount = rnd.choice((5, 5, 10, 2, 20))
        kind = "special"
        if balances[user] >= 20 and rnd.random() < 0.15:
            amount, kind = -20, "redeem"
        balances[user] += amount
        rows.append((user, amount, kind, "基准数据", f"bench:{number}", _iso(_moment(rnd))))
        if len(rows) == 100_000:
            _insert_ledger(conn, rows)
            rows = []
    _insert_ledger(conn, rows)


def _insert_ledger(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany("INSERT INTO points_ledger (user_id, amount, kind, reason, idempotency_key,"
                     " created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)


# Later features (volunteer hours, crowdfunding, rankings) append their generator here.
GENERATORS: list[Callable[[sqlite3.Connection, random.Random, Size], None]] = [
    organisation, accounts, reports, ledger]


def build(path: Path, *, scale: float = 1.0, seed: int = 2026, log=print) -> dict[str, float]:
    """Create the database at ``path`` (replacing any) and return each generator's seconds."""
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = open_db(path)
    size = Size().scaled(scale) if scale != 1.0 else Size()
    rnd = random.Random(seed)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")  # a generated file; durability comes from rebuilding
    timings = {}
    for generator in GENERATORS:
        started = time.perf_counter()
        conn.execute("BEGIN")
        generator(conn, rnd, size)
        conn.commit()
        timings[generator.__name__] = time.perf_counter() - started
        log(f"  {generator.__name__}: {timings[generator.__name__]:.1f} s")
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bootstrapped', 'demo')")
    conn.commit()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return timings
