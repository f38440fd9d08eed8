"""议题收集: residents propose topics and support them; staff sort the board into four boxes.

Who may do what (checked here, never only by hiding a page):

=====================  ====================================================================
actor                  may
=====================  ====================================================================
guest                  read the board and each topic.
unverified account     read; proposing and supporting wait until the household is verified
                       (一户一票 starts here: a topic speaks for a household of the compound).
verified resident      propose a topic (any role with a verified household), support or
                       withdraw support (once per person, repeats change nothing).
staff, admin           sort topics into the boxes (不予议事 needs a reason), and turn a 随手拍
                       report into a topic (one topic per report).
=====================  ====================================================================
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.people import org
from lib.people.users import mask_name


NEW, URGENT_IMPORTANT, WATCH, IMPORTANT_SLOW, RESOLVED, DECLINED = (
    "new", "urgent_important", "watch", "important_slow", "resolved", "declined")
BOX_LABELS = {
    NEW: "待分类",
    URGENT_IMPORTANT: "紧急且重要",
    WATCH: "目前需要关注",
    IMPORTANT_SLOW: "重要但需要时间",
    RESOLVED: "已协商解决",
    DECLINED: "不予议事",
}
BOARD_BOXES = (URGENT_IMPORTANT, WATCH, IMPORTANT_SLOW, RESOLVED)  # the seeds' four, in order
CLOSED_BOXES = (RESOLVED, DECLINED)  # no more support: settled, or not for the council

TITLE_MAX = 40  # one line on a phone card
BODY_MAX = 1000
PLACE_NOTE_MAX = 50
BOX_NOTE_MAX = 200
WHOLE_COMPOUND = "全小区"
FROM_REPORT = "随手拍转入"
NOT_VERIFIED = ("住户核实后才能参与议事：请在“我的账户”中提交楼栋和房号，等待微网格长核实。")


@dataclass(frozen=True)
class Topic:
    """A topic as the board and its page show it: the row plus place, support and proposer."""

    id: int
    title: str
    body: str
    place_id: int | None
    place_note: str
    photo: str | None
    box: str
    box_note: str
    report_id: int | None
    proposed_by: int | None
    household_id: int | None
    created_at: str
    updated_at: str
    sorted_by: int | None
    sorted_at: str | None
    place_label: str
    supporters: int
    proposer: str

    @property
    def box_label(self) -> str:
        return BOX_LABELS[self.box]

    @property
    def is_open(self) -> bool:
        """Still taking support: neither settled nor declined."""
        return self.box not in CLOSED_BOXES


_TOPIC_SELECT = """
SELECT t.id, t.title, t.body, t.place_id, t.place_note, t.photo, t.box, t.box_note, t.report_id,
       t.proposed_by, t.household_id, t.created_at, t.updated_at, t.sorted_by, t.sorted_at,
       places.name AS place_name, places.code AS place_code,
       (SELECT COUNT(*) FROM council_support s WHERE s.topic_id = t.id) AS supporters,
       u.display_name AS proposer_name, u.show_name_publicly AS proposer_public
