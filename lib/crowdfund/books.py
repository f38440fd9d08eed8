"""众筹账目: spending against the money held, and the public ledger (公示) built from the books.

What makes residents give again is seeing exactly where the money went: every confirmed
contribution (names masked), the sponsor's match, the labour given, every spending with its
receipt and the balance after each line, all exact to the fen.

A grant (奖励金, e.g. the 星级楼栋 red flag's reward) is money paid into a project that is not
residents' cash: it earns no match, but it is held and spent like received cash, shows in the
公示 with its source, and goes back (退回) if the project is cancelled.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import NamedTuple
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from lib.core import audit, photos
from lib.core.clock import local_today, now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.crowdfund import projects
from lib.crowdfund.money import MAX_PROJECT_FEN, parse_yuan, yuan_text
from lib.people.users import mask_name


ITEM_MAX = 100
SPENDING_STATUSES = ("raising", "building")  # money comes in and goes out while these last
ANONYMOUS = "匿名"
KIND_LABELS = {"cash": "居民出资", "labour": "出工", "spending": "支出", "refund": "退款",
               "grant": "奖励金", "grant_return": "退回"}
SOURCE_MAX = 100


def balance(db: Database, project_id: int) -> int:
    """Money held in fen: confirmed cash and its stored match and received grants, less
    everything spent.

    The same sum the spending trigger checks, so the message and the trigger never disagree.
    """
    return scalar(
        db, "SELECT (SELECT COALESCE(SUM(amount_fen + match_fen), 0) FROM crowdfund_pledges"
            "  WHERE project_id = ? AND status = 'received')"
            " + (SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_grants"
            "  WHERE project_id = ? AND status = 'received')"
            " - (SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_spending WHERE project_id = ?)",
        (project_id, project_id, project_id))


def over_balance(held_fen: int) -> ValidationError:
    return ValidationError({"amount": f"支出超过结余：当前结余 {yuan_text(held_fen)} 元"})


def _check_spending(amount: object, item: object, spent_on: object) -> tuple[int, str, str]:
    """Every field checked at once, so the form shows all its problems together."""
    errors: dict[str, str] = {}
    try:
        fen = parse_yuan(amount, high_fen=MAX_PROJECT_FEN)
    except ValidationError as error:
        errors.update(error.fields)
    text = " ".join(str(item or "").split())
    if not text:
        errors["item"] = "请填写支出事项，例如“水泥 20 袋”。"
    elif len(text) > ITEM_MAX:
        errors["item"] = f"支出事项不能超过 {ITEM_MAX} 个字。"
    try:
        when = date.fromisoformat(str(spent_on))  # a date, or its ISO text; not a datetime
    except ValueError:
        errors["spent_on"] = "请选择支出日期。"
    else:
        if when > local_today():
            errors["spent_on"] = "支出日期不能晚于今天。"
        day = when.isoformat()
    if errors:
        raise ValidationError(errors)
    return fen, text, day


def _by_key(db: Database, key: str) -> dict | None:
    return one(db, "SELECT * FROM crowdfund_spending WHERE submission_key = ?", (key,))


def _same_submission(row: dict, project_id: int) -> dict:
    if row["project_id"] != project_id:
        raise ValidationError({"key": "该操作编号已用于另一条记录，请刷新页面后重试。"})
    return row


class _AlreadyRecorded(Exception):
    def __init__(self, row: dict):
        self.row = row


def record_spending(db: Database, actor: User, *, project_id: int, amount: object, item: str,
                    spent_on: object, key: str, receipt: bytes | None = None,
                    data_dir: Path | None = None) -> dict:
    """Record one spending of a raising or building project, within the money held (STAFF).

    ``amount`` is what staff typed (yuan); the receipt photo, if any, goes through the photo
    pipeline (needs ``data_dir``) and is removed again if nothing is saved. Repeating ``key``
    returns the first spending. Raises PermissionDenied, ValidationError (the amount beyond the
    balance: "支出超过结余：当前结余 X 元"), PhotoRejected or NotFound; nothing changes on a refusal.
    """
    require_role(actor, STAFF)
    key = str(key or "").strip()
    if not key:
        raise ValidationError({"key": "缺少操作编号，请刷新页面后重试。"})
    existing = _by_key(db, key)
    if existing is not None:
        return _same_submission(existing, project_id)
    fen, text, day = _check_spending(amount, item, spent_on)
    project = projects.get_project(db, project_id)
    if project.status not in SPENDING_STATUSES:
        raise ValidationError({"project": f"项目{project.status_label}，不能登记支出。"})
    name = photos.store(data_dir, photos.process_photo(receipt)) if receipt else None  # type: ignore[arg-type]
    try:
        with immediate(db):
            again = _by_key(db, key)  # a double tap that waited for the lock
            if again is not None:
                raise _AlreadyRecorded(again)
            status = scalar(db, "SELECT status FROM crowdfund_projects WHERE id = ?",
                            (project_id,))
            if status not in SPENDING_STATUSES:
                raise ValidationError({"project": f"项目{projects.STATUS_LABELS[status]}，不能登记支出。"})
            held = balance(db, project_id)
            if fen > held:
                raise over_balance(held)
            spending_id = db.execute(
                "INSERT INTO crowdfund_spending (project_id, amount_fen, item, spent_on, receipt,"
                " recorded_by, submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (project_id, fen, text, day, name, actor.id, key, now_iso())).lastrowid
            audit.record(db, actor.id, "crowdfund.spend", "crowdfund_spending", spending_id,
                         project=project_id, yuan=yuan_text(fen), item=text, receipt=bool(name))
    except _AlreadyRecorded as first:
        _forget(data_dir, name)
        return _same_submission(first.row, project_id)
    except sqlite3.IntegrityError:
        _forget(data_dir, name)
        # the trigger's last line of defence (or a key taken between our check and the insert)
        first = _by_key(db, key)
        if first is not None:
            return _same_submission(first, project_id)
        raise over_balance(balance(db, project_id)) from None
    except BaseException:
        _forget(data_dir, name)
        raise
    return _by_key(db, key)  # type: ignore[return-value]


def _forget(data_dir: Path | None, name: str | None) -> None:
    if name is not None:
        photos.delete(data_dir, name)  # type: ignore[arg-type]


def spending_of(db: Database, project_id: int) -> list[dict]:
    """A project's spending, newest first, for the staff tab."""
    return list(db.query(
        "SELECT * FROM crowdfund_spending WHERE project_id = ? ORDER BY spent_on DESC, id DESC",
        (project_id,)))



