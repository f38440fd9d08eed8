"""议事会 meetings and the plans (方案) they agree: the 方案制定 step of the reference articles.

Staff schedule a meeting (date, time, venue, who takes part, the topics on its agenda), hold it,
and record what it agreed: for a topic, the options discussed and the plan (cost, who does what,
deadline, owner). A plan starts as a draft (待表决); VOTES opens a vote on it and from then on
its text is what residents vote on, so it no longer changes. Minutes with photos mark a meeting
held, never before its date. Only staff and admins write here; everything is public to read:
a deliberation residents cannot follow is not theirs.

A double tap must not schedule a meeting or record a plan twice. m013 gives these tables no
``submission_key``, so the form's key travels in the audit entry written with the change and
is looked up (within a day, by the audit log's time index) under the same write lock.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
import re

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import as_day, local_today, not_a_day_ahead, now_iso, to_iso, utc_now
from lib.core.db import immediate, is_row_id, one, scalar
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.crowdfund.money import MAX_PROJECT_FEN, parse_yuan, yuan_text


SCHEDULED, HELD, CANCELLED = "scheduled", "held", "cancelled"
MEETING_STATUS_LABELS = {SCHEDULED: "待召开", HELD: "已召开", CANCELLED: "已取消"}
DRAFT, VOTING, ADOPTED, REJECTED, DONE, DROPPED = (
    "draft", "voting", "adopted", "rejected", "done", "dropped")
PLAN_STATUS_LABELS = {DRAFT: "待表决", VOTING: "表决中", ADOPTED: "落实中", REJECTED: "未通过",
                      DONE: "已落实", DROPPED: "已放弃"}

TITLE_MAX, VENUE_MAX, PARTICIPANTS_MAX, REASON_MAX = 40, 40, 500, 200
MINUTES_MAX, MINUTES_PHOTOS_MAX, AGENDA_MAX = 5000, 9, 20
PLAN_TITLE_MAX, OPTIONS_MAX, BODY_MAX, DUTIES_MAX, OWNER_MAX = 40, 2000, 2000, 1000, 40
# a compound's plan costing more than a whole 众筹 project may is a typo (an extra zero or two)
COST_MAX_FEN = MAX_PROJECT_FEN
KEY_WINDOW = timedelta(days=1)  # a double tap comes within seconds; a day is generous

_FULL_WIDTH = str.maketrans("０１２３４５６７８９：", "0123456789:")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class AgendaItem:
    """A topic on a meeting's agenda, in the order staff listed them."""

    topic_id: int
    title: str
    box: str
    position: int


@dataclass(frozen=True)
class Meeting:
    """One meeting as stored, with its agenda and the photos of its minutes."""

    id: int
    title: str
    held_on: str  # Shanghai date
    starts_at: str  # "HH:MM" or ""
    venue: str
    participants: str
    minutes: str
    status: str
    cancel_reason: str
    submission_key: str | None
    created_by: int
    created_at: str
    updated_at: str
    agenda: tuple[AgendaItem, ...] = field(default=())
    photos: tuple[str, ...] = field(default=())

    @property
    def status_label(self) -> str:
        return MEETING_STATUS_LABELS[self.status]

    @property
    def is_scheduled(self) -> bool:
        return self.status == SCHEDULED

    @property
    def is_held(self) -> bool:
        return self.status == HELD

    @property
    def is_cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def minutes_text(self) -> str:
        return self.minutes if self.is_held else ""

    @property
    def when_text(self) -> str:
        """2026-11-23 19:30, or the date alone when no time was set."""
        return f"{self.held_on} {self.starts_at}".strip()

    @property
    def has_begun(self) -> bool:
        """Its day has come (Shanghai): minutes and plans may be recorded."""
        return self.held_on <= local_today().isoformat()


