"""一户一票: staff open a vote on a plan; each household counts once, online or on paper.

The reference articles hold votes "一户一票", online through any member's phone or on paper
collected door to door. Every ballot is kept (``council_ballots`` is append-only) with the rule
that decided it in Chinese, and ``council_choices`` holds the ONE counted ballot per vote and
household (its primary key), so however the channels interleave a household never counts twice.

The rules, checked here under ``BEGIN IMMEDIATE`` with the state re-read inside the lock:

* online (:func:`cast`): a verified, not disabled member of a household in the vote's scope,
  between opening and closing. The household's LAST online choice counts ("改票，以最后一次为准"),
  whichever member tapped it. If the household's counted choice is a paper ballot, the online
  ballot is refused: staff typed what the household signed, only staff may change it.
* paper (:func:`enter_paper`, staff): collected inside the window and not in the future; may be
  typed after closing until the result is published. If the household already voted online the
  paper ballot is RECORDED but not counted ("该户已在线投票，纸质票不计入"), so the record shows
  both; a second paper ballot for a household whose paper ballot counts is refused.

The schema's triggers are the last line (a ballot outside the window, a choice of a closed vote):
their IntegrityError becomes the same Chinese message as the check above it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from lib.core import audit
from lib.core.clock import local_text, now_iso, to_iso, utc_now
from lib.core.db import immediate, one, scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import STAFF, User, require_role


UPCOMING, OPEN, CLOSED, PUBLISHED, CANCELLED = "upcoming", "open", "closed", "published", "cancelled"
STATE_LABELS = {UPCOMING: "未开始", OPEN: "投票中", CLOSED: "已截止", PUBLISHED: "已公示",
                CANCELLED: "已取消"}
CHANNEL_LABELS = {"online": "线上", "paper": "纸质"}

RULE_FIRST = "首次投票"
RULE_CHANGE = "改票，以最后一次为准"
RULE_PAPER_FIRST = "纸质选票，该户首次投票"
RULE_PAPER_AFTER_ONLINE = "该户已在线投票，纸质票不计入"

MAX_OPTIONS = 10
KEY_MAX = 100

MSG_LOGIN = "请先登录后再投票。"
MSG_DISABLED = "该账号已停用，不能投票。"
MSG_UNVERIFIED = "住户核实后才能投票：请在“我的账户”中提交楼栋和房号，等待微网格长核实。"
MSG_CANCELLED = "本次表决已取消，不能投票。"
MSG_PUBLISHED = "本次表决已公示结果，不能再投票。"
MSG_WINDOW = "不在投票时间内，本次投票未保存。"


@dataclass(frozen=True)
class Option:
    id: int
    position: int
    label: str
    adopts: bool


@dataclass(frozen=True)
class Vote:
    """A vote with its options and what a page needs to say where it stands."""

    id: int
    plan_id: int
    plan_title: str
    topic_id: int
    question: str
    scope_place_id: int | None
    scope_label: str
    opens_at: str
    closes_at: str
    quorum: int
    eligible: int
    status: str
    outcome: str | None
    winning_option_id: int | None
    result_note: str
    notice_ends_at: str | None
    published_at: str | None
    cancel_reason: str
    options: list[Option] = field(default_factory=list)

    @property
    def state(self) -> str:
        """未开始/投票中/已截止 come from the clock; 已公示/已取消 from the stored status."""
        if self.status == "cancelled":
            return CANCELLED
        if self.status == "published":
            return PUBLISHED
        now = now_iso()
        if now < self.opens_at:
            return UPCOMING
        if now >= self.closes_at:
            return CLOSED
        return OPEN

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def option(self, option_id: int) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class BallotResult:
    """What a cast or a paper entry did: whether it counted, and the rule that decided."""

    ballot_id: int
    counted: bool
    rule: str
    option_label: str


@dataclass(frozen=True)
class Choice:
    """A household's counted choice, for "你家已投：…"."""

    option_id: int
    option_label: str
    channel: str
    updated_at: str
    by_name: str  # the member who tapped it, or the name signed on the paper ballot

    @property
    def text(self) -> str:
        how = "线上" if self.channel == "online" else "纸质选票"
        return (f"你家已投：{self.option_label}（{how}，{self.by_name}，"
                f"{local_text(self.updated_at)}）")


