"""What a star building is judged on: the star criteria, their weights and the participation weight.

THE RULES kept here (admins change them on 管理 › 评比标准):
- Each active star criterion (default 环境卫生 25, 楼道整洁 20, 车辆停放 15, 邻里和睦 10) is
  scored 1-5 stars by a rater; a star is worth 20 points. The participation index (参与度,
  default 30) is computed from the portal, not rated. The weights are whole numbers 0-100 and
  the active ones add up to exactly 100, so a month's score is a weighted mean on 0-100.
- A criterion is never deleted (past months' stars point at it): it is deactivated, and a
  draft month is then judged without it. A published month keeps the weights it was judged by
  (ranking_months.weights, the snapshot taken at publication).
- Who rates: a leader rates the buildings of the micro-grid they lead; when an admin turns on
  ``ranking.leaders_score_all``, every leader may rate every building (a small community with
  one or two judges). Staff and admins may always rate any building.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate, scalar
from lib.core.errors import ValidationError
from lib.core.roles import ADMIN, User, require_role


STARS, PARTICIPATION = "stars", "participation"
NAME_MAX = 8  # a criterion's name is a column header of the phone-sized score table
MAX_STAR_CRITERIA = 6  # more star columns than this no longer fit a phone's score table
TOTAL_WEIGHT = 100
LEADERS_SCORE_ALL = "ranking.leaders_score_all"


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    kind: str
    weight: int
    position: int
    active: bool

    @property
    def is_participation(self) -> bool:
        return self.kind == PARTICIPATION


def list_criteria(db: Database, *, active_only: bool = False) -> list[Criterion]:
    """Every criterion in menu order (participation last among equals); inactive ones too unless asked."""
    sql = "SELECT id, name, kind, weight, position, active FROM ranking_criteria"
    if active_only:
        sql += " WHERE active = 1"
    rows = db.execute(sql + " ORDER BY position, id").fetchall()
    return [Criterion(*row[:5], active=bool(row[5])) for row in rows]


def star_criteria(db: Database) -> list[Criterion]:
    """The active star criteria: the columns a rater fills in, in order."""
    return [c for c in list_criteria(db, active_only=True) if c.kind == STARS]


def _weights_text(db: Database) -> str:
    """The active weights as the audit log shows them: 环境卫生 25、…、参与度 30."""
    return "、".join(f"{c.name} {c.weight}" for c in list_criteria(db, active_only=True))


_SWITCH = {True: "所有楼栋", False: "本微网格"}


def _clean_name(value: object) -> str:
    # NFKC so a full-width space or letter typed on a phone is the same name as the plain one
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def _whole_number(value: object) -> int | None:
    """An integer from what a table cell holds (25, 25.0, '25'), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        return int(text) if text.isascii() and text.isdigit() else None
    return None


def _check_rows(current: dict[int, Criterion], rows: list[dict]) -> list[dict]:
    """Validate the whole edited list; return it cleaned or raise one ValidationError listing every problem."""
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    seen_ids: set[int] = set()
    names: set[str] = set()
    for number, row in enumerate(rows, start=1):
        ident = row.get("id")
        criterion = None
        if ident is not None:
            criterion = current.get(ident) if isinstance(ident, int) else None
            if criterion is None or ident in seen_ids:
                errors["_"] = "评比标准已被他人修改，请刷新页面后重试。"
                continue
            seen_ids.add(ident)
        name = _clean_name(row.get("name"))
        label = name or (criterion.name if criterion else f"第{number}行")
        if not name:
            errors[f"name{number}"] = f"第{number}行：请填写标准名称。"
        elif len(name) > NAME_MAX:
            errors[f"name{number}"] = f"“{name}”太长：名称最多{NAME_MAX}个字，手机上的评分表才放得下。"
        elif name.casefold() in names:
            errors[f"name{number}"] = f"有两项标准都叫“{name}”，名称不能重复。"
        names.add(name.casefold())
        weight = _whole_number(row.get("weight"))
        if weight is None or not 0 <= weight <= TOTAL_WEIGHT:
            errors[f"weight{number}"] = f"{label}的权重应为 0-100 的整数。"
        kind = criterion.kind if criterion else STARS
        active = bool(row.get("active", True))
        if kind == PARTICIPATION and not active:
            errors["participation"] = "参与度不能停用；不想计入时请把它的权重设为 0。"
        cleaned.append({"id": ident, "name": name, "kind": kind, "weight": weight,
                        "active": active})
    if set(current) - seen_ids:
        errors["_"] = "评比标准已被他人修改，请刷新页面后重试。"
    if errors:
        raise ValidationError(errors)
    active_rows = [row for row in cleaned if row["active"]]
    stars = [row for row in active_rows if row["kind"] == STARS]
    if not stars:
        raise ValidationError({"_": "至少要保留一项打星的标准。"})
    if len(stars) > MAX_STAR_CRITERIA:
        raise ValidationError({"_": f"启用的打星标准最多{MAX_STAR_CRITERIA}项，手机上的评分表才放得下。"})
    total = sum(row["weight"] for row in active_rows)
    if total != TOTAL_WEIGHT:
        raise ValidationError({"weight": f"启用的各项权重（含参与度）合计应为 100，现在是 {total}。"})
    return cleaned


