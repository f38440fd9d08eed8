"""A small community whose October 2026 ranking is worked out by hand in test_ranking_standings.

Records go straight into the schema (ratings, volunteer hours, reports, labour), so the ranking's
tests stand alone from the scoring, volunteer and crowdfunding code.

Micro-grid 1 (leaders 老吴, 老林): 3-1 (4 households), 3-2 (2). Micro-grid 2 (leader 老孙): 10-1
(no households), 2-1 (5). Criteria as m012 seeds them: 环境卫生 25 (id 1), 楼道整洁 20 (2),
车辆停放 15 (3), 邻里和睦 10 (4), 参与度 30.
"""
from __future__ import annotations

from datetime import datetime, timezone
from itertools import count

from lib.core.clock import now_iso
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.people.users import load_user
from tests.crowdfund_helpers import make_project
from tests.ranking_helpers import add_building


MONTH = "2026-10"
NOW = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)  # mid-November in Shanghai
_keys = count(1)


def person(db, name: str, role: str = RESIDENT, *, household_id: int | None = None,
           leads: int | None = None, disabled: int = 0):
    user_id = db["users"].insert({
        "username": f"{role}{next(_keys)}", "display_name": name, "password_hash": "x",
        "role": role, "leads_microgrid_id": leads, "household_id": household_id,
        "household_status": "verified" if household_id else "none",
        "created_at": now_iso(), "password_changed_at": now_iso()}).last_pk
    user = load_user(db, user_id)
    db.execute("UPDATE users SET disabled = ? WHERE id = ?", (disabled, user_id))
    db.conn.commit()
    return user


def household(db, place_id: int, index: int = 0) -> int:
    return db.execute("SELECT id FROM households WHERE place_id = ? ORDER BY id LIMIT 1 OFFSET ?",
                      (place_id, index)).fetchone()[0]


def rate(db, month: str, place_id: int, rater_id: int, stars: dict[int, int]) -> int:
    db.execute("INSERT INTO ranking_months (month, created_at) VALUES (?, ?)"
               " ON CONFLICT (month) DO NOTHING", (month, now_iso()))
    rating = db.execute("INSERT INTO ranking_ratings (month, place_id, rater_id, updated_at)"
                        " VALUES (?, ?, ?, ?)", (month, place_id, rater_id, now_iso())).lastrowid
    for criterion_id, value in stars.items():
        db.execute("INSERT INTO ranking_stars (rating_id, criterion_id, stars) VALUES (?, ?, ?)",
                   (rating, criterion_id, value))
    db.conn.commit()
    return rating


def volunteer(db, user_id: int, served_on: str, half_hours: int, status: str = "approved") -> None:
    db.execute("INSERT INTO volunteer_hours (user_id, activity, served_on, half_hours, status,"
               " submission_key, created_at) VALUES (?, '清扫楼道', ?, ?, ?, ?, ?)",
               (user_id, served_on, half_hours, status, f"v{next(_keys)}", now_iso()))
    db.conn.commit()


def report(db, reporter_id: int, place_id: int, accepted_at: str | None,
           status: str = "accepted") -> None:
    db.execute("INSERT INTO reports (place_id, category_id, description, reporter_id, status,"
               " submission_key, follow_token, created_at, accepted_at, updated_at)"
               " VALUES (?, 1, '路灯坏了', ?, ?, ?, 't', ?, ?, ?)",
               (place_id, reporter_id, status, f"r{next(_keys)}", now_iso(), accepted_at, now_iso()))
    db.conn.commit()


def labour(db, staff_id: int, place_id: int, user_id: int, work_on: str, half_hours: int,
           status: str = "attended") -> None:
    project = make_project(db, created_by=staff_id, place_id=place_id,
                           tasks=({"half_hours": half_hours},))
    task_id = project["tasks"][0]
    db.execute("UPDATE crowdfund_tasks SET work_on = ? WHERE id = ?", (work_on, task_id))
    db.execute("INSERT INTO crowdfund_signups (task_id, user_id, status, created_at)"
               " VALUES (?, ?, ?, ?)", (task_id, user_id, status, now_iso()))
    db.conn.commit()


def build_world(db) -> dict:
    """The community of the hand-worked example, with October's records and ratings."""
    db.execute("INSERT INTO community (name) VALUES ('测试社区')")
    db.execute("INSERT INTO grids (community_id, name) VALUES (1, '一网格')")
    mg1 = db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, '一')").lastrowid
    mg2 = db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, '二')").lastrowid
    x = add_building(db, "3-1", mg1, households=4)
    y = add_building(db, "3-2", mg1, households=2)
    z = add_building(db, "10-1", mg2, households=0)
    w = add_building(db, "2-1", mg2, households=5)
    w_ = {"mg1": mg1, "mg2": mg2, "x": x, "y": y, "z": z, "w": w,
          "wu": person(db, "老吴", LEADER, leads=mg1), "lin": person(db, "老林", LEADER, leads=mg1),
          "sun": person(db, "老孙", LEADER, leads=mg2),
          "staff": person(db, "小周", STAFF), "admin": person(db, "陈主任", ADMIN),
          "x1": person(db, "张三", household_id=household(db, x)),
          "x2": person(db, "李四", household_id=household(db, x, 1)),
          "y1": person(db, "王五", household_id=household(db, y)),
          "w1": person(db, "赵六", household_id=household(db, w))}
    # 3-1: 3 volunteer half hours + 2 labour half hours + 1 report (2 units) = 7 over 4 households
    volunteer(db, w_["x1"].id, "2026-10-05", 3)
    volunteer(db, w_["x1"].id, "2026-10-06", 4, status="pending")
    volunteer(db, w_["x2"].id, "2026-09-30", 6)
    volunteer(db, w_["x2"].id, "2026-11-01", 6)
    labour(db, w_["staff"].id, x, w_["x2"].id, "2026-10-20", 2)
    labour(db, w_["staff"].id, x, w_["x2"].id, "2026-10-21", 8, status="absent")
    report(db, w_["x1"].id, x, "2026-10-10T03:00:00+00:00")
    # 3-2: 1 half hour + a report accepted at 00:30 on 1 Oct in Shanghai = 3 over 2 households;
    # the report was about 3-1, yet counts for the reporter's own building
    volunteer(db, w_["y1"].id, "2026-10-31", 1)
    report(db, w_["y1"].id, x, "2026-09-30T16:30:00+00:00", status="resolved")
    report(db, w_["y1"].id, y, "2026-10-31T16:30:00+00:00")  # 1 Nov in Shanghai
    report(db, w_["y1"].id, y, "2026-10-12T00:00:00+00:00", status="rejected")
    report(db, w_["y1"].id, y, None, status="pending")
    # the stars
    rate(db, MONTH, x, w_["wu"].id, {1: 5, 2: 4, 3: 3, 4: 4})
    rate(db, MONTH, x, w_["lin"].id, {1: 4, 2: 4, 3: 4, 4: 5})
    rate(db, MONTH, y, w_["wu"].id, {1: 5, 2: 5, 3: 5, 4: 5})
    rate(db, MONTH, z, w_["sun"].id, {1: 3, 2: 3, 3: 3})
    return w_
