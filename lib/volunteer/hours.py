"""Volunteer hours: a resident logs them, a leader of their micro-grid (or staff) reviews them once.

Hours are whole half hours (0.5-12 h is 1-24), so no float ever meets the points rule. Who may do
what (checked here, never only by hiding a page):

=================  ==========================================================================
actor              may
=================  ==========================================================================
guest              nothing (log in first).
resident           log their own hours (any account; the building is their verified
                   household's, else none, and then only staff can review it).
leader             review, and credit events for, verified households of the micro-grid they
                   lead; never their own hours.
staff, admin       review anyone's hours, credit any event, and log hours for a resident
                   without a phone (代录, recorded as on their behalf); never their own hours,
                   nor hours they logged for someone (another person reviews those).
=================  ==========================================================================

Approval awards ``points.volunteer_hour`` per hour through the ledger (actor ``None``: the system
applies the rule after the reviewer's check), in the approval's own transaction, keyed
``volunteer:<id>``, so nothing can award twice.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos, rules
from lib.core.clock import local_today, now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lib.core.roles import LEADER, RESIDENT, STAFF, User, require_role
from lib.points import ledger


PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUS_LABELS = {PENDING: "待审核", APPROVED: "已通过", REJECTED: "未通过"}
# A review happens once: an approved entry's points are in the ledger, a rejected one was answered.
TRANSITIONS = {PENDING: {APPROVED, REJECTED}, APPROVED: set(), REJECTED: set()}

MIN_HALF_HOURS, MAX_HALF_HOURS = 1, 24  # 0.5-12 hours, the table's CHECK too
TEXT_MAX = 60  # an activity or an event name: one line on a phone
REASON_MAX = 200
MAX_AGE_DAYS = 90  # a leader can still remember (and check) a quarter back; older is the notebook's
MAX_ATTENDEES = 300
HOURS_MESSAGE = "服务时长按半小时计，可选 0.5-12 小时（如 0.5、1、1.5、2）。"


def is_pending(entry: dict) -> bool:
    return entry["status"] == PENDING


def can_move(entry: dict, to_status: str) -> bool:
    return to_status in TRANSITIONS[entry["status"]]


def hours_text(half_hours: int) -> str:
    """2 -> "1 小时", 3 -> "1.5 小时": how a person says it."""
    whole, half = divmod(int(half_hours), 2)
    return f"{whole}.5 小时" if half else f"{whole} 小时"


def points_for(db: Database, half_hours: int) -> int:
    """The rule's points for this many half hours, rounded down to a whole point.

    With the default 5 points an hour, half an hour earns 2 (2.5 rounded down) and 1.5 hours 7.
    """
    return rules.get(db, "points.volunteer_hour") * half_hours // 2


def to_half_hours(hours: object) -> int:
    """Hours as a person gives them (1.5, "2", 0.5) to whole half hours; ValidationError otherwise."""
    if isinstance(hours, bool):
        raise ValidationError({"half_hours": HOURS_MESSAGE})
    try:
        doubled = Decimal(str(hours).strip()) * 2
    except InvalidOperation:
        raise ValidationError({"half_hours": HOURS_MESSAGE}) from None
    if not doubled.is_finite() or doubled != doubled.to_integral_value():
        raise ValidationError({"half_hours": HOURS_MESSAGE})
    return check_half_hours(int(doubled))


def check_half_hours(half_hours: object) -> int:
    # bool is an int subclass: True must not become half an hour
    if isinstance(half_hours, bool) or not isinstance(half_hours, int) \
            or not MIN_HALF_HOURS <= half_hours <= MAX_HALF_HOURS:
        raise ValidationError({"half_hours": HOURS_MESSAGE})
    return half_hours


def _check_text(text: object, field: str, what: str) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({field: f"请填写{what}。"})
    if len(text) > TEXT_MAX:
        raise ValidationError({field: f"{what}请不超过 {TEXT_MAX} 个字（现在 {len(text)} 个字）。"})
    return text


def _check_date(served_on: object, field: str) -> str:
    """The service day as 'YYYY-MM-DD': not after today, not more than MAX_AGE_DAYS back."""
    if isinstance(served_on, datetime):
        served_on = served_on.date()
    elif isinstance(served_on, str):
        try:
            served_on = date.fromisoformat(served_on.strip())
        except ValueError:
            served_on = None
    if not isinstance(served_on, date):
        raise ValidationError({field: "请选择服务日期。"})
    today = local_today()
    if served_on > today:
        raise ValidationError({field: "服务日期不能晚于今天。"})
    earliest = today - timedelta(days=MAX_AGE_DAYS)
    if served_on < earliest:
        raise ValidationError({field: f"只能登记 {MAX_AGE_DAYS} 天内的志愿服务（{earliest} 及以后）。"})
    return served_on.isoformat()


def check_entry(activity: object, served_on: object, half_hours: object, *,
                text_field: str = "activity", date_field: str = "served_on",
                what: str = "服务内容") -> tuple[str, str, int]:
    """The cleaned (text, day, half hours); every field's problem at once in one ValidationError."""
    errors: dict[str, str] = {}
    cleaned: list[object] = []
    for check in (lambda: _check_text(activity, text_field, what),
                  lambda: _check_date(served_on, date_field),
                  lambda: check_half_hours(half_hours)):
        try:
            cleaned.append(check())
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    return cleaned[0], cleaned[1], cleaned[2]  # type: ignore[return-value]


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > ledger.MAX_KEY - 20:
        raise ValidationError({"key": "缺少有效的操作编号，请刷新页面后重试。"})
    return key