@dataclass(frozen=True)
class Plan:
    """One plan as stored, with its topic's and meeting's names; the cost in fen."""

    id: int
    topic_id: int
    meeting_id: int | None
    title: str
    options_discussed: str
    body: str
    cost_fen: int
    duties: str
    deadline: str | None
    owner: str
    status: str
    project_id: int | None
    done_at: str | None
    submission_key: str | None
    created_by: int
    created_at: str
    updated_at: str
    topic_title: str = ""
    meeting_title: str | None = None
    meeting_held_on: str | None = None

    @property
    def status_label(self) -> str:
        return PLAN_STATUS_LABELS[self.status]

    @property
    def is_draft(self) -> bool:
        """Still open to changes: no vote has been opened on it."""
        return self.status == DRAFT

    @property
    def cost_text(self) -> str:
        return "不需要费用" if not self.cost_fen else f"{yuan_text(self.cost_fen)} 元"


# --- reading ------------------------------------------------------------------------------



def _agenda(db: Database, meeting_ids: list[int]) -> dict[int, list[AgendaItem]]:
    found: dict[int, list[AgendaItem]] = {meeting_id: [] for meeting_id in meeting_ids}
    if not meeting_ids:
        return found
    marks = ", ".join("?" for _ in meeting_ids)  # only "?"
    for row in db.query(
            "SELECT a.meeting_id, a.topic_id, a.position, t.title, t.box FROM council_agenda a"
            " JOIN council_topics t ON t.id = a.topic_id"
            f" WHERE a.meeting_id IN ({marks}) ORDER BY a.meeting_id, a.position, a.topic_id",
            meeting_ids):
        found[row["meeting_id"]].append(AgendaItem(row["topic_id"], row["title"], row["box"],
                                                   row["position"]))
    return found


def _meetings(db: Database, where: str, params: tuple, order: str,
              limit: int | None = None) -> list[Meeting]:
    # where and order are fixed fragments written in this module, never user text
    sql = f"SELECT * FROM council_meetings WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params = (*params, limit)
    rows = list(db.query(sql, params))
    agendas = _agenda(db, [row["id"] for row in rows])
    return [Meeting(**row, agenda=tuple(agendas[row["id"]]),
                    photos=tuple(minutes_photos(db, row["id"])) if row["status"] == HELD else ())
            for row in rows]


def get_meeting(db: Database, meeting_id: object) -> Meeting:
    """One meeting in any state, with its agenda and minutes' photos; raises NotFound."""
    found = _meetings(db, "id = ?", (meeting_id,), "id") if is_row_id(meeting_id) else []
    if not found:
        raise NotFound("找不到该会议。")
    return found[0]


def minutes_photos(db: Database, meeting_id: int) -> list[str]:
    """The photo names of a meeting's minutes, in the order they were added."""
    return [row[0] for row in db.execute(
        "SELECT photo FROM council_photos WHERE kind = 'minutes' AND owner_id = ? ORDER BY id",
        (meeting_id,))]


def all_meetings(db: Database, *, limit: int = 200) -> list[Meeting]:
    """Every meeting, the latest date first (staff's picker)."""
    return _meetings(db, "1 = 1", (), "held_on DESC, id DESC", limit)


def upcoming_meetings(db: Database, *, limit: int = 20) -> list[Meeting]:
    """Meetings still to be held (today's included), soonest first."""
    return _meetings(db, "status = 'scheduled' AND held_on >= ?", (local_today().isoformat(),),
                     "held_on, starts_at, id", limit)


def past_meetings(db: Database, *, limit: int = 20) -> list[Meeting]:
    """Meetings held, cancelled, or whose day has passed, the latest first."""
    return _meetings(db, "status != 'scheduled' OR held_on < ?", (local_today().isoformat(),),
                     "held_on DESC, starts_at DESC, id DESC", limit)


def meetings_of_topic(db: Database, topic_id: int) -> list[Meeting]:
    """The meetings with this topic on their agenda, the latest first."""
    return _meetings(db, "id IN (SELECT meeting_id FROM council_agenda WHERE topic_id = ?)",
                     (topic_id,), "held_on DESC, id DESC")


def previous_meeting(db: Database, meeting: Meeting) -> Meeting | None:
    """The last meeting held before this one (by date, then by id): the round it follows up."""
    found = _meetings(db, "status = 'held' AND (held_on < ? OR (held_on = ? AND id < ?))",
                      (meeting.held_on, meeting.held_on, meeting.id),
                      "held_on DESC, id DESC", 1)
    return found[0] if found else None