FROM council_topics t
LEFT JOIN places ON places.id = t.place_id
LEFT JOIN users u ON u.id = t.proposed_by
"""


def _topic(row: dict) -> Topic:
    row = dict(row)
    name, code = row.pop("place_name"), row.pop("place_code")
    proposer_name, public = row.pop("proposer_name"), row.pop("proposer_public")
    if row["report_id"] is not None:
        proposer = FROM_REPORT
    elif proposer_name is None:
        proposer = "居民"
    else:
        proposer = proposer_name if public else mask_name(proposer_name)
    return Topic(**row, place_label=f"{name}（{code}）" if code else WHOLE_COMPOUND,
                 proposer=proposer)


def get_topic(db: Database, topic_id: object) -> Topic:
    """One topic; NotFound ("找不到该议题。") for an unknown or malformed id."""
    try:
        wanted = int(topic_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NotFound("找不到该议题。") from None
    row = one(db, _TOPIC_SELECT + " WHERE t.id = ?", (wanted,))
    if row is None:
        raise NotFound("找不到该议题。")
    return _topic(row)


def board(db: Database) -> dict[str, list[Topic]]:
    """Every box (the four, 待分类 and 不予议事) with its topics, most supported first.

    待分类 lists the newest first (staff sort them in turn); 已协商解决 the latest settled first.
    """
    boxes: dict[str, list[Topic]] = {box: [] for box in BOX_LABELS}
    for row in db.query(_TOPIC_SELECT + " ORDER BY t.id DESC"):
        topic = _topic(row)
        boxes[topic.box].append(topic)
    for box, topics in boxes.items():
        if box == NEW:
            continue
        if box in CLOSED_BOXES:
            topics.sort(key=lambda t: t.sorted_at or "", reverse=True)
        else:
            topics.sort(key=lambda t: t.supporters, reverse=True)  # stable: newest first on ties
    return boxes


def supported_ids(db: Database, user: User) -> set[int]:
    """The topics this person supports (none for a guest)."""
    if user.is_guest:
        return set()
    return {row[0] for row in db.execute(
        "SELECT topic_id FROM council_support WHERE user_id = ?", (user.id,))}


def is_verified_resident(db: Database, user: User) -> bool:
    """An enabled account (any role) whose household is verified, re-read from the database."""
    if user is None or user.is_guest:
        return False
    row = db.execute("SELECT disabled, household_status, household_id FROM users WHERE id = ?",
                     (user.id,)).fetchone()
    return bool(row) and not row[0] and row[1] == "verified" and row[2] is not None


def require_verified(db: Database, actor: User) -> int:
    """The actor's verified household id; PermissionDenied in Chinese for anyone else."""
    if actor is None or actor.is_guest:
        raise PermissionDenied("请先登录。")
    if not is_verified_resident(db, actor):
        raise PermissionDenied(NOT_VERIFIED)
    return scalar(db, "SELECT household_id FROM users WHERE id = ?", (actor.id,))