@dataclass(frozen=True)
class Ballot:
    """One row of the ballot record staff see, with the rule that decided it."""

    id: int
    household_id: int
    address: str
    option_label: str
    channel: str
    by_name: str
    cast_at: str
    recorded_at: str
    counted: bool
    current: bool  # this ballot is the household's counted choice now
    rule: str

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS[self.channel]


# --- reading ---------------------------------------------------------------------------------


_VOTE_SQL = (
    "SELECT v.*, p.title AS plan_title, p.topic_id, pl.name AS scope_name"
    " FROM council_votes v JOIN council_plans p ON p.id = v.plan_id"
    " LEFT JOIN places pl ON pl.id = v.scope_place_id")


def _vote(db: Database, row: dict) -> Vote:
    options = [Option(r["id"], r["position"], r["label"], bool(r["adopts"])) for r in db.query(
        "SELECT * FROM council_vote_options WHERE vote_id = ? ORDER BY position", (row["id"],))]
    return Vote(
        id=row["id"], plan_id=row["plan_id"], plan_title=row["plan_title"],
        topic_id=row["topic_id"], question=row["question"], scope_place_id=row["scope_place_id"],
        scope_label=row["scope_name"] or "全体住户", opens_at=row["opens_at"],
        closes_at=row["closes_at"], quorum=row["quorum"], eligible=row["eligible"],
        status=row["status"], outcome=row["outcome"], winning_option_id=row["winning_option_id"],
        result_note=row["result_note"], notice_ends_at=row["notice_ends_at"],
        published_at=row["published_at"], cancel_reason=row["cancel_reason"], options=options)


def get_vote(db: Database, vote_id: int) -> Vote:
    """The vote or NotFound."""
    row = one(db, _VOTE_SQL + " WHERE v.id = ?", (vote_id,))
    if row is None:
        raise NotFound("找不到这次表决。")
    return _vote(db, row)


def votes_of_plan(db: Database, plan_id: int) -> list[Vote]:
    """Every vote on a plan, newest first (a cancelled vote stays on the record)."""
    return [_vote(db, row) for row in db.query(
        _VOTE_SQL + " WHERE v.plan_id = ? ORDER BY v.id DESC", (plan_id,))]


def live_vote_of_plan(db: Database, plan_id: int) -> Vote | None:
    """The plan's one vote that is not cancelled, if any."""
    row = one(db, _VOTE_SQL + " WHERE v.plan_id = ? AND v.status != 'cancelled'", (plan_id,))
    return _vote(db, row) if row else None


def votes_of_topic(db: Database, topic_id: int) -> list[Vote]:
    """The votes on every plan of a topic, newest first."""
    return [_vote(db, row) for row in db.query(
        _VOTE_SQL + " WHERE p.topic_id = ? ORDER BY v.id DESC", (topic_id,))]


def open_votes(db: Database) -> list[Vote]:
    """Votes not cancelled nor published (open, upcoming or closed awaiting 公示)."""
    return [_vote(db, row) for row in db.query(
        _VOTE_SQL + " WHERE v.status = 'open' ORDER BY v.closes_at, v.id")]


def household_choice(db: Database, vote_id: int, household_id: int | None) -> Choice | None:
    """The household's counted choice now, or None (also for no household)."""
    if household_id is None:
        return None
    row = one(db, (
        "SELECT c.option_id, o.label, c.channel, c.updated_at,"
        " COALESCE(u.display_name, b.signed_by) AS by_name"
        " FROM council_choices c JOIN council_vote_options o ON o.id = c.option_id"
        " JOIN council_ballots b ON b.id = c.ballot_id LEFT JOIN users u ON u.id = b.user_id"
        " WHERE c.vote_id = ? AND c.household_id = ?"), (vote_id, household_id))
    if row is None:
        return None
    return Choice(row["option_id"], row["label"], row["channel"], row["updated_at"],
                  row["by_name"])


