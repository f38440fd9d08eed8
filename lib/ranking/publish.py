"""Publishing a month of 星级楼栋 (staff), its reward, and an admin's correction afterwards.

Who may do what (checked here, under the write lock, whatever a page showed):

=============  =============================================================================
actor          may
=============  =============================================================================
guest,         nothing.
resident,
leader
staff          publish a month that is over (never this month, never a future one), once;
               when ratings are missing only with ``confirm_missing=True`` (the month keeps
               the text of what was missing). An optional reward goes with it: 奖励金 paid
               into a 众筹中/实施中 crowdfunding project (a grant, key
               ``ranking:<month>:reward``), or points to every enabled account whose verified
               household is in the red-flag building (ledger kind ``ranking``, a system award
               after this check, key ``ranking:<month>:flag:<user id>``).
admin          all of that, and correct a published month's stars with a reason: the month is
               re-ranked with its snapshot weights and its published participation counts, the
               results that changed are marked 已更正, and the correction is kept with before
               and after. The reward stays as paid: it was a decision made at publication.
=============  =============================================================================

Publishing writes the results, the weights snapshot, the reward and the month's status in ONE
``BEGIN IMMEDIATE`` transaction: of several staff publishing at once exactly one succeeds and
the others are told the month is already published.
"""
from __future__ import annotations

import json

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import now_iso
from lib.core.db import immediate, scalar
from lib.core.errors import NotFound, ValidationError
from lib.core.roles import ADMIN, LEADER, ROLE_RANK, STAFF, User, require_role
from lib.crowdfund import books
from lib.crowdfund.money import MAX_PLEDGE_FEN, parse_yuan, yuan_text
from lib.crowdfund.projects import OPEN, STATUS_LABELS as PROJECT_STATUS, list_projects
from lib.points import ledger
from lib.ranking import standings
from lib.ranking.months import (Month, Standing, current_month, ensure_month, get_month,
                                month_label, parse_month, require_draft)


REWARD_NONE, REWARD_PROJECT, REWARD_POINTS = "none", "project", "points"
REWARD_LABELS = {REWARD_NONE: "不发奖励", REWARD_PROJECT: "奖励金投入众筹项目",
                 REWARD_POINTS: "红旗楼栋住户每人奖励积分"}
MAX_REWARD_POINTS = 1000  # a typo guard: a month's reward per resident never comes near it
MAX_NOTE = 200
MAX_REWARD_FEN = MAX_PLEDGE_FEN


def _month(value: object) -> str:
    """A month that is over: parse_month refuses the future, this refuses the running month."""
    month = parse_month(value)
    if month == current_month():
        raise ValidationError({"month": "本月尚未结束，月底后才能公布。"})
    return month


def _reward(db: Database, kind: object, yuan: object, project_id: object, points: object,
            note: object) -> dict:
    """The reward's columns from the form's values; ValidationError keyed by field."""
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"reward_note": f"奖励说明不能超过 {MAX_NOTE} 字。"})
    reward = {"reward_kind": kind, "reward_fen": None, "reward_project_id": None,
              "reward_points": 0, "reward_note": note}
    if kind == REWARD_NONE:
        return reward
    if kind == REWARD_PROJECT:
        reward["reward_fen"] = parse_yuan(yuan, field="reward_yuan", high_fen=MAX_REWARD_FEN)
        if isinstance(project_id, bool) or not isinstance(project_id, int):
            raise ValidationError({"reward_project_id": "请选择接收奖励金的众筹项目。"})
        _check_project(db, project_id)
        reward["reward_project_id"] = project_id
        return reward
    if kind == REWARD_POINTS:
        if isinstance(points, str) and points.strip().isdigit():
            points = int(points.strip())
        if isinstance(points, bool) or not isinstance(points, int) \
                or not 1 <= points <= MAX_REWARD_POINTS:
            raise ValidationError({"reward_points": f"奖励积分应为 1 至 {MAX_REWARD_POINTS} 的整数。"})
        reward["reward_points"] = points
        return reward
    raise ValidationError({"reward_kind": "请选择奖励方式。"})


