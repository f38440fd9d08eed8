"""筹劳: residents sign up for a project's labour slots; staff mark who came, and hours earn points.

A slot (a task: date, start time, half hours, headcount) is a promise of work. Who may do what
(checked here, never only by hiding a button):

=================  ==========================================================================
actor              may
=================  ==========================================================================
guest              nothing (log in first).
resident and up    sign up themself, and withdraw their own sign-up, while the project is
                   众筹中 or 实施中 and the slot has not started (Asia/Shanghai time).
staff, admin       sign up a resident without a phone (代办, recorded as on their behalf),
                   withdraw anyone's sign-up before the start, and mark attendance once the
                   slot has started: never their own.
=================  ==========================================================================

Marking attendance: 已报名 → 到场 or 未到. 未到 → 到场 is allowed (the resident came after
all: the points are awarded then). 到场 → 未到 is refused: the points are in the append-only
ledger by then, and taking them back is an admin's 积分更正 with a reason, not a click here.
Marking the same answer again changes nothing. Attended hours earn ``points.labour_hour`` per
hour (half hours: ``half_hours * rule // 2``) through the ledger as the system (actor None),
keyed ``crowdfund:<project>:labour:<sign-up>``, in the marking's own transaction.

A slot is never overbooked: the count is checked under ``BEGIN IMMEDIATE`` and again by m011's
trigger, whose IntegrityError is turned into the same message.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlite_utils import Database

from lib.core import audit, rules
from lib.core.clock import SHANGHAI, now_iso, utc_now
from lib.core.db import immediate, one, scalar
from lib.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lib.core.roles import RESIDENT, STAFF, User, require_role
from lib.people.households import total_by_home
from lib.points import ledger
from lib.volunteer.hours import hours_text  # "1.5 小时", said as for volunteer hours


SIGNED, WITHDRAWN, ATTENDED, ABSENT = "signed", "withdrawn", "attended", "absent"
STATUS_LABELS = {SIGNED: "已报名", WITHDRAWN: "已取消", ATTENDED: "到场", ABSENT: "未到"}
LIVE = (SIGNED, ATTENDED, ABSENT)  # hold a place in the slot (the partial unique index's rows)
# the project states in which residents sign up for (and withdraw from) slots
OPEN_STATUSES = ("raising", "building")
# attendance may still be marked after the project is completed: the work was done
MARKING_STATUSES = ("raising", "building", "done")

FULL_MESSAGE = "该时段名额已满"
_TRIGGER_FULL = "crowdfund task is full"


class SlotFull(ValidationError):
    """The slot's headcount is reached; nothing was written."""

    def __init__(self) -> None:
        super().__init__({"task_id": FULL_MESSAGE})