def ballots(db: Database, actor: User, vote_id: int, household_id: int | None = None,
            limit: int | None = None) -> list[Ballot]:
    """The ballot record (staff only): every ballot, counted or not, with its rule, the
    newest first (the latest ``limit`` of them when given).

    Residents see the public counts; who voted what stays with the community office.
    """
    require_role(actor, STAFF)
    sql = ("SELECT b.*, o.label, pl.name AS building, h.room, u.display_name,"
           " c.ballot_id AS current_id"
           " FROM council_ballots b JOIN council_vote_options o ON o.id = b.option_id"
           " JOIN households h ON h.id = b.household_id JOIN places pl ON pl.id = h.place_id"
           " LEFT JOIN users u ON u.id = b.user_id"
           " LEFT JOIN council_choices c ON c.ballot_id = b.id"
           " WHERE b.vote_id = ?")
    params: list[object] = [vote_id]
    if household_id is not None:
        sql += " AND b.household_id = ?"
        params.append(household_id)
    sql += " ORDER BY b.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [Ballot(
        id=row["id"], household_id=row["household_id"], address=f"{row['building']}{row['room']}",
        option_label=row["label"], channel=row["channel"],
        by_name=row["display_name"] or row["signed_by"], cast_at=row["cast_at"],
        recorded_at=row["recorded_at"], counted=bool(row["counted"]),
        current=row["current_id"] is not None, rule=row["rule"]) for row in db.query(sql, params)]


def ballot_count(db: Database, vote_id: int) -> int:
    return scalar(db, "SELECT COUNT(*) FROM council_ballots WHERE vote_id = ?", (vote_id,))


def find_household(db: Database, place_id: int | None, room: str) -> int:
    """The household at building + room, for typing a paper ballot; ValidationError if none."""
    room = (room or "").strip()
    if not place_id:
        raise ValidationError({"building": "请选择楼栋。"})
    if not room:
        raise ValidationError({"room": "请填写房号。"})
    household_id = scalar(db, "SELECT id FROM households WHERE place_id = ? AND room = ?",
                          (place_id, room))
    if household_id is None:
        raise ValidationError({"room": f"该楼栋没有 {room} 这一户，请核对房号。"})
    return household_id


def draft_plans(db: Database) -> list[dict]:
    """Plans waiting for a vote (待表决), with their topic's title, for staff to pick one."""
    return list(db.query(
        "SELECT p.id, p.title, t.title AS topic_title FROM council_plans p"
        " JOIN council_topics t ON t.id = p.topic_id WHERE p.status = 'draft' ORDER BY p.id DESC"))


def buildings(db: Database) -> list[dict]:
    """Buildings (id, name) for a scope or a paper ballot's address."""
    return list(db.query("SELECT id, name FROM places WHERE kind = 'building' ORDER BY code, id"))


# --- staff: opening and cancelling -----------------------------------------------------------


