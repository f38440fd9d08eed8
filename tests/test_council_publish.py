"""结果公示 (lib/council/publish.py): publishing a closed vote, objections in the notice period,
answers in public, the WeChat text and the A4 sheet."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from lib.core.clock import local_text, now_iso, to_iso, utc_now
from lib.core.errors import NotFound, PermissionDenied, ValidationError
from lib.core.fonts import _has_chinese
from lib.core.sheets import PAGE_SIZE
from lib.council import publish
from tests.council_helpers import make_plan, make_topic, make_vote, vote_world


URL = "https://portal.example/council?t=1"


def ballot(db, vote_id: int, household_id: int, option_id: int, *, user_id: int | None = None,
           entered_by: int | None = None) -> None:
    """A counted ballot written straight into the schema (the VOTES part tests the casting)."""
    now = now_iso()
    channel = "online" if user_id else "paper"
    ballot_id = db.execute(
        "INSERT INTO council_ballots (vote_id, household_id, option_id, channel, user_id,"
        " entered_by, signed_by, cast_at, recorded_at, counted, rule, submission_key)"
        " VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, 1, '测试', ?)",
        (vote_id, household_id, option_id, channel, user_id, entered_by, now, now,
         f"t:{vote_id}:{household_id}:{now}:{option_id}")).lastrowid
    db.execute("INSERT OR REPLACE INTO council_choices (vote_id, household_id, ballot_id,"
               " option_id, channel, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
               (vote_id, household_id, ballot_id, option_id, channel, now))
    db.conn.commit()


def close(db, vote_id: int) -> None:
    """Time passes: the window ends a minute ago."""
    db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?",
               (to_iso(utc_now() - timedelta(minutes=1)), vote_id))
    db.conn.commit()


def vote_state(db, world) -> tuple:
    return (db.execute("SELECT status, outcome, winning_option_id, notice_days, notice_ends_at,"
                       " published_by, result_note FROM council_votes WHERE id = ?",
                       (world["vote"]["id"],)).fetchone(),
            db.execute("SELECT status FROM council_plans WHERE id = ?",
                       (world["plan"],)).fetchone()[0])


@pytest.fixture
def world(db):
    """vote_world (in/in2 one household in A, out in B) with quorum 2: in's household and
    staff's household say 同意, out's says 不同意 on paper."""
    w = vote_world(db, quorum=2)
    yes, no = w["vote"]["options"]
    ballot(db, w["vote"]["id"], w["in"].household_id, yes, user_id=w["in"].id)
    ballot(db, w["vote"]["id"], w["staff"].household_id, yes, user_id=w["staff"].id)
    ballot(db, w["vote"]["id"], w["out"].household_id, no, entered_by=w["staff"].id)
    return w


@pytest.fixture
def closed(db, world):
    close(db, world["vote"]["id"])
    return world


@pytest.fixture
def published(db, closed):
    publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=7,
                    note="请各楼栋长转告。")
    return closed


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_publish_a_closed_vote_and_the_adopted_plan_follows_the_tally(db, closed, who):
    before = utc_now().replace(microsecond=0)
    shown = publish.publish(db, closed[who], vote_id=closed["vote"]["id"], notice_days="7",
                            note=" 请各楼栋长转告。 ")
    yes = closed["vote"]["options"][0]
    assert (shown.status, shown.outcome, shown.winning_option_id, shown.winning_label) == \
        ("published", "passed", yes, "同意")
    assert [(o.label, o.households) for o in shown.count.options] == [("同意", 2), ("不同意", 1)]
    ends = datetime.fromisoformat(shown.notice_ends_at)
    assert timedelta(days=7) <= ends - before <= timedelta(days=7, seconds=5)
    assert shown.result_note == "请各楼栋长转告。"
    assert vote_state(db, closed)[1] == "adopted"
    assert shown.in_notice()
    assert not shown.in_notice(ends + timedelta(seconds=1))
    audit = db.execute("SELECT actor_id, action, target_id FROM audit_log"
                       " WHERE action = 'council.publish'").fetchall()
    assert audit == [(closed[who].id, "council.publish", str(closed["vote"]["id"]))]


@pytest.mark.parametrize("who", ["in", "leader", "unverified", "guest"])
def test_anyone_below_staff_cannot_publish_and_nothing_changes(db, closed, who):
    before = vote_state(db, closed)
    with pytest.raises(PermissionDenied):
        publish.publish(db, closed[who], vote_id=closed["vote"]["id"], notice_days=7)
    assert vote_state(db, closed) == before == (before[0], "voting")
    assert before[0][0] == "open"


def test_an_open_vote_cannot_be_published_before_it_closes(db, world):
    before = vote_state(db, world)
    with pytest.raises(ValidationError, match="还没有截止"):
        publish.publish(db, world["staff"], vote_id=world["vote"]["id"], notice_days=7)
    assert vote_state(db, world) == before


def test_a_cancelled_vote_cannot_be_published(db, closed):
    db.execute("UPDATE council_votes SET status = 'cancelled' WHERE id = ?", (closed["vote"]["id"],))
    db.conn.commit()
    before = vote_state(db, closed)
    with pytest.raises(ValidationError, match="已取消"):
        publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=7)
    assert vote_state(db, closed) == before


def test_publishing_twice_is_refused_and_keeps_the_first_notice_period(db, published):
    before = vote_state(db, published)
    with pytest.raises(ValidationError, match="已于"):
        publish.publish(db, published["admin"], vote_id=published["vote"]["id"], notice_days=30)
    assert vote_state(db, published) == before
    assert before[0][3] == 7


@pytest.mark.parametrize("days", [0, 31, -1, "abc", "", None, True, 7.5])
def test_a_notice_period_outside_1_to_30_days_is_refused(db, closed, days):
    before = vote_state(db, closed)
    with pytest.raises(ValidationError) as error:
        publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=days)
    assert error.value.fields == {"notice_days": "公示期请填 1 到 30 天。"}
    assert vote_state(db, closed) == before


@pytest.mark.parametrize("days", [1, 30])
def test_the_notice_period_bounds_are_allowed(db, closed, days):
    shown = publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=days)
    assert shown.notice_days == days


def test_a_long_note_is_refused(db, closed):
    before = vote_state(db, closed)
    with pytest.raises(ValidationError):
        publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=7,
                        note="长" * 501)
    assert vote_state(db, closed) == before


def test_an_unknown_vote_is_not_found(db, closed):
    for vote_id in (999, "1", True, 2 ** 70):
        with pytest.raises(NotFound):
            publish.publish(db, closed["staff"], vote_id=vote_id, notice_days=7)


def test_without_the_quorum_the_plan_is_rejected(db, make_user):
    w = vote_world(db, quorum=5)
    ballot(db, w["vote"]["id"], w["in"].household_id, w["vote"]["options"][0], user_id=w["in"].id)
    close(db, w["vote"]["id"])
    shown = publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=3)
    assert (shown.outcome, shown.winning_option_id) == ("no_quorum", None)
    assert vote_state(db, w)[1] == "rejected"


def test_a_majority_against_rejects_the_plan_and_names_the_winning_option(db):
    w = vote_world(db, quorum=1)
    yes, no = w["vote"]["options"]
    ballot(db, w["vote"]["id"], w["in"].household_id, no, user_id=w["in"].id)
    close(db, w["vote"]["id"])
    shown = publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=3)
    assert (shown.outcome, shown.winning_label) == ("failed", "不同意")
    assert vote_state(db, w)[1] == "rejected"


def test_a_tie_at_the_top_does_not_pass(db):
    w = vote_world(db, quorum=1)
    yes, no = w["vote"]["options"]
    ballot(db, w["vote"]["id"], w["in"].household_id, yes, user_id=w["in"].id)
    ballot(db, w["vote"]["id"], w["out"].household_id, no, user_id=w["out"].id)
    close(db, w["vote"]["id"])
    shown = publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=3)
    assert (shown.outcome, shown.winning_option_id) == ("failed", None)


def test_after_publication_the_count_is_frozen(db, published):
    with pytest.raises(Exception, match="frozen"):
        db.execute("DELETE FROM council_choices WHERE vote_id = ?", (published["vote"]["id"],))
    db.conn.rollback()


def test_awaiting_lists_closed_open_votes_only(db, world):
    assert publish.awaiting_publication(db) == []
    close(db, world["vote"]["id"])
    assert [p.vote_id for p in publish.awaiting_publication(db)] == [world["vote"]["id"]]
    publish.publish(db, world["staff"], vote_id=world["vote"]["id"], notice_days=7)
    assert publish.awaiting_publication(db) == []
    assert [p.vote_id for p in publish.publications_of_topic(db, world["topic"])] == \
        [world["vote"]["id"]]


# --- objections --------------------------------------------------------------------------------


def objection_rows(db) -> list[tuple]:
    return db.execute("SELECT vote_id, user_id, household_id, body, answer"
                      " FROM council_objections ORDER BY id").fetchall()


@pytest.mark.parametrize("who", ["in", "in2", "out", "staff", "leader"])
def test_a_verified_resident_of_any_role_objects_in_the_notice_period(db, published, who):
    found = publish.object(db, published[who], vote_id=published["vote"]["id"],
                           body=" 雨棚会挡住一楼的采光。 ", key="k1")
    assert found.body == "雨棚会挡住一楼的采光。"
    assert found.who.endswith("*")  # masked as on the wall
    assert objection_rows(db) == [(published["vote"]["id"], published[who].id,
                                   published[who].household_id, "雨棚会挡住一楼的采光。", None)]


def test_the_same_key_stores_one_objection(db, published):
    first = publish.object(db, published["in"], vote_id=published["vote"]["id"], body="异议",
                           key="same")
    again = publish.object(db, published["in"], vote_id=published["vote"]["id"], body="异议",
                           key="same")
    assert first == again
    assert len(objection_rows(db)) == 1


@pytest.mark.parametrize("who,error", [("unverified", PermissionDenied),
                                       ("guest", PermissionDenied)])
def test_an_unverified_account_or_a_guest_cannot_object(db, published, who, error):
    with pytest.raises(error):
        publish.object(db, published[who], vote_id=published["vote"]["id"], body="异议", key="k")
    assert objection_rows(db) == []


def test_a_disabled_account_cannot_object(db, published):
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (published["in"].id,))
    db.conn.commit()
    with pytest.raises(PermissionDenied):
        publish.object(db, published["in"], vote_id=published["vote"]["id"], body="异议", key="k")
    assert objection_rows(db) == []


@pytest.mark.parametrize("body", ["", "   ", None, "长" * 501])
def test_an_empty_or_long_objection_is_refused(db, published, body):
    with pytest.raises(ValidationError) as error:
        publish.object(db, published["in"], vote_id=published["vote"]["id"], body=body, key="k")
    assert "body" in error.value.fields
    assert objection_rows(db) == []


def test_no_objection_before_publication_or_after_the_notice_period(db, closed):
    with pytest.raises(ValidationError, match="还没有公示"):
        publish.object(db, closed["in"], vote_id=closed["vote"]["id"], body="异议", key="k1")
    publish.publish(db, closed["staff"], vote_id=closed["vote"]["id"], notice_days=1)
    db.execute("UPDATE council_votes SET notice_ends_at = ? WHERE id = ?",
               (to_iso(utc_now() - timedelta(seconds=1)), closed["vote"]["id"]))
    db.conn.commit()
    with pytest.raises(ValidationError, match="公示期已于"):
        publish.object(db, closed["in"], vote_id=closed["vote"]["id"], body="异议", key="k2")
    assert objection_rows(db) == []


def test_an_objection_without_a_key_is_refused(db, published):
    with pytest.raises(ValidationError):
        publish.object(db, published["in"], vote_id=published["vote"]["id"], body="异议", key=" ")
    assert objection_rows(db) == []


# --- answers -------------------------------------------------------------------------------------


@pytest.fixture
def objected(db, published):
    published["objection"] = publish.object(db, published["in"], vote_id=published["vote"]["id"],
                                            body="雨棚会挡住一楼的采光。", key="k1")
    return published


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_answer_an_objection_in_public(db, objected, who):
    publish.answer(db, objected[who], objection_id=objected["objection"].id,
                   answer=" 雨棚用透光板，不影响采光。 ")
    [shown] = publish.objections(db, objected["vote"]["id"])
    assert (shown.body, shown.answer) == ("雨棚会挡住一楼的采光。", "雨棚用透光板，不影响采光。")
    assert shown.answered_at
    assert publish.unanswered(db) == []
    publish.answer(db, objected[who], objection_id=objected["objection"].id, answer="改为透光板。")
    assert publish.objections(db, objected["vote"]["id"])[0].answer == "改为透光板。"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.answer'"
                      ).fetchone()[0] == 2


@pytest.mark.parametrize("who", ["in", "leader", "guest"])
def test_below_staff_cannot_answer(db, objected, who):
    with pytest.raises(PermissionDenied):
        publish.answer(db, objected[who], objection_id=objected["objection"].id, answer="答复")
    assert objection_rows(db)[0][4] is None
    assert len(publish.unanswered(db)) == 1


@pytest.mark.parametrize("text", ["", "  ", None, "长" * 1001])
def test_an_empty_or_long_answer_is_refused(db, objected, text):
    with pytest.raises(ValidationError):
        publish.answer(db, objected["staff"], objection_id=objected["objection"].id, answer=text)
    assert objection_rows(db)[0][4] is None


def test_answering_an_unknown_objection_is_not_found(db, objected):
    with pytest.raises(NotFound):
        publish.answer(db, objected["staff"], objection_id=999, answer="答复")


# --- the WeChat text and the A4 sheet ----------------------------------------------------------


def test_the_wechat_text_says_everything_a_resident_needs(db, published):
    text = publish.wechat_text(db, published["vote"]["id"], URL)
    shown = publish.get_publication(db, published["vote"]["id"])
    for wanted in ("【议事结果公示】大门雨棚方案", "表决事项：是否同意在大门加装雨棚？",
                   "同意：2 户（66.7%）", "不同意：1 户（33.3%）",
                   "参与 3 户（线上 2 户，纸质 1 户）", f"应参与 {shown.eligible} 户",
                   "至少需要 2 户参与，已达到。", "表决结果：通过（同意）", "说明：请各楼栋长转告。",
                   f"公示期 7 天，至 {local_text(shown.notice_ends_at)} 止。", "如有异议",
                   f"详情和异议：{URL}"):
        assert wanted in text, wanted
    assert "<" not in text and "*" not in text  # plain text, pasted as it is


def test_the_wechat_text_says_when_the_quorum_was_missed(db):
    w = vote_world(db, quorum=5)
    close(db, w["vote"]["id"])
    publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=3)
    text = publish.wechat_text(db, w["vote"]["id"], URL)
    assert "至少需要 5 户参与，未达到。" in text and "表决结果：未达法定户数" in text


@pytest.fixture
def drawn(monkeypatch):
    seen: list[tuple[str, object]] = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, **kwargs):
        seen.append((text, kwargs.get("font")))
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    return seen


def first_page(pdf: bytes) -> Image.Image:
    start = pdf.index(b"\xff\xd8")
    return Image.open(io.BytesIO(pdf[start:pdf.index(b"\xff\xd9", start) + 2]))


def test_the_a4_sheet_is_chinese_with_the_counts_the_answers_and_the_qr(db, objected, drawn):
    publish.answer(db, objected["staff"], objection_id=objected["objection"].id,
                   answer="雨棚用透光板。")
    pdf = publish.a4_pdf(db, objected["vote"]["id"], URL)
    assert pdf.startswith(b"%PDF")
    page = first_page(pdf)
    assert page.size == PAGE_SIZE
    assert [code.text for code in zxingcpp.read_barcodes(page.convert("RGB"))] == [URL]
    texts = [text for text, _ in drawn]
    for wanted in ("议事结果公示", "大门雨棚方案", "同意", "2 户", "66.7%", "不同意", "1 户",
                   "表决结果：通过（同意）", "异议与答复", "答复：雨棚用透光板。",
                   "扫码查看详情、提出异议"):
        assert wanted in texts, wanted
    assert all(_has_chinese(font) for _, font in drawn if font is not None)


def test_an_unknown_vote_has_no_text_or_sheet(db):
    with pytest.raises(NotFound):
        publish.wechat_text(db, 5, URL)
    with pytest.raises(NotFound):
        publish.a4_pdf(db, 5, URL)


def test_a_topic_without_publication_lists_none(db, world):
    other = make_topic(db, proposed_by=world["in"].id, title="车棚")
    plan = make_plan(db, topic_id=other, created_by=world["staff"].id)
    make_vote(db, plan_id=plan, created_by=world["staff"].id)
    assert publish.publications_of_topic(db, other) == []


# --- races: eight writers at once from separate processes --------------------------------------


def _publish_worker(path: str, actor_id: int, vote_id: int, start, results) -> None:
    import time

    from lib.core.db import open_db
    from lib.people.users import load_user

    db = open_db(path, migrate=False)
    actor = load_user(db, actor_id)
    start.wait()
    began = time.monotonic()
    try:
        publish.publish(db, actor, vote_id=vote_id, notice_days=7)
        results.put(("ok", time.monotonic() - began))
    except ValidationError as error:
        results.put((error.fields.get("vote_id", "")[:4], time.monotonic() - began))
    except Exception as error:  # reported to the parent, which asserts on it
        results.put((repr(error), 0))


@pytest.mark.slow
def test_eight_staff_publishing_at_once_publish_once(tmp_path):
    from lib.core.db import open_db
    from tests.races import race

    path = tmp_path / "race.db"
    db = open_db(path)
    w = vote_world(db, quorum=1)
    ballot(db, w["vote"]["id"], w["in"].household_id, w["vote"]["options"][0], user_id=w["in"].id)
    close(db, w["vote"]["id"])
    staff = [w["staff"].id, w["staff2"].id, w["admin"].id]
    db.conn.close()
    outcomes = race(_publish_worker, lambda n: (str(path), staff[n % 3], w["vote"]["id"]))
    assert sorted(kind for kind, _ in outcomes) == ["ok"] + ["该表决已"] * 7, outcomes
    assert max(seconds for _, seconds in outcomes) < 20, outcomes
    db = open_db(path, migrate=False)
    assert db.execute("SELECT status, outcome FROM council_votes").fetchall() == [
        ("published", "passed")]
    assert db.execute("SELECT status FROM council_plans").fetchall() == [("adopted",)]
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'council.publish'"
                      ).fetchone() == (1,)
    db.conn.close()
