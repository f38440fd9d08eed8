"""随手拍 reports: filing with photos, +1, the handling lifecycle, confirmation and rating.

Every write validates, checks the actor's role, runs in one transaction, records a timeline
event and returns plain data. Illegal transitions are refused here, not only hidden in pages.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos, rules
from lib.core.clock import SHANGHAI, now_iso, to_iso, utc_now
from lib.core.db import immediate, one, scalar
from lib.core.errors import (
    InvalidTransition, NotFound, PermissionDenied, RateLimited, ValidationError,
)
from lib.core.roles import STAFF, User, require_role
from lib.people.accounts import validate_mobile
from lib.points import ledger


PENDING, ACCEPTED, IN_PROGRESS = "pending", "accepted", "in_progress"
RESOLVED, REJECTED, TRANSFERRED = "resolved", "rejected", "transferred"
STATUS_LABELS = {PENDING: "待受理", ACCEPTED: "已受理", IN_PROGRESS: "处理中",
                 RESOLVED: "已办结", REJECTED: "不予受理", TRANSFERRED: "已转交"}
OPEN_STATUSES = (PENDING, ACCEPTED, IN_PROGRESS)
# The one table of moves staff may make. A resolved report is closed for staff: only the
# reporter's "未解决" (confirm(solved=False), once) reopens it, through REOPEN below.
TRANSITIONS = {
    PENDING: {ACCEPTED, REJECTED, TRANSFERRED},
    ACCEPTED: {IN_PROGRESS, RESOLVED, REJECTED, TRANSFERRED},
    IN_PROGRESS: {RESOLVED},
    RESOLVED: set(),
    REJECTED: set(),
    TRANSFERRED: set(),
}
REOPEN = (RESOLVED, IN_PROGRESS)
REJECT_REASONS = {"duplicate": "重复", "insufficient": "信息不足", "not_ours": "不属于社区职责"}
DESCRIPTION_MIN, DESCRIPTION_MAX, MAX_PHOTOS = 5, 500, 3
RATE_LIMIT, RATE_WINDOW = 5, timedelta(minutes=10)


def is_open(report: dict) -> bool:
    return report["status"] in OPEN_STATUSES


def can_move(report: dict, to_status: str) -> bool:
    return to_status in TRANSITIONS[report["status"]]


def _event(db: Database, report_id: int, actor: User | None, kind: str, from_status: str | None,
           to_status: str | None, note: str = "") -> None:
    db.execute(
        "INSERT INTO report_events (report_id, at, actor_id, kind, from_status, to_status, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (report_id, now_iso(), actor.id if actor else None, kind, from_status, to_status, note))


def get(db: Database, report_id: int) -> dict:
    row = one(db, "SELECT * FROM reports WHERE id = ?", (report_id,))
    if row is None:
        raise NotFound(f"找不到编号为 {report_id} 的问题。")
    return row


def categories(db: Database) -> list[dict]:
    return list(db.query("SELECT id, name FROM report_categories WHERE active = 1 ORDER BY sort, id"))


def similar_open(db: Database, *, place_id: int, category_id: int, limit: int = 5) -> list[dict]:
    """Open reports of the same place and category, offered for a +1 instead of a duplicate."""
    return list(db.query(
        "SELECT id, description, status, metoo_count, created_at FROM reports"
        " WHERE place_id = ? AND category_id = ? AND status IN ('pending', 'accepted', 'in_progress')"
        " ORDER BY id DESC LIMIT ?", (place_id, category_id, limit)))


def _check_filing(db: Database, actor: User, *, place_id, category_id, description, photo_count,
                  contact_mobile, proxy_for) -> tuple[str, str | None]:
    errors: dict[str, str] = {}
    if place_id is None or scalar(db, "SELECT 1 FROM places WHERE id = ?", (place_id,)) is None:
        errors["place"] = "请选择问题所在的楼栋或地点。"
    if category_id is None or scalar(db, "SELECT 1 FROM report_categories WHERE id = ? AND active = 1",
                                     (category_id,)) is None:
        errors["category"] = "请选择问题类别。"
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        errors["description"] = f"请用至少 {DESCRIPTION_MIN} 个字描述问题。"
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"描述请不超过 {DESCRIPTION_MAX} 个字（现在 {len(description)} 个字）。"
    if photo_count > MAX_PHOTOS:
        errors["photos"] = f"最多上传 {MAX_PHOTOS} 张照片。"
    try:
        contact_mobile = validate_mobile(contact_mobile)
    except ValidationError as error:
        errors.update(error.fields)
    if proxy_for is not None:
        if not actor.at_least(STAFF):
            raise PermissionDenied("只有社区工作人员可以代录。")
        if not proxy_for.strip():
            errors["proxy_for"] = "代录时请填写反映人的称呼或联系方式。"
    if errors:
        raise ValidationError(errors)
    return description, contact_mobile


def _check_rate(db: Database, actor: User, contact_mobile: str | None,
                device_key: str | None = None) -> None:
    """The one report rate limit: per phone number, per account and, for guests, per browser."""
    since = to_iso(utc_now() - RATE_WINDOW)
    if actor.is_guest and device_key and scalar(
            db, "SELECT COUNT(*) FROM reports WHERE device_key = ? AND created_at >= ?",
            (device_key, since)) >= RATE_LIMIT:
        raise RateLimited("提交太频繁，请 10 分钟后再试。")
    if contact_mobile and scalar(db, "SELECT COUNT(*) FROM reports WHERE contact_mobile = ?"
                                 " AND created_at >= ?", (contact_mobile, since)) >= RATE_LIMIT:
        raise RateLimited("该手机号提交太频繁，请 10 分钟后再试。")
    if not actor.is_guest and not actor.at_least(STAFF) and scalar(
            db, "SELECT COUNT(*) FROM reports WHERE reporter_id = ? AND created_at >= ?",
            (actor.id, since)) >= RATE_LIMIT:
        raise RateLimited("您提交太频繁，请 10 分钟后再试。")


def file_report(db: Database, actor: User, *, data_dir: Path, place_id: int | None,
                category_id: int | None, description: str, photo_files: list[bytes],
                submission_key: str, contact_mobile: str | None = None, hide_name: bool = False,
                proxy_for: str | None = None, device_key: str | None = None) -> dict:
    """File a report; guests may too. Staff filing for a resident pass ``proxy_for`` (代录).

    All photos are checked before anything is stored, and stored photos are removed again if
    the report cannot be saved, so nothing is half-saved. Repeating ``submission_key`` (a double
    tap) returns the first report. Raises ValidationError, PhotoRejected, RateLimited.
    """
    existing = one(db, "SELECT * FROM reports WHERE submission_key = ?", (submission_key,))
    if existing is not None:
        return existing
    description, contact_mobile = _check_filing(
        db, actor, place_id=place_id, category_id=category_id, description=description,
        photo_count=len(photo_files), contact_mobile=contact_mobile, proxy_for=proxy_for)
    # Only a guest's report is tied to the browser: on a shared device, an account's reports
    # must not show to the next guest.
    device_key = ((device_key or "")[:64] or None) if actor.is_guest else None
    _check_rate(db, actor, contact_mobile, device_key)
    processed = [photos.process_photo(data) for data in photo_files]
    names = [photos.store(data_dir, photo) for photo in processed]
    now = now_iso()
    try:
        with immediate(db):
            again = one(db, "SELECT * FROM reports WHERE submission_key = ?", (submission_key,))
            if again is not None:
                raise _AlreadyFiled(again)
            report_id = db.execute(
                "INSERT INTO reports (place_id, category_id, description, contact_mobile,"
                " reporter_id, hide_name, proxy_by, proxy_for, submission_key, follow_token,"
                " created_at, updated_at, device_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (place_id, category_id, description, contact_mobile,
                 None if actor.is_guest or proxy_for is not None else actor.id,
                 int(bool(hide_name) and not actor.is_guest),
                 actor.id if proxy_for is not None else None, (proxy_for or "").strip()[:40],
                 submission_key, secrets.token_hex(8), now, now, device_key)).lastrowid
            for name in names:
                db.execute("INSERT INTO report_photos (report_id, name, stage, created_at)"
                           " VALUES (?, ?, 'before', ?)", (report_id, name, now))
            _event(db, report_id, None if actor.is_guest else actor,
                   "proxy" if proxy_for is not None else "filed", None, PENDING)
            audit.record(db, actor.id, "report.file", "report", report_id)
    except _AlreadyFiled as first:
        for name in names:
            photos.delete(data_dir, name)
        return first.report
    except BaseException:
        for name in names:
            photos.delete(data_dir, name)
        raise
    return get(db, report_id)


class _AlreadyFiled(Exception):
    def __init__(self, report: dict):
        self.report = report


def me_too(db: Database, *, report_id: int, voter: str) -> int:
    """Count one more resident meeting the same problem; one vote per voter. Returns the count."""
    with immediate(db):
        report = get(db, report_id)
        if not is_open(report):
            raise InvalidTransition("该问题已办结，无需再 +1。")
        inserted = db.execute("INSERT OR IGNORE INTO report_metoo (report_id, voter, at)"
                              " VALUES (?, ?, ?)", (report_id, voter[:80], now_iso())).rowcount
        if inserted:
            db.execute("UPDATE reports SET metoo_count = metoo_count + 1 WHERE id = ?", (report_id,))
    return get(db, report_id)["metoo_count"]


def _move(db: Database, actor: User, report: dict, to_status: str, kind: str, note: str,
          *, reopen: bool = False) -> None:
    """Change the status if the table of transitions allows it, with a timeline entry.

    ``reopen`` is the reporter's 未解决 only: it alone may take RESOLVED back to IN_PROGRESS.
    """
    if not (can_move(report, to_status) or (reopen and (report["status"], to_status) == REOPEN)):
        raise InvalidTransition(f"当前状态为“{STATUS_LABELS[report['status']]}”，"
                                f"不能改为“{STATUS_LABELS[to_status]}”。")
    db.execute("UPDATE reports SET status = ?, updated_at = ? WHERE id = ?",
               (to_status, now_iso(), report["id"]))
    _event(db, report["id"], actor if not actor.is_guest else None, kind, report["status"],
           to_status, note)
    audit.record(db, actor.id, f"report.{kind}", "report", report["id"], to=to_status)


def accept(db: Database, actor: User, *, report_id: int, handler_id: int | None = None,
           note: str = "") -> dict:
    """Staff accept a report and assign a handler; its first reporter earns the rule's points."""
    require_role(actor, STAFF)
    handler_id = handler_id or actor.id
    with immediate(db):
        report = get(db, report_id)
        if scalar(db, "SELECT 1 FROM users WHERE id = ? AND role IN ('staff', 'admin')"
                      " AND disabled = 0", (handler_id,)) is None:
            raise ValidationError({"handler": "处理人须为社区工作人员。"})
        _move(db, actor, report, ACCEPTED, "accepted", note.strip()[:200])
        db.execute("UPDATE reports SET handler_id = ?, accepted_at = ? WHERE id = ?",
                   (handler_id, now_iso(), report_id))
        if report["reporter_id"] is not None:
            _award_reporter(db, report)
    return get(db, report_id)