def _aware(value: object, name: str, label: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError({name: f"请填写{label}。"})
    return value


def open_vote(db: Database, actor: User, *, plan_id: int, question: str, options: list[str],
              adopting: list[str], opens_at: datetime, closes_at: datetime, quorum: int,
              scope_place_id: int | None = None) -> int:
    """Open a vote on a draft plan (staff); the plan becomes 表决中. Returns the vote id.

    ``adopting`` names the options that adopt the plan (同意). ``eligible`` is fixed now: the
    households in scope, whether or not a member has an account (paper ballots count too).
    """
    require_role(actor, STAFF)
    question = (question or "").strip()
    labels = [label.strip() for label in options if label and label.strip()]
    adopting_set = {label.strip() for label in adopting if label and label.strip()}
    errors: dict[str, str] = {}
    if not question:
        errors["question"] = "请填写表决事项。"
    elif len(question) > 200:
        errors["question"] = "表决事项不能超过200个字。"
    if len(labels) < 2:
        errors["options"] = "至少需要两个选项（例如：同意、不同意）。"
    elif len(labels) > MAX_OPTIONS:
        errors["options"] = f"选项不能超过{MAX_OPTIONS}个。"
    elif len(set(labels)) != len(labels):
        errors["options"] = "选项不能重复。"
    elif any(len(label) > 30 for label in labels):
        errors["options"] = "每个选项不能超过30个字。"
    elif not adopting_set or not adopting_set < set(labels):  # some, and not all of them
        errors["adopting"] = "请选出表示通过方案的选项（如“同意”），且不能是全部选项。"
    try:
        start = _aware(opens_at, "opens_at", "开始时间")
        end = _aware(closes_at, "closes_at", "截止时间")
        if end <= start:
            errors["closes_at"] = "截止时间必须晚于开始时间。"
        elif end <= utc_now():
            errors["closes_at"] = "截止时间已过，请选一个以后的时间。"
    except ValidationError as error:
        errors.update(error.fields)
    if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
        errors["quorum"] = "法定户数至少为1户。"
    if scope_place_id is not None and scalar(
            db, "SELECT kind FROM places WHERE id = ?", (scope_place_id,)) != "building":
        errors["scope"] = "表决范围只能是一栋楼或全体住户。"
    if errors:
        raise ValidationError(errors)
    with immediate(db):
        plan = one(db, "SELECT id, status, title FROM council_plans WHERE id = ?", (plan_id,))
        if plan is None:
            raise NotFound("找不到这个方案。")
        if plan["status"] != "draft":
            raise ValidationError({"plan": "只有“待表决”的方案才能发起表决。"})
        if scalar(db, "SELECT COUNT(*) FROM council_votes WHERE plan_id = ?"
                      " AND status != 'cancelled'", (plan_id,)):
            raise ValidationError({"plan": "该方案已有表决，不能重复发起。"})
        eligible = scalar(db, "SELECT COUNT(*) FROM households WHERE ? IS NULL OR place_id = ?",
                          (scope_place_id, scope_place_id))
        if quorum > eligible:
            raise ValidationError({"quorum": f"法定户数不能超过范围内的户数（{eligible}户）。"})
        vote_id = db.execute(
            "INSERT INTO council_votes (plan_id, question, scope_place_id, opens_at, closes_at,"
            " quorum, eligible, status, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (plan_id, question, scope_place_id, to_iso(start), to_iso(end), quorum, eligible,
             actor.id, now_iso())).lastrowid
        for position, label in enumerate(labels, start=1):
            db.execute("INSERT INTO council_vote_options (vote_id, position, label, adopts)"
                       " VALUES (?, ?, ?, ?)", (vote_id, position, label, int(label in adopting_set)))
        db.execute("UPDATE council_plans SET status = 'voting', updated_at = ? WHERE id = ?",
                   (now_iso(), plan_id))
        audit.record(db, actor.id, "council.vote_open", "council_vote", vote_id,
                     question=question, eligible=eligible, quorum=quorum)
    return vote_id


def cancel_vote(db: Database, actor: User, *, vote_id: int, reason: str) -> None:
    """Cancel a vote not yet published (staff, with a reason); the plan goes back to 待表决.

    Its ballots stay on the record; the choices are frozen with it.
    """
    require_role(actor, STAFF)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写取消原因。"})
    with immediate(db):
        vote = one(db, "SELECT * FROM council_votes WHERE id = ?", (vote_id,))
        if vote is None:
            raise NotFound("找不到这次表决。")
        if vote["status"] == "cancelled":
            raise ValidationError({"vote": "本次表决已取消。"})
        if vote["status"] == "published":
            raise ValidationError({"vote": "本次表决已公示结果，不能取消。"})
        db.execute("UPDATE council_votes SET status = 'cancelled', cancel_reason = ?"
                   " WHERE id = ?", (reason, vote_id))
        db.execute("UPDATE council_plans SET status = 'draft', updated_at = ?"
                   " WHERE id = ? AND status = 'voting'", (now_iso(), vote["plan_id"]))
        audit.record(db, actor.id, "council.vote_cancel", "council_vote", vote_id, reason=reason)


# --- ballots ---------------------------------------------------------------------------------


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationError({"_": "提交标识无效，请刷新页面后重试。"})
    return key


