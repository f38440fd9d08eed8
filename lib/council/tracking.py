"""跟踪落实: an adopted plan's owner, deadline, progress updates with photos, and completion.

The reference articles end every 议事 with residents watching the plan being carried out: who
answers for it, by when, what has been done (with photos), and, where money is needed, a
crowdfunding project. A plan moves adopted → done here; only staff write.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import as_day, local_today, not_a_day_ahead, now_iso
from lib.core.db import immediate, is_row_id, one
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.crowdfund import projects
from lib.crowdfund.money import yuan_text


ADOPTED, DONE = "adopted", "done"
OWNER_MAX, UPDATE_MAX, PHOTOS_MAX = 40, 1000, 6
PROJECT_DAYS_DEFAULT = 60  # a project from a plan without a future deadline raises for 60 days


@dataclass(frozen=True)
class Update:
    id: int
    body: str
    percent: int | None
    created_at: str
    author: str
    photos: tuple[str, ...]


@dataclass(frozen=True)
class Tracked:
    """A plan as its 落实 tab shows it."""

    plan_id: int
    topic_id: int
    title: str
    body: str
    cost_fen: int
    duties: str
    owner: str
    deadline: str | None
    status: str
    project_id: int | None
    done_at: str | None
    updates: tuple[Update, ...]

    @property
    def is_adopted(self) -> bool:
        return self.status == ADOPTED

    @property
    def is_done(self) -> bool:
        return self.status == DONE

    @property
    def percent(self) -> int | None:
        """The latest update's percentage, 100 once done."""
        if self.is_done:
            return 100
        return next((u.percent for u in self.updates if u.percent is not None), None)

    @property
    def overdue(self) -> bool:
        return self.is_adopted and bool(self.deadline) and \
            self.deadline < local_today().isoformat()



def _plan_row(db: Database, plan_id: object) -> dict:
    row = one(db, "SELECT * FROM council_plans WHERE id = ?", (plan_id,)) \
        if is_row_id(plan_id) else None
    if row is None:
        raise NotFound("找不到该方案。")
    return row


def updates(db: Database, plan_id: int) -> list[Update]:
    """The plan's progress updates, newest first, each with its photos."""
    pictures: dict[int, list[str]] = {}
    for owner_id, photo in db.execute(
            "SELECT council_photos.owner_id, council_photos.photo FROM council_photos"
            " JOIN council_updates ON council_updates.id = council_photos.owner_id"
            " WHERE council_photos.kind = 'update' AND council_updates.plan_id = ?"
            " ORDER BY council_photos.id", (plan_id,)):
        pictures.setdefault(owner_id, []).append(photo)
    return [Update(r["id"], r["body"], r["percent"], r["created_at"], r["author"],
                   tuple(pictures.get(r["id"], ())))
            for r in db.query(
                "SELECT council_updates.*, COALESCE(users.display_name, '') AS author"
                " FROM council_updates"
                " LEFT JOIN users ON users.id = council_updates.created_by"
                " WHERE plan_id = ? ORDER BY council_updates.id DESC", (plan_id,))]


def get_tracked(db: Database, plan_id: object) -> Tracked:
    """A plan with its updates; raises NotFound."""
    row = _plan_row(db, plan_id)
    return Tracked(plan_id=row["id"], topic_id=row["topic_id"], title=row["title"],
                   body=row["body"], cost_fen=row["cost_fen"], duties=row["duties"],
                   owner=row["owner"], deadline=row["deadline"], status=row["status"],
                   project_id=row["project_id"], done_at=row["done_at"],
                   updates=tuple(updates(db, row["id"])))


def tracked_of_topic(db: Database, topic_id: int) -> list[Tracked]:
    """The topic's plans being carried out or done, newest first."""
    return [get_tracked(db, row[0]) for row in db.execute(
        "SELECT id FROM council_plans WHERE topic_id = ? AND status IN ('adopted', 'done')"
        " ORDER BY id DESC", (topic_id,))]


def in_progress(db: Database) -> list[Tracked]:
    """Every adopted plan not yet done, the nearest deadline first (none last)."""
    return [get_tracked(db, row[0]) for row in db.execute(
        "SELECT id FROM council_plans WHERE status = 'adopted'"
        " ORDER BY deadline IS NULL, deadline, id")]