@dataclass(frozen=True)
class Slot:
    """One labour task as a resident picks it: when, how long, how many places are left."""

    id: int
    project_id: int
    name: str
    work_on: str  # local date 'YYYY-MM-DD'
    starts_at: str  # local time 'HH:MM'
    half_hours: int
    headcount: int
    taken: int

    @property
    def left(self) -> int:
        return max(self.headcount - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.left == 0

    @property
    def hours_text(self) -> str:
        """3 half hours -> "1.5": the number, for a line that says 小时 itself."""
        return f"{self.half_hours / 2:g}"

    @property
    def starts(self) -> datetime:
        return starts_of(self.work_on, self.starts_at)

    @property
    def has_started(self) -> bool:
        return utc_now() >= self.starts


@dataclass(frozen=True)
class LabourTotals:
    """A project's labour for its progress bar and ledger: attended hours and their value."""

    half_hours: int  # attended
    value_fen: int  # attended half_hours * labour_hour_fen // 2
    slots_taken: int  # live sign-ups (signed, attended, absent)
    slots_total: int  # the sum of the headcounts


def starts_of(work_on: str, starts_at: str) -> datetime:
    """The slot's start as an aware moment: its date and time are the community's (Shanghai)."""
    return datetime.combine(date.fromisoformat(work_on), time.fromisoformat(starts_at),
                            tzinfo=SHANGHAI)


def points_for(db: Database, half_hours: int) -> int:
    """The rule's points for attended half hours, rounded down (5 an hour: half an hour is 2)."""
    return half_hours * rules.get(db, "points.labour_hour") // 2


def value_fen(half_hours: int, labour_hour_fen: int) -> int:
    """The published value of attended labour, rounded down to the fen."""
    return half_hours * labour_hour_fen // 2


# --- reading -------------------------------------------------------------------------------

_SLOT_SELECT = (
    "SELECT t.id, t.project_id, t.name, t.work_on, t.starts_at, t.half_hours, t.headcount,"
    " (SELECT COUNT(*) FROM crowdfund_signups s WHERE s.task_id = t.id"
    "  AND s.status != 'withdrawn') FROM crowdfund_tasks t"
)


def tasks_of(db: Database, project_id: int) -> list[Slot]:
    """The project's slots by date and start time, each with its places taken and left."""
    rows = db.execute(_SLOT_SELECT + " WHERE t.project_id = ?"
                      " ORDER BY t.work_on, t.starts_at, t.id", (project_id,)).fetchall()
    return [Slot(*row) for row in rows]


def get_slot(db: Database, task_id: int) -> Slot:
    row = db.execute(_SLOT_SELECT + " WHERE t.id = ?", (task_id,)).fetchone()
    if row is None:
        raise NotFound("找不到该出工时段。")
    return Slot(*row)


def get_signup(db: Database, signup_id: int) -> dict:
    """A sign-up with its slot and project (time, hours, project status, title, hour value)."""
    row = one(db, "SELECT s.*, t.project_id, t.name AS task_name, t.work_on, t.starts_at,"
                  " t.half_hours, p.title, p.status AS project_status, p.labour_hour_fen"
                  " FROM crowdfund_signups s JOIN crowdfund_tasks t ON t.id = s.task_id"
                  " JOIN crowdfund_projects p ON p.id = t.project_id WHERE s.id = ?", (signup_id,))
    if row is None:
        raise NotFound("找不到该报名记录。")
    return row


def my_signups(db: Database, user_id: int, *, project_id: int | None = None,
               include_withdrawn: bool = False) -> list[dict]:
    """A resident's sign-ups, newest slot first, with the project's title (for 我的报名)."""
    sql = ("SELECT s.id, s.status, s.points, s.proxy_by, s.created_at, t.id AS task_id,"
           " t.name AS task_name, t.work_on, t.starts_at, t.half_hours, p.id AS project_id,"
           " p.title, p.status AS project_status FROM crowdfund_signups s"
           " JOIN crowdfund_tasks t ON t.id = s.task_id"
           " JOIN crowdfund_projects p ON p.id = t.project_id WHERE s.user_id = ?")
    params: list[object] = [user_id]
    if project_id is not None:
        sql += " AND p.id = ?"
        params.append(project_id)
    if not include_withdrawn:
        sql += " AND s.status != 'withdrawn'"
    sql += " ORDER BY t.work_on DESC, t.starts_at DESC, s.id DESC"
    return list(db.query(sql, params))


def roster(db: Database, task_id: int) -> list[dict]:
    """Who signed up for a slot (live sign-ups first, in sign-up order), for staff at the site."""
    return list(db.query(
        "SELECT s.id, s.user_id, s.status, s.points, s.proxy_by, s.created_at, s.marked_at,"
        " u.username, u.display_name, IFNULL(pl.code, '') AS place_code,"
        " IFNULL(h.room, '') AS room FROM crowdfund_signups s JOIN users u ON u.id = s.user_id"
        " LEFT JOIN households h ON h.id = u.household_id AND u.household_status = 'verified'"
        " LEFT JOIN places pl ON pl.id = h.place_id WHERE s.task_id = ?"
        " ORDER BY s.status = 'withdrawn', s.id", (task_id,)))


def totals(db: Database, project_id: int) -> LabourTotals:
    """Attended half hours and their published value, and the places taken of all places."""
    row = db.execute(
        "SELECT"
        " (SELECT COALESCE(SUM(t.half_hours), 0) FROM crowdfund_signups s"
        "  JOIN crowdfund_tasks t ON t.id = s.task_id"
        "  WHERE t.project_id = :p AND s.status = 'attended'),"
        " (SELECT COUNT(*) FROM crowdfund_signups s JOIN crowdfund_tasks t ON t.id = s.task_id"
        "  WHERE t.project_id = :p AND s.status != 'withdrawn'),"
        " (SELECT COALESCE(SUM(headcount), 0) FROM crowdfund_tasks WHERE project_id = :p),"
        " COALESCE((SELECT labour_hour_fen FROM crowdfund_projects WHERE id = :p), 0)",
        {"p": project_id}).fetchone()
    half_hours, taken, total, hour_fen = row
    return LabourTotals(half_hours, value_fen(half_hours, hour_fen), taken, total)


def attended_by_building(db: Database, first: str, following: str) -> dict[int, int]:
    """Attended half hours of tasks worked on ``first <= work_on < following`` (local dates), by
    the building of each attendee's verified household: the star ranking's participation."""
    return total_by_home(db, "SELECT s.user_id, t.half_hours AS amount FROM crowdfund_tasks t"
                             " JOIN crowdfund_signups s ON s.task_id = t.id AND s.status = 'attended'"
                             " WHERE t.work_on >= ? AND t.work_on < ?", (first, following))


# --- writing -------------------------------------------------------------------------------

def _project_of(db: Database, task_id: int) -> tuple[Slot, dict]:
    slot = get_slot(db, task_id)
    project = one(db, "SELECT id, title, status FROM crowdfund_projects WHERE id = ?",
                  (slot.project_id,))
    return slot, project  # type: ignore[return-value]


def _check_person(db: Database, user_id: object) -> str:
    """The name of an account that may take a slot; NotFound or refused for a disabled one."""
    row = db.execute("SELECT display_name, disabled FROM users WHERE id = ?",
                     (user_id,)).fetchone()
    if row is None:
        raise NotFound("找不到该居民。")
    if row[1]:
        raise ValidationError({"user": "该账号已停用，不能报名出工。"})
    return row[0]


def sign_up(db: Database, actor: User, *, task_id: int, for_user_id: int | None = None) -> dict:
    """Take a place in a slot: one's own, or (staff) for a resident without a phone (代办).

    Raises PermissionDenied, NotFound, ValidationError (project not open, slot started, already
    signed up) or SlotFull. Signing up for the same slot again changes nothing; after a
    withdrawal a new sign-up is a new row.
    """
    require_role(actor, RESIDENT)
    proxy = for_user_id is not None and for_user_id != actor.id
    if proxy and not actor.at_least(STAFF):
        raise PermissionDenied("只有社区工作人员可以代居民报名出工。")
    user_id = for_user_id if proxy else actor.id
    try:
        with immediate(db):
            name = _check_person(db, user_id)
            slot, project = _project_of(db, task_id)
            if project["status"] not in OPEN_STATUSES:
                raise ValidationError({"task_id": "只有众筹中或实施中的项目可以报名出工。"})
            if slot.has_started:
                raise ValidationError({"task_id": "该时段已经开始，不能再报名。"})
            if scalar(db, "SELECT 1 FROM crowdfund_signups WHERE task_id = ? AND user_id = ?"
                          " AND status != 'withdrawn'", (task_id, user_id)):
                raise ValidationError({"task_id": _already(proxy, name)})
            if slot.is_full:
                raise SlotFull()
            signup_id = db.execute(
                "INSERT INTO crowdfund_signups (task_id, user_id, status, proxy_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (task_id, user_id, SIGNED, actor.id if proxy else None, now_iso())).lastrowid
            audit.record(db, actor.id, "crowdfund.labour_signup", "crowdfund_signup", signup_id,
                         project=slot.project_id, task=task_id, user=user_id, proxy=proxy)
    except sqlite3.IntegrityError as error:
        # the last line of defence: m011's trigger (full) or the partial unique index (twice)
        if _TRIGGER_FULL in str(error):
            raise SlotFull() from None
        if "UNIQUE" in str(error):
            raise ValidationError({"task_id": _already(proxy, "该居民")}) from None
        raise
    return get_signup(db, signup_id)


def _already(proxy: bool, name: str) -> str:
    return f"{name} 已报名该时段。" if proxy else "您已报名该时段，无需重复报名。"


def withdraw(db: Database, actor: User, *, signup_id: int) -> dict:
    """Give a place back before the slot starts: one's own, or (staff) anyone's.

    Raises PermissionDenied, NotFound or InvalidTransition (not signed up, or already started).
    """
    require_role(actor, RESIDENT)
    with immediate(db):
        signup = get_signup(db, signup_id)
        if signup["user_id"] != actor.id and not actor.at_least(STAFF):
            raise PermissionDenied("只能取消自己的报名。")
        if signup["status"] != SIGNED:
            raise InvalidTransition(
                f"这条报名已是“{STATUS_LABELS[signup['status']]}”，不能取消。")
        if utc_now() >= starts_of(signup["work_on"], signup["starts_at"]):
            raise InvalidTransition("该时段已经开始，不能再取消报名。")
        db.execute("UPDATE crowdfund_signups SET status = ?, withdrawn_at = ? WHERE id = ?",
                   (WITHDRAWN, now_iso(), signup_id))
        audit.record(db, actor.id, "crowdfund.labour_withdraw", "crowdfund_signup", signup_id,
                     project=signup["project_id"], task=signup["task_id"],
                     user=signup["user_id"])
    return get_signup(db, signup_id)


def mark_attendance(db: Database, actor: User, *, signup_id: int, attended: bool) -> dict:
    """Staff record whether a resident came once the slot has started; 到场 earns the points.

    Raises PermissionDenied (below staff, or one's own sign-up), NotFound, ValidationError
    (slot not started, project not running) or InvalidTransition (withdrawn, or 到场 → 未到).
    The same answer twice changes nothing.
    """
    require_role(actor, STAFF)
    if not isinstance(attended, bool):
        raise ValidationError({"attended": "请选择到场或未到。"})
    to_status = ATTENDED if attended else ABSENT
    with immediate(db):
        signup = get_signup(db, signup_id)
        if signup["user_id"] == actor.id:
            raise PermissionDenied("不能登记自己的出勤，请由其他工作人员登记。")
        if signup["project_status"] not in MARKING_STATUSES:
            raise ValidationError({"attended": "该项目不在进行中，不能登记出勤。"})
        if utc_now() < starts_of(signup["work_on"], signup["starts_at"]):
            raise ValidationError({"attended": "该时段还没有开始，开始后才能登记出勤。"})
        if signup["status"] == to_status:
            return signup
        if signup["status"] == WITHDRAWN:
            raise InvalidTransition("这条报名已取消，不能登记出勤。")
        if signup["status"] == ATTENDED:
            raise InvalidTransition("已登记到场并发放积分，不能改为未到；"
                                    "如确属登记错误，请由管理员更正积分。")
        points = 0
        if attended:
            points = points_for(db, signup["half_hours"])
            if points > 0:
                ledger.award(db, None, user_id=signup["user_id"], amount=points,
                             kind=ledger.KIND_LABOUR,
                             reason=f"众筹出工：{signup['title']}·{signup['task_name']}"
                                    f"（{hours_text(signup['half_hours'])}）",
                             key=f"crowdfund:{signup['project_id']}:labour:{signup_id}")
        db.execute("UPDATE crowdfund_signups SET status = ?, points = ?, marked_by = ?,"
                   " marked_at = ? WHERE id = ?",
                   (to_status, points, actor.id, now_iso(), signup_id))
        audit.record(db, actor.id, "crowdfund.labour_attendance", "crowdfund_signup", signup_id,
                     project=signup["project_id"], user=signup["user_id"],
                     attended=attended, points=points)
    return get_signup(db, signup_id)


def release_all(db: Database, project_id: int) -> int:
    """Withdraw every sign-up still waiting for its slot (a cancelled project); returns how many.

    Runs inside the caller's transaction (projects.cancel), which checked the permission and
    audits the cancellation; marked attendance (and its points) stays as it was.
    """
    with immediate(db):
        count = db.execute(
            "UPDATE crowdfund_signups SET status = ?, withdrawn_at = ? WHERE status = ?"
            " AND task_id IN (SELECT id FROM crowdfund_tasks WHERE project_id = ?)",
            (WITHDRAWN, now_iso(), SIGNED, project_id)).rowcount
        if count:
            audit.record(db, None, "crowdfund.labour_release", "crowdfund_project", project_id,
                         signups=count)
    return count