def _replayed(db: Database, key: str, vote_id: int) -> BallotResult | None:
    """A double tap or a rerun with the same key: the first ballot's result, nothing new."""
    row = one(db, "SELECT b.id, b.vote_id, b.counted, b.rule, o.label FROM council_ballots b"
                  " JOIN council_vote_options o ON o.id = b.option_id"
                  " WHERE b.submission_key = ?", (key,))
    if row is None:
        return None
    if row["vote_id"] != vote_id:
        raise ValidationError({"_": "提交标识无效，请刷新页面后重试。"})
    return BallotResult(row["id"], bool(row["counted"]), row["rule"], row["label"])


def _open_vote_row(db: Database, vote_id: int) -> dict:
    vote = one(db, "SELECT * FROM council_votes WHERE id = ?", (vote_id,))
    if vote is None:
        raise NotFound("找不到这次表决。")
    if vote["status"] == "cancelled":
        raise ValidationError({"vote": MSG_CANCELLED})
    if vote["status"] == "published":
        raise ValidationError({"vote": MSG_PUBLISHED})
    return vote


def _check_option(db: Database, vote_id: int, option_id: object) -> str:
    label = scalar(db, "SELECT label FROM council_vote_options WHERE id = ? AND vote_id = ?",
                   (option_id, vote_id))
    if label is None:
        raise ValidationError({"option": "请选择本次表决的一个选项。"})
    return label


def _check_scope(db: Database, vote: dict, household_id: int, whose: str) -> None:
    if vote["scope_place_id"] is None:
        return
    place_id = scalar(db, "SELECT place_id FROM households WHERE id = ?", (household_id,))
    if place_id != vote["scope_place_id"]:
        name = scalar(db, "SELECT name FROM places WHERE id = ?", (vote["scope_place_id"],))
        raise PermissionDenied(f"本次表决只限{name}的住户参加，{whose}不在表决范围内。")


def _write(db: Database, *, vote_id: int, household_id: int, option_id: int, channel: str,
           user_id: int | None, entered_by: int | None, signed_by: str, cast_at: str,
           counted: bool, rule: str, key: str) -> int:
    """Append the ballot and, if it counts, make it the household's choice (inside the lock)."""
    now = now_iso()
    try:
        ballot_id = db.execute(
            "INSERT INTO council_ballots (vote_id, household_id, option_id, channel, user_id,"
            " entered_by, signed_by, cast_at, recorded_at, counted, rule, submission_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (vote_id, household_id, option_id, channel, user_id, entered_by, signed_by, cast_at,
             now, int(counted), rule, key)).lastrowid
        if counted:
            db.execute(
                "INSERT INTO council_choices (vote_id, household_id, ballot_id, option_id,"
                " channel, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (vote_id, household_id) DO UPDATE SET ballot_id = excluded.ballot_id,"
                " option_id = excluded.option_id, channel = excluded.channel,"
                " updated_at = excluded.updated_at",
                (vote_id, household_id, ballot_id, option_id, channel, now))
    except sqlite3.IntegrityError as error:  # the schema's last line: same words as the checks
        # outside the window or on a vote no longer open (the choices' "frozen" trigger checks
        # the same status, after this one)
        if "window" in str(error):
            raise ValidationError({"vote": MSG_WINDOW}) from error
        raise ValidationError({"vote": "投票未能保存，请刷新页面后查看你家的投票情况。"}) from error
    return ballot_id