def get(db: Database, hours_id: int) -> dict:
    row = one(db, "SELECT * FROM volunteer_hours WHERE id = ?", (hours_id,))
    if row is None:
        raise NotFound(f"找不到编号为 {hours_id} 的志愿时长记录。")
    return row


def _by_key(db: Database, key: str) -> dict | None:
    return one(db, "SELECT * FROM volunteer_hours WHERE submission_key = ?", (key,))


def _volunteer_place(db: Database, user_id: object) -> int | None:
    """The building of the user's verified household (None without one); NotFound or refused
    for an account that is missing or disabled."""
    row = db.execute(
        "SELECT users.disabled, CASE WHEN users.household_status = 'verified'"
        " THEN households.place_id END FROM users"
        " LEFT JOIN households ON households.id = users.household_id WHERE users.id = ?",
        (user_id,)).fetchone()
    if row is None:
        raise NotFound("找不到该用户。")
    if row[0]:
        raise ValidationError({"user": "该账号已停用，不能登记志愿时长。"})
    return row[1]


def log_hours(db: Database, actor: User, *, activity: str, served_on: date, half_hours: int,
              key: str, photo: bytes | None = None, data_dir: Path | None = None,
              for_user_id: int | None = None) -> dict:
    """Log hours for review: one's own, or (staff) for a resident without a phone (代录).

    The photo, if any, goes through the photo pipeline (needs ``data_dir``) and is removed again
    if the entry is not saved. Repeating ``key`` returns the first entry. Raises
    PermissionDenied, ValidationError, PhotoRejected or NotFound.
    """
    require_role(actor, RESIDENT)
    proxy = for_user_id is not None and for_user_id != actor.id
    if proxy and not actor.at_least(STAFF):
        raise PermissionDenied("只有社区工作人员可以代居民登记志愿时长。")
    user_id = for_user_id if proxy else actor.id
    key = _check_key(key)
    existing = _by_key(db, key)
    if existing is not None:
        return _same_submission(existing, user_id)
    activity, day, half_hours = check_entry(activity, served_on, half_hours)
    name = photos.store(data_dir, photos.process_photo(photo)) if photo else None
    try:
        with immediate(db):
            again = _by_key(db, key)  # a double tap that waited for the lock
            if again is not None:
                raise _AlreadyLogged(again)
            place_id = _volunteer_place(db, user_id)
            hours_id = db.execute(
                "INSERT INTO volunteer_hours (user_id, activity, served_on, half_hours, photo,"
                " place_id, proxy_by, submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, activity, day, half_hours, name, place_id,
                 actor.id if proxy else None, key, now_iso())).lastrowid
            audit.record(db, actor.id, "volunteer.log", "volunteer_hours", hours_id,
                         user=user_id, hours=half_hours / 2, proxy=proxy)
    except _AlreadyLogged as first:
        _forget_photo(data_dir, name)
        return _same_submission(first.entry, user_id)
    except BaseException:
        _forget_photo(data_dir, name)
        raise
    return get(db, hours_id)


def _forget_photo(data_dir: Path | None, name: str | None) -> None:
    if name is not None:
        photos.delete(data_dir, name)  # type: ignore[arg-type]


class _AlreadyLogged(Exception):
    def __init__(self, entry: dict):
        self.entry = entry


def _same_submission(entry: dict, user_id: int | None) -> dict:
    if entry["user_id"] != user_id:
        raise ValidationError({"key": "该操作编号已用于另一条记录，请刷新页面后重试。"})
    return entry


