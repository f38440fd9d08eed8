"""筹资: residents pledge cash to a project, staff confirm it arrived, the sponsor's match follows.

A pledge is 认捐 (``pledged``) until staff confirm the money arrived (已到账, ``received``) or
mark it not received (未到账); a cancelled project refunds what was received (已退款). Only
confirmed cash unlocks the match and earns points, so a promise that never turns into money
never shows up in the public ledger.

Who may do what (checked here, never only by hiding a page):

=================  ==========================================================================
actor              may
=================  ==========================================================================
guest              nothing (log in first).
any account        pledge for themself while the project is 众筹中 and before its deadline;
                   withdraw their own pledge while it is still 认捐.
staff, admin       pledge for a resident without a phone (代办, recorded as ``proxy_by``);
                   confirm a pledge's money (已到账) or mark it not received (未到账); never
                   their own pledge nor one they entered for someone (another person checks
                   the money, as with volunteer hours).
=================  ==========================================================================

The match a pledge unlocks is fixed when it is confirmed, under the write lock, as the difference
of :func:`lib.crowdfund.money.match_total` before and after it: the shares of all pledges add up
to exactly the match of their sum and stop exactly at the cap. The points
(``points.pledge_per_10_yuan`` per whole 10 yuan) are written in the same transaction, keyed
``crowdfund:<project>:pledge:<pledge>``, so a double tap or two staff at once confirm once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from lib.core import audit, rules
from lib.core.clock import local_today, now_iso
from lib.core.db import immediate, one, scalar
from lib.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lib.core.roles import RESIDENT, STAFF, User, acting_for, require_role
from lib.crowdfund import money
from lib.points import ledger


PLEDGED, RECEIVED, NOT_RECEIVED, REFUNDED = "pledged", "received", "not_received", "refunded"
STATUS_LABELS = {PLEDGED: "认捐", RECEIVED: "已到账", NOT_RECEIVED: "未到账", REFUNDED: "已退款"}
# the one table of moves: money that never came is closed for good, money that came only leaves
# by a refund when the project is cancelled
TRANSITIONS = {PLEDGED: {RECEIVED, NOT_RECEIVED}, RECEIVED: {REFUNDED}, NOT_RECEIVED: set(),
               REFUNDED: set()}
CASH, TRANSFER = "cash", "transfer"
METHOD_LABELS = {CASH: "现金", TRANSFER: "转账"}
WITHDRAWN_LABEL = "已撤回"  # a 未到账 the pledger chose themself

KEY_MAX = 100
FEN_PER_POINT_STEP = 10 * money.FEN_PER_YUAN  # the rule counts whole 10 yuan

# what a project's state says to someone who wants to pledge
_CLOSED = {"draft": "该项目尚未发起，还不能认捐。", "building": "该项目已结束认捐，正在实施。",
           "done": "该项目已结束认捐，项目已完成。", "cancelled": "该项目已取消，不能认捐。"}
_NOT_PENDING = {RECEIVED: "该认捐已确认到账，不能重复确认。",
                NOT_RECEIVED: "该认捐已标记为未到账（或已撤回），不能再更改。",
                REFUNDED: "该认捐已退款，不能再更改。"}


@dataclass(frozen=True)
class Pledge:
    """One pledge with the names a page shows beside it."""

    id: int
    project_id: int
    project_title: str
    user_id: int
    user_name: str
    address: str
    amount_fen: int
    method: str
    anonymous: bool
    status: str
    match_fen: int
    points: int
    proxy_by: int | None
    created_at: str
    decided_by: int | None
    decided_at: str | None

    @property
    def is_pending(self) -> bool:
        return self.status == PLEDGED

    @property
    def withdrawn(self) -> bool:
        return self.status == NOT_RECEIVED and self.decided_by == self.user_id

    @property
    def status_label(self) -> str:
        return WITHDRAWN_LABEL if self.withdrawn else STATUS_LABELS[self.status]

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]


@dataclass(frozen=True)
class Preview:
    """What a pledge of ``amount_fen`` becomes if confirmed now: the page's "100元 → 600元"."""

    amount_fen: int
    match_fen: int
    total_fen: int
    match_percent: int
    sponsor: str
    match_left_fen: int | None  # of the pool before this pledge; None: the match has no cap
    capped: bool  # the cap cuts this pledge's match short (or the pool is already used up)


@dataclass(frozen=True)
class Settlement:
    """What cancelling a project did to its pledges."""

    refunded: int
    refunded_fen: int
    points_back: int
    not_received: int