# --- grants (奖励金) -------------------------------------------------------------------------


def _grant_by_key(db: Database, key: str) -> dict | None:
    return one(db, "SELECT * FROM crowdfund_grants WHERE submission_key = ?", (key,))


def _check_grant(amount_fen: object, source: object) -> tuple[int, str]:
    errors: dict[str, str] = {}
    if type(amount_fen) is not int or amount_fen <= 0:  # not a bool, a float or text
        errors["amount"] = "奖励金金额必须是大于 0 的整数分。"
    elif amount_fen > MAX_PROJECT_FEN:
        errors["amount"] = f"奖励金金额不能超过 {yuan_text(MAX_PROJECT_FEN)} 元。"
    text = " ".join(str(source or "").split())
    if not text:
        errors["source"] = "请填写奖励金的来源，例如“2026年10月流动红旗奖励”。"
    elif len(text) > SOURCE_MAX:
        errors["source"] = f"奖励金来源不能超过 {SOURCE_MAX} 个字。"
    if errors:
        raise ValidationError(errors)
    return amount_fen, text  # type: ignore[return-value]


def _same_grant(row: dict, project_id: int) -> int:
    if row["project_id"] != project_id:
        raise ValidationError({"key": "该操作编号已用于另一笔奖励金，请刷新页面后重试。"})
    return row["id"]