_PLAN_SELECT = """
    SELECT p.*, t.title AS topic_title, m.title AS meeting_title, m.held_on AS meeting_held_on
    FROM council_plans p JOIN council_topics t ON t.id = p.topic_id
    LEFT JOIN council_meetings m ON m.id = p.meeting_id
"""


def get_plan(db: Database, plan_id: object) -> Plan:
    """One plan in any state with its topic's and meeting's names; raises NotFound."""
    row = one(db, _PLAN_SELECT + " WHERE p.id = ?", (plan_id,)) if is_row_id(plan_id) else None
    if row is None:
        raise NotFound("找不到该方案。")
    return Plan(**row)


def plans_of_topic(db: Database, topic_id: int) -> list[Plan]:
    """A topic's plans, the newest first."""
    return [Plan(**row) for row in db.query(_PLAN_SELECT + " WHERE p.topic_id = ?"
                                            " ORDER BY p.id DESC", (topic_id,))]


def plans_of_meeting(db: Database, meeting_id: int) -> list[Plan]:
    """The plans a meeting agreed, in the order they were recorded."""
    return [Plan(**row) for row in db.query(_PLAN_SELECT + " WHERE p.meeting_id = ?"
                                            " ORDER BY p.id", (meeting_id,))]


# --- checking what staff typed ------------------------------------------------------------


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _line(values: dict, name: str, what: str, most: int, errors: dict[str, str], *,
          required: bool = True, example: str = "") -> str:
    text = _text(values.get(name))
    if required and not text:
        errors[name] = f"请填写{what}{example}。"
    elif len(text) > most:
        errors[name] = f"{what}不能超过 {most} 个字。"
    return text


def _clock(value: object) -> str | None:
    """The time as HH:MM from a time or what was typed (full-width digits too); "" when none
    was given, None when it is not a time of day."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    text = _text(value).translate(_FULL_WIDTH)
    if not text:
        return ""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _check_meeting(values: dict, *, old: Meeting | None = None) -> dict[str, object]:
    """Checked columns for the fields given; a date that stays as it was is not re-checked."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    if "title" in values:
        out["title"] = _line(values, "title", "会议名称", TITLE_MAX, errors,
                             example="，例如 11月院落议事会")
    if "held_on" in values:
        day = as_day(values["held_on"])
        if day is None:
            errors["held_on"] = "请选择会议日期。"
        else:
            out["held_on"] = day.isoformat()
            moved = old is None or out["held_on"] != old.held_on
            if moved and (problem := not_a_day_ahead(day, "会议日期")):
                errors["held_on"] = problem
    if "starts_at" in values:
        clock = _clock(values["starts_at"])
        if clock is None:
            errors["starts_at"] = "开始时间请写成 时:分，例如 19:30。"
        out["starts_at"] = clock
    if "venue" in values:
        out["venue"] = _line(values, "venue", "会议地点", VENUE_MAX, errors,
                             example="，例如 社区活动室")
    if "participants" in values:
        out["participants"] = _line(values, "participants", "参会人员", PARTICIPANTS_MAX, errors,
                                    required=False)
    if "topic_ids" in values:
        ids = values["topic_ids"]
        if not isinstance(ids, (list, tuple)) or not all(is_row_id(i) for i in ids):
            errors["topic_ids"] = "请选择要讨论的议题。"
            ids = []
        ids = list(dict.fromkeys(ids))
        if not ids and "topic_ids" not in errors:
            errors["topic_ids"] = "请至少选择一个要讨论的议题。"
        elif len(ids) > AGENDA_MAX:
            errors["topic_ids"] = f"一次会议最多讨论 {AGENDA_MAX} 个议题。"
        out["topic_ids"] = ids
    if errors:
        raise ValidationError(errors)
    return out


def _check_topics(db: Database, topic_ids: list[int]) -> None:
    """Every topic exists and was not declined (不予议事 means it is not discussed)."""
    for topic_id in topic_ids:
        box = scalar(db, "SELECT box FROM council_topics WHERE id = ?", (topic_id,))
        if box is None:
            raise ValidationError({"topic_ids": "所选议题不存在，请刷新后重新选择。"})
        if box == "declined":
            title = scalar(db, "SELECT title FROM council_topics WHERE id = ?", (topic_id,))
            raise ValidationError({"topic_ids": f"议题“{title}”已不予议事，不能列入议程。"})