def cast(db: Database, actor: User, *, vote_id: int, option_id: int, key: str) -> BallotResult:
    """An online ballot by a member of a verified household; the household's last one counts.

    Refused (nothing written) for a guest, a disabled or unverified account, a household
    outside the scope, an option of another vote, a vote not open now, and a household whose
    counted choice is a paper ballot.
    """
    if actor is None or actor.is_guest:
        raise PermissionDenied(MSG_LOGIN)
    key = _check_key(key)
    with immediate(db):
        replay = _replayed(db, key, vote_id)
        if replay is not None:
            return replay
        member = one(db, "SELECT id, household_id, household_status, disabled, display_name"
                         " FROM users WHERE id = ?", (actor.id,))
        if member is None or member["disabled"]:
            raise PermissionDenied(MSG_DISABLED)
        if member["household_status"] != "verified" or member["household_id"] is None:
            raise PermissionDenied(MSG_UNVERIFIED)
        household_id = member["household_id"]
        vote = _open_vote_row(db, vote_id)
        now = now_iso()
        if now < vote["opens_at"]:
            raise ValidationError({"vote": f"投票尚未开始，开始时间：{local_text(vote['opens_at'])}。"})
        if now >= vote["closes_at"]:
            raise ValidationError({"vote": f"投票已于{local_text(vote['closes_at'])}截止，"
                                           "不能再投票或改票。"})
        label = _check_option(db, vote_id, option_id)
        _check_scope(db, vote, household_id, "你家")
        current = one(db, "SELECT c.channel, b.recorded_at FROM council_choices c"
                          " JOIN council_ballots b ON b.id = c.ballot_id"
                          " WHERE c.vote_id = ? AND c.household_id = ?", (vote_id, household_id))
        if current is not None and current["channel"] == "paper":
            raise ValidationError({"vote": f"你家已交纸质选票（录入于{local_text(current['recorded_at'])}），"
                                           "如需更改请联系社区。"})
        rule = RULE_FIRST if current is None else RULE_CHANGE
        ballot_id = _write(db, vote_id=vote_id, household_id=household_id, option_id=option_id,
                           channel="online", user_id=actor.id, entered_by=None, signed_by="",
                           cast_at=now, counted=True, rule=rule, key=key)
        # no audit entry: the append-only ballot row is the record of who voted when
    return BallotResult(ballot_id, True, rule, label)


def enter_paper(db: Database, actor: User, *, vote_id: int, household_id: int, option_id: int,
                signed_by: str, collected_at: datetime, key: str) -> BallotResult:
    """Type a paper ballot collected door to door (staff).

    Counts if the household has not voted; recorded with counted 0 if it already voted online
    (the result says so: the page warns that the tally is unchanged); refused if its paper
    ballot already counts.
    """
    require_role(actor, STAFF)
    key = _check_key(key)
    signed_by = (signed_by or "").strip()
    errors: dict[str, str] = {}
    if not signed_by:
        errors["signed_by"] = "请填写选票上的签名人姓名。"
    elif len(signed_by) > 40:
        errors["signed_by"] = "签名人姓名不能超过40个字。"
    if not isinstance(collected_at, datetime) or collected_at.tzinfo is None:
        errors["collected_at"] = "请填写收票时间。"
    elif collected_at > utc_now():
        errors["collected_at"] = "收票时间不能晚于现在。"
    if errors:
        raise ValidationError(errors)
    collected = to_iso(collected_at)
    with immediate(db):
        replay = _replayed(db, key, vote_id)
        if replay is not None:
            return replay
        vote = _open_vote_row(db, vote_id)
        if not (vote["opens_at"] <= collected < vote["closes_at"]):
            raise ValidationError({"collected_at": (
                f"收票时间必须在投票时间内（{local_text(vote['opens_at'])} 至 "
                f"{local_text(vote['closes_at'])}）。")})
        label = _check_option(db, vote_id, option_id)
        if scalar(db, "SELECT 1 FROM households WHERE id = ?", (household_id,)) is None:
            raise ValidationError({"room": "找不到这一户，请核对楼栋和房号。"})
        _check_scope(db, vote, household_id, "该户")
        current = one(db, "SELECT c.channel, b.recorded_at FROM council_choices c"
                          " JOIN council_ballots b ON b.id = c.ballot_id"
                          " WHERE c.vote_id = ? AND c.household_id = ?", (vote_id, household_id))
        if current is not None and current["channel"] == "paper":
            raise ValidationError({"room": (
                f"该户的纸质选票已计入（录入于{local_text(current['recorded_at'])}），"
                "不能重复录入。")})
        counted = current is None
        rule = RULE_PAPER_FIRST if counted else RULE_PAPER_AFTER_ONLINE
        ballot_id = _write(db, vote_id=vote_id, household_id=household_id, option_id=option_id,
                           channel="paper", user_id=None, entered_by=actor.id,
                           signed_by=signed_by, cast_at=collected, counted=counted, rule=rule,
                           key=key)
        audit.record(db, actor.id, "council.paper_ballot", "council_vote", vote_id,
                     household=household_id, counted=counted, rule=rule)
    return BallotResult(ballot_id, counted, rule, label)
