"""众筹 projects: what staff set up, the states a project moves through, and its progress.

Only staff and admins write here: a project spends public money and the street office's
match, so a resident or a micro-grid leader may back one but never set one up. The match
terms (ratio, cap, sponsor) and the published value of an hour of labour are fixed when the
project is launched: residents pledge on those terms, and a term changed afterwards would
change what their pledge was worth. The database refuses that change too (m011's trigger);
this module checks first to say so in Chinese. Every write is in the audit log.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import as_day, local_today, not_a_day_ahead, now_iso, utc_now
from lib.core.db import immediate, is_row_id, one, scalar
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.crowdfund import labour
from lib.crowdfund.money import MAX_PROJECT_FEN, match_total, parse_yuan, yuan_text


DRAFT, RAISING, BUILDING, DONE, CANCELLED = "draft", "raising", "building", "done", "cancelled"
STATUS_LABELS = {DRAFT: "草稿", RAISING: "众筹中", BUILDING: "实施中", DONE: "已完成",
                 CANCELLED: "已取消"}
OPEN = (RAISING, BUILDING)  # still taking part: money or labour may come in
PUBLIC = (RAISING, BUILDING, DONE, CANCELLED)  # a draft is never shown to the public
# status -> the statuses a project may move to; cancelling needs no spending (checked apart)
TRANSITIONS = {DRAFT: (RAISING, CANCELLED), RAISING: (BUILDING, CANCELLED),
               BUILDING: (DONE, CANCELLED), DONE: (), CANCELLED: ()}
EDITABLE = (DRAFT, RAISING, BUILDING)

TERMS_FIXED = "配套比例、上限和工时价值在发起时已确定，不能修改。"
TITLE_MAX, DESCRIPTION_MAX, SPONSOR_MAX, TASK_NAME_MAX = 40, 2000, 30, 30
REPORT_MAX, REASON_MAX = 2000, 200
RATIO_MAX_PERCENT = 1000  # 10x: the reference schemes match 3-5x
HOUR_VALUE_MAX_FEN = 1_000 * 100
HEADCOUNT_MAX, HALF_HOURS_MAX = 500, 24
REPORT_PHOTOS_MAX = 9

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．：", "0123456789.:")
_RATIO = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")
_HOURS = re.compile(r"[0-9]{1,2}(\.[0-9]{1,2})?")
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class Project:
    """One project as stored, with its place's code and name; money in fen."""

    id: int
    title: str
    description: str
    photo: str | None
    place_id: int
    place_code: str
    place_name: str
    goal_fen: int
    match_percent: int
    match_cap_fen: int | None
    match_sponsor: str
    labour_hour_fen: int
    deadline: str
    status: str
    final_report: str
    cancel_reason: str
    created_by: int
    created_at: str
    updated_at: str
    launched_at: str | None
    building_at: str | None
    done_at: str | None
    cancelled_at: str | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def ratio_text(self) -> str:
        """The match ratio as staff typed it: "5" for 500, "1.5" for 150, "0" for none."""
        return ratio_text(self.match_percent)

    @property
    def place_label(self) -> str:
        return f"{self.place_name}（{self.place_code}）"


@dataclass(frozen=True)
class Progress:
    """A project's money and labour, exact to the fen, as the contract between the parts.

    ``match_left_fen`` is None when the match has no cap.
    """

    goal_fen: int
    cash_fen: int
    pledged_fen: int
    match_fen: int
    match_left_fen: int | None
    labour_half_hours: int
    labour_value_fen: int
    slots_taken: int
    slots_total: int
    spent_fen: int
    balance_fen: int  # cash, match and grants held, less spending
    grant_fen: int = 0  # grants (奖励金) received and not returned: no match, held like cash

    @property
    def total_fen(self) -> int:
        """Confirmed resident cash, the sponsor's match and grants: the money raised in all."""
        return self.cash_fen + self.match_fen + self.grant_fen

    @property
    def cash_share(self) -> float:
        """Confirmed cash as a share of the goal, 0.0-1.0, for a progress bar."""
        return min(1.0, self.cash_fen / self.goal_fen) if self.goal_fen else 0.0

    @property
    def slots_share(self) -> float:
        return min(1.0, self.slots_taken / self.slots_total) if self.slots_total else 0.0