def _award_reporter(db: Database, report: dict) -> None:
    """The rule's points, within the monthly cap; the key makes a second acceptance earn nothing."""
    amount = rules.get(db, "points.report_accepted")
    cap = rules.get(db, "points.report_monthly_cap")
    month_start = utc_now().astimezone(SHANGHAI).replace(day=1, hour=0, minute=0, second=0,
                                                         microsecond=0)
    earned = scalar(db, "SELECT COALESCE(SUM(amount), 0) FROM points_ledger WHERE user_id = ?"
                        " AND kind = ? AND created_at >= ?",
                    (report["reporter_id"], ledger.KIND_REPORT, to_iso(month_start)))
    amount = min(amount, cap - earned)
    if amount > 0 and scalar(db, "SELECT 1 FROM users WHERE id = ? AND disabled = 0",
                             (report["reporter_id"],)):
        ledger.award(db, None, user_id=report["reporter_id"], amount=amount,
                     kind=ledger.KIND_REPORT, reason=f"随手拍第 {report['id']} 号被受理",
                     key=f"report:{report['id']}:accepted")


def start(db: Database, actor: User, *, report_id: int, note: str = "") -> dict:
    require_role(actor, STAFF)
    with immediate(db):
        _move(db, actor, get(db, report_id), IN_PROGRESS, "started", note.strip()[:200])
    return get(db, report_id)