def _check_project(db: Database, project_id: int) -> None:
    status = scalar(db, "SELECT status FROM crowdfund_projects WHERE id = ?", (project_id,))
    if status is None:
        raise ValidationError({"reward_project_id": "找不到该众筹项目。"})
    if status not in OPEN:
        raise ValidationError({"reward_project_id": f"该项目{PROJECT_STATUS[status]}，只有众筹中"
                                                    "或实施中的项目能接收奖励金。"})


def _write_results(db: Database, month: str, ranked: list[Standing],
                   corrected: set[int] = frozenset()) -> None:
    for s in ranked:
        db.execute(
            "INSERT INTO ranking_results (month, place_id, rank, score_tenths, stars, rated_tenths,"
            " participation_tenths, households, volunteer_half_hours, labour_half_hours, reports,"
            " raters, detail, corrected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (month, s.place_id, s.rank, s.score_tenths, s.stars, s.rated_tenths,
             s.participation_tenths, s.households, s.volunteer_half_hours, s.labour_half_hours,
             s.reports, s.raters, json.dumps(s.detail, ensure_ascii=False),
             int(s.place_id in corrected)))


def flag_residents(db: Database, place_id: int) -> list[int]:
    """Enabled accounts whose verified household is in the building: the points reward's takers."""
    return [row[0] for row in db.execute(
        "SELECT u.id FROM users u JOIN households h ON h.id = u.household_id"
        " WHERE h.place_id = ? AND u.household_status = 'verified' AND u.disabled = 0"
        " ORDER BY u.id", (place_id,))]


def _pay_reward(db: Database, actor: User, month: str, flag: Standing, reward: dict) -> int:
    """Pay the reward inside publication's transaction; returns the residents given points."""
    label = month_label(month)
    if reward["reward_kind"] == REWARD_PROJECT:
        books.add_grant(db, actor, project_id=reward["reward_project_id"],
                        amount_fen=reward["reward_fen"],
                        source=f"{label}星级楼栋评比奖励（流动红旗：{flag.code}）",
                        key=f"ranking:{month}:reward")
        return 0
    if reward["reward_kind"] == REWARD_POINTS:
        takers = flag_residents(db, flag.place_id)
        for user_id in takers:
            ledger.award(db, None, user_id=user_id, amount=reward["reward_points"],
                         kind=ledger.KIND_RANKING,
                         reason=f"{label}星级楼栋流动红旗（{flag.code}）奖励",
                         key=f"ranking:{month}:flag:{user_id}")
        return len(takers)
    return 0


def publish(db: Database, actor: User, *, month: object, confirm_missing: bool = False,
            reward_kind: str = REWARD_NONE, reward_yuan: object = None,
            reward_project_id: object = None, reward_points: object = None,
            reward_note: object = "") -> Month:
    """Freeze a finished month's ranking, hand the red flag to rank 1 and pay the reward.

    Raises PermissionDenied (below staff), ValidationError (a future or running month, a month
    already published, no buildings, missing ratings without ``confirm_missing``, a bad reward)
    and changes nothing then.
    """
    require_role(actor, STAFF)
    month = _month(month)
    reward = _reward(db, reward_kind, reward_yuan, reward_project_id, reward_points, reward_note)
    with immediate(db):
        require_draft(db, month)  # re-read under the lock: someone may have just published
        missing = standings.missing_text(db, month)
        if missing and confirm_missing is not True:
            raise ValidationError({"confirm_missing": "还有评分没有完成：" + "；".join(
                missing.splitlines()) + "。缺少的评分按 0 计算；如仍要公布，请勾选确认后再公布。"})
        weights = standings.active_weights(db)
        ranked = standings.live(db, month, weights)
        if not ranked:
            raise ValidationError({"month": "还没有楼栋，无法公布评比。"})
        if reward["reward_kind"] == REWARD_PROJECT:
            _check_project(db, reward["reward_project_id"])
        ensure_month(db, month)
        _write_results(db, month, ranked)
        db.execute(
            "UPDATE ranking_months SET status = 'published', weights = ?, missing = ?,"
            " published_by = ?, published_at = ?, reward_kind = ?, reward_fen = ?,"
            " reward_project_id = ?, reward_points = ?, reward_note = ? WHERE month = ?",
            (json.dumps(weights, ensure_ascii=False), missing, actor.id, now_iso(),
             reward["reward_kind"], reward["reward_fen"], reward["reward_project_id"],
             reward["reward_points"], reward["reward_note"], month))
        flag = ranked[0]
        paid = _pay_reward(db, actor, month, flag, reward)
        audit.record(db, actor.id, "ranking.publish", "ranking_month", month, flag=flag.code,
                     score=flag.score, missing=missing, reward=REWARD_LABELS[reward["reward_kind"]],
                     yuan=yuan_text(reward["reward_fen"]) if reward["reward_fen"] else "",
                     points=reward["reward_points"], residents=paid)
    return get_month(db, month)