def ratio_text(percent: int) -> str:
    """The match ratio as staff type it back: "5" for 500, "1.5" for 150, "10" for 1000."""
    return format((Decimal(percent) / 100).normalize(), "f")


_SELECT = """
    SELECT crowdfund_projects.*, places.code AS place_code, places.name AS place_name
    FROM crowdfund_projects JOIN places ON places.id = crowdfund_projects.place_id
"""


def get_project(db: Database, project_id: object) -> Project:
    """One project in any state; raises NotFound."""
    row = one(db, _SELECT + " WHERE crowdfund_projects.id = ?", (project_id,)) \
        if is_row_id(project_id) else None
    if row is None:
        raise NotFound("找不到该众筹项目。")
    return Project(**row)


def get_visible(db: Database, actor: User, project_id: object) -> Project:
    """A project as this person may see it: a draft only for staff; raises NotFound."""
    project = get_project(db, project_id)
    if not project.is_public and not actor.at_least(STAFF):
        raise NotFound("找不到该众筹项目。")
    return project


def list_projects(db: Database, *, place_id: int | None = None,
                  statuses: tuple[str, ...] = OPEN) -> list[Project]:
    """Projects in ``statuses`` (default: open ones), raising first, then newest first."""
    if not statuses:
        return []
    marks = ", ".join("?" for _ in statuses)
    sql = _SELECT + f" WHERE crowdfund_projects.status IN ({marks})"  # marks are only "?"
    params: list[object] = list(statuses)
    if place_id is not None:
        sql += " AND crowdfund_projects.place_id = ?"
        params.append(place_id)
    sql += (" ORDER BY CASE crowdfund_projects.status WHEN 'raising' THEN 0 WHEN 'building'"
            " THEN 1 WHEN 'draft' THEN 2 WHEN 'done' THEN 3 ELSE 4 END,"
            " crowdfund_projects.id DESC")
    return [Project(**row) for row in db.query(sql, params)]


def progress(db: Database, project_id: int) -> Progress:
    """What the project has raised, unlocked, been given in labour and spent, to the fen.

    The match is the sum each confirmed pledge stored when it was confirmed (the shares add up
    to the whole, see money.match_unlocked), so the figure never shifts afterwards.
    """
    project = get_project(db, project_id)
    cash, pledged, match = db.execute(
        "SELECT COALESCE(SUM(CASE WHEN status = 'received' THEN amount_fen END), 0),"
        " COALESCE(SUM(CASE WHEN status = 'pledged' THEN amount_fen END), 0),"
        " COALESCE(SUM(CASE WHEN status = 'received' THEN match_fen END), 0)"
        " FROM crowdfund_pledges WHERE project_id = ?", (project.id,)).fetchone()
    work = labour.totals(db, project.id)
    spent = scalar(db, "SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_spending"
                       " WHERE project_id = ?", (project.id,))
    granted = scalar(db, "SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_grants"
                         " WHERE project_id = ? AND status = 'received'", (project.id,))
    cap = project.match_cap_fen
    return Progress(
        goal_fen=project.goal_fen, cash_fen=cash, pledged_fen=pledged, match_fen=match,
        match_left_fen=None if cap is None else max(0, cap - match),
        labour_half_hours=work.half_hours, labour_value_fen=work.value_fen,
        slots_taken=work.slots_taken, slots_total=work.slots_total, spent_fen=spent,
        balance_fen=cash + match + granted - spent, grant_fen=granted)


def expected_match(project: Project, cash_fen: int) -> int:
    """The match this much confirmed cash earns on the project's terms (cap applied)."""
    return match_total(cash_fen, project.match_percent, project.match_cap_fen)