def resolve(db: Database, actor: User, *, data_dir: Path, report_id: int, result_note: str,
            after_photo: bytes | None) -> dict:
    """Close a report as fixed, with what was done and an "after" photo."""
    require_role(actor, STAFF)
    result_note = (result_note or "").strip()
    errors = {}
    if len(result_note) < DESCRIPTION_MIN or len(result_note) > DESCRIPTION_MAX:
        errors["result_note"] = f"请用 {DESCRIPTION_MIN}-{DESCRIPTION_MAX} 个字说明处理结果。"
    if not after_photo:
        errors["after_photo"] = "请上传一张处理后的照片。"
    if errors:
        raise ValidationError(errors)
    if not can_move(get(db, report_id), RESOLVED):
        raise InvalidTransition("该问题当前不能办结。")
    name = photos.store(data_dir, photos.process_photo(after_photo))
    try:
        with immediate(db):
            report = get(db, report_id)
            _move(db, actor, report, RESOLVED, "resolved", result_note)
            db.execute("UPDATE reports SET result_note = ?, closed_at = ? WHERE id = ?",
                       (result_note, now_iso(), report_id))
            db.execute("INSERT INTO report_photos (report_id, name, stage, created_at)"
                       " VALUES (?, ?, 'after', ?)", (report_id, name, now_iso()))
    except BaseException:
        photos.delete(data_dir, name)
        raise
    return get(db, report_id)