_SELECT = (
    "SELECT p.id, p.project_id, cp.title, p.user_id, u.display_name,"
    " COALESCE(pl.code || ' ' || h.room, ''), p.amount_fen, p.method, p.anonymous, p.status,"
    " p.match_fen, p.points, p.proxy_by, p.created_at, p.decided_by, p.decided_at"
    " FROM crowdfund_pledges p"
    " JOIN crowdfund_projects cp ON cp.id = p.project_id"
    " JOIN users u ON u.id = p.user_id"
    " LEFT JOIN households h ON h.id = u.household_id AND u.household_status = 'verified'"
    " LEFT JOIN places pl ON pl.id = h.place_id"
)


def _pledge(row: tuple) -> Pledge:
    values = list(row)
    values[8] = bool(values[8])
    return Pledge(*values)


def get(db: Database, pledge_id: int) -> Pledge:
    row = db.execute(_SELECT + " WHERE p.id = ?", (pledge_id,)).fetchone()
    if row is None:
        raise NotFound(f"找不到编号为 {pledge_id} 的认捐。")
    return _pledge(row)


def _by_key(db: Database, key: str) -> Pledge | None:
    row = db.execute(_SELECT + " WHERE p.submission_key = ?", (key,)).fetchone()
    return _pledge(row) if row else None


def _project(db: Database, project_id: object) -> dict:
    row = one(db, "SELECT id, title, status, deadline, match_percent, match_cap_fen,"
                  " match_sponsor FROM crowdfund_projects WHERE id = ?", (project_id,))
    if row is None:
        raise NotFound("找不到该众筹项目。")
    return row


def _cash_received(db: Database, project_id: int) -> int:
    return int(scalar(db, "SELECT COALESCE(SUM(amount_fen), 0) FROM crowdfund_pledges"
                          " WHERE project_id = ? AND status = ?", (project_id, RECEIVED)))


def check_open(project: dict) -> None:
    """Refuse a pledge unless the project is 众筹中 and its deadline (a local date) has not passed."""
    if project["status"] in _CLOSED:
        raise ValidationError({"project": _CLOSED[project["status"]]})
    if local_today().isoformat() > project["deadline"]:
        raise ValidationError({"project": f"该项目已结束认捐（截止日期 {project['deadline']}）。"})


def closed_reason(db: Database, project_id: int) -> str | None:
    """Why the project takes no pledge now (in Chinese), or None while it takes them."""
    try:
        check_open(_project(db, project_id))
    except ValidationError as error:
        return error.fields["project"]
    return None


def points_for(db: Database, amount_fen: int) -> int:
    """The rule's points for confirmed cash: per whole 10 yuan, so 99.99 yuan earns 9 at 1 a 10."""
    return amount_fen // FEN_PER_POINT_STEP * rules.get(db, "points.pledge_per_10_yuan")