def report_photos(db: Database, project_id: int) -> list[str]:
    """The final report's photo names, in the order they were added."""
    return [row[0] for row in db.execute(
        "SELECT photo FROM crowdfund_photos WHERE project_id = ? ORDER BY id", (project_id,))]


def photos_in_use(db: Database) -> set[str]:
    """Every stored photo name the crowdfunding tables refer to, so the start-up sweep keeps them."""
    return {row[0] for row in db.execute(
        "SELECT photo FROM crowdfund_projects WHERE photo IS NOT NULL"
        " UNION SELECT photo FROM crowdfund_photos"
        " UNION SELECT receipt FROM crowdfund_spending WHERE receipt IS NOT NULL")}


# --- checking what staff typed ------------------------------------------------------------


def _whole(value: object) -> int | None:
    """An int that is not a bool, else None: True must not become project 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None



def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_ratio(value: object) -> int:
    """match_percent from a typed ratio: "5" -> 500, "1.5" -> 150, "0" -> no match."""
    if isinstance(value, bool) or value is None:
        text = ""
    elif isinstance(value, (int, float, Decimal)):
        text = format(Decimal(str(value)).normalize(), "f") if value == value else "nan"
    else:
        text = str(value)
    text = text.translate(_FULL_WIDTH).strip().removesuffix("倍").strip()
    if not text:
        raise ValidationError({"match_ratio": "请填写配套比例（没有配套填 0）。"})
    if not _RATIO.fullmatch(text):
        raise ValidationError({"match_ratio": "配套比例请填数字，例如 5 或 1.5（最多两位小数）。"})
    percent = int(Decimal(text) * 100)
    if percent > RATIO_MAX_PERCENT:
        raise ValidationError({"match_ratio": f"配套比例不能超过 {RATIO_MAX_PERCENT // 100} 倍。"})
    return percent


def _line(value: object, field: str, what: str, example: str, most: int,
          errors: dict[str, str]) -> str:
    """A required line of text, trimmed, at most ``most`` characters."""
    text = _text(value)
    if not text:
        errors[field] = f"请填写{what}{example}。"
    elif len(text) > most:
        errors[field] = f"{what}不能超过 {most} 个字。"
    return text


def _day(value: object, field: str, what: str, errors: dict[str, str]) -> str:
    """An ISO date from a date or "YYYY-MM-DD", from today up to two years ahead."""
    day = as_day(value)
    if day is None:
        errors[field] = f"请选择{what}。"
        return ""
    problem = not_a_day_ahead(day, what)
    if problem:
        errors[field] = problem
    return day.isoformat()


def _money(value: object, field: str, what: str, high: int, errors: dict[str, str]) -> int:
    if _text(value) == "" and not isinstance(value, int):
        errors[field] = f"请填写{what}（没有填 0）。"
        return 0
    try:
        return parse_yuan(value, field=field, low_fen=0, high_fen=high)
    except ValidationError as error:
        errors[field] = f"{what}：{error.fields[field]}"
        return 0


def _check_project(db: Database, values: dict[str, object]) -> dict[str, object]:
    """Checked columns from the given fields (only those present); raises ValidationError."""
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    if "title" in values:
        out["title"] = _line(values["title"], "title", "项目名称", "", TITLE_MAX, errors)
    if "description" in values:
        out["description"] = _text(values["description"])
        if len(out["description"]) > DESCRIPTION_MAX:
            errors["description"] = f"项目介绍不能超过 {DESCRIPTION_MAX} 个字。"
    if "place_id" in values:
        out["place_id"] = _whole(values["place_id"])
        if out["place_id"] is None or not scalar(db, "SELECT 1 FROM places WHERE id = ?",
                                                 (out["place_id"],)):
            errors["place_id"] = "请选择项目所在的楼栋或地点。"
    if "goal" in values:
        out["goal_fen"] = _money(values["goal"], "goal", "筹资目标", MAX_PROJECT_FEN, errors)
    if "match_ratio" in values:
        try:
            out["match_percent"] = parse_ratio(values["match_ratio"])
        except ValidationError as error:
            errors.update(error.fields)
    if "match_cap" in values:
        cap = values["match_cap"]
        if cap is None or _text(cap) == "" and not isinstance(cap, int):
            out["match_cap_fen"] = None
        else:
            try:
                out["match_cap_fen"] = parse_yuan(cap, field="match_cap", low_fen=1,
                                                  high_fen=MAX_PROJECT_FEN)
            except ValidationError as error:
                errors["match_cap"] = f"配套上限：{error.fields['match_cap']}（不设上限请留空）"
    if "match_sponsor" in values:
        out["match_sponsor"] = _text(values["match_sponsor"])
        if len(out["match_sponsor"]) > SPONSOR_MAX:
            errors["match_sponsor"] = f"配套出资方不能超过 {SPONSOR_MAX} 个字。"
    if "labour_hour_value" in values:
        out["labour_hour_fen"] = _money(values["labour_hour_value"], "labour_hour_value",
                                        "每小时出工折算金额", HOUR_VALUE_MAX_FEN, errors)
    if "deadline" in values:
        out["deadline"] = _day(values["deadline"], "deadline", "截止日期", errors)
    if errors:
        raise ValidationError(errors)
    return out


def _check_terms(merged: dict[str, object]) -> None:
    """The match terms as a whole: a sponsor for a match, a cap only with a match."""
    if merged["match_percent"] and not merged["match_sponsor"]:
        raise ValidationError({"match_sponsor": "有配套比例时请填写配套出资方，例如 街道办事处。"})
    if not merged["match_percent"] and merged["match_cap_fen"] is not None:
        raise ValidationError({"match_cap": "没有配套比例时不设配套上限，请留空。"})


# --- projects -----------------------------------------------------------------------------


def create_project(db: Database, actor: User, *, title: str, place_id: int, goal: object,
                   deadline: object, description: str = "", match_ratio: object = "0",
                   match_cap: object = "", match_sponsor: str = "",
                   labour_hour_value: object = "0", photo: bytes | None = None,
                   data_dir: Path | None = None) -> Project:
    """A new project in 草稿 (staff and up). Amounts are yuan as typed; ``match_ratio`` "5" is 5x.

    Raises PermissionDenied, ValidationError or PhotoRejected; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    values = _check_project(db, {
        "title": title, "description": description, "place_id": place_id, "goal": goal,
        "match_ratio": match_ratio, "match_cap": match_cap, "match_sponsor": match_sponsor,
        "labour_hour_value": labour_hour_value, "deadline": deadline})
    _check_terms(values)
    stored = _keep([photo], data_dir)
    try:
        with immediate(db):
            now = now_iso()
            project_id = db.execute(
                "INSERT INTO crowdfund_projects (title, description, photo, place_id, goal_fen,"
                " match_percent, match_cap_fen, match_sponsor, labour_hour_fen, deadline,"
                " status, created_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)",
                (values["title"], values["description"], next(iter(stored), None),
                 values["place_id"],
                 values["goal_fen"], values["match_percent"], values["match_cap_fen"],
                 values["match_sponsor"], values["labour_hour_fen"], values["deadline"],
                 actor.id, now, now)).lastrowid
            audit.record(db, actor.id, "crowdfund.create", "crowdfund_project", project_id,
                         title=values["title"], goal=yuan_text(values["goal_fen"]),
                         match_percent=values["match_percent"])
    except BaseException:
        _drop(stored, data_dir)
        raise
    return get_project(db, project_id)