def save_criteria(db: Database, actor: User, *, rows: list[dict]) -> list[Criterion]:
    """Replace the criteria with the edited list, all or nothing (ADMIN).

    ``rows`` is the whole list as the admin sees it: each {id (None for a new star criterion),
    name, weight, active}. Names are non-empty, at most NAME_MAX characters and unique; weights
    are integers 0-100 and the active ones (participation included) add up to 100; at least one
    star criterion stays active; participation cannot be deactivated (weight 0 switches it off).
    A list missing a criterion that exists (someone changed it meanwhile) is refused.

    Raises PermissionDenied below ADMIN, ValidationError (Chinese, keyed by field) otherwise;
    nothing is written unless everything is valid. Saving an unchanged list writes nothing.
    """
    require_role(actor, ADMIN)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({"_": "评比标准的格式不对。"})
    with immediate(db):
        current = {c.id: c for c in list_criteria(db)}
        cleaned = _check_rows(current, rows)
        before = _weights_text(db)
        now = now_iso()
        changed = False
        # free every edited name first, so two criteria can swap names without a UNIQUE clash
        for row in cleaned:
            old = current.get(row["id"])  # None for a new row (id None)
            if old is not None and (old.name, old.weight, old.active) != (
                    row["name"], row["weight"], row["active"]):
                db.execute("UPDATE ranking_criteria SET name = ? WHERE id = ?",
                           (f"\x00{old.id}", old.id))
        position = max(c.position for c in current.values())  # participation's row always exists
        for row in cleaned:
            old = current.get(row["id"])  # None for a new row (id None)
            if old is None:
                position += 1
                db.execute("INSERT INTO ranking_criteria (name, kind, weight, position, active,"
                           " updated_by, updated_at) VALUES (?, 'stars', ?, ?, ?, ?, ?)",
                           (row["name"], row["weight"], position, int(row["active"]), actor.id, now))
                changed = True
            elif (old.name, old.weight, old.active) != (row["name"], row["weight"], row["active"]):
                db.execute("UPDATE ranking_criteria SET name = ?, weight = ?, active = ?,"
                           " updated_by = ?, updated_at = ? WHERE id = ?",
                           (row["name"], row["weight"], int(row["active"]), actor.id, now, old.id))
                changed = True
        if changed:
            audit.record(db, actor.id, "ranking.criteria", "ranking_criteria", "",
                         old=before, new=_weights_text(db))
    return list_criteria(db)


def leaders_score_all(db: Database) -> bool:
    """Whether every leader may rate every building (else only their own micro-grid's)."""
    return scalar(db, "SELECT value FROM settings WHERE key = ?", (LEADERS_SCORE_ALL,)) == "1"


def set_leaders_score_all(db: Database, actor: User, *, on: bool) -> None:
    """Let every leader rate every building, or only their own micro-grid's (ADMIN; audited)."""
    require_role(actor, ADMIN)
    if not isinstance(on, bool):
        raise ValidationError({"leaders_score_all": "请选择开或关。"})
    with immediate(db):
        old = leaders_score_all(db)
        if old == on:
            return
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key)"
                   " DO UPDATE SET value = excluded.value", (LEADERS_SCORE_ALL, "1" if on else "0"))
        audit.record(db, actor.id, "ranking.leaders_score_all", "ranking_criteria", "",
                     old=_SWITCH[old], new=_SWITCH[on])