def add_grant(db: Database, actor: User, *, project_id: int, amount_fen: int, source: str,
              key: str) -> int:
    """Pay a grant (奖励金) of ``amount_fen`` from ``source`` into a raising or building project
    (STAFF and up); returns the grant's id.

    A grant is not residents' cash: no match is unlocked and no points are given; it is held
    and may be spent like received cash (the spending trigger counts it). Repeating ``key``
    returns the first grant and writes nothing, so the 星级楼栋 reward paid at publication
    (key ``ranking:<month>:reward``) is paid once however often publishing is retried. Runs in
    its own write transaction, or as a savepoint inside the caller's. Raises PermissionDenied,
    NotFound, or ValidationError (bad amount or source, a project not 众筹中/实施中); nothing
    changes on a refusal.
    """
    require_role(actor, STAFF)
    fen, text = _check_grant(amount_fen, source)
    if not str(key or "").strip():
        raise ValidationError({"key": "缺少操作编号，请刷新页面后重试。"})
    existing = _grant_by_key(db, key := str(key).strip())
    if existing is not None:
        return _same_grant(existing, project_id)
    project = projects.get_project(db, project_id)
    if project.status not in SPENDING_STATUSES:
        raise ValidationError({"project": f"项目{project.status_label}，只有众筹中或实施中的项目"
                                          "能收奖励金。"})
    try:
        with immediate(db):
            again = _grant_by_key(db, key)  # a repeat that waited for the lock
            if again is not None:
                raise _AlreadyRecorded(again)
            status = scalar(db, "SELECT status FROM crowdfund_projects WHERE id = ?",
                            (project_id,))
            if status not in SPENDING_STATUSES:
                raise ValidationError({"project": f"项目{projects.STATUS_LABELS[status]}，只有"
                                                  "众筹中或实施中的项目能收奖励金。"})
            grant_id = db.execute(
                "INSERT INTO crowdfund_grants (project_id, amount_fen, source, granted_by,"
                " submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (project_id, fen, text, actor.id, key, now_iso())).lastrowid
            audit.record(db, actor.id, "crowdfund.grant", "crowdfund_grant", grant_id,
                         project=project_id, yuan=yuan_text(fen), source=text)
    except _AlreadyRecorded as first:
        return _same_grant(first.row, project_id)
    except sqlite3.IntegrityError:
        first = _grant_by_key(db, key)  # the key taken between our check and the insert
        if first is None:
            raise
        return _same_grant(first, project_id)
    return grant_id


def return_grants(db: Database, actor: User, project_id: int) -> int:
    """Mark a cancelled project's received grants returned (退回); returns how many.

    Runs inside the caller's transaction (projects.cancel), so a cancelled project never holds
    a grant; cancel is refused once anything is spent, so a grant always goes back whole.
    """
    now = now_iso()
    returned = db.execute(
        "UPDATE crowdfund_grants SET status = 'returned', returned_at = ?"
        " WHERE project_id = ? AND status = 'received'", (now, project_id)).rowcount
    if returned:
        audit.record(db, actor.id, "crowdfund.grant_return", "crowdfund_project", project_id,
                     grants=returned)
    return returned


def grants_of(db: Database, project_id: int) -> list[dict]:
    """A project's grants, oldest first, as the books hold them."""
    return list(db.query("SELECT * FROM crowdfund_grants WHERE project_id = ? ORDER BY id",
                         (project_id,)))


# --- the public ledger ----------------------------------------------------------------------


class LedgerRow(NamedTuple):
    """One line of the 公示; money in fen (negative going out), labour in half hours.

    A named tuple rather than a dataclass: a project with 5,000 contributions builds 5,000 of
    these on every view of its 公示, and a tuple is made several times faster.
    """
    kind: str  # cash | labour | spending | refund | grant | grant_return
    day: str  # the local date it happened
    who: str  # masked name, 匿名, or "" for spending
    item: str
    cash_fen: int = 0
    match_fen: int = 0
    half_hours: int = 0
    labour_fen: int = 0
    spent_fen: int = 0
    receipt: str | None = None
    balance_fen: int = 0
    grant_fen: int = 0  # a grant in, or (negative) returned; ``item`` holds its source

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def money_fen(self) -> int:
        """What the line moves in money: cash, match and grants in, spending, refunds and
        returned grants out."""
        return self.cash_fen + self.match_fen + self.grant_fen - self.spent_fen


@dataclass(frozen=True)
class Totals:
    cash_fen: int
    match_fen: int
    labour_half_hours: int
    labour_fen: int
    spent_fen: int
    refunded_fen: int
    balance_fen: int
    contributions: int  # confirmed pledges still held
    workers: int  # attended sign-ups
    grant_fen: int = 0  # grants held (received, not returned)
    grants_returned_fen: int = 0
    grant_sources: tuple[str, ...] = ()  # of the grants held, oldest first

    @property
    def total_fen(self) -> int:
        """Everything the project was given: resident cash, the match, grants and the labour's
        value."""
        return self.cash_fen + self.match_fen + self.grant_fen + self.labour_fen


@dataclass(frozen=True)
class Ledger:
    project: projects.Project
    rows: list[LedgerRow]
    totals: Totals


# Asia/Shanghai has kept UTC+8 without daylight saving since 1991: SQLite's date() with
# '+8 hours' gives the community's date of a stored UTC time, 5,000 times without Python's
# zoneinfo (clock.local_text) in the loop.
_LOCAL_DAY = "date({}, '+8 hours')"


def public_ledger(db: Database, project_id: int) -> Ledger:
    """The 公示 of one project, oldest first in the order the books were written.

    Only confirmed money (已到账, and 已退款 with its refund line) and attended labour appear;
    a 认捐 or 未到账 pledge is a promise, not money, and is never shown. Rows follow the time each
    was recorded, so the running balance never dips below zero (the trigger held it there).
    Labour is valued at the published hourly rate; each row's value is its share of the whole
    (difference of totals), so the rows add up to the total exactly. A grant is a 奖励金 line
    with its source as the item; a returned one adds a 退回 line when it went back.
    """
    project = projects.get_project(db, project_id)
    # (recorded at, order within the same second, id, the row's fields but its balance)
    events: list[tuple] = []
    cash = match = refunded = contributions = 0
    for (pledge_id, amount, share, anonymous, status, decided, refunded_at, day, refund_day,
         display) in db.execute(
            "SELECT p.id, p.amount_fen, p.match_fen, p.anonymous, p.status, p.decided_at,"
            f" p.refunded_at, {_LOCAL_DAY.format('p.decided_at')},"
            f" {_LOCAL_DAY.format('p.refunded_at')}, u.display_name FROM crowdfund_pledges p"
            " JOIN users u ON u.id = p.user_id WHERE p.project_id = ?"
            " AND p.status IN ('received', 'refunded')", (project_id,)):
        who = ANONYMOUS if anonymous else mask_name(display)
        events.append((decided or "", 0, pledge_id,
                       ("cash", day or "", who, "居民出资", amount, share, 0, 0, 0, None)))
        if status == "refunded":
            refunded += amount + share
            events.append((refunded_at or decided or "", 3, pledge_id,
                           ("refund", refund_day or day or "", who, "项目取消，退还出资，配套撤回",
                            -amount, -share, 0, 0, 0, None)))
        else:
            cash += amount
            match += share
            contributions += 1
    hour_fen = project.labour_hour_fen
    worked = workers = 0
    for signup_id, marked_at, work_on, task, half_hours, display in db.execute(
            "SELECT s.id, s.marked_at, t.work_on, t.name, t.half_hours, u.display_name"
            " FROM crowdfund_signups s JOIN crowdfund_tasks t ON t.id = s.task_id"
            " JOIN users u ON u.id = s.user_id WHERE t.project_id = ? AND s.status = 'attended'"
            " ORDER BY s.marked_at, s.id", (project_id,)):
        value = (worked + half_hours) * hour_fen // 2 - worked * hour_fen // 2
        worked += half_hours
        workers += 1
        events.append((marked_at or "", 1, signup_id,
                       ("labour", work_on, mask_name(display), task, 0, 0, half_hours, value,
                        0, None)))
    granted = grants_returned = 0
    sources: list[str] = []
    for grant_id, amount, source, status, created_at, returned_at, day, return_day in db.execute(
            "SELECT id, amount_fen, source, status, created_at, returned_at,"
            f" {_LOCAL_DAY.format('created_at')}, {_LOCAL_DAY.format('returned_at')}"
            " FROM crowdfund_grants WHERE project_id = ?", (project_id,)):
        events.append((created_at, 0.5, grant_id,
                       ("grant", day, "", source, 0, 0, 0, 0, 0, None), amount))
        if status == "returned":
            grants_returned += amount
            events.append((returned_at or created_at, 3.5, grant_id,
                           ("grant_return", return_day or day, "", source, 0, 0, 0, 0, 0, None),
                           -amount))
        else:
            granted += amount
            sources.append(source)
    spent = 0
    for spending_id, amount, item, spent_on, receipt, created_at in db.execute(
            "SELECT id, amount_fen, item, spent_on, receipt, created_at FROM crowdfund_spending"
            " WHERE project_id = ?", (project_id,)):
        spent += amount
        events.append((created_at, 2, spending_id,
                       ("spending", spent_on, "", item, 0, 0, 0, 0, amount, receipt)))
    events.sort(key=lambda event: event[:3])
    rows, running = [], 0
    for _, _, _, fields, *grant in events:
        grant_fen = grant[0] if grant else 0
        running += fields[4] + fields[5] + grant_fen - fields[8]
        rows.append(LedgerRow(*fields, running, grant_fen))
    totals = Totals(cash_fen=cash, match_fen=match, labour_half_hours=worked,
                    labour_fen=worked * hour_fen // 2, spent_fen=spent, refunded_fen=refunded,
                    balance_fen=cash + match + granted - spent, contributions=contributions,
                    workers=workers, grant_fen=granted, grants_returned_fen=grants_returned,
                    grant_sources=tuple(sources))
    return Ledger(project, rows, totals)


def ledger_version(db: Database, project_id: int) -> tuple:
    """What changes whenever the 公示 does: counts and latest times of the rows it is made of.

    Cheap (indexes only for the pledges), so a page can keep a built ledger until it changes.
    """
    return db.execute(
        "SELECT (SELECT status || updated_at FROM crowdfund_projects WHERE id = :p),"
        " (SELECT COUNT(*) FROM crowdfund_pledges WHERE project_id = :p"
        "  AND status = 'received'),"
        " (SELECT MAX(decided_at) FROM crowdfund_pledges WHERE project_id = :p"
        "  AND status = 'received'),"
        " (SELECT COUNT(*) FROM crowdfund_pledges WHERE project_id = :p AND status = 'refunded'),"
        " (SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) FROM crowdfund_spending"
        "  WHERE project_id = :p),"
        " (SELECT COUNT(*) || ':' || COALESCE(MAX(s.marked_at), '') FROM crowdfund_signups s"
        "  JOIN crowdfund_tasks t ON t.id = s.task_id WHERE t.project_id = :p"
        "  AND s.status = 'attended'),"
        " (SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) || ':' || COALESCE(MAX(returned_at), '')"
        "  FROM crowdfund_grants WHERE project_id = :p)", {"p": project_id}).fetchone()


@dataclass(frozen=True)
class FundsDay:
    """One day of the funds chart: money in (cash, match and grants, less refunds and
    returned grants), out, and held."""
    day: str
    in_fen: int
    out_fen: int
    balance_fen: int


def funds_series(ledger: Ledger) -> list[FundsDay]:
    """The ledger's money by day, in date order, with the balance at each day's end."""
    days: dict[str, list[int]] = {}
    for line in ledger.rows:
        if line.kind == "labour":
            continue
        into = days.setdefault(line.day, [0, 0])
        into[0] += line.cash_fen + line.match_fen + line.grant_fen
        into[1] += line.spent_fen
    series, held = [], 0
    for day in sorted(days):
        money_in, money_out = days[day]
        held += money_in - money_out
        series.append(FundsDay(day, money_in, money_out, held))
    return series