def plan_of_project(db: Database, project_id: int) -> dict | None:
    """The plan a crowdfunding project came from (id, topic_id, title), or None."""
    return one(db, "SELECT id, topic_id, title FROM council_plans WHERE project_id = ?",
               (project_id,))


def photos_in_use(db: Database) -> set[str]:
    """Progress-update photos, for the start-up sweep (TOPICS' photos_in_use covers them too)."""
    return {row[0] for row in db.execute(
        "SELECT photo FROM council_photos WHERE kind = 'update'")}


def _must_be_adopted(row: dict, doing: str) -> None:
    if row["status"] == DONE:
        raise ValidationError({"plan_id": f"该方案已落实完成，不能再{doing}。"})
    if row["status"] != ADOPTED:
        raise ValidationError({"plan_id": f"只有表决通过、正在落实的方案才能{doing}。"})


def _deadline(value: object) -> str:
    day = as_day(value)
    if day is None:
        raise ValidationError({"deadline": "请选择完成期限。"})
    problem = not_a_day_ahead(day, "完成期限")
    if problem:
        raise ValidationError({"deadline": problem})
    return day.isoformat()


def set_owner(db: Database, actor: User, *, plan_id: int, owner: str,
              deadline: object) -> Tracked:
    """Staff name who answers for carrying the plan out and by when.

    Raises PermissionDenied, NotFound or ValidationError (empty owner, a deadline in the past,
    a plan not adopted).
    """
    require_role(actor, STAFF)
    who = owner.strip() if isinstance(owner, str) else ""
    if not who:
        raise ValidationError({"owner": "请填写负责人或负责单位。"})
    if len(who) > OWNER_MAX:
        raise ValidationError({"owner": f"负责人不能超过 {OWNER_MAX} 个字。"})
    day = _deadline(deadline)
    with immediate(db):
        row = _plan_row(db, plan_id)
        _must_be_adopted(row, "修改负责人和期限")
        if (row["owner"], row["deadline"]) != (who, day):
            db.execute("UPDATE council_plans SET owner = ?, deadline = ?, updated_at = ?"
                       " WHERE id = ?", (who, day, now_iso(), row["id"]))
            audit.record(db, actor.id, "council.track_owner", "council_plan", row["id"],
                         owner=who, deadline=day)
    return get_tracked(db, row["id"])