def _check_reviewer(db: Database, actor: User, entry: dict) -> None:
    """Staff review anyone's hours, a leader those of their micro-grid; nobody their own."""
    if entry["user_id"] == actor.id:
        raise PermissionDenied("不能审核自己的志愿时长，请由其他人审核。")
    if entry["proxy_by"] == actor.id:
        raise PermissionDenied("不能审核自己代录的志愿时长，请由其他人审核。")
    if actor.at_least(STAFF):
        return
    microgrid_id = scalar(db, "SELECT microgrid_id FROM places WHERE id = ?", (entry["place_id"],))
    if microgrid_id is None or microgrid_id != actor.leads_microgrid_id:
        raise PermissionDenied("只能审核本微网格已核实住户的志愿时长。")


def _move(entry: dict, to_status: str) -> None:
    if not can_move(entry, to_status):
        raise InvalidTransition(f"这条志愿时长已经审核过（{STATUS_LABELS[entry['status']]}），"
                                "不能再次审核。")


def _award(db: Database, user_id: int, hours_id: int, half_hours: int, activity: str) -> int:
    """Apply the points rule for approved hours; returns the points (0 earns no entry)."""
    points = points_for(db, half_hours)
    if points > 0:
        ledger.award(db, None, user_id=user_id, amount=points, kind=ledger.KIND_VOLUNTEER,
                     reason=f"志愿服务：{activity}（{hours_text(half_hours)}）",
                     key=f"volunteer:{hours_id}")
    return points


def approve(db: Database, actor: User, *, hours_id: int) -> dict:
    """Approve pending hours and award their points, once, in the same transaction.

    Raises PermissionDenied, NotFound or InvalidTransition (already reviewed).
    """
    require_role(actor, LEADER)
    with immediate(db):
        entry = get(db, hours_id)
        _check_reviewer(db, actor, entry)
        _move(entry, APPROVED)
        points = _award(db, entry["user_id"], hours_id, entry["half_hours"], entry["activity"])
        db.execute("UPDATE volunteer_hours SET status = ?, reviewer_id = ?, reviewed_at = ?,"
                   " points = ? WHERE id = ?", (APPROVED, actor.id, now_iso(), points, hours_id))
        audit.record(db, actor.id, "volunteer.approve", "volunteer_hours", hours_id,
                     user=entry["user_id"], hours=entry["half_hours"] / 2, points=points)
    return get(db, hours_id)


def reject(db: Database, actor: User, *, hours_id: int, reason: str) -> dict:
    """Turn pending hours down with a reason the volunteer will read.

    Raises ValidationError (no reason), PermissionDenied, NotFound or InvalidTransition.
    """
    require_role(actor, LEADER)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": "请填写不通过的原因，志愿者会看到。"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"原因请不超过 {REASON_MAX} 个字。"})
    with immediate(db):
        entry = get(db, hours_id)
        _check_reviewer(db, actor, entry)
        _move(entry, REJECTED)
        db.execute("UPDATE volunteer_hours SET status = ?, reject_reason = ?, reviewer_id = ?,"
                   " reviewed_at = ? WHERE id = ?",
                   (REJECTED, reason, actor.id, now_iso(), hours_id))
        audit.record(db, actor.id, "volunteer.reject", "volunteer_hours", hours_id,
                     user=entry["user_id"], reason=reason)
    return get(db, hours_id)


# --- events: a leader ticks who came, and each is credited at once ---------------------------

def get_event(db: Database, event_id: int) -> dict:
    row = one(db, "SELECT * FROM volunteer_events WHERE id = ?", (event_id,))
    if row is None:
        raise NotFound(f"找不到编号为 {event_id} 的志愿活动。")
    return row


def _event_by_key(db: Database, key: str) -> dict | None:
    return one(db, "SELECT * FROM volunteer_events WHERE submission_key = ?", (key,))


def _check_attendees(user_ids: object) -> list[int]:
    if isinstance(user_ids, (str, bytes)) or not isinstance(user_ids, Iterable):
        raise ValidationError({"attendees": "请选择参加活动的居民。"})
    ids = list(dict.fromkeys(user_ids))  # a name ticked twice counts once
    if not ids:
        raise ValidationError({"attendees": "请选择参加活动的居民。"})
    if len(ids) > MAX_ATTENDEES:
        raise ValidationError({"attendees": f"一次最多记录 {MAX_ATTENDEES} 人。"})
    if any(isinstance(uid, bool) or not isinstance(uid, int) for uid in ids):
        raise ValidationError({"attendees": "参加者名单有误，请刷新页面后重新勾选。"})
    return ids