def _key(key: object) -> str:
    """A submission's idempotency key: a repeat (double tap, rerun) finds the first write."""
    if not _text(key):
        raise ValueError("a write that could be repeated needs a submission key")
    return _text(key)


def _done_before(db: Database, action: str, actor: User, key: object) -> str | None:
    """The target of this actor's earlier write with ``key`` (a double tap), if any.

    For the minutes, which update their meeting instead of adding a row to carry the key.
    """
    _key(key)  # refuses an empty key
    needle = json.dumps({"key": key}, ensure_ascii=False)[1:-1]  # '"key": "…"' as record writes it
    return scalar(db, "SELECT target_id FROM audit_log WHERE at >= ? AND action = ?"
                      " AND actor_id = ? AND instr(detail, ?) > 0 ORDER BY id LIMIT 1",
                  (to_iso(utc_now() - KEY_WINDOW), action, actor.id, needle))


# --- meetings -----------------------------------------------------------------------------


def schedule(db: Database, actor: User, *, title: str, held_on: object, starts_at: object,
             venue: str, participants: str, topic_ids: list[int], key: str) -> int:
    """Schedule a meeting (staff and up) with its agenda; returns the meeting's id.

    The date is today or later. Repeating ``key`` returns the first meeting instead of a second.
    Raises PermissionDenied or ValidationError; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    values = _check_meeting({"title": title, "held_on": held_on, "starts_at": starts_at,
                             "venue": venue, "participants": participants,
                             "topic_ids": topic_ids})
    key = _key(key)
    with immediate(db):
        earlier = scalar(db, "SELECT id FROM council_meetings WHERE submission_key = ?", (key,))
        if earlier is not None:
            return int(earlier)
        _check_topics(db, values["topic_ids"])
        now = now_iso()
        meeting_id = db.execute(
            "INSERT INTO council_meetings (title, held_on, starts_at, venue, participants,"
            " status, submission_key, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?)",
            (values["title"], values["held_on"], values["starts_at"], values["venue"],
             values["participants"], key, actor.id, now, now)).lastrowid
        _set_agenda(db, meeting_id, values["topic_ids"])
        audit.record(db, actor.id, "council.meeting_schedule", "council_meeting", meeting_id,
                     title=values["title"], held_on=values["held_on"], venue=values["venue"],
                     topics=len(values["topic_ids"]), key=key)
    return meeting_id


def _set_agenda(db: Database, meeting_id: int, topic_ids: list[int]) -> None:
    db.execute("DELETE FROM council_agenda WHERE meeting_id = ?", (meeting_id,))
    for position, topic_id in enumerate(topic_ids, start=1):
        db.execute("INSERT INTO council_agenda (meeting_id, topic_id, position) VALUES (?, ?, ?)",
                   (meeting_id, topic_id, position))


_MEETING_FIELDS = ("title", "held_on", "starts_at", "venue", "participants", "topic_ids")


def update(db: Database, actor: User, *, meeting_id: int, **fields: object) -> Meeting:
    """Change a scheduled meeting (staff and up); only the fields given change.

    ``fields`` are schedule's (title, held_on, starts_at, venue, participants, topic_ids). A
    topic whose plan this meeting recorded stays on its agenda. Raises PermissionDenied,
    NotFound or ValidationError; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    unknown = set(fields) - set(_MEETING_FIELDS)
    if unknown:
        raise TypeError(f"update() got unexpected fields {sorted(unknown)}")
    old = get_meeting(db, meeting_id)
    values = _check_meeting(fields, old=old)
    with immediate(db):
        old = get_meeting(db, meeting_id)
        if not old.is_scheduled:
            raise ValidationError(f"{old.status_label}的会议不能修改。")
        changed: dict[str, object] = {name: value for name, value in values.items()
                                      if name != "topic_ids" and getattr(old, name) != value}
        if "held_on" in changed and scalar(db, "SELECT 1 FROM council_plans WHERE meeting_id = ?",
                                           (old.id,)):
            raise ValidationError({"held_on": "本次会议已记录方案，不能再改日期。"})
        new_ids = values.get("topic_ids")
        agenda_changed = new_ids is not None and new_ids != [item.topic_id for item in old.agenda]
        if agenda_changed:
            _check_topics(db, new_ids)
            kept = scalar(db, "SELECT t.title FROM council_plans p JOIN council_topics t"
                              " ON t.id = p.topic_id WHERE p.meeting_id = ? AND p.topic_id"
                              " NOT IN (SELECT value FROM json_each(?)) LIMIT 1",
                          (old.id, json.dumps(new_ids)))
            if kept is not None:
                raise ValidationError({"topic_ids": f"议题“{kept}”在本次会议已有方案，"
                                                    "不能移出议程。"})
        if not changed and not agenda_changed:
            return old
        assignments = "".join(f"{name} = ?, " for name in changed)  # names from _MEETING_FIELDS
        db.execute(f"UPDATE council_meetings SET {assignments}updated_at = ? WHERE id = ?",
                   (*changed.values(), now_iso(), old.id))
        if agenda_changed:
            _set_agenda(db, old.id, new_ids)
        audit.record(db, actor.id, "council.meeting_edit", "council_meeting", old.id,
                     title=changed.get("title", old.title),
                     old={name: getattr(old, name) for name in changed},
                     topics=len(new_ids) if agenda_changed else "")
    return get_meeting(db, meeting_id)