# --- correction (admin) -------------------------------------------------------------------

def _stars_given(stars: object, criteria: dict[int, str]) -> dict[int, int]:
    if not isinstance(stars, dict) or not stars:
        raise ValidationError({"stars": "请填写更正后的星级。"})
    given = {}
    for criterion_id, value in stars.items():
        if criterion_id not in criteria:
            raise ValidationError({"stars": "该月评比没有这一项标准。"})
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError({"stars": f"{criteria[criterion_id]}的星级应为 1 至 5 星。"})
        given[criterion_id] = value
    return given


def _result_row(s: Standing) -> dict:
    return {"rank": s.rank, "score_tenths": s.score_tenths, "stars": s.stars,
            "rated_tenths": s.rated_tenths, "participation_tenths": s.participation_tenths,
            "raters": s.raters, "detail": s.detail}


def correct(db: Database, actor: User, *, month: object, place_id: int, rater_id: int,
            stars: dict[int, int], reason: object) -> list[Standing]:
    """Change one rater's stars for one building of a published month and re-rank it (admin).

    The month is re-ranked with its snapshot weights and the participation counts it was
    published with; results whose rank, score or stars moved are marked 已更正. Raises
    PermissionDenied (below admin), NotFound, ValidationError (no reason, a month not
    published, stars off the scale or unchanged); nothing changes on a refusal.
    """
    require_role(actor, ADMIN)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "更正已公布的评比必须填写理由。"})
    if len(reason) > MAX_NOTE:
        raise ValidationError({"reason": f"更正理由不能超过 {MAX_NOTE} 字。"})
    month = parse_month(month)
    with immediate(db):
        found = get_month(db, month)
        if not found.is_published:
            raise ValidationError({"month": f"{month_label(month)}的评比尚未公布，请在楼栋评分中直接修改。"})
        criteria = {c["id"]: c["name"] for c in found.weights if c["kind"] == standings.STARS_KIND}
        given = _stars_given(stars, criteria)
        code = scalar(db, "SELECT p.code FROM ranking_results r JOIN places p ON p.id = r.place_id"
                          " WHERE r.month = ? AND r.place_id = ?", (month, place_id))
        if code is None:
            raise NotFound("该楼栋不在这个月的评比中。")
        role = scalar(db, "SELECT role FROM users WHERE id = ?", (rater_id,))
        if role is None:
            raise NotFound("找不到该评分人。")
        if ROLE_RANK[role] < ROLE_RANK[LEADER]:
            raise ValidationError({"rater_id": "评分人应为微网格长或社区工作人员。"})
        rating_id = scalar(db, "SELECT id FROM ranking_ratings WHERE month = ? AND place_id = ?"
                               " AND rater_id = ?", (month, place_id, rater_id))
        old = dict(db.execute("SELECT criterion_id, stars FROM ranking_stars WHERE rating_id = ?",
                              (rating_id,)).fetchall()) if rating_id else {}
        if all(old.get(criterion_id) == value for criterion_id, value in given.items()):
            raise ValidationError({"stars": "更正后的星级与原来相同，没有需要更正的内容。"})
        before = standings.published(db, month)
        db.execute("UPDATE ranking_months SET correcting = 1 WHERE month = ?", (month,))
        if rating_id is None:
            rating_id = db.execute(
                "INSERT INTO ranking_ratings (month, place_id, rater_id, updated_at)"
                " VALUES (?, ?, ?, ?)", (month, place_id, rater_id, now_iso())).lastrowid
        else:
            db.execute("UPDATE ranking_ratings SET updated_at = ? WHERE id = ?", (now_iso(), rating_id))
        for criterion_id, value in given.items():
            db.execute("INSERT INTO ranking_stars (rating_id, criterion_id, stars) VALUES (?, ?, ?)"
                       " ON CONFLICT (rating_id, criterion_id) DO UPDATE SET stars = excluded.stars",
                       (rating_id, criterion_id, value))
        after = standings.rank(standings.frozen_inputs(db, month), found.weights,
                               standings.flags_before(db, month))
        was = {s.place_id: s for s in before}
        corrected = {s.place_id for s in after
                     if s.place_id in was and (was[s.place_id].corrected
                                               or _result_row(was[s.place_id]) != _result_row(s))}
        db.execute("DELETE FROM ranking_results WHERE month = ?", (month,))
        _write_results(db, month, after, corrected)
        now = now_iso()
        db.execute("UPDATE ranking_months SET correcting = 0, corrected_at = ? WHERE month = ?",
                   (now, month))
        names = {str(k): v for k, v in criteria.items()}
        db.execute(
            "INSERT INTO ranking_corrections (month, place_id, reason, before, after, corrected_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (month, place_id, reason,
             json.dumps({"rater_id": rater_id, "stars": {names[str(k)]: v for k, v in old.items()
                                                         if str(k) in names},
                         "results": {s.code: _result_row(s) for s in before}}, ensure_ascii=False),
             json.dumps({"rater_id": rater_id, "stars": {criteria[k]: v for k, v in given.items()},
                         "results": {s.code: _result_row(s) for s in after}}, ensure_ascii=False),
             actor.id, now))
        audit.record(db, actor.id, "ranking.correct", "ranking_month", month, building=code,
                     rater=rater_id, reason=reason, changed=len(corrected))
    return standings.published(db, month)