def _percent(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError({"percent": "完成进度请填 0 到 100 之间的整数。"})
    return value


def add_update(db: Database, actor: User, *, data_dir: Path | None, plan_id: int, body: str,
               percent: int | None = None, photos: list[bytes] | tuple[bytes, ...] = (),
               key: str) -> Update:
    """Staff post a progress update (text, optional percentage, up to 6 photos).

    Raises PermissionDenied, NotFound, ValidationError or PhotoRejected; nothing is stored on a
    refusal; repeating ``key`` returns the first update.
    """
    require_role(actor, STAFF)
    text = body.strip() if isinstance(body, str) else ""
    if not isinstance(key, str) or not key.strip():
        raise ValidationError({"key": "提交失败，请刷新页面后重试。"})
    known = one(db, "SELECT id, plan_id FROM council_updates WHERE submission_key = ?", (key,))
    if known is not None:
        return _update(db, known["plan_id"], known["id"])
    if not text:
        raise ValidationError({"body": "请填写进展情况。"})
    if len(text) > UPDATE_MAX:
        raise ValidationError({"body": f"进展情况不能超过 {UPDATE_MAX} 个字。"})
    share = _percent(percent)
    uploads = [p for p in photos if p]
    if len(uploads) > PHOTOS_MAX:
        raise ValidationError({"photos": f"一次最多上传 {PHOTOS_MAX} 张照片。"})
    _must_be_adopted(_plan_row(db, plan_id), "登记进展")
    stored = _keep(uploads, data_dir)
    try:
        with immediate(db):
            known = one(db, "SELECT id, plan_id FROM council_updates WHERE submission_key = ?",
                        (key,))
            if known is not None:  # the same tap won the race: keep its update only
                _drop(stored, data_dir)
                return _update(db, known["plan_id"], known["id"])
            row = _plan_row(db, plan_id)
            _must_be_adopted(row, "登记进展")
            now = now_iso()
            update_id = db.execute(
                "INSERT INTO council_updates (plan_id, body, percent, created_by, submission_key,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (row["id"], text, share, actor.id, key, now)).lastrowid
            for name in stored:
                db.execute("INSERT INTO council_photos (kind, owner_id, photo, created_at)"
                           " VALUES ('update', ?, ?, ?)", (update_id, name, now))
            db.execute("UPDATE council_plans SET updated_at = ? WHERE id = ?", (now, row["id"]))
            audit.record(db, actor.id, "council.track_update", "council_plan", row["id"],
                         update=update_id, percent=share, photos=len(stored))
    except BaseException:
        _drop(stored, data_dir)
        raise
    return _update(db, row["id"], update_id)


def _update(db: Database, plan_id: int, update_id: int) -> Update:
    return next(u for u in updates(db, plan_id) if u.id == update_id)


def _keep(uploads: list[bytes], data_dir: Path | None) -> list[str]:
    """Check and store each photo; a refusal removes those already stored."""
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


def complete(db: Database, actor: User, *, plan_id: int) -> Tracked:
    """Staff mark an adopted plan 已落实 (done); residents may then rate it. Done again: no-op.

    Raises PermissionDenied, NotFound or ValidationError (a plan never adopted).
    """
    require_role(actor, STAFF)
    with immediate(db):
        row = _plan_row(db, plan_id)
        if row["status"] != DONE:
            _must_be_adopted(row, "标记完成")
            now = now_iso()
            db.execute("UPDATE council_plans SET status = 'done', done_at = ?, updated_at = ?"
                       " WHERE id = ?", (now, now, row["id"]))
            audit.record(db, actor.id, "council.track_done", "council_plan", row["id"])
    return get_tracked(db, row["id"])


def to_project(db: Database, actor: User, *, plan_id: int, place_id: int | None = None,
               topic_url: str = "") -> projects.Project:
    """One step from an adopted plan to a crowdfunding draft (staff), linked both ways.

    The project takes the plan's title, its body and duties as the description (with the
    topic's address, so the project page leads back), its cost as the goal, the plan's deadline
    (or 60 days from today) and the topic's place unless ``place_id`` is given. The plan keeps
    the project's id. Raises PermissionDenied, NotFound or ValidationError (not adopted, already
    a project, no place); nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    with immediate(db):
        row = _plan_row(db, plan_id)
        if row["project_id"] is not None:
            raise ValidationError({"plan_id": f"该方案已转为众筹项目（编号 {row['project_id']}），"
                                              "不能重复转。"})
        _must_be_adopted(row, "转为众筹项目")
        place = place_id if place_id is not None else one(
            db, "SELECT place_id FROM council_topics WHERE id = ?", (row["topic_id"],))["place_id"]
        if place is None:
            raise ValidationError({"place_id": "该议题涉及整个小区，请选择众筹项目所在的楼栋或地点。"})
        today = local_today()
        deadline = row["deadline"] if row["deadline"] and row["deadline"] >= today.isoformat() \
            else (today + timedelta(days=PROJECT_DAYS_DEFAULT)).isoformat()
        description = "\n".join(part for part in (
            row["body"], f"分工：{row['duties']}" if row["duties"] else "",
            "本项目来自议事方案，经一户一票表决通过"
            + (f"，议事详情：{topic_url}" if topic_url else "") + "。") if part)
        project = projects.create_project(
            db, actor, title=row["title"][:projects.TITLE_MAX], place_id=place,
            goal=yuan_text(row["cost_fen"]), deadline=deadline,
            description=description[:projects.DESCRIPTION_MAX])
        db.execute("UPDATE council_plans SET project_id = ?, updated_at = ? WHERE id = ?",
                   (project.id, now_iso(), row["id"]))
        audit.record(db, actor.id, "council.to_project", "council_plan", row["id"],
                     project=project.id)
    return project