def _credit(db: Database, actor: User, event: dict, user_id: int, key: str) -> int:
    """One attendee's approved hours and points; refuses someone the actor may not credit."""
    if user_id == actor.id:
        raise PermissionDenied("不能给自己记录志愿时长，请由其他人记录。")
    place_id = _volunteer_place(db, user_id)
    name = scalar(db, "SELECT display_name FROM users WHERE id = ?", (user_id,))
    if not actor.at_least(STAFF):
        microgrid_id = scalar(db, "SELECT microgrid_id FROM places WHERE id = ?", (place_id,))
        if microgrid_id is None or microgrid_id != actor.leads_microgrid_id:
            raise PermissionDenied(f"{name} 不是本微网格已核实的住户，不能由您记录。")
    if scalar(db, "SELECT 1 FROM volunteer_hours WHERE event_id = ? AND user_id = ?",
              (event["id"], user_id)):
        raise ValidationError({"attendees": f"{name} 已记录过本次活动的时长，不能重复记录。"})
    hours_id = db.execute(
        "INSERT INTO volunteer_hours (user_id, activity, served_on, half_hours, place_id,"
        " event_id, status, reviewer_id, reviewed_at, submission_key, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, event["name"], event["held_on"], event["half_hours"], place_id, event["id"],
         APPROVED, actor.id, now_iso(), key, now_iso())).lastrowid
    points = _award(db, user_id, hours_id, event["half_hours"], event["name"])
    db.execute("UPDATE volunteer_hours SET points = ? WHERE id = ?", (points, hours_id))
    return hours_id


def record_event(db: Database, actor: User, *, name: str, held_on: date, half_hours: int,
                 attendee_ids: list[int], key: str) -> dict:
    """A leader (their micro-grid's verified residents) or staff credits an event's attendees.

    The event and every attendee's approved hours and points are one transaction: one refused
    attendee stores nothing. Repeating ``key`` returns the first event. Raises
    PermissionDenied, ValidationError or NotFound.
    """
    require_role(actor, LEADER)
    if not actor.at_least(STAFF) and actor.leads_microgrid_id is None:
        raise PermissionDenied("您还没有负责的微网格，不能记录活动。")
    key = _check_key(key)
    existing = _event_by_key(db, key)
    if existing is not None:
        return existing
    name, day, half_hours = check_entry(name, held_on, half_hours, text_field="name",
                                        date_field="held_on", what="活动名称")
    ids = _check_attendees(attendee_ids)
    with immediate(db):
        again = _event_by_key(db, key)  # a double tap that waited for the lock
        if again is not None:
            return again
        # staff lead no micro-grid: their events belong to none, and only staff add to them
        event_id = db.execute(
            "INSERT INTO volunteer_events (name, held_on, half_hours, microgrid_id, created_by,"
            " submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, day, half_hours, actor.leads_microgrid_id, actor.id, key, now_iso())).lastrowid
        event = get_event(db, event_id)
        for user_id in ids:
            _credit(db, actor, event, user_id, f"{key}:{user_id}")
        audit.record(db, actor.id, "volunteer.event", "volunteer_event", event_id, name=name,
                     hours=half_hours / 2, attendees=len(ids))
    return event


def add_attendees(db: Database, actor: User, *, event_id: int, user_ids: list[int],
                  key: str) -> list[dict]:
    """Credit people forgotten at an event; nobody is credited twice for one event.

    The creator's micro-grid decides: a leader adds to their own micro-grid's events, staff to
    any. Repeating ``key`` changes nothing. Returns the entries of this call. Raises
    PermissionDenied, ValidationError (naming whoever was already credited) or NotFound.
    """
    require_role(actor, LEADER)
    key = _check_key(key)
    ids = _check_attendees(user_ids)
    with immediate(db):
        event = get_event(db, event_id)
        if not actor.at_least(STAFF) and (event["microgrid_id"] is None
                                          or event["microgrid_id"] != actor.leads_microgrid_id):
            raise PermissionDenied("只能补录本微网格的活动。")
        done = [_by_key(db, f"{key}:{user_id}") for user_id in ids]
        if all(done):
            return done  # type: ignore[return-value]
        hours_ids = [_credit(db, actor, event, user_id, f"{key}:{user_id}") for user_id in ids]
        audit.record(db, actor.id, "volunteer.attendees", "volunteer_event", event_id,
                     attendees=len(ids))
    return [get(db, hours_id) for hours_id in hours_ids]