def cancel(db: Database, actor: User, *, meeting_id: int, reason: str) -> Meeting:
    """Call off a scheduled meeting with a reason residents will read (staff and up).

    Cancelling one already cancelled is a no-op. A held meeting, or one that already recorded
    a plan, cannot be cancelled. Raises PermissionDenied, NotFound or ValidationError.
    """
    require_role(actor, STAFF)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": "请填写取消原因，居民会在会议页看到。"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"取消原因不能超过 {REASON_MAX} 个字。"})
    with immediate(db):
        meeting = get_meeting(db, meeting_id)
        if meeting.is_cancelled:
            return meeting
        if meeting.is_held:
            raise ValidationError("会议已经召开，不能取消。")
        if scalar(db, "SELECT 1 FROM council_plans WHERE meeting_id = ?", (meeting.id,)):
            raise ValidationError("本次会议已记录方案，不能取消。")
        db.execute("UPDATE council_meetings SET status = 'cancelled', cancel_reason = ?,"
                   " updated_at = ? WHERE id = ?", (reason, now_iso(), meeting.id))
        audit.record(db, actor.id, "council.meeting_cancel", "council_meeting", meeting.id,
                     title=meeting.title, reason=reason)
    return get_meeting(db, meeting_id)


def record_minutes(db: Database, actor: User, *, data_dir: Path | None, meeting_id: int,
                   minutes: str, photos: list[bytes] | tuple[bytes, ...] = (),
                   key: str) -> Meeting:
    """Record (or amend) a meeting's minutes with photos; the meeting is then 已召开.

    Not before the meeting's day, never for a cancelled one; at most MINUTES_PHOTOS_MAX photos
    in all. Repeating ``key`` stores nothing more. Raises PermissionDenied, NotFound,
    ValidationError or PhotoRejected; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    minutes = _text(minutes)
    if not minutes:
        raise ValidationError({"minutes": "请填写会议纪要：谁参加了、讨论了什么、议定了什么。"})
    if len(minutes) > MINUTES_MAX:
        raise ValidationError({"minutes": f"会议纪要不能超过 {MINUTES_MAX} 个字。"})
    shots = [shot for shot in photos or () if shot]
    with immediate(db):  # refuse before any photo is processed and stored
        if _done_before(db, "council.meeting_minutes", actor, key) is not None:
            return get_meeting(db, meeting_id)
        _minutes_allowed(get_meeting(db, meeting_id), len(shots))
    stored = _keep(shots, data_dir)
    try:
        with immediate(db):
            if _done_before(db, "council.meeting_minutes", actor, key) is not None:
                _drop(stored, data_dir)
                return get_meeting(db, meeting_id)
            meeting = get_meeting(db, meeting_id)
            _minutes_allowed(meeting, len(stored))
            now = now_iso()
            for name in stored:
                db.execute("INSERT INTO council_photos (kind, owner_id, photo, created_at)"
                           " VALUES ('minutes', ?, ?, ?)", (meeting.id, name, now))
            db.execute("UPDATE council_meetings SET minutes = ?, status = 'held', updated_at = ?"
                       " WHERE id = ?", (minutes, now, meeting.id))
            audit.record(db, actor.id, "council.meeting_minutes", "council_meeting", meeting.id,
                         title=meeting.title, photos=len(stored),
                         amended="是" if meeting.is_held else "", key=key)
    except BaseException:
        _drop(stored, data_dir)
        raise
    return get_meeting(db, meeting_id)


def _minutes_allowed(meeting: Meeting, new_photos: int) -> None:
    if meeting.is_cancelled:
        raise ValidationError("会议已取消，不能记录纪要。")
    if not meeting.has_begun:
        raise ValidationError({"minutes": f"会议定在 {meeting.held_on}，还没召开，不能提前记录纪要。"})
    if len(meeting.photos) + new_photos > MINUTES_PHOTOS_MAX:
        left = MINUTES_PHOTOS_MAX - len(meeting.photos)
        raise ValidationError({"photos": f"纪要照片最多 {MINUTES_PHOTOS_MAX} 张，"
                                         f"还可以再传 {max(left, 0)} 张。"})


def _keep(uploads: list[bytes], data_dir: Path | None) -> list[str]:
    """Check and store each upload; a refusal removes those already stored."""
    stored: list[str] = []
    try:
        for upload in uploads:
            if data_dir is None:
                raise ValueError("a photo needs the data directory to be stored in")
            stored.append(photos.store(data_dir, photos.process_photo(upload)))
    except BaseException:
        _drop(stored, data_dir)
        raise
    return stored


def _drop(names: list[str], data_dir: Path | None) -> None:
    for name in names:
        if data_dir is not None:
            photos.delete(data_dir, name)


# --- plans --------------------------------------------------------------------------------


_PLAN_FIELDS = ("title", "options_discussed", "body", "cost", "duties", "deadline", "owner")


def _check_plan(values: dict, *, meeting_day: str | None,
                old: Plan | None = None) -> dict[str, object]:
    """Checked columns for the fields given. The deadline comes after the meeting that agreed
    it and is not already past, unless it stays as it was."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    if "title" in values:
        out["title"] = _line(values, "title", "方案名称", PLAN_TITLE_MAX, errors,
                             example="，例如 大门加装雨棚")
    if "options_discussed" in values:
        out["options_discussed"] = _line(values, "options_discussed", "讨论过的方案",
                                         OPTIONS_MAX, errors, required=False)
    if "body" in values:
        out["body"] = _line(values, "body", "议定的方案内容", BODY_MAX, errors)
    if "cost" in values:
        cost = values["cost"]
        if _text(cost) == "" and not isinstance(cost, int):
            errors["cost"] = "请填写预计费用（元，不需要花钱填 0）。"
        else:
            try:
                out["cost_fen"] = parse_yuan(cost, field="cost", low_fen=0,
                                             high_fen=COST_MAX_FEN)
            except ValidationError as error:
                errors["cost"] = f"预计费用：{error.fields['cost']}"
    if "duties" in values:
        out["duties"] = _line(values, "duties", "分工（谁做什么）", DUTIES_MAX, errors,
                              example="，例如 物业负责施工，楼栋长监督")
    if "owner" in values:
        out["owner"] = _line(values, "owner", "负责人", OWNER_MAX, errors,
                             example="，例如 物业公司 或 楼栋长")
    if "deadline" in values:
        day = as_day(values["deadline"])
        if day is None:
            errors["deadline"] = "请选择完成期限。"
        else:
            out["deadline"] = day.isoformat()
            if old is None or out["deadline"] != old.deadline:
                if meeting_day and out["deadline"] < meeting_day:
                    errors["deadline"] = f"完成期限不能早于开会的日子（{meeting_day}）。"
                elif problem := not_a_day_ahead(day, "完成期限"):
                    errors["deadline"] = problem
    if errors:
        raise ValidationError(errors)
    return out