_TERMS = ("match_percent", "match_cap_fen", "match_sponsor", "labour_hour_fen")
_FIXED_AT_LAUNCH = _TERMS  # m011's trigger holds the first three and the hour value too
_FIELD_OF = {"match_percent": "match_ratio", "match_cap_fen": "match_cap",
             "match_sponsor": "match_sponsor", "labour_hour_fen": "labour_hour_value",
             "goal_fen": "goal"}


def update_project(db: Database, actor: User, *, project_id: int, photo: bytes | None = None,
                   data_dir: Path | None = None, **fields: object) -> Project:
    """Change a project's details (staff and up); only the fields given change.

    ``fields`` are create_project's: title, description, place_id, goal, match_ratio,
    match_cap, match_sponsor, labour_hour_value, deadline. The match terms and the hour's
    value change only in 草稿; a finished or cancelled project does not change at all. A
    deadline that stays as it was is not checked against today. Raises PermissionDenied,
    NotFound, ValidationError or PhotoRejected; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    unknown = set(fields) - {"title", "description", "place_id", "goal", "match_ratio",
                             "match_cap", "match_sponsor", "labour_hour_value", "deadline"}
    if unknown:
        raise TypeError(f"update_project() got unexpected fields {sorted(unknown)}")
    old = get_project(db, project_id)
    if "deadline" in fields and _day_text(fields["deadline"]) == old.deadline:
        del fields["deadline"]
    values = _check_project(db, fields)
    stored = _keep([photo], data_dir)
    try:
        with immediate(db):
            old = get_project(db, project_id)
            if old.status not in EDITABLE:
                raise ValidationError(f"{old.status_label}的项目不能修改。")
            changed = {column: value for column, value in values.items()
                       if getattr(old, column) != value}
            fixed = [column for column in _FIXED_AT_LAUNCH if column in changed]
            if fixed and old.status != DRAFT:
                raise ValidationError({_FIELD_OF[fixed[0]]: TERMS_FIXED})
            _check_terms({column: changed.get(column, getattr(old, column)) for column in _TERMS})
            if stored:
                changed["photo"] = stored[0]
            if changed:
                assignments = ", ".join(f"{column} = ?" for column in changed)  # known names
                db.execute(f"UPDATE crowdfund_projects SET {assignments}, updated_at = ?"
                           " WHERE id = ?", (*changed.values(), now_iso(), old.id))
                audit.record(db, actor.id, "crowdfund.edit", "crowdfund_project", old.id,
                             title=changed.get("title", old.title),
                             old={column: getattr(old, column) for column in changed
                                  if column != "photo"},
                             photo="新照片" if stored else "")
    except sqlite3.IntegrityError as error:
        _drop(stored, data_dir)
        if "terms are fixed" in str(error):
            raise ValidationError({"match_ratio": TERMS_FIXED}) from None
        raise
    except BaseException:
        _drop(stored, data_dir)
        raise
    if stored and old.photo:
        _drop([old.photo], data_dir)
    return get_project(db, project_id)


def _day_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else _text(value)


def launch(db: Database, actor: User, *, project_id: int) -> Project:
    """草稿 → 众筹中: the terms are fixed from now on. Needs a cash goal or a labour task."""
    require_role(actor, STAFF)
    with immediate(db):
        project = _moving(db, project_id, RAISING)
        tasks = scalar(db, "SELECT COUNT(*) FROM crowdfund_tasks WHERE project_id = ?",
                       (project.id,))
        if not project.goal_fen and not tasks:
            raise ValidationError("发起前请设置筹资目标，或至少添加一个出工时段。")
        if project.deadline < local_today().isoformat():
            raise ValidationError({"deadline": "截止日期已过，请先修改截止日期再发起。"})
        _set_status(db, actor, project, RAISING, "launched_at", "crowdfund.launch")
    return get_project(db, project_id)


def start_building(db: Database, actor: User, *, project_id: int) -> Project:
    """众筹中 → 实施中: the work begins; pledges already made may still be confirmed."""
    require_role(actor, STAFF)
    with immediate(db):
        project = _moving(db, project_id, BUILDING)
        _set_status(db, actor, project, BUILDING, "building_at", "crowdfund.build")
    return get_project(db, project_id)


def complete(db: Database, actor: User, *, project_id: int, summary: str,
             report_photos: list[bytes] | tuple[bytes, ...] = (),
             data_dir: Path | None = None) -> Project:
    """实施中 → 已完成 with the final report (a summary and 1-9 photos).

    Refused while a pledge is still 认捐 or a slot that has begun still has unmarked sign-ups:
    the public ledger of a finished project must be final. Sign-ups for slots still to come are
    released (the work is done without them). Raises PermissionDenied, NotFound, ValidationError,
    PhotoRejected; nothing is stored on a refusal.
    """
    require_role(actor, STAFF)
    summary = _text(summary)
    if not summary:
        raise ValidationError({"summary": "请填写完工报告：做了什么、花了多少、效果如何。"})
    if len(summary) > REPORT_MAX:
        raise ValidationError({"summary": f"完工报告不能超过 {REPORT_MAX} 个字。"})
    shots = [shot for shot in report_photos or () if shot]
    if not shots:
        raise ValidationError({"photos": "请上传至少一张完工照片。"})
    if len(shots) > REPORT_PHOTOS_MAX:
        raise ValidationError({"photos": f"完工照片最多 {REPORT_PHOTOS_MAX} 张。"})
    with immediate(db):  # refuse before the photos are processed and stored
        _ready_to_finish(db, _moving(db, project_id, DONE))
    stored = _keep(shots, data_dir)
    try:
        with immediate(db):
            project = _moving(db, project_id, DONE)
            _ready_to_finish(db, project)
            now = now_iso()
            for name in stored:
                db.execute("INSERT INTO crowdfund_photos (project_id, photo, created_by,"
                           " created_at) VALUES (?, ?, ?, ?)", (project.id, name, actor.id, now))
            db.execute("UPDATE crowdfund_projects SET final_report = ? WHERE id = ?",
                       (summary, project.id))
            _set_status(db, actor, project, DONE, "done_at", "crowdfund.complete",
                        photos=len(stored), released=labour.release_all(db, project.id))
    except BaseException:
        _drop(stored, data_dir)
        raise
    return get_project(db, project_id)


def _ready_to_finish(db: Database, project: Project) -> None:
    """Refuse to finish while money or attendance waits; slots still to come do not block."""
    waiting = db.execute("SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM crowdfund_pledges"
                         " WHERE project_id = ? AND status = 'pledged'", (project.id,)).fetchone()
    problems = []
    if waiting[0]:
        problems.append(f"还有 {waiting[0]} 笔认捐（共 {yuan_text(waiting[1])} 元）未确认，"
                        "请先在 众筹账目 › 到账确认 中确认到账或标记未到账")
    unmarked = [row for row in db.query(
        "SELECT t.name, t.work_on, t.starts_at, COUNT(*) AS people FROM crowdfund_tasks t"
        " JOIN crowdfund_signups s ON s.task_id = t.id"
        " WHERE t.project_id = ? AND s.status = 'signed'"
        " GROUP BY t.id ORDER BY t.work_on, t.starts_at, t.id", (project.id,))
        if labour.starts_of(row["work_on"], row["starts_at"]) <= utc_now()]
    if unmarked:
        slots = "、".join(f"{row['name']}（{row['work_on']} {row['starts_at']}，{row['people']} 人）"
                         for row in unmarked)
        problems.append(f"这些出工时段还有报名未登记出勤：{slots}，请先在 众筹账目 › 出勤登记 中登记")
    if problems:
        raise ValidationError({"project": "；".join(problems) + "。"})


def cancel(db: Database, actor: User, *, project_id: int, reason: str) -> Project:
    """Call a project off with a reason: confirmed cash is refunded, pledges and slots released.

    Refused once any money has been spent (it cannot be given back whole). The refunds
    (pledges.settle_on_cancel), the grants returned (books.return_grants) and the released
    slots (labour.release_all) are written in the same transaction as the status, so a
    cancelled project never holds money.
    """
    from lib.crowdfund import books, pledges  # they read projects: imported when used

    require_role(actor, STAFF)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": "请填写取消原因，居民会在项目页看到。"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"取消原因不能超过 {REASON_MAX} 个字。"})
    with immediate(db):
        project = _moving(db, project_id, CANCELLED)
        spent = scalar(db, "SELECT COUNT(*) FROM crowdfund_spending WHERE project_id = ?",
                       (project.id,))
        if spent:
            raise ValidationError("项目已有支出，不能取消；请把项目做完并在完工报告中说明。")
        db.execute("UPDATE crowdfund_projects SET cancel_reason = ? WHERE id = ?",
                   (reason, project.id))
        _set_status(db, actor, project, CANCELLED, "cancelled_at", "crowdfund.cancel",
                    reason=reason)
        pledges.settle_on_cancel(db, actor, project.id)
        books.return_grants(db, actor, project.id)
        labour.release_all(db, project.id)
    return get_project(db, project_id)


def _moving(db: Database, project_id: int, to: str) -> Project:
    project = get_project(db, project_id)
    if to not in TRANSITIONS[project.status]:
        raise ValidationError(f"{project.status_label}的项目不能{_VERBS[to]}。")
    return project


_VERBS = {RAISING: "发起众筹", BUILDING: "开始实施", DONE: "完工", CANCELLED: "取消"}


def _set_status(db: Database, actor: User, project: Project, status: str, stamp: str,
                action: str, **detail: object) -> None:
    now = now_iso()
    # stamp is one of the four *_at column names passed by this module, never user text
    db.execute(f"UPDATE crowdfund_projects SET status = ?, {stamp} = ?, updated_at = ?"
               " WHERE id = ?", (status, now, now, project.id))
    audit.record(db, actor.id, action, "crowdfund_project", project.id, title=project.title,
                 **detail)


# --- labour tasks -------------------------------------------------------------------------


def _check_task(values: dict[str, object]) -> dict[str, object]:
    errors: dict[str, str] = {}
    out: dict[str, object] = {}
    if "name" in values:
        out["name"] = _line(values["name"], "name", "出工内容", "，例如 平整地面", TASK_NAME_MAX,
                            errors)
    if "work_on" in values:
        out["work_on"] = _day(values["work_on"], "work_on", "出工日期", errors)
    if "starts_at" in values:
        out["starts_at"] = _clock(values["starts_at"], errors)
    if "hours" in values:
        out["half_hours"] = _half_hours(values["hours"], errors)
    if "headcount" in values:
        out["headcount"] = _whole(values["headcount"])
        if out["headcount"] is None or not 1 <= out["headcount"] <= HEADCOUNT_MAX:
            errors["headcount"] = f"需要人数应是 1 到 {HEADCOUNT_MAX} 的整数。"
    if errors:
        raise ValidationError(errors)
    return out


def _clock(value: object, errors: dict[str, str]) -> str:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    match = _CLOCK.fullmatch(_text(value).translate(_FULL_WIDTH))
    if match is None:
        errors["starts_at"] = "开始时间请写成 时:分，例如 09:00。"
        return ""
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _half_hours(value: object, errors: dict[str, str]) -> int:
    message = f"时长应是 0.5 到 {HALF_HOURS_MAX // 2} 小时，以半小时为单位。"
    if isinstance(value, bool):
        errors["hours"] = message
        return 0
    text = str(value).translate(_FULL_WIDTH).strip().removesuffix("小时").strip()
    if not _HOURS.fullmatch(text):
        errors["hours"] = message
        return 0
    doubled = Decimal(text) * 2
    if doubled != doubled.to_integral_value() or not 1 <= doubled <= HALF_HOURS_MAX:
        errors["hours"] = message
        return 0
    return int(doubled)


def get_task(db: Database, task_id: object) -> labour.Slot:
    """One labour slot with its live sign-ups; raises NotFound (also for a crafted id)."""
    if not is_row_id(task_id):
        raise NotFound("找不到该出工时段。")
    return labour.get_slot(db, task_id)


def _task_project(db: Database, project_id: int) -> Project:
    project = get_project(db, project_id)
    if project.status not in EDITABLE:
        raise ValidationError(f"{project.status_label}的项目不能再修改出工时段。")
    return project


def add_task(db: Database, actor: User, *, project_id: int, name: str, work_on: object,
             starts_at: object, hours: object, headcount: int) -> labour.Slot:
    """A labour slot (staff and up): what, which day, from when, how long, how many people."""
    require_role(actor, STAFF)
    values = _check_task({"name": name, "work_on": work_on, "starts_at": starts_at,
                          "hours": hours, "headcount": headcount})
    with immediate(db):
        project = _task_project(db, project_id)
        task_id = db.execute(
            "INSERT INTO crowdfund_tasks (project_id, name, work_on, starts_at, half_hours,"
            " headcount, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (project.id, values["name"], values["work_on"], values["starts_at"],
             values["half_hours"], values["headcount"], now_iso())).lastrowid
        audit.record(db, actor.id, "crowdfund.task_add", "crowdfund_project", project.id,
                     task=values["name"], work_on=values["work_on"],
                     headcount=values["headcount"])
    return get_task(db, task_id)


def update_task(db: Database, actor: User, *, task_id: int, **fields: object) -> labour.Slot:
    """Change a slot (staff and up); only the fields given (name, work_on, starts_at, hours,
    headcount) change. The headcount never drops below the people already signed up."""
    require_role(actor, STAFF)
    unknown = set(fields) - {"name", "work_on", "starts_at", "hours", "headcount"}
    if unknown:
        raise TypeError(f"update_task() got unexpected fields {sorted(unknown)}")
    old = get_task(db, task_id)
    if "work_on" in fields and _day_text(fields["work_on"]) == old.work_on:
        del fields["work_on"]
    values = _check_task(fields)
    with immediate(db):
        old = get_task(db, task_id)
        _task_project(db, old.project_id)
        if values.get("headcount", old.headcount) < old.taken:
            raise ValidationError({"headcount": f"已有 {old.taken} 人报名，需要人数不能少于 "
                                                f"{old.taken}。"})
        changed = {column: value for column, value in values.items()
                   if getattr(old, column) != value}
        if changed:
            assignments = ", ".join(f"{column} = ?" for column in changed)  # known names
            db.execute(f"UPDATE crowdfund_tasks SET {assignments} WHERE id = ?",
                       (*changed.values(), old.id))
            audit.record(db, actor.id, "crowdfund.task_edit", "crowdfund_project",
                         old.project_id, task=changed.get("name", old.name),
                         old={column: getattr(old, column) for column in changed})
    return get_task(db, task_id)


def remove_task(db: Database, actor: User, *, task_id: int) -> None:
    """Delete a slot nobody holds (staff and up); withdrawn sign-ups go with it."""
    require_role(actor, STAFF)
    with immediate(db):
        task = get_task(db, task_id)
        _task_project(db, task.project_id)
        if task.taken:
            raise ValidationError(f"“{task.name}”已有 {task.taken} 人报名，不能删除；"
                                  "可以修改时间，或取消整个项目。")
        db.execute("DELETE FROM crowdfund_signups WHERE task_id = ?", (task.id,))
        db.execute("DELETE FROM crowdfund_tasks WHERE id = ?", (task.id,))
        audit.record(db, actor.id, "crowdfund.task_remove", "crowdfund_project",
                     task.project_id, task=task.name, work_on=task.work_on)


# --- photos -------------------------------------------------------------------------------


def _keep(uploads: list[bytes | None], data_dir: Path | None) -> list[str]:
    """Check and store each upload (none given, none stored); a refusal removes those stored."""
    stored: list[str] = []
    try:
        for upload in filter(None, uploads):
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
