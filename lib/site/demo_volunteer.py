"""A year of volunteer service for the demo community, written through the real rules.

Every event and entry is recorded at the moment it happened (clock.pretend), by the demo leader
(第一微网格) or staff, so hours, points, ledger lines and audit lines are exactly what the portal
would have written then. A few entries wait for review now, one of them the demo resident's in
the demo leader's micro-grid: the leader finds work on logging in.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from lib.core import clock
from lib.core.db import immediate, scalar
from lib.core.roles import User
from lib.people.users import load_user
from lib.site.demo_pictures import picture
from lib.volunteer import hours


KEY = "demo-volunteer"
EVENTS = ("楼道清扫", "垃圾分类值守", "敬老探访")
# (username, days ago, activity, half hours, photo, outcome, by): outcome approve / reject:<why>
# / pending; "by" is a staff 代录 for someone without a phone
ENTRIES = (
    ("resident", 340, "帮独居老人取药", 2, None, "approve", None),
    ("zhangwei", 300, "小区门口交通疏导", 4, None, "approve", None),
    ("liuyang", 280, "冬季义务扫雪", 6, "clean_stairwell", "approve", None),
    ("resident", 230, "楼道消防通道清理", 3, "clear_lane", "approve", None),
    ("zhangwei", 200, "整理车棚", 4, "tidy_bike_shed", "reject:车棚整理由物业保洁完成，未见志愿签到", None),
    ("liuyang", 150, "社区图书角值班", 8, None, "approve", None),
    ("resident", 120, "垃圾分类宣传", 2, "tidy_bins", "approve", None),
    ("zhangwei", 90, "陪同老人体检", 5, None, "approve", "staff"),
    ("resident", 60, "楼道清扫", 24, None, "reject:时长与签到表不符，请按实际时长重新登记", None),
    ("resident", 58, "楼道清扫", 4, "clean_stairwell", "approve", None),
    ("liuyang", 30, "调解邻里噪音纠纷", 3, None, "reject:调解属于网格员工作，可申请特别奖励", None),
    ("zhangwei", 20, "疏通楼道堆物", 2, "clear_lane", "approve", None),
    ("resident", 2, "帮邻居搬运快递", 3, "boxes", "pending", None),
    ("zhangwei", 1, "整理单元门口鞋柜", 2, None, "pending", None),
    ("zhangwei", 3, "敬老探访", 4, None, "pending", "staff"),
    ("liuyang", 1, "垃圾分类值守", 4, "tidy_bins", "pending", None),
)
EVENT_MONTHS = 12
EVENT_ATTENDEES = ("resident", "zhangwei")
# neighbours of 第一微网格 who come to some of the leader's monthly events (two or three a month)
EVENT_NEIGHBOURS = ("wangxiulan", "lijianguo", "zhaomin", "zhouxiaodong", "wuguixiang", "sunlijun")


def seed_volunteer(db: Database, data_dir: Path) -> int:
    """Record the demo year once (nothing if it is there); returns how many entries were written."""
    if scalar(db, "SELECT 1 FROM volunteer_events WHERE submission_key LIKE ?", (f"{KEY}:%",)):
        return 0
    people = {name: _user(db, name) for name in ("leader", "staff", "resident", "zhangwei",
                                                  "liuyang")}
    if any(person is None for person in people.values()):
        return 0  # an edited demo: the history is a nicety, never worth a failed start
    neighbours = [person for person in map(lambda name: _user(db, name), EVENT_NEIGHBOURS)
                  if person is not None]
    now = clock.utc_now().replace(microsecond=0)
    written = 0
    pictures: dict[str, bytes] = {}
    # One transaction (each rule's own becomes a savepoint): one durable commit.
    with immediate(db):
        for month in range(EVENT_MONTHS, 0, -1):
            name = EVENTS[month % len(EVENTS)]
            attendees = [people[name] for name in
                         (EVENT_ATTENDEES if month % 4 else EVENT_ATTENDEES[:1])]
            if neighbours:
                attendees += [neighbours[(month * 5 + n) % len(neighbours)]
                              for n in range(2 + month % 2)]
            with clock.pretend(now - timedelta(days=30 * month - 3, hours=-2)):
                hours.record_event(db, people["leader"], name=name,
                                   held_on=clock.local_today(), half_hours=4 if month % 2 else 3,
                                   attendee_ids=sorted({a.id for a in attendees}),
                                   key=f"{KEY}:event:{month}")
            written += len(attendees)
        for number, (who, days_ago, activity, half, photo, outcome, by) in enumerate(ENTRIES):
            logged_at = now - timedelta(days=days_ago, hours=-3)
            if photo and photo not in pictures:
                pictures[photo] = picture(photo)
            with clock.pretend(logged_at):
                entry = hours.log_hours(
                    db, people[by] if by else people[who], activity=activity,
                    served_on=clock.local_today(), half_hours=half,
                    photo=pictures.get(photo) if photo else None, data_dir=data_dir,
                    key=f"{KEY}:entry:{number}", for_user_id=people[who].id if by else None)
            _review(db, people, entry, who, outcome, min(logged_at + timedelta(days=1), now))
            written += 1
    return written


def _review(db: Database, people: dict[str, User], entry: dict, who: str, outcome: str,
            moment) -> None:
    if outcome == "pending":
        return
    # the leader reviews 第一微网格; liuyang lives in another, and staff's own 代录 goes to them too
    reviewer = people["leader"] if who != "liuyang" else people["staff"]
    with clock.pretend(moment):
        if outcome == "approve":
            hours.approve(db, reviewer, hours_id=entry["id"])
        else:
            hours.reject(db, reviewer, hours_id=entry["id"], reason=outcome.split(":", 1)[1])


def _user(db: Database, username: str) -> User | None:
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))