def _plan_meeting(db: Database, topic_id: int, meeting_id: int | None) -> Meeting | None:
    """The meeting a new plan is recorded at: held or its day come, with the topic on its agenda."""
    box = scalar(db, "SELECT box FROM council_topics WHERE id = ?", (topic_id,)) \
        if is_row_id(topic_id) else None
    if box is None:
        raise NotFound("找不到该议题。")
    if box == "declined":
        raise ValidationError("该议题已不予议事，不能记录方案。")
    if meeting_id is None:
        return None
    meeting = get_meeting(db, meeting_id)
    if meeting.is_cancelled:
        raise ValidationError({"meeting_id": "会议已取消，不能记录方案。"})
    if not meeting.has_begun:
        raise ValidationError({"meeting_id": f"会议定在 {meeting.held_on}，还没召开，"
                                             "不能提前记录方案。"})
    if topic_id not in [item.topic_id for item in meeting.agenda]:
        raise ValidationError({"meeting_id": "该议题不在这次会议的议程上。"})
    return meeting


def record_plan(db: Database, actor: User, *, topic_id: int, meeting_id: int | None,
                title: str, options_discussed: str, body: str, cost: object, duties: str,
                deadline: object, owner: str, key: str) -> int:
    """Record the plan a meeting agreed for a topic (staff and up); returns its id (待表决).

    ``cost`` is yuan as typed ("12000", "0"). Repeating ``key`` returns the first plan.
    Raises PermissionDenied, NotFound or ValidationError; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    meeting = _plan_meeting(db, topic_id, meeting_id)
    values = _check_plan({"title": title, "options_discussed": options_discussed,
                          "body": body, "cost": cost, "duties": duties, "deadline": deadline,
                          "owner": owner},
                         meeting_day=meeting.held_on if meeting else None)
    key = _key(key)
    with immediate(db):
        earlier = scalar(db, "SELECT id FROM council_plans WHERE submission_key = ?", (key,))
        if earlier is not None:
            return int(earlier)
        meeting = _plan_meeting(db, topic_id, meeting_id)
        now = now_iso()
        plan_id = db.execute(
            "INSERT INTO council_plans (topic_id, meeting_id, title, options_discussed, body,"
            " cost_fen, duties, deadline, owner, status, submission_key, created_by, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
            (topic_id, meeting.id if meeting else None, values["title"],
             values["options_discussed"], values["body"], values["cost_fen"], values["duties"],
             values["deadline"], values["owner"], key, actor.id, now, now)).lastrowid
        audit.record(db, actor.id, "council.plan_record", "council_plan", plan_id,
                     title=values["title"], topic=topic_id,
                     meeting=meeting.id if meeting else "", yuan=yuan_text(values["cost_fen"]),
                     deadline=values["deadline"], key=key)
    return plan_id


def update_plan(db: Database, actor: User, *, plan_id: int, **fields: object) -> Plan:
    """Change a draft plan (staff and up); only the fields given change.

    ``fields`` are record_plan's (title, options_discussed, body, cost, duties, deadline,
    owner). Once a vote is opened the plan is what residents vote on and stays as it is.
    Raises PermissionDenied, NotFound or ValidationError; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    unknown = set(fields) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"update_plan() got unexpected fields {sorted(unknown)}")
    old = get_plan(db, plan_id)
    meeting = get_meeting(db, old.meeting_id) if old.meeting_id else None
    values = _check_plan(fields, meeting_day=meeting.held_on if meeting else None, old=old)
    with immediate(db):
        old = get_plan(db, plan_id)
        if not old.is_draft:
            raise ValidationError(f"方案{old.status_label}，表决开始后不能再修改。")
        changed = {name: value for name, value in values.items() if getattr(old, name) != value}
        if not changed:
            return old
        assignments = ", ".join(f"{name} = ?" for name in changed)  # names from _check_plan
        db.execute(f"UPDATE council_plans SET {assignments}, updated_at = ? WHERE id = ?",
                   (*changed.values(), now_iso(), old.id))
        audit.record(db, actor.id, "council.plan_edit", "council_plan", old.id,
                     title=changed.get("title", old.title),
                     old={name: getattr(old, name) for name in changed})
    return get_plan(db, plan_id)