def preview(db: Database, project_id: int, amount_fen: int) -> Preview:
    """What ``amount_fen`` would become with the match if it were confirmed now, and the pool left.

    Pledges still waiting for confirmation are not counted: they may never arrive.
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise ValidationError({"amount": "金额必须大于 0。"})
    project = _project(db, project_id)
    percent, cap = project["match_percent"], project["match_cap_fen"]
    cash = _cash_received(db, project_id)
    match = money.match_unlocked(cash, amount_fen, percent, cap)
    left = None if cap is None else cap - money.match_total(cash, percent, cap)
    return Preview(amount_fen=amount_fen, match_fen=match, total_fen=amount_fen + match,
                   match_percent=percent, sponsor=project["match_sponsor"], match_left_fen=left,
                   capped=cap is not None and match < amount_fen * percent // 100)


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX:
        raise ValidationError({"key": "缺少有效的操作编号，请刷新页面后重试。"})
    return key


def _same_submission(first: Pledge, user_id: int) -> Pledge:
    if first.user_id != user_id:
        raise ValidationError({"key": "该操作编号已用于另一笔认捐，请刷新页面后重试。"})
    return first


def _check_pledger(db: Database, user_id: int) -> None:
    disabled = scalar(db, "SELECT disabled FROM users WHERE id = ?", (user_id,))
    if disabled is None:
        raise NotFound("找不到该用户。")
    if disabled:
        raise ValidationError({"user": "该账号已停用，不能认捐。"})


def pledge(db: Database, actor: User, *, project_id: int, amount: object, method: str,
           anonymous: bool, key: str, for_user_id: int | None = None) -> Pledge:
    """Pledge cash (``amount`` as typed: "100", "100.50") to a raising project; 认捐 until confirmed.

    Staff may pledge for a resident (代办). Repeating ``key`` returns the first pledge. Raises
    PermissionDenied, ValidationError (amount, method, a closed project) or NotFound.
    """
    user_id, proxy = acting_for(actor, for_user_id, "只有社区工作人员可以代居民认捐。")
    key = _check_key(key)
    first = _by_key(db, key)
    if first is not None:
        return _same_submission(first, user_id)
    amount_fen = money.parse_yuan(amount, field="amount")
    if method not in METHOD_LABELS:
        raise ValidationError({"method": "请选择交款方式：现金或转账。"})
    with immediate(db):
        again = _by_key(db, key)  # a double tap that waited for the lock
        if again is not None:
            return _same_submission(again, user_id)
        project = _project(db, project_id)
        check_open(project)
        _check_pledger(db, user_id)
        pledge_id = db.execute(
            "INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method, anonymous,"
            " proxy_by, submission_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project["id"], user_id, amount_fen, method, int(bool(anonymous)),
             actor.id if proxy else None, key, now_iso())).lastrowid
        audit.record(db, actor.id, "crowdfund.pledge", "crowdfund_pledge", pledge_id,
                     project=project["id"], user=user_id, yuan=money.yuan_text(amount_fen),
                     method=METHOD_LABELS[method], proxy=proxy)
    return get(db, pledge_id)


def _move(found: Pledge, to_status: str) -> None:
    if to_status not in TRANSITIONS[found.status]:
        raise InvalidTransition(_NOT_PENDING[found.status])


def withdraw(db: Database, actor: User, *, pledge_id: int) -> Pledge:
    """The pledger takes back their own pledge while it is still 认捐 (shown as 已撤回).

    Raises PermissionDenied (not theirs), NotFound or InvalidTransition (already decided).
    """
    require_role(actor, RESIDENT)
    with immediate(db):
        found = get(db, pledge_id)
        if found.user_id != actor.id:
            raise PermissionDenied("只能撤回自己的认捐。")
        _move(found, NOT_RECEIVED)
        _decide(db, actor, found, NOT_RECEIVED)
        audit.record(db, actor.id, "crowdfund.pledge_withdraw", "crowdfund_pledge", pledge_id,
                     project=found.project_id, yuan=money.yuan_text(found.amount_fen))
    return get(db, pledge_id)


def _check_checker(actor: User, found: Pledge) -> None:
    """Staff check the money; never their own pledge nor one they entered for someone."""
    require_role(actor, STAFF)
    if found.user_id == actor.id:
        raise PermissionDenied("不能确认自己的认捐，请由其他工作人员确认。")
    if found.proxy_by == actor.id:
        raise PermissionDenied("不能确认自己代办的认捐，请由其他工作人员确认。")


def _decide(db: Database, actor: User, found: Pledge, status: str, *, match_fen: int = 0,
            points: int = 0) -> None:
    db.execute("UPDATE crowdfund_pledges SET status = ?, match_fen = ?, points = ?,"
               " decided_by = ?, decided_at = ? WHERE id = ?",
               (status, match_fen, points, actor.id, now_iso(), found.id))


def confirm(db: Database, actor: User, *, pledge_id: int) -> Pledge:
    """已到账: the money arrived. Fixes the match it unlocks and awards its points, once.

    Raises PermissionDenied, NotFound or InvalidTransition (already decided, or the project is
    no longer collecting money).
    """
    require_role(actor, STAFF)
    with immediate(db):
        found = get(db, pledge_id)
        _check_checker(actor, found)
        _move(found, RECEIVED)
        project = _project(db, found.project_id)
        if project["status"] not in ("raising", "building"):
            raise InvalidTransition("该项目已不再收款，不能确认到账。")
        cash_before = _cash_received(db, found.project_id)
        match = money.match_unlocked(cash_before, found.amount_fen, project["match_percent"],
                                     project["match_cap_fen"])
        points = points_for(db, found.amount_fen)
        if points > 0 and scalar(db, "SELECT disabled FROM users WHERE id = ?",
                                 (found.user_id,)) == 0:
            ledger.award(db, None, user_id=found.user_id, amount=points,
                         kind=ledger.KIND_PLEDGE, key=_points_key(found),
                         reason=f"众筹认捐到账：{project['title']}"
                                f"（{money.yuan_text(found.amount_fen)} 元）")
        else:
            points = 0  # a closed account keeps its confirmed money, not new points
        _decide(db, actor, found, RECEIVED, match_fen=match, points=points)
        audit.record(db, actor.id, "crowdfund.pledge_confirm", "crowdfund_pledge", pledge_id,
                     project=found.project_id, user=found.user_id,
                     yuan=money.yuan_text(found.amount_fen), match=money.yuan_text(match),
                     points=points)
    return get(db, pledge_id)


def _points_key(found: Pledge) -> str:
    return f"crowdfund:{found.project_id}:pledge:{found.id}"


def mark_not_received(db: Database, actor: User, *, pledge_id: int) -> Pledge:
    """未到账: the promised money never came; the pledge leaves the totals for good.

    Raises PermissionDenied, NotFound or InvalidTransition (already decided).
    """
    require_role(actor, STAFF)
    with immediate(db):
        found = get(db, pledge_id)
        _check_checker(actor, found)
        _move(found, NOT_RECEIVED)
        _decide(db, actor, found, NOT_RECEIVED)
        audit.record(db, actor.id, "crowdfund.pledge_not_received", "crowdfund_pledge",
                     pledge_id, project=found.project_id, user=found.user_id,
                     yuan=money.yuan_text(found.amount_fen))
    return get(db, pledge_id)


def settle_on_cancel(db: Database, actor: User, project_id: int) -> Settlement:
    """A cancelled project's pledges: received money is refunded, waiting pledges are closed.

    Runs inside the caller's transaction (the project's cancellation), so it all happens or
    none of it. A refunded pledge's points are taken back as far as the balance allows: points
    already spent on rice stay spent. Raises PermissionDenied or NotFound.
    """
    require_role(actor, STAFF)
    refunded = refunded_fen = points_back = 0
    with immediate(db):
        project = _project(db, project_id)
        now = now_iso()
        received = db.execute(_SELECT + " WHERE p.project_id = ? AND p.status = ? ORDER BY p.id",
                              (project_id, RECEIVED)).fetchall()
        for found in map(_pledge, received):
            back = min(found.points, ledger.balance(db, found.user_id))
            if back > 0:
                ledger.spend(db, None, user_id=found.user_id, amount=back,
                             kind=ledger.KIND_PLEDGE_REFUND, key=_points_key(found) + ":refund",
                             reason=f"众筹项目取消，认捐已退款：{project['title']}")
            db.execute("UPDATE crowdfund_pledges SET status = ?, refunded_by = ?, refunded_at = ?"
                       " WHERE id = ?", (REFUNDED, actor.id, now, found.id))
            audit.record(db, actor.id, "crowdfund.pledge_refund", "crowdfund_pledge", found.id,
                         project=project_id, user=found.user_id,
                         yuan=money.yuan_text(found.amount_fen), points=back)
            refunded, refunded_fen, points_back = (refunded + 1, refunded_fen + found.amount_fen,
                                                   points_back + back)
        closed = db.execute("UPDATE crowdfund_pledges SET status = ?, decided_by = ?,"
                            " decided_at = ? WHERE project_id = ? AND status = ?",
                            (NOT_RECEIVED, actor.id, now, project_id, PLEDGED)).rowcount
        audit.record(db, actor.id, "crowdfund.pledges_settle", "crowdfund_project", project_id,
                     refunded=refunded, yuan=money.yuan_text(refunded_fen),
                     points=points_back, closed=closed)
    return Settlement(refunded=refunded, refunded_fen=refunded_fen, points_back=points_back,
                      not_received=closed)


# --- queries ---------------------------------------------------------------------------------

def pending(db: Database, actor: User, *, project_id: int | None = None,
            limit: int = 50) -> list[Pledge]:
    """Pledges waiting for staff to check the money, oldest first (by project when given)."""
    require_role(actor, STAFF)
    limit = max(1, min(int(limit), 500))
    if project_id is None:
        rows = db.execute(_SELECT + " WHERE p.status = ? ORDER BY p.id LIMIT ?",
                          (PLEDGED, limit))
    else:
        rows = db.execute(_SELECT + " WHERE p.project_id = ? AND p.status = ? ORDER BY p.id"
                          " LIMIT ?", (project_id, PLEDGED, limit))
    return [_pledge(row) for row in rows.fetchall()]


def pending_by_project(db: Database, actor: User) -> list[dict]:
    """Projects with pledges waiting: id, title, count, sum_fen; the 到账确认 tab's picker."""
    require_role(actor, STAFF)
    return list(db.query(
        "SELECT cp.id, cp.title, COUNT(*) AS count, SUM(p.amount_fen) AS sum_fen"
        " FROM crowdfund_pledges p JOIN crowdfund_projects cp ON cp.id = p.project_id"
        " WHERE p.status = ? GROUP BY cp.id ORDER BY cp.id", (PLEDGED,)))


def mine(db: Database, actor: User, *, project_id: int | None = None,
         limit: int = 50) -> list[Pledge]:
    """The actor's own pledges, newest first (of one project when given); none for a guest."""
    if actor is None or actor.is_guest:
        return []
    limit = max(1, min(int(limit), 500))
    if project_id is None:
        rows = db.execute(_SELECT + " WHERE p.user_id = ? ORDER BY p.id DESC LIMIT ?",
                          (actor.id, limit))
    else:
        rows = db.execute(_SELECT + " WHERE p.user_id = ? AND p.project_id = ?"
                          " ORDER BY p.id DESC LIMIT ?", (actor.id, project_id, limit))
    return [_pledge(row) for row in rows.fetchall()]