# --- what the 评比发布 page shows ---------------------------------------------------------

def reward_text(db: Database, month: Month) -> str:
    """The month's reward in a sentence ("" when none), for staff and the public page."""
    if month.reward_kind == REWARD_PROJECT and month.reward_fen:
        title = scalar(db, "SELECT title FROM crowdfund_projects WHERE id = ?",
                       (month.reward_project_id,)) or "众筹项目"
        return f"奖励金 {yuan_text(month.reward_fen)} 元已投入众筹项目“{title}”。"
    if month.reward_kind == REWARD_POINTS:
        flag = scalar(db, "SELECT p.code FROM ranking_results r JOIN places p ON p.id = r.place_id"
                          " WHERE r.month = ? AND r.rank = 1", (month.month,)) or ""
        return f"流动红旗楼栋 {flag} 的住户每人获得 {month.reward_points} 积分。"
    return ""


def raters_of(db: Database, actor: User, *, month: str, place_id: int) -> list[tuple[int, str, dict]]:
    """Whose stars an admin may correct for one building: (user id, name, {criterion id: stars}).

    Those who rated it, then the leaders of its micro-grid who did not (a rating left out).
    """
    require_role(actor, ADMIN)
    found: dict[int, tuple[int, str, dict]] = {}
    for user_id, name, criterion_id, stars in db.execute(
            "SELECT u.id, u.display_name, s.criterion_id, s.stars FROM ranking_ratings r"
            " JOIN users u ON u.id = r.rater_id JOIN ranking_stars s ON s.rating_id = r.id"
            " WHERE r.month = ? AND r.place_id = ? ORDER BY r.id", (month, place_id)):
        found.setdefault(user_id, (user_id, name, {}))[2][criterion_id] = stars
    for user_id, name in db.execute(
            "SELECT u.id, u.display_name FROM users u JOIN places p ON p.microgrid_id ="
            " u.leads_microgrid_id WHERE p.id = ? AND u.role = 'leader' AND u.disabled = 0"
            " ORDER BY u.id", (place_id,)):
        found.setdefault(user_id, (user_id, name, {}))
    return list(found.values())


def open_projects(db: Database) -> list[tuple[int, str]]:
    """(id, title) of the projects that may receive a reward (众筹中 or 实施中)."""
    return [(project.id, project.title) for project in list_projects(db, statuses=OPEN)]