def reject(db: Database, actor: User, *, report_id: int, reason: str,
           duplicate_of: int | None = None, transferred_to: str = "", note: str = "") -> dict:
    """Close a report honestly: a duplicate (linked), too little information, or transferred."""
    require_role(actor, STAFF)
    if reason not in REJECT_REASONS:
        raise ValidationError({"reason": "请选择不予受理的原因。"})
    transferred_to = (transferred_to or "").strip()[:60]
    with immediate(db):
        report = get(db, report_id)
        if reason == "duplicate" and (duplicate_of is None or duplicate_of == report_id or scalar(
                db, "SELECT 1 FROM reports WHERE id = ?", (duplicate_of,)) is None):
            raise ValidationError({"duplicate_of": "请填写与之重复的原问题编号。"})
        if reason == "not_ours" and not transferred_to:
            raise ValidationError({"transferred_to": "请填写转交的单位或部门。"})
        detail = REJECT_REASONS[reason] + (f"，转交{transferred_to}" if transferred_to else "") + (
            f"，与第 {duplicate_of} 号重复" if reason == "duplicate" else "")
        _move(db, actor, report, TRANSFERRED if reason == "not_ours" else REJECTED, "rejected",
              detail + (f"：{note.strip()[:200]}" if note.strip() else ""))
        db.execute("UPDATE reports SET reject_reason = ?, duplicate_of = ?, transferred_to = ?,"
                   " closed_at = ? WHERE id = ?",
                   (reason, duplicate_of if reason == "duplicate" else None,
                    transferred_to if reason == "not_ours" else "", now_iso(), report_id))
    return get(db, report_id)


def may_confirm(report: dict, actor: User, token: str | None) -> bool:
    """The reporter (by account, or by the secret token in their follow link) answers."""
    by_account = not actor.is_guest and actor.id == report["reporter_id"]
    by_token = bool(token) and secrets.compare_digest(str(token), report["follow_token"])
    return by_account or by_token


def confirm(db: Database, actor: User, *, report_id: int, token: str | None, solved: bool,
            rating: int | None = None, comment: str = "") -> dict:
    """The reporter says whether the fix worked; 未解决 reopens the report once."""
    # bool is an int subclass: True must not become one star
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)
                               or not 1 <= rating <= 5):
        raise ValidationError({"rating": "请给出 1-5 星的评价。"})
    with immediate(db):
        report = get(db, report_id)
        if not may_confirm(report, actor, token):
            raise PermissionDenied("只有反映人可以确认处理结果。")
        if report["status"] != RESOLVED or report["confirmation"] is not None:
            raise InvalidTransition("该问题当前不需要确认。")
        comment = (comment or "").strip()[:200]
        reopen = not solved and report["reopen_count"] == 0
        if reopen:
            _move(db, actor, report, IN_PROGRESS, "reopened", comment or "反映人表示未解决",
                  reopen=True)
        else:
            _event(db, report_id, None if actor.is_guest else actor,
                   "confirmed" if solved else "unsolved", RESOLVED, RESOLVED, comment)
        db.execute(
            "UPDATE reports SET confirmation = ?, rating = ?, rating_comment = ?,"
            " reopen_count = reopen_count + ?, closed_at = CASE WHEN ? THEN NULL ELSE closed_at END,"
            " updated_at = ? WHERE id = ?",
            (None if reopen else ("solved" if solved else "unsolved"), rating, comment,
             int(reopen), int(reopen), now_iso(), report_id))
    return get(db, report_id)


def auto_confirm(db: Database, *, now: datetime | None = None) -> int:
    """Count unanswered fixes as confirmed once the reporter's days to answer have passed.

    A background sweep (never a page view) calls this; several server processes may run it at
    once. Each UPDATE is conditional and the timeline event is written only when that UPDATE
    changed the row, all under one write lock, so a report gets exactly one auto_confirmed
    event. Returns how many reports this call confirmed.
    """
    days = rules.get(db, "reports.confirm_within_days")
    cutoff = to_iso((now or utc_now()) - timedelta(days=days))
    due_sql = ("SELECT id FROM reports WHERE status = 'resolved' AND confirmation IS NULL"
               " AND closed_at < ?")
    if db.execute(due_sql + " LIMIT 1", (cutoff,)).fetchone() is None:
        return 0  # the usual case: no write lock taken
    confirmed = 0
    with immediate(db):
        for (report_id,) in db.execute(due_sql, (cutoff,)).fetchall():
            changed = db.execute(
                "UPDATE reports SET confirmation = 'auto', updated_at = ? WHERE id = ?"
                " AND confirmation IS NULL AND status = 'resolved'",
                (now_iso(), report_id)).rowcount
            if changed:
                _event(db, report_id, None, "auto_confirmed", RESOLVED, RESOLVED,
                       f"{days} 天内未答复，视为已解决")
                confirmed += 1
    return confirmed


def staff_members(db: Database) -> list[dict]:
    """Who a report can be assigned to."""
    return list(db.query("SELECT id, display_name FROM users WHERE role IN ('staff', 'admin')"
                         " AND disabled = 0 ORDER BY role DESC, id"))
