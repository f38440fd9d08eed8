"""A large community for the benchmark, built deterministically from a seed.

Sized like the reference articles' communities: 6,000 households in 300 buildings and 70
micro-grids (each with its leader), 15,000 accounts, five years of history. Each feature adds its
history as one function in GENERATORS; ``scale`` shrinks everything for a quick test of the
generator itself.

The points ledger is written last and in time order, as the portal writes it: report and
volunteer awards from the rows that earned them, the shop's redemptions (and refunds) only when
the balance allows, keys as lib writes them ("report:<id>:accepted", "volunteer:<id>",
"shop:<id>", "shop-refund:<id>", "special:<uuid>", "correction:<uuid>"), and the yearly totals
filled by m008's trigger on every insert, as in production.

The 星级楼栋 contest is written after everything it counts: five years of published months
ranked by lib.ranking.standings.rank (THE RULES) from the micro-grid leaders' stars and the
month's participation read from the generated records, with the red flag's history feeding the
tie rule, a few admin corrections, rewards paid into 众筹 project 1 as grants, and the month just
over (2026-10) still a draft with most ratings in.

议事 comes last: topics in every box, a meeting and plan per vote, forty published votes with
every household's ballots (online and paper, changed minds, paper that came too late to count),
and one community-wide vote still open with most of its 6,000 households in.
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
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
    volunteer_hours: int = 60_000
    shop_items: int = 30
    redemptions: int = 40_000
    contributions: int = 5_000  # confirmed pledges of the big crowdfunding project (id 1)

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


def _household_place(size: Size):
    """Household id -> its building's place id (households are numbered building by building)."""
    per_building = max(1, size.households // size.buildings)
    return lambda household: (household - 1) // per_building + 1


def _place_microgrid(size: Size):
    return lambda place: (place - 1) % size.microgrids + 1


def accounts(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Residents bound to households, a leader for every micro-grid (living in it), and the four
    demo accounts the bench logs in as; a few residents keep their name off the leaderboard."""
    password = hash_password(DEMO_PASSWORD)
    households = conn.execute("SELECT COUNT(*) FROM households").fetchone()[0]
    rows = [("admin", "管理员", "admin", None, None), ("staff", "网格员", "staff", None, None),
            ("leader", "楼栋长", "leader", 1, None), ("resident", "居民", "resident", None, 1)]
    rows += [(f"user{n}", f"居民{n}", "resident", None, rnd.randint(1, households))
             for n in range(size.accounts - len(rows))]
    place_of, microgrid_of = _household_place(size), _place_microgrid(size)
    led = {1}
    for index, (username, name, role, _, household) in enumerate(rows):
        if role == "resident" and username != "resident" and household is not None:
            microgrid = microgrid_of(place_of(household))
            if microgrid not in led:
                led.add(microgrid)
                rows[index] = (username, f"楼栋长{microgrid}", "leader", microgrid, household)
    conn.executemany(
        "INSERT INTO users (username, display_name, password_hash, role, leads_microgrid_id,"
        " household_id, household_status, show_name_publicly, created_at, password_changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN 'none' ELSE 'verified' END, ?, ?, ?)",
        [(u, name, password, role, leads, household, household, int(rnd.random() > 0.05),
          _iso(NOW), _iso(NOW)) for u, name, role, leads, household in rows])


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
            _iso(created + timedelta(hours=1)) if status != "pending" else None,
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
        " contact_mobile, submission_key, follow_token, created_at, updated_at, accepted_at,"
        " closed_at, rating, confirmation, metoo_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", report_rows)
    conn.executemany("INSERT INTO report_events (report_id, at, kind, from_status, to_status)"
                     " VALUES (?, ?, ?, ?, ?)", events)


STAFF_ID, ADMIN_ID = 2, 1  # the demo accounts' ids (accounts() inserts them first)
ACTIVITIES = ["楼道清扫", "垃圾分类督导", "文明劝导", "助老上门", "社区巡逻", "绿地除草",
              "疫苗接种引导", "图书角整理", "共享单车整理", "小广告清理"]
EVENTS = ["周末大扫除", "垃圾分类宣传日", "清理楼道堆物", "关爱独居老人", "消防安全演练",
          "植树活动", "社区义诊协助", "防汛沙袋搬运"]
REJECT_REASONS = ["时长与活动记录不符", "当天未见到您参加", "重复登记"]
SPECIAL_REASONS = ["协助调解邻里纠纷", "拾金不昧", "义务修理公共设施", "社区活动表演",
                   "垃圾分类月度之星", "捐赠图书", "协助疫情防控", "带头清理楼道"]
DEDUCT_REASONS = ["高空抛物", "楼道堆物屡劝不改", "违规飞线充电"]
ITEMS = [("大米 5 公斤", 20), ("花生油 1.8 升", 30), ("香皂 2 块", 5), ("毛巾", 8), ("洗衣液", 15),
         ("牙膏", 6), ("抽纸 6 包", 10), ("酱油", 8), ("食醋", 6), ("挂面 2 斤", 6),
         ("鸡蛋 10 个", 10), ("洗洁精", 8), ("雨伞", 25), ("环保购物袋", 3), ("保温杯", 40),
         ("老花镜", 20), ("理发券", 15), ("家电清洗券", 50), ("手电筒", 18), ("拖把", 22),
         ("晾衣架 10 个", 6), ("垃圾袋 3 卷", 4), ("口罩 20 只", 8), ("电池 4 节", 6),
         ("面粉 5 斤", 15), ("食盐", 2), ("白糖", 6), ("茶叶", 35), ("儿童绘本", 12), ("体检券", 60)]
SHOP_OPENED = NOW - timedelta(days=YEARS * 365 - 30)
PICKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _day(moment: datetime) -> str:
    """The community's (Asia/Shanghai) date of a moment."""
    return (moment + timedelta(hours=8)).date().isoformat()


def _hours_text(half_hours: int) -> str:
    whole, half = divmod(half_hours, 2)
    return f"{whole}.5 小时" if half else f"{whole} 小时"


def _members(conn: sqlite3.Connection, size: Size):
    """Residents by micro-grid (with their building), and each micro-grid's leader."""
    place_of, microgrid_of = _household_place(size), _place_microgrid(size)
    by_microgrid: dict[int, list[tuple[int, int]]] = {}
    leaders = {}
    for user_id, role, leads, household in conn.execute(
            "SELECT id, role, leads_microgrid_id, household_id FROM users ORDER BY id"):
        if role == "leader":
            leaders[leads] = user_id
        if household is not None and role in ("resident", "leader"):
            place = place_of(household)
            by_microgrid.setdefault(microgrid_of(place), []).append((user_id, place))
    return by_microgrid, leaders


def volunteer(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Five years of volunteer hours: leaders' events with their ticked attendees, and hours
    residents log themselves, reviewed by their micro-grid's leader (staff for a leader's own);
    the last three weeks' still wait. The ledger's awards are written by ledger() from these."""
    by_microgrid, leaders = _members(conn, size)
    rate = 5  # points.volunteer_hour's default
    events, hours = [], []
    grids = sorted(by_microgrid)
    months = YEARS * 12
    # about half the hours come from events of ~8 attendees, one event per micro-grid-month
    chance = min(1.0, size.volunteer_hours / 2 / 8 / max(1, len(grids) * months))
    for microgrid in grids:
        members = by_microgrid[microgrid]
        for month in range(months):
            if rnd.random() > chance:
                continue
            held = NOW - timedelta(days=30 * month + rnd.randint(1, 29), hours=rnd.randint(0, 10))
            half = rnd.choice((2, 3, 4, 4, 6, 8))
            creator = leaders.get(microgrid, STAFF_ID)
            event_id = len(events) + 1
            name = rnd.choice(EVENTS)
            recorded = held + timedelta(hours=rnd.randint(2, 30))
            recorded = min(recorded, NOW)
            events.append((event_id, name, _day(held), half, microgrid, creator,
                           f"bench-event:{event_id}", _iso(recorded)))
            others = [member for member in members if member[0] != creator]  # not themself
            for user_id, place in rnd.sample(others, min(len(others), rnd.randint(4, 12))):
                hours.append((user_id, name, _day(held), half, place, event_id, None, "approved",
                              "", creator, _iso(recorded), half * rate // 2,
                              f"bench-event:{event_id}:{user_id}", _iso(recorded)))
    everyone = [(member, microgrid) for microgrid in grids for member in by_microgrid[microgrid]]
    while len(hours) < size.volunteer_hours:
        (user_id, place), microgrid = rnd.choice(everyone)
        served = _moment(rnd)
        logged = min(NOW, served + timedelta(hours=rnd.randint(1, 48)))
        half = rnd.choice((1, 2, 2, 3, 4, 4, 4, 6, 8))
        reviewer = leaders.get(microgrid, STAFF_ID)
        if reviewer == user_id:
            reviewer = STAFF_ID
        proxy = STAFF_ID if rnd.random() < 0.03 else None
        if NOW - logged < timedelta(days=21) and rnd.random() < 0.85:
            status, reason, reviewed, points = "pending", "", None, 0
            reviewer = None
        elif rnd.random() < 0.04:
            status, reason, points = "rejected", rnd.choice(REJECT_REASONS), 0
            reviewed = min(NOW, logged + timedelta(hours=rnd.randint(1, 96)))
        else:
            status, reason, points = "approved", "", half * rate // 2
            reviewed = min(NOW, logged + timedelta(hours=rnd.randint(1, 96)))
        hours.append((user_id, rnd.choice(ACTIVITIES), _day(served), half, place, None, proxy,
                      status, reason, reviewer, reviewed and _iso(reviewed), points,
                      f"bench-hours:{len(hours)}", _iso(logged)))
    conn.executemany(
        "INSERT INTO volunteer_events (id, name, held_on, half_hours, microgrid_id, created_by,"
        " submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
    hours.sort(key=lambda row: row[-1])  # ids in the order they were logged
    conn.executemany(
        "INSERT INTO volunteer_hours (user_id, activity, served_on, half_hours, place_id, event_id,"
        " proxy_by, status, reject_reason, reviewer_id, reviewed_at, points, submission_key,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", hours)


def shop(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """The catalogue: daily goods priced like the reference village's (20 points, rice)."""
    rows = []
    for number in range(size.shop_items):
        name, price = ITEMS[number % len(ITEMS)]
        if number >= len(ITEMS):
            name = f"{name}（{number // len(ITEMS) + 1}）"
        stock = 0 if number % 13 == 5 else rnd.randint(5, 300)  # a couple sold out
        limit = rnd.choice((0, 0, 1, 2, 2, 4))
        active = int(number % 17 != 16)
        rows.append((number + 1, name, f"{name}，社区服务站领取", price, stock, limit, active,
                     number, _iso(SHOP_OPENED), _iso(NOW - timedelta(days=rnd.randint(1, 300)))))
    conn.executemany(
        "INSERT INTO shop_items (id, name, description, price, stock, monthly_limit, active, sort,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def ledger(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """Every points entry over five years, in time order, never overdrawing a balance.

    Awards come from what earned them (accepted reports, approved hours) plus special awards to
    reach ``ledger_entries``; the shop's redemptions and staff deductions are tried in time order
    and each taken only if the balance then allows it (else it becomes a special award, so the
    count stays exact). A redemption is written with its ledger entry; a cancelled one with its
    refund.
    """
    users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    awards = []  # (created_at, user_id, amount, kind, reason, key, actor_id)
    for report_id, user_id, at in conn.execute(
            "SELECT reports.id, reports.reporter_id, report_events.at FROM reports"
            " JOIN report_events ON report_events.report_id = reports.id"
            " AND report_events.kind = 'accepted' WHERE reports.reporter_id IS NOT NULL"):
        awards.append((at, user_id, 5, "report", f"随手拍第 {report_id} 号被受理",
                       f"report:{report_id}:accepted", None))
    for hours_id, user_id, activity, half, points, reviewed in conn.execute(
            "SELECT id, user_id, activity, half_hours, points, reviewed_at FROM volunteer_hours"
            " WHERE status = 'approved'"):
        awards.append((reviewed, user_id, points, "volunteer",
                       f"志愿服务：{activity}（{_hours_text(half)}）", f"volunteer:{hours_id}", None))
    items = conn.execute("SELECT id, name, price, monthly_limit FROM shop_items"
                         " WHERE active = 1").fetchall()
    opened = (NOW - SHOP_OPENED).total_seconds()
    spends = []  # (moment, "shop"|"deduct")
    for _ in range(size.redemptions):
        spends.append((NOW - timedelta(seconds=rnd.randrange(int(opened))), "shop"))
    deductions = size.ledger_entries // 2000
    for _ in range(deductions):
        spends.append((_moment(rnd), "deduct"))
    spends.sort()
    refunds_planned = sum(1 for moment, what in spends if what == "shop"
                          and NOW - moment > timedelta(days=10)) // 20  # ~5% are cancelled
    fillers = size.ledger_entries - len(awards) - len(spends) - refunds_planned
    for _ in range(max(0, fillers)):
        amount = rnd.choice((5, 5, 10, 2, 20, 30, 50))
        kind, key = "special", f"special:{uuid.UUID(int=rnd.getrandbits(128), version=4)}"
        reason = rnd.choice(SPECIAL_REASONS)
        actor = STAFF_ID
        if rnd.random() < 0.002:
            kind, actor = "correction", ADMIN_ID
            key = f"correction:{uuid.UUID(int=rnd.getrandbits(128), version=4)}"
            reason, amount = "补记漏发的积分", rnd.choice((2, 5, 10))
        awards.append((_iso(_moment(rnd)), rnd.randint(1, users), amount, kind, reason, key, actor))
    awards.sort()

    balances = [0] * (users + 1)
    entries, redemptions, taken = [], [], {}
    codes: set[str] = set()
    refunds = 0
    position = 0
    for moment, what in spends:
        at = _iso(moment)
        while position < len(awards) and awards[position][0] <= at:
            entry = awards[position]
            balances[entry[1]] += entry[2]
            entries.append(entry)
            position += 1
        done = False
        for _ in range(30):  # a random resident who can afford it, as the shop's queue would be
            user_id = rnd.randint(1, users)
            if what == "deduct":
                amount = rnd.choice((5, 10, 20))
                if balances[user_id] >= amount:
                    balances[user_id] -= amount
                    entries.append((at, user_id, -amount, "special", rnd.choice(DEDUCT_REASONS),
                                    f"special:{uuid.UUID(int=rnd.getrandbits(128), version=4)}",
                                    STAFF_ID))
                    done = True
                    break
                continue
            item_id, name, price, limit = rnd.choice(items)
            quantity = 1 if limit == 1 or rnd.random() < 0.85 else 2
            month = (moment + timedelta(hours=8)).strftime("%Y-%m")
            bought = taken.get((user_id, month, item_id), 0)
            if balances[user_id] < price * quantity or (limit and bought + quantity > limit):
                continue
            taken[(user_id, month, item_id)] = bought + quantity
            balances[user_id] -= price * quantity
            redemption_id = len(redemptions) + 1
            code = "".join(rnd.choice(PICKUP_ALPHABET) for _ in range(6))
            while code in codes:
                code = "".join(rnd.choice(PICKUP_ALPHABET) for _ in range(6))
            codes.add(code)
            proxy = STAFF_ID if rnd.random() < 0.03 else None
            recent = NOW - moment <= timedelta(days=10)
            closed = min(NOW, moment + timedelta(hours=rnd.randint(1, 120)))
            if recent and (closed >= NOW or rnd.random() < 0.6):
                status, closed_at, closed_by, reason = "waiting", None, None, ""
            elif not recent and refunds < refunds_planned and rnd.random() < 0.06:
                status, closed_at, closed_by = "cancelled", _iso(closed), STAFF_ID
                reason = rnd.choice(("居民不要了", "商品破损，已退回积分", "逾期未领取"))
                refunds += 1
                entries.append((closed_at, user_id, price * quantity, "refund",
                                f"取消兑换 {name}：{reason}", f"shop-refund:{redemption_id}", None))
            else:
                status, closed_at, closed_by, reason = "fulfilled", _iso(closed), STAFF_ID, ""
            redemptions.append((redemption_id, item_id, user_id, quantity, price * quantity, month,
                                code, status, proxy, f"bench-shop:{redemption_id}", at, closed_at,
                                closed_by, reason))
            entries.append((at, user_id, -price * quantity, "redeem",
                            f"积分超市兑换 {name} × {quantity}", f"shop:{redemption_id}",
                            proxy or user_id))
            done = True
            break
        if not done:  # nobody could afford it then: a special award keeps the count exact
            user_id = rnd.randint(1, users)
            balances[user_id] += 5
            entries.append((at, user_id, 5, "special", rnd.choice(SPECIAL_REASONS),
                            f"special:{uuid.UUID(int=rnd.getrandbits(128), version=4)}", STAFF_ID))
    entries.extend(awards[position:])
    for _ in range(refunds_planned - refunds):  # fewer cancellations came up than planned
        user_id = rnd.randint(1, users)
        entries.append((_iso(_moment(rnd)), user_id, 5, "special", rnd.choice(SPECIAL_REASONS),
                        f"special:{uuid.UUID(int=rnd.getrandbits(128), version=4)}", STAFF_ID))
    entries.sort(key=lambda entry: entry[0])  # stable: a redemption before its own refund
    conn.executemany(
        "INSERT INTO shop_redemptions (id, item_id, user_id, quantity, points, month, pickup_code,"
        " status, proxy_by, submission_key, created_at, closed_at, closed_by, cancel_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", redemptions)
    for start in range(0, len(entries), 100_000):
        conn.executemany(
            "INSERT INTO points_ledger (created_at, user_id, amount, kind, reason,"
            " idempotency_key, actor_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            entries[start:start + 100_000])


CROWDFUND_OPENED = NOW - timedelta(days=200)
SPENDING = ["水泥 20 袋", "排水管材", "施工队人工费", "防水涂料", "渣土清运", "路沿石", "彩砖",
            "施工围挡租赁", "监理费", "井盖更换"]


def crowdfund(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """众筹: project 1 (实施中, 5x match with no cap) with ``contributions`` confirmed pledges
    from distinct residents, some still 认捐 or 未到账, labour slots with attended sign-ups, and
    spending that never exceeds the money held at the time it is recorded (the trigger checks
    it on every insert, as in production); a raising and a finished project beside it.

    Written after the points ledger: the pledges' and labour's points are on their rows but not
    entries of the million (which the bench counts exactly).
    """
    from lib.crowdfund.money import match_unlocked

    created = _iso(CROWDFUND_OPENED - timedelta(days=10))
    residents = [row[0] for row in conn.execute(
        "SELECT id FROM users WHERE role = 'resident' AND household_id IS NOT NULL ORDER BY id")]
    projects = [(1, "雨污分流与路面改造", "building", 500, None, 4_000),
                (2, "车棚地面硬化", "raising", 400, 2_000_000, 3_000),
                (3, "楼道扶手加装", "done", 300, 500_000, 2_500)]
    for project_id, title, status, percent, cap, hour in projects:
        conn.execute(
            "INSERT INTO crowdfund_projects (id, title, description, place_id, goal_fen,"
            " match_percent, match_cap_fen, match_sponsor, labour_hour_fen, deadline, status,"
            " created_by, created_at, updated_at, launched_at, building_at, done_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '街道办事处', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, title, f"{title}：居民出钱出力，街道配套。", project_id, 100_000_000,
             percent, cap, hour, _day(NOW + timedelta(days=30)), status, STAFF_ID, created,
             created, _iso(CROWDFUND_OPENED),
             _iso(NOW - timedelta(days=20)) if status != "raising" else None,
             _iso(NOW - timedelta(days=5)) if status == "done" else None))
    events = []  # (at, kind, row): pledges, then spending only while the money allows
    counts = {1: size.contributions, 2: max(4, size.contributions // 50),
              3: max(4, size.contributions // 100)}
    span = (NOW - CROWDFUND_OPENED).total_seconds()
    for project_id, count in counts.items():
        donors = rnd.sample(residents, min(len(residents), count + count // 10))
        for number, user_id in enumerate(donors):
            pledged = CROWDFUND_OPENED + timedelta(seconds=rnd.randrange(int(span * 0.9)))
            status = "received" if number < count else rnd.choice(("pledged", "not_received"))
            decided = pledged + timedelta(hours=rnd.randint(1, 72))
            events.append((_iso(decided if status != "pledged" else pledged), "pledge", (
                project_id, user_id, rnd.choice((5_000, 10_000, 10_000, 20_000, 50_000, 100_000)),
                rnd.choice(("cash", "transfer")), int(rnd.random() < 0.15), status,
                f"bench-pledge:{project_id}:{number}", _iso(pledged),
                _iso(decided) if status != "pledged" else None)))
        for number in range(count // 80 + 2):
            spent = CROWDFUND_OPENED + timedelta(seconds=rnd.randrange(int(span)))
            events.append((_iso(spent), "spend", (
                project_id, rnd.randint(50_000, 3_000_000), rnd.choice(SPENDING), _day(spent),
                f"bench-spend:{project_id}:{number}", _iso(spent))))
    events.sort(key=lambda event: event[0])
    cash = {project_id: 0 for project_id in counts}
    held = dict(cash)
    terms = {project_id: (percent, cap) for project_id, _, _, percent, cap, _ in projects}
    for at, kind, row in events:
        project_id = row[0]
        if kind == "pledge":
            amount, status = row[2], row[5]
            share = 0
            if status == "received":
                share = match_unlocked(cash[project_id], amount, *terms[project_id])
                cash[project_id] += amount
                held[project_id] += amount + share
            conn.execute(
                "INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method, anonymous,"
                " status, match_fen, points, submission_key, created_at, decided_by, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row[:6], share, amount // 1000 if status == "received" else 0, row[6], row[7],
                 STAFF_ID if row[8] else None, row[8]))
        elif row[1] <= held[project_id] // 2:  # spend only part of what is held at the time
            held[project_id] -= row[1]
            conn.execute(
                "INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on,"
                " recorded_by, submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row[:4], STAFF_ID, *row[4:]))
    for project_id, count in counts.items():
        for number in range(count // 100 + 2):
            work_on = CROWDFUND_OPENED + timedelta(days=rnd.randint(10, 190))
            task_id = conn.execute(
                "INSERT INTO crowdfund_tasks (project_id, name, work_on, starts_at, half_hours,"
                " headcount, created_at) VALUES (?, ?, ?, '08:30', ?, 20, ?)",
                (project_id, rnd.choice(("清理杂物", "搬运材料", "平整地面", "绿化补种")),
                 _day(work_on), rnd.choice((4, 6, 8)), created)).lastrowid
            marked = _iso(min(NOW, work_on + timedelta(hours=10)))
            for user_id in rnd.sample(residents, rnd.randint(8, 20)):
                attended = work_on < NOW
                conn.execute(
                    "INSERT INTO crowdfund_signups (task_id, user_id, status, created_at,"
                    " marked_by, marked_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (task_id, user_id, "attended" if attended else "signed", created,
                     STAFF_ID if attended else None, marked if attended else None))


RANKING_MONTHS = YEARS * 12  # published months before the draft
DRAFT_MONTH = "2026-10"  # the month just over at NOW: leaders are still rating it
RANKING_NOTES = ["楼道干净整洁", "有电动车停在楼道", "垃圾桶周边需清理", "邻里互助氛围好",
                 "车辆停放有序", "楼道有杂物堆放", ""]
CORRECTION_REASONS = ["评分时看错了楼栋", "复核后发现车辆停放已整改", "录入时星级填错"]
REWARD_MONTHS = {"2026-06": 500_000, "2026-09": 800_000}  # grants into project 1 (实施中)


def _months_back(last: str, count: int) -> list[str]:
    """``count`` months ending with ``last``, oldest first."""
    year, month = int(last[:4]), int(last[5:7])
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def ranking(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """星级楼栋: ``RANKING_MONTHS`` published months before DRAFT_MONTH and the draft itself.

    Each building has a standing quality that drifts a little; its micro-grid's leader rates it
    every month (about one building in ten is rated by staff too, and now and then a leader
    skips a month, which the month's ``missing`` text then names). Results are ranked by
    lib.ranking.standings.rank with participation counted by standings.participation from the
    generated hours, labour and reports, and the flags of the 12 months before for the tie rule,
    so the frozen tables are what publishing would have written. Rows go in while a month is a
    draft and the month turns published last, as the freeze triggers require.
    """
    from sqlite_utils import Database

    from lib.ranking import standings

    db = Database(conn)
    weights = standings.active_weights(db)
    star_ids = [c["id"] for c in weights if c["kind"] == standings.STARS_KIND]
    names = {c["id"]: c["name"] for c in weights}
    microgrid_of = _place_microgrid(size)
    leaders = dict(conn.execute("SELECT leads_microgrid_id, id FROM users WHERE role = 'leader'"))
    places = [row for row in conn.execute(
        "SELECT id, code, name FROM places WHERE kind = 'building' ORDER BY id")]
    quality = {place_id: rnd.uniform(2.4, 4.6) for place_id, _, _ in places}
    months = _months_back("2026-09", RANKING_MONTHS)
    corrected_months = set(rnd.sample(months[:-1], min(len(months) - 1, 6)))
    flags: list[int] = []  # rank 1 of each published month, in order
    rating_id = 0
    for index, month in enumerate([*months, DRAFT_MONTH]):
        draft = month == DRAFT_MONTH
        year, number = int(month[:4]), int(month[5:7])
        following = f"{year + 1}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"
        closes = datetime.fromisoformat(f"{following}-01T00:00:00+08:00").astimezone(timezone.utc)
        conn.execute("INSERT INTO ranking_months (month, created_at) VALUES (?, ?)",
                     (month, _iso(closes - timedelta(days=28))))
        ratings, stars = [], []
        by_place: dict[int, tuple[set, dict[int, list[int]]]] = {}
        for place_id, _, _ in places:
            quality[place_id] = min(4.9, max(1.6, quality[place_id] + rnd.gauss(0, 0.12)))
            raters = [leaders.get(microgrid_of(place_id), STAFF_ID)]
            if rnd.random() < 0.1 and raters[0] != STAFF_ID:
                raters.append(STAFF_ID)
            for rater in raters:
                # the draft: four buildings in five rated so far; a published month: now and
                # then a leader skipped one, and staff published anyway
                if (place_id % 5 == 3) if draft else rnd.random() < 0.01:
                    continue
                rating_id += 1
                rated_at = closes + timedelta(days=rnd.uniform(-3, 2 if not draft else 0.0))
                ratings.append((rating_id, month, place_id, rater,
                                rnd.choice(RANKING_NOTES) if rnd.random() < 0.2 else "",
                                _iso(min(rated_at, NOW))))
                seen, given = by_place.setdefault(place_id, (set(), {}))
                seen.add(rater)
                for criterion in star_ids:
                    value = min(5, max(1, round(quality[place_id] + rnd.gauss(0, 0.6))))
                    stars.append((rating_id, criterion, value))
                    given.setdefault(criterion, []).append(value)
        conn.executemany("INSERT INTO ranking_ratings (id, month, place_id, rater_id, note,"
                         " updated_at) VALUES (?, ?, ?, ?, ?, ?)", ratings)
        conn.executemany("INSERT INTO ranking_stars (rating_id, criterion_id, stars)"
                         " VALUES (?, ?, ?)", stars)
        if draft:
            break
        counts = standings.participation(db, month)
        inputs = [standings.Inputs(place_id, code, name, counts[place_id].households,
                                   counts[place_id].volunteer_half_hours,
                                   counts[place_id].labour_half_hours, counts[place_id].reports,
                                   len(by_place.get(place_id, (set(), {}))[0]),
                                   by_place.get(place_id, (set(), {}))[1])
                  for place_id, code, name in places]
        recent = flags[-standings.FLAG_MONTHS:]
        held = {place_id: recent.count(place_id) for place_id in set(recent)}
        ranked = standings.rank(inputs, weights, held)
        published = closes + timedelta(days=2, hours=rnd.randint(1, 8))
        corrected: set[int] = set()
        corrected_at = None
        if month in corrected_months:
            # an admin changes one rater's star of one building, with a reason; the month is
            # re-ranked and every result that moved is marked 已更正
            wrong = rnd.choice(ratings)
            criterion = rnd.choice(star_ids)
            before_stars = next(v for r, c, v in stars if r == wrong[0] and c == criterion)
            after_stars = 5 if before_stars < 5 else 4
            given = by_place[wrong[2]][1][criterion]
            given[given.index(before_stars)] = after_stars
            conn.execute("UPDATE ranking_stars SET stars = ? WHERE rating_id = ?"
                         " AND criterion_id = ?", (after_stars, wrong[0], criterion))
            again = standings.rank(inputs, weights, held)
            def shown(s):  # what publish.correct compares to mark a result 已更正
                return (s.rank, s.score_tenths, s.stars, s.rated_tenths,
                        s.participation_tenths, s.raters, s.detail)

            old = {s.place_id: shown(s) for s in ranked}
            corrected = {s.place_id for s in again if old[s.place_id] != shown(s)}
            corrected_at = published + timedelta(days=rnd.randint(1, 10))
            conn.execute(
                "INSERT INTO ranking_corrections (month, place_id, reason, before, after,"
                " corrected_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (month, wrong[2], rnd.choice(CORRECTION_REASONS),
                 json.dumps({names[criterion]: before_stars}, ensure_ascii=False),
                 json.dumps({names[criterion]: after_stars}, ensure_ascii=False), ADMIN_ID,
                 _iso(corrected_at)))
            ranked = again
        conn.executemany(
            "INSERT INTO ranking_results (month, place_id, rank, score_tenths, stars,"
            " rated_tenths, participation_tenths, households, volunteer_half_hours,"
            " labour_half_hours, reports, raters, detail, corrected)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(month, s.place_id, s.rank, s.score_tenths, s.stars, s.rated_tenths,
              s.participation_tenths, s.households, s.volunteer_half_hours,
              s.labour_half_hours, s.reports, s.raters,
              json.dumps(s.detail, ensure_ascii=False), int(s.place_id in corrected))
             for s in ranked])
        flags.append(ranked[0].place_id)
        unrated = [code for place_id, code, _ in places if place_id not in by_place]
        reward = REWARD_MONTHS.get(month)
        if reward:
            conn.execute(
                "INSERT INTO crowdfund_grants (project_id, amount_fen, source, granted_by,"
                " submission_key, created_at) VALUES (1, ?, ?, ?, ?, ?)",
                (reward, f"{year}年{number}月星级楼栋评比奖励（流动红旗：{ranked[0].code}）",
                 STAFF_ID, f"ranking:{month}:reward", _iso(published)))
        conn.execute(
            "UPDATE ranking_months SET status = 'published', weights = ?, missing = ?,"
            " published_by = ?, published_at = ?, reward_kind = ?, reward_fen = ?,"
            " reward_project_id = ?, corrected_at = ? WHERE month = ?",
            (json.dumps(weights, ensure_ascii=False),
             "\n".join(f"{code}：无人评分" for code in unrated), STAFF_ID, _iso(published),
             "project" if reward else "none", reward, 1 if reward else None,
             corrected_at and _iso(corrected_at), month))



COUNCIL_TOPICS = ["小区大门加装雨棚", "车棚增设充电桩", "楼道加装扶手", "中心广场跳舞音量",
                  "垃圾房搬迁", "加装电梯", "绿地改停车位", "外墙渗水维修", "路灯增亮",
                  "快递柜选址", "宠物便便清理", "儿童游乐设施翻新"]
COUNCIL_BOXES = (["resolved"] * 6 + ["urgent_important"] * 2 + ["watch"] * 2
                 + ["important_slow"] * 2 + ["new"] + ["declined"])
COUNCIL_VOTES = YEARS * 8  # closed and published votes, two community-wide in three
RATINGS = ["satisfied"] * 6 + ["basic"] * 3 + ["unsatisfied"]
COUNCIL_OPEN_TOPIC = COUNCIL_VOTES * 3 + 1  # the topic of the vote still open at NOW
COUNCIL_OPEN_MEETING = COUNCIL_VOTES + 1  # the meeting that put it to the vote


def council(conn: sqlite3.Connection, rnd: random.Random, size: Size) -> None:
    """议事: five years of topics (every box), monthly meetings with plans, ``COUNCIL_VOTES``
    published votes with their ballots, objections, progress and ratings, and one vote still
    open at NOW with most households in: the count page's worst case.

    A household votes online through one of its verified members (now and then changing its
    mind, so two ballots) or on paper when staff go door to door; now and then a paper ballot
    arrives for a household that already voted online and is recorded without counting. Ballots
    go in while a vote is open and the vote turns published last, as the triggers require.
    """
    from lib.council import votes

    rules = {"first": votes.RULE_FIRST, "change": votes.RULE_CHANGE,
             "paper": votes.RULE_PAPER_FIRST, "paper_ignored": votes.RULE_PAPER_AFTER_ONLINE}
    residents: dict[int, list[int]] = {}
    for user_id, household in conn.execute(
            "SELECT id, household_id FROM users WHERE household_status = 'verified'"
            " AND household_id IS NOT NULL ORDER BY id"):
        residents.setdefault(household, []).append(user_id)
    households = [row[0] for row in conn.execute("SELECT id FROM households ORDER BY id")]
    place_of = _household_place(size)
    topics = (COUNCIL_VOTES + 1) * 3 + 30
    topic_rows, support = [], set()
    for topic_id in range(1, topics + 1):
        created = _moment(rnd)
        box = rnd.choice(COUNCIL_BOXES)
        proposer = rnd.choice(households)
        user = residents.get(proposer, [STAFF_ID])[0]
        topic_rows.append((topic_id, f"{rnd.choice(COUNCIL_TOPICS)}（{topic_id}）",
                           "居民提议，希望大家一起商量。", place_of(proposer), box,
                           "不属于小区自治范围" if box == "declined" else "", user,
                           proposer if user != STAFF_ID else None, f"bench-topic:{topic_id}",
                           _iso(created), _iso(created)))
        for _ in range(rnd.randint(0, 120)):
            supporter = rnd.choice(households)
            if supporter in residents:
                support.add((topic_id, residents[supporter][0], _iso(created)))
    conn.executemany(
        "INSERT INTO council_topics (id, title, body, place_id, box, box_note, proposed_by,"
        " household_id, submission_key, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", topic_rows)
    conn.executemany("INSERT INTO council_support (topic_id, user_id, created_at)"
                     " VALUES (?, ?, ?)", sorted(support))
    first = NOW - timedelta(days=YEARS * 365)
    for number in range(COUNCIL_VOTES + 1):
        is_open = number == COUNCIL_VOTES
        held = NOW - timedelta(days=3) if is_open else first + timedelta(
            days=(YEARS * 365 - 30) * number / COUNCIL_VOTES)
        topic_id = number * 3 + 1
        meeting_id = conn.execute(
            "INSERT INTO council_meetings (title, held_on, starts_at, venue, participants,"
            " minutes, status, created_by, created_at, updated_at)"
            " VALUES (?, ?, '19:30', '中心广场', '居民代表、楼栋长、物业、社区工作人员',"
            " '与会居民逐一发表意见，形成方案，交一户一票表决。', 'held', ?, ?, ?)",
            (f"第{number + 1}次坝坝会", _day(held), STAFF_ID, _iso(held - timedelta(days=7)),
             _iso(held))).lastrowid
        conn.executemany("INSERT INTO council_agenda (meeting_id, topic_id, position)"
                         " VALUES (?, ?, ?)",
                         [(meeting_id, topic_id + k, k) for k in range(3) if topic_id + k <= topics])
        plan_status = "voting" if is_open else "done" if number < COUNCIL_VOTES - 3 else "adopted"
        plan_id = conn.execute(
            "INSERT INTO council_plans (topic_id, meeting_id, title, options_discussed, body,"
            " cost_fen, duties, deadline, owner, status, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, '方案一、方案二', '按方案一实施。', ?, '物业施工，楼栋长监督。', ?,"
            " '物业公司', 'voting', ?, ?, ?)",
            (topic_id, meeting_id, f"{topic_rows[topic_id - 1][1]}方案",
             rnd.randint(5, 300) * 100_000, _day(held + timedelta(days=60)), STAFF_ID,
             _iso(held), _iso(held))).lastrowid
        scope = None if number % 3 else rnd.randint(1, size.buildings)
        voters = [h for h in households if scope is None or place_of(h) == scope]
        opens = held + timedelta(days=1)
        closes = NOW + timedelta(days=90) if is_open else opens + timedelta(days=7)
        vote_id = conn.execute(
            "INSERT INTO council_votes (plan_id, question, scope_place_id, opens_at, closes_at,"
            " quorum, eligible, status, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (plan_id, f"是否同意{topic_rows[topic_id - 1][1]}方案？", scope, _iso(opens),
             _iso(closes), len(voters) // 2 + 1, len(voters), STAFF_ID, _iso(held))).lastrowid
        options = [conn.execute("INSERT INTO council_vote_options (vote_id, position, label,"
                                " adopts) VALUES (?, ?, ?, ?)",
                                (vote_id, position, label, int(label == "同意"))).lastrowid
                   for position, label in enumerate(("同意", "不同意", "弃权"), start=1)]
        ballots, choices = [], []
        span = ((NOW if is_open else closes) - opens).total_seconds() - 60
        turnout = rnd.uniform(0.55, 0.8)
        for household in voters:
            if rnd.random() > turnout:
                continue
            cast = opens + timedelta(seconds=rnd.randrange(int(span)))
            option = options[0] if rnd.random() < 0.7 else rnd.choice(options[1:])
            members = residents.get(household)
            if members and rnd.random() < 0.75:
                if rnd.random() < 0.08:  # changed its mind: the first ballot stops counting
                    earlier = cast - timedelta(seconds=rnd.randrange(1, int((cast - opens).total_seconds()) + 2))
                    ballots.append((vote_id, household, rnd.choice(options), "online",
                                    rnd.choice(members), None, "", _iso(max(opens, earlier)),
                                    1, rules["first"]))
                    rule = rules["change"]
                else:
                    rule = rules["first"]
                ballots.append((vote_id, household, option, "online", rnd.choice(members), None,
                                "", _iso(cast), 1, rule))
                choices.append((vote_id, household, len(ballots), option, "online", _iso(cast)))
                if rnd.random() < 0.02:  # a paper ballot for it came in anyway
                    ballots.append((vote_id, household, rnd.choice(options), "paper", None,
                                    STAFF_ID, "户主", _iso(cast), 0, rules["paper_ignored"]))
            else:
                ballots.append((vote_id, household, option, "paper", None, STAFF_ID, "户主",
                                _iso(cast), 1, rules["paper"]))
                choices.append((vote_id, household, len(ballots), option, "paper", _iso(cast)))
        base = conn.execute("SELECT COALESCE(MAX(id), 0) FROM council_ballots").fetchone()[0]
        conn.executemany(
            "INSERT INTO council_ballots (vote_id, household_id, option_id, channel, user_id,"
            " entered_by, signed_by, cast_at, recorded_at, counted, rule, submission_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:8], row[7], *row[8:], f"bench-ballot:{vote_id}:{index}")
             for index, row in enumerate(ballots, start=1)])
        conn.executemany(
            "INSERT INTO council_choices (vote_id, household_id, ballot_id, option_id, channel,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(v, h, base + index, o, c, at) for v, h, index, o, c, at in choices])
        if is_open:
            break
        published = closes + timedelta(days=1)
        conn.execute(
            "UPDATE council_votes SET status = 'published', outcome = 'passed',"
            " winning_option_id = ?, result_note = '方案通过，进入落实。', notice_days = 7,"
            " notice_ends_at = ?, published_by = ?, published_at = ? WHERE id = ?",
            (options[0], _iso(published + timedelta(days=7)), STAFF_ID, _iso(published),
             vote_id))
        conn.execute("UPDATE council_plans SET status = ?, done_at = ? WHERE id = ?",
                     (plan_status, _iso(published + timedelta(days=50))
                      if plan_status == "done" else None, plan_id))
        for k in range(rnd.randint(0, 3)):
            objector = rnd.choice(list(residents))
            conn.execute(
                "INSERT INTO council_objections (vote_id, user_id, household_id, body,"
                " submission_key, created_at, answer, answered_by, answered_at)"
                " VALUES (?, ?, ?, '施工时间能否避开午休？', ?, ?, '已与施工方确认，午休时段停工。',"
                " ?, ?)", (vote_id, residents[objector][0], objector,
                          f"bench-objection:{vote_id}:{k}", _iso(published + timedelta(days=1)),
                          STAFF_ID, _iso(published + timedelta(days=2))))
        for k in range(rnd.randint(1, 5)):
            conn.execute(
                "INSERT INTO council_updates (plan_id, body, percent, created_by, submission_key,"
                " created_at) VALUES (?, '施工按计划推进。', ?, ?, ?, ?)",
                (plan_id, min(100, 20 * (k + 1)), STAFF_ID, f"bench-update:{plan_id}:{k}",
                 _iso(published + timedelta(days=10 * (k + 1)))))
        if plan_status == "done":
            raters = rnd.sample(voters, min(len(voters), rnd.randint(20, 200)))
            conn.executemany(
                "INSERT INTO council_ratings (plan_id, household_id, user_id, rating,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(plan_id, h, residents[h][0], rnd.choice(RATINGS),
                  _iso(published + timedelta(days=55)), _iso(published + timedelta(days=55)))
                 for h in raters if h in residents])

GENERATORS: list[Callable[[sqlite3.Connection, random.Random, Size], None]] = [
    organisation, accounts, reports, volunteer, shop, ledger, crowdfund, ranking,
    council]


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
