"""结果公示: a closed vote's result made public, with a notice period residents may object in.

The reference articles' 结果公示 is a sheet on the notice board and a message in the WeChat
group; objections are answered where everyone can read them. So the result is fixed once, by
staff, only after the vote has closed (the tally is then frozen by m013's trigger), and the
WeChat text and the A4 sheet are both drawn from the same stored publication.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image
from sqlite_utils import Database

from lib.core import audit, sheets
from lib.core.clock import local_text, now_iso, to_iso, utc_now
from lib.core.db import immediate, is_row_id, one, scalar
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.roles import STAFF, User, require_role
from lib.core.sheets import MARGIN, MUTED, Column, Sheet
from lib.council import tally
from lib.people import org, posters
from lib.people.users import mask_name


OPEN, CANCELLED, PUBLISHED = "open", "cancelled", "published"
PASSED, FAILED, NO_QUORUM = tally.PASSED, tally.FAILED, tally.NO_QUORUM
OUTCOME_LABELS = tally.OUTCOME_LABELS
NOTICE_DAYS_MIN, NOTICE_DAYS_MAX, NOTICE_DAYS_DEFAULT = 1, 30, 7
NOTE_MAX, OBJECTION_MAX, ANSWER_MAX = 500, 500, 1000


@dataclass(frozen=True)
class Publication:
    """A vote as its 公示 shows it: the question, the counted households, the result."""

    vote_id: int
    plan_id: int
    topic_id: int
    plan_title: str
    question: str
    status: str
    opens_at: str
    closes_at: str
    quorum: int
    eligible: int
    count: tally.Tally  # the public count, frozen once the vote is published
    outcome: str | None
    winning_option_id: int | None
    result_note: str
    notice_days: int | None
    notice_ends_at: str | None
    published_at: str | None

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "")

    @property
    def winning_label(self) -> str:
        return next((o.label for o in self.count.options if o.id == self.winning_option_id), "")

    def in_notice(self, now: datetime | None = None) -> bool:
        """Published and the notice period not over: residents may still object."""
        moment = to_iso(now or utc_now())
        return self.is_published and bool(self.notice_ends_at) and moment < self.notice_ends_at

    @property
    def closed(self) -> bool:
        return self.closes_at <= now_iso()


@dataclass(frozen=True)
class Objection:
    id: int
    vote_id: int
    who: str  # masked as the wall masks reporters: 张*
    body: str
    created_at: str
    answer: str | None
    answered_at: str | None


# --- reading ---------------------------------------------------------------------------------


def _vote_row(db: Database, vote_id: object) -> dict:
    row = one(db, "SELECT council_votes.*, council_plans.topic_id, council_plans.title AS plan_title"
                  " FROM council_votes JOIN council_plans ON council_plans.id = council_votes.plan_id"
                  " WHERE council_votes.id = ?", (vote_id,)) if is_row_id(vote_id) else None
    if row is None:
        raise NotFound("找不到该表决。")
    return row


def get_publication(db: Database, vote_id: object) -> Publication:
    """A vote with its public count (lib.council.tally, the count page's own); raises NotFound."""
    row = _vote_row(db, vote_id)
    return Publication(
        vote_id=row["id"], plan_id=row["plan_id"], topic_id=row["topic_id"],
        plan_title=row["plan_title"], question=row["question"], status=row["status"],
        opens_at=row["opens_at"], closes_at=row["closes_at"], quorum=row["quorum"],
        eligible=row["eligible"], count=tally.tally(db, row["id"]), outcome=row["outcome"],
        winning_option_id=row["winning_option_id"], result_note=row["result_note"],
        notice_days=row["notice_days"], notice_ends_at=row["notice_ends_at"],
        published_at=row["published_at"])


def publications_of_topic(db: Database, topic_id: int) -> list[Publication]:
    """The topic's published votes, newest first (a rejected plan may be followed by another)."""
    return [get_publication(db, row[0]) for row in db.execute(
        "SELECT council_votes.id FROM council_votes JOIN council_plans"
        " ON council_plans.id = council_votes.plan_id"
        " WHERE council_plans.topic_id = ? AND council_votes.status = 'published'"
        " ORDER BY council_votes.published_at DESC, council_votes.id DESC", (topic_id,))]


def awaiting_publication(db: Database) -> list[Publication]:
    """Open votes whose window has closed: staff publish these next (oldest closing first)."""
    return [get_publication(db, row[0]) for row in db.execute(
        "SELECT id FROM council_votes WHERE status = 'open' AND closes_at <= ?"
        " ORDER BY closes_at, id", (now_iso(),))]


def recent_publications(db: Database, limit: int = 20) -> list[Publication]:
    return [get_publication(db, row[0]) for row in db.execute(
        "SELECT id FROM council_votes WHERE status = 'published'"
        " ORDER BY published_at DESC, id DESC LIMIT ?", (limit,))]


def objections(db: Database, vote_id: int) -> list[Objection]:
    """Every objection to a publication with its answer, oldest first, names masked."""
    return [Objection(id=r["id"], vote_id=r["vote_id"],
                      who=mask_name(r["display_name"] or ""),  # 居民 without a name
                      body=r["body"], created_at=r["created_at"], answer=r["answer"],
                      answered_at=r["answered_at"])
            for r in db.query(
                "SELECT council_objections.*, users.display_name FROM council_objections"
                " LEFT JOIN users ON users.id = council_objections.user_id"
                " WHERE vote_id = ? ORDER BY council_objections.id", (vote_id,))]


def unanswered(db: Database) -> list[tuple[Publication, Objection]]:
    """Objections staff have not answered yet, oldest first."""
    found = []
    for row in db.execute("SELECT DISTINCT vote_id FROM council_objections WHERE answer IS NULL"
                          " ORDER BY vote_id"):
        publication = get_publication(db, row[0])
        found += [(publication, o) for o in objections(db, row[0]) if o.answer is None]
    return found


# --- the outcome -----------------------------------------------------------------------------


def decide(db: Database, vote_id: int) -> tuple[str, int | None]:
    """(outcome, the leading option's id or None) by lib.council.tally's rule."""
    return tally.outcome(tally.tally(db, vote_id))


# --- writing ---------------------------------------------------------------------------------


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None



def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def publish(db: Database, actor: User, *, vote_id: int, notice_days: object = NOTICE_DAYS_DEFAULT,
            note: str = "") -> Publication:
    """Publish a closed vote's result (staff): outcome, notice period, the plan adopted or not.

    Raises PermissionDenied, NotFound, or ValidationError for a vote still open, cancelled or
    already published, or a notice period outside 1-30 days; nothing changes on a refusal.
    """
    require_role(actor, STAFF)
    days = _whole(notice_days)
    if days is None or not NOTICE_DAYS_MIN <= days <= NOTICE_DAYS_MAX:
        raise ValidationError({"notice_days": f"公示期请填 {NOTICE_DAYS_MIN} 到 {NOTICE_DAYS_MAX} 天。"})
    text = _text(note)
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": f"公示说明不能超过 {NOTE_MAX} 个字。"})
    with immediate(db):
        row = _vote_row(db, vote_id)
        if row["status"] == CANCELLED:
            raise ValidationError({"vote_id": "该表决已取消，不能公示。"})
        if row["status"] == PUBLISHED:
            raise ValidationError({"vote_id": f"该表决已于 {local_text(row['published_at'])} 公示。"})
        now = utc_now()
        if row["closes_at"] > to_iso(now):
            raise ValidationError({"vote_id": f"表决还没有截止（{local_text(row['closes_at'])} 截止），"
                                              "截止后才能公示。"})
        outcome, winner = decide(db, row["id"])
        ends = to_iso(now + timedelta(days=days))
        db.execute("UPDATE council_votes SET status = 'published', outcome = ?,"
                   " winning_option_id = ?, result_note = ?, notice_days = ?, notice_ends_at = ?,"
                   " published_by = ?, published_at = ? WHERE id = ?",
                   (outcome, winner, text, days, ends, actor.id, to_iso(now), row["id"]))
        plan_status = "adopted" if outcome == PASSED else "rejected"
        db.execute("UPDATE council_plans SET status = ?, updated_at = ? WHERE id = ?"
                   " AND status = 'voting'", (plan_status, to_iso(now), row["plan_id"]))
        audit.record(db, actor.id, "council.publish", "council_vote", row["id"],
                     outcome=outcome, notice_days=days, plan=plan_status)
    return get_publication(db, row["id"])


def verified_household(db: Database, actor: User | None, doing: str) -> int:
    """The actor's household id if they are a verified resident now (re-read, any role).

    Raises PermissionDenied: "请先登录。" for a guest, else why ``doing`` needs a verified household.
    """
    if actor is None or actor.is_guest:
        raise PermissionDenied("请先登录。")
    household = scalar(db, "SELECT household_id FROM users WHERE id = ? AND disabled = 0"
                           " AND household_status = 'verified'", (actor.id,))
    if household is None:
        raise PermissionDenied(f"只有已核实住户的居民才能{doing}，请先在“我的”中绑定住户并等待核实。")
    return household


def object_to(db: Database, actor: User, *, vote_id: int, body: str, key: str) -> Objection:
    """A verified resident objects to a publication during its notice period (异议).

    Raises PermissionDenied, NotFound or ValidationError (empty or long text, notice period not
    open); repeating ``key`` returns the first objection instead of storing a second.
    """
    text = _text(body)
    if not _text(key):
        raise ValidationError({"key": "提交失败，请刷新页面后重试。"})
    with immediate(db):
        household = verified_household(db, actor, "提出异议")
        known = one(db, "SELECT id, vote_id FROM council_objections WHERE submission_key = ?",
                    (key,))
        if known is not None:
            return _objection(db, known["vote_id"], known["id"])
        if not text:
            raise ValidationError({"body": "请写下您的异议。"})
        if len(text) > OBJECTION_MAX:
            raise ValidationError({"body": f"异议不能超过 {OBJECTION_MAX} 个字。"})
        row = _vote_row(db, vote_id)
        now = now_iso()
        if row["status"] != PUBLISHED:
            raise ValidationError({"body": "该表决还没有公示，暂不能提出异议。"})
        if now >= row["notice_ends_at"]:
            raise ValidationError({"body": f"公示期已于 {local_text(row['notice_ends_at'])} 结束，"
                                           "不能再提出异议。"})
        objection_id = db.execute(
            "INSERT INTO council_objections (vote_id, user_id, household_id, body, submission_key,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (row["id"], actor.id, household, text, key, now)).lastrowid
        audit.record(db, actor.id, "council.object", "council_vote", row["id"],
                     objection=objection_id)
    return _objection(db, row["id"], objection_id)


def _objection(db: Database, vote_id: int, objection_id: int) -> Objection:
    """One objection as objections() shows it; the caller has just read or written its row."""
    [found] = [o for o in objections(db, vote_id) if o.id == objection_id]
    return found


def answer(db: Database, actor: User, *, objection_id: int, answer: str) -> Objection:
    """Staff answer an objection in public; a later answer replaces it (the audit keeps both).

    Raises PermissionDenied, NotFound or ValidationError (empty or long answer).
    """
    require_role(actor, STAFF)
    text = _text(answer)
    if not text:
        raise ValidationError({"answer": "请填写答复。"})
    if len(text) > ANSWER_MAX:
        raise ValidationError({"answer": f"答复不能超过 {ANSWER_MAX} 个字。"})
    with immediate(db):
        old = one(db, "SELECT * FROM council_objections WHERE id = ?", (objection_id,)) \
            if is_row_id(objection_id) else None
        if old is None:
            raise NotFound("找不到该异议。")
        if old["answer"] != text:
            db.execute("UPDATE council_objections SET answer = ?, answered_by = ?, answered_at = ?"
                       " WHERE id = ?", (text, actor.id, now_iso(), old["id"]))
            audit.record(db, actor.id, "council.answer", "council_objection", old["id"],
                         vote=old["vote_id"], replaced=old["answer"] or "")
    return _objection(db, old["vote_id"], old["id"])


# --- leaving the portal: WeChat and paper ----------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def result_lines(shown: Publication) -> list[str]:
    """The result in sentences, shared by the WeChat text and the A4 sheet."""
    lines = [f"表决事项：{shown.question}",
             f"表决时间：{local_text(shown.opens_at)} 至 {local_text(shown.closes_at)}"]
    count = shown.count
    lines += [f"{o.label}：{o.households} 户（{_share(o.households, count.voted)}）"
              for o in count.options]
    lines.append(f"参与 {count.voted} 户（线上 {count.online} 户，纸质 {count.paper} 户），"
                 f"应参与 {shown.eligible} 户，参与率 {_share(count.voted, shown.eligible)}；"
                 f"至少需要 {shown.quorum} 户参与，" + ("已达到。" if count.quorum_met else "未达到。"))
    if shown.outcome:
        lines.append(f"表决结果：{shown.outcome_label}"
                     + (f"（{shown.winning_label}）" if shown.winning_label else ""))
    if shown.result_note:
        lines.append(f"说明：{shown.result_note}")
    return lines


def notice_lines(shown: Publication) -> list[str]:
    """How long the notice runs and how to object."""
    if not shown.notice_ends_at:
        return []
    return [f"公示期 {shown.notice_days} 天，至 {local_text(shown.notice_ends_at)} 止。",
            "如有异议，请在公示期内扫码登录后在“公示”中提出，或到社区居委会当面反映；"
            "社区将公开答复。"]


def wechat_text(db: Database, vote_id: int, url: str) -> str:
    """A plain text staff paste into the WeChat group: the result and the link to the 公示."""
    shown = get_publication(db, vote_id)
    return "\n".join([f"【议事结果公示】{shown.plan_title}", *result_lines(shown),
                      *notice_lines(shown), f"详情和异议：{url}"])


COUNT_COLUMNS = (Column("label", "选项", MARGIN, 500),
                 Column("households", "户数", MARGIN + 520, 200, right=True),
                 Column("share", "占参与户数", MARGIN + 760, 250, right=True))


def notice_pages(shown: Publication, url: str, community: str, printed: str,
                 answered: list[Objection]) -> list[Image.Image]:
    """The A4 公示 sheet's pages: title, question, counts by option, turnout, result, notice
    period and how to object, objections answered so far; the QR to the topic."""
    sheet = Sheet(f"议事结果公示 · {shown.plan_title}", COUNT_COLUMNS)
    qr_bottom = sheet.qr(posters.qr_png(url, box_size=5), "扫码查看详情、提出异议")
    sheet.text("议事结果公示", 64, bold=True, gap=26)
    sheet.text(shown.plan_title, 36, bold=True)
    sheet.text(f"{community} · 一户一票", 26, fill=MUTED)
    sheet.text(f"打印时间：{printed}", 22, fill=MUTED)
    sheet.y = max(sheet.y + 20, qr_bottom + 20)
    lines = result_lines(shown)
    for line in lines[:2]:
        sheet.text(line, 28)
    sheet.y += 10
    sheet.table_header()
    for option in shown.count.options:
        sheet.row({"label": option.label, "households": f"{option.households} 户",
                   "share": _share(option.households, shown.count.voted)})
    sheet.y += 16
    for line in lines[2 + len(shown.count.options):]:
        sheet.text(line, 30 if line.startswith("表决结果") else 26,
                   bold=line.startswith("表决结果"))
    sheet.y += 10
    for line in notice_lines(shown):
        sheet.text(line, 26)
    if answered:
        sheet.y += 10
        sheet.text("异议与答复", bold=True)  # the sheet's default size
        for objection in answered:
            sheet.text(f"{objection.who}：{objection.body}", 24)
            sheet.text(f"答复：{objection.answer}", 24, fill=MUTED)
    return sheet.finish(f"{community} · 微网实格")


def a4_pdf(db: Database, vote_id: int, url: str) -> bytes:
    """The printable A4 公示 (PDF) with the QR to ``url``; answered objections are printed."""
    shown = get_publication(db, vote_id)
    answered = [o for o in objections(db, vote_id) if o.answer]
    pages = notice_pages(shown, url, org.community_name(db) or "社区", local_text(now_iso()),
                         answered)
    return sheets.to_pdf(pages, f"议事结果公示 {shown.plan_title}")


object = object_to  # noqa: A001 - the contract's name; defined last so nothing here shadows it