def _check_text(value: object, field: str, what: str, limit: int, *, errors: dict[str, str],
                required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = f"请填写{what}。"
    elif len(text) > limit:
        errors[field] = f"{what}最多 {limit} 个字，现在是 {len(text)} 个字。"
    return text


def check_topic(title: object, body: object, place_id: object, place_note: object,
                db: Database) -> tuple[str, str, int | None, str]:
    """A topic's fields cleaned, or ValidationError naming every bad field in Chinese."""
    errors: dict[str, str] = {}
    title = _check_text(title, "title", "议题标题", TITLE_MAX, required=True, errors=errors)
    body = _check_text(body, "body", "议题说明", BODY_MAX, required=True, errors=errors)
    note = _check_text(place_note, "place_note", "具体位置", PLACE_NOTE_MAX, errors=errors)
    place: int | None = None
    if place_id is not None:
        try:
            found = org.place_by_id(db, int(place_id))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            found = None
        if found is None:
            errors["place_id"] = "找不到这个楼栋或地点，请重新选择。"
        else:
            place = found.id
    if errors:
        raise ValidationError(errors)
    return title, body, place, note  # type: ignore[return-value]


def _check_key(key: object) -> str:
    key = str(key or "").strip()
    if not key:
        raise ValidationError({"key": "缺少操作编号，请刷新页面后重试。"})
    return key


def _by_key(db: Database, key: str) -> int | None:
    return scalar(db, "SELECT id FROM council_topics WHERE submission_key = ?", (key,))


def propose(db: Database, actor: User, *, data_dir: Path | None, title: str, body: str,
            place_id: int | None = None, place_note: str = "", photo: bytes | None = None,
            key: str) -> int:
    """A verified resident proposes a topic (box 待分类); returns its id.

    The photo, if any, goes through the photo pipeline and is removed again if nothing is
    saved. Repeating ``key`` returns the first topic. Raises PermissionDenied (guest,
    unverified), ValidationError (empty or too long title/body, unknown place), PhotoRejected.
    """
    require_verified(db, actor)  # before a photo is processed or a key looked up
    key = _check_key(key)
    existing = _by_key(db, key)
    if existing is not None:
        return existing
    title, body, place, note = check_topic(title, body, place_id, place_note, db)
    name = photos.store(data_dir, photos.process_photo(photo)) if photo else None  # type: ignore[arg-type]
    try:
        with immediate(db):
            again = _by_key(db, key)  # a double tap that waited for the lock
            if again is not None:
                _forget(data_dir, name)
                return again
            household_id = require_verified(db, actor)  # unverified while waiting: refused
            now = now_iso()
            topic_id = db.execute(
                "INSERT INTO council_topics (title, body, place_id, place_note, photo,"
                " proposed_by, household_id, submission_key, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (title, body, place, note, name, actor.id, household_id, key, now, now)).lastrowid
            audit.record(db, actor.id, "council.topic_propose", "council_topic", topic_id,
                         topic=title, photo=bool(name))
    except BaseException:
        _forget(data_dir, name)
        raise
    return topic_id


def _forget(data_dir: Path | None, name: str | None) -> None:
    if name is not None:
        photos.delete(data_dir, name)  # type: ignore[arg-type]


def topic_for_report(db: Database, report_id: int) -> int | None:
    """The topic a report became, if any."""
    return scalar(db, "SELECT id FROM council_topics WHERE report_id = ?", (report_id,))


_REPORT_SELECT = (
    "SELECT r.id, r.description, r.status, r.created_at, r.metoo_count,"
    " c.name AS category, p.name AS place_name, p.code AS place_code"
    " FROM reports r JOIN report_categories c ON c.id = r.category_id"
    " JOIN places p ON p.id = r.place_id")


def recent_reports(db: Database, *, limit: int = 30) -> list[dict]:
    """随手拍 reports not yet turned into a topic, newest first: staff pick one to discuss.

    Duplicates and rejected reports are left out: they are answered on the wall already.
    """
    return list(db.query(
        _REPORT_SELECT + " WHERE r.duplicate_of IS NULL AND r.status != 'rejected'"
        " AND NOT EXISTS (SELECT 1 FROM council_topics t WHERE t.report_id = r.id)"
        " ORDER BY r.id DESC LIMIT ?", (limit,)))


def report_summary(db: Database, report_id: object) -> dict | None:
    """One report as the picker shows it (a report handled a while ago, linked from its page)."""
    try:
        wanted = int(report_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return one(db, _REPORT_SELECT + " WHERE r.id = ?", (wanted,))


def from_report(db: Database, actor: User, *, report_id: int, title: str = "",
                box: str = NEW) -> int:
    """Staff turn a 随手拍 report into a topic; returns the topic's id.

    The topic copies the report's place, its text and its first photo (the photo file is
    shared: photos_in_use counts it for both). One topic per report: a repeat (a double tap,
    or another staff member at the same time) returns the topic made first and writes nothing.
    ``title`` defaults to the category and place. Raises PermissionDenied, NotFound,
    ValidationError (a too-long title, an unknown box).
    """
    require_role(actor, STAFF)
    if box not in BOX_LABELS or box == DECLINED:
        raise ValidationError({"box": "请选择议题的分类。"})
    report = one(db, "SELECT r.id, r.place_id, r.description, c.name AS category,"
                     " p.name AS place_name"  # a report always has a place
                     " FROM reports r JOIN report_categories c ON c.id = r.category_id"
                     " JOIN places p ON p.id = r.place_id WHERE r.id = ?", (report_id,))
    if report is None:
        raise NotFound("找不到这条随手拍。")
    existing = topic_for_report(db, report["id"])
    if existing is not None:
        return existing
    default_title = f"{report['category']}（{report['place_name']}）"
    title = str(title or "").strip() or default_title[:TITLE_MAX]
    errors: dict[str, str] = {}
    _check_text(title, "title", "议题标题", TITLE_MAX, errors=errors)  # the default fills it
    if errors:
        raise ValidationError(errors)
    body = (report["description"].strip() or "（随手拍未填写文字）")[:BODY_MAX]
    photo = scalar(db, "SELECT name FROM report_photos WHERE report_id = ?"
                       " ORDER BY stage = 'after', id LIMIT 1", (report["id"],))
    try:
        with immediate(db):  # a repeat meanwhile hits the unique report index
            now = now_iso()
            sorted_by, sorted_at = (None, None) if box == NEW else (actor.id, now)
            topic_id = db.execute(
                "INSERT INTO council_topics (title, body, place_id, photo, box, report_id,"
                " proposed_by, submission_key, created_at, updated_at, sorted_by, sorted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (title, body, report["place_id"], photo, box, report["id"], actor.id,
                 f"report:{report['id']}", now, now, sorted_by, sorted_at)).lastrowid
            audit.record(db, actor.id, "council.topic_from_report", "council_topic", topic_id,
                         report=report["id"], topic=title)
    except sqlite3.IntegrityError:
        again = topic_for_report(db, report["id"])  # the unique index's last line of defence
        if again is None:
            raise
        return again
    return topic_id


def support(db: Database, actor: User, *, topic_id: int) -> bool:
    """A verified resident supports an open topic; True if this added support (repeats: False).

    Raises PermissionDenied (guest, unverified), NotFound, ValidationError (settled/declined).
    """
    require_verified(db, actor)
    topic = get_topic(db, topic_id)
    with immediate(db):
        box = scalar(db, "SELECT box FROM council_topics WHERE id = ?", (topic.id,))
        if box in CLOSED_BOXES:
            raise ValidationError({"topic": f"该议题{BOX_LABELS[box]}，不再征集支持。"})
        added = db.execute(
            "INSERT OR IGNORE INTO council_support (topic_id, user_id, created_at)"
            " VALUES (?, ?, ?)", (topic.id, actor.id, now_iso())).rowcount == 1
        if added:
            audit.record(db, actor.id, "council.topic_support", "council_topic", topic.id)
    return added


def unsupport(db: Database, actor: User, *, topic_id: int) -> bool:
    """Withdraw one's support; True if there was support to withdraw (repeats: False)."""
    require_verified(db, actor)
    topic = get_topic(db, topic_id)
    with immediate(db):
        removed = db.execute("DELETE FROM council_support WHERE topic_id = ? AND user_id = ?",
                             (topic.id, actor.id)).rowcount == 1
        if removed:
            audit.record(db, actor.id, "council.topic_unsupport", "council_topic", topic.id)
    return removed


def sort(db: Database, actor: User, *, topic_id: int, box: str, note: str = "") -> Topic:
    """Staff put a topic into a box (back to 待分类 too); 不予议事 needs a reason.

    ``note`` is shown on the topic's page (why it is urgent, why it was declined). Sorting into
    the box it is already in with the same note changes nothing. Raises PermissionDenied,
    NotFound, ValidationError.
    """
    require_role(actor, STAFF)
    if box not in BOX_LABELS:
        raise ValidationError({"box": "请选择议题的分类。"})
    errors: dict[str, str] = {}
    note = _check_text(note, "note", "说明", BOX_NOTE_MAX, required=box == DECLINED,
                       errors=errors)
    if box == DECLINED and "note" in errors and not note:
        errors["note"] = "不予议事时请写明理由，居民会在议题页看到。"
    if errors:
        raise ValidationError(errors)
    topic = get_topic(db, topic_id)
    with immediate(db):
        before = one(db, "SELECT box, box_note FROM council_topics WHERE id = ?", (topic.id,))
        if before is not None and (before["box"], before["box_note"]) != (box, note):
            now = now_iso()
            db.execute("UPDATE council_topics SET box = ?, box_note = ?, sorted_by = ?,"
                       " sorted_at = ?, updated_at = ? WHERE id = ?",
                       (box, note, actor.id, now, now, topic.id))
            audit.record(db, actor.id, "council.topic_sort", "council_topic", topic.id,
                         box=BOX_LABELS[box], before=BOX_LABELS[before["box"]], note=note)
    return get_topic(db, topic.id)


def photos_in_use(db: Database) -> set[str]:
    """Every photo file 议事 refers to: topics' photos and the minutes' and updates' photos."""
    names = {row[0] for row in db.execute(
        "SELECT photo FROM council_topics WHERE photo IS NOT NULL")}
    names |= {row[0] for row in db.execute("SELECT photo FROM council_photos")}
    return names
