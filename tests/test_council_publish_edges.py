"""结果公示's refusals word for word, its clock edges at the exact second, the records it leaves,
the lists staff work from, and the WeChat text and A4 sheet line by line.

A page places each message by its field name, so a refusal is checked as the whole ``fields``
dict; a limit is checked on both of its sides, a clock edge at the exact second
(``clock.pretend``). The A4 sheet is checked as what is drawn, in order: each text with its
size, weight and shade, and the space left above it.
"""
from __future__ import annotations

import inspect
from datetime import datetime, timedelta

import pytest

from lib.core import clock
from lib.core.clock import local_text, to_iso
from lib.core.sheets import INK, MUTED, Sheet
from lib.council import publish, tally
from lib.people import posters
from tests.council_helpers import make_plan, make_vote, vote_world
from tests.refusals import denied, fields, last_audit, not_found
from tests import test_council_publish as base
from tests.test_council_publish import close


URL = "https://portal.example/council?t=1"
LONG_URL = URL + "&from=wechat-group-" + "x" * 60  # a QR taller than the sheet's heading
SECOND = timedelta(seconds=1)


def audit_count(db, action) -> int:
    return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0]


def stored(db, vote_id, column):
    return db.execute(f"SELECT {column} FROM council_votes WHERE id = ?", (vote_id,)).fetchone()[0]


def moment_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


world = base.world


@pytest.fixture
def w(world):
    """The module tests' vote: in's and staff's households 同意, out's 不同意 on paper."""
    return world


@pytest.fixture
def published(db, w):
    """w's vote closed a minute ago and published now with a 7-day notice and a note."""
    close(db, w["vote"]["id"])
    publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=7,
                    note="请各楼栋长转告。")
    return w


def _object(db, w, who="in", key="k1", body="雨棚会挡住一楼的采光。", vote_id=None):
    return publish.object(db, w[who], vote_id=vote_id or w["vote"]["id"], body=body, key=key)


def _published_vote(db, w, *, published_at: str, notice_ends_at: str | None = None) -> int:
    """Another plan of w's topic with a vote already published (straight into the schema)."""
    plan = make_plan(db, topic_id=w["topic"], created_by=w["staff"].id, title="车棚方案")
    vote_id = make_vote(db, plan_id=plan, created_by=w["staff"].id, status="published")["id"]
    db.execute("UPDATE council_votes SET outcome = 'failed', notice_days = 7, published_at = ?,"
               " notice_ends_at = ? WHERE id = ?",
               (published_at, notice_ends_at or published_at, vote_id))
    db.conn.commit()
    return vote_id


# --- publishing ------------------------------------------------------------------------------


def test_a_vote_is_published_at_the_very_second_it_closes_and_not_one_before(db, w):
    vote_id = w["vote"]["id"]
    closes_at = stored(db, vote_id, "closes_at")
    closes = moment_of(closes_at)
    with clock.pretend(closes - SECOND):
        assert fields(lambda: publish.publish(db, w["staff"], vote_id=vote_id, notice_days=3)) == {
            "vote_id": f"表决还没有截止（{local_text(closes_at)} 截止），截止后才能公示。"}
    assert stored(db, vote_id, "status") == "open"
    with clock.pretend(closes):
        shown = publish.publish(db, w["staff"], vote_id=vote_id, notice_days=3)
    yes = w["vote"]["options"][0]
    assert shown == publish.Publication(
        vote_id=vote_id, plan_id=w["plan"], topic_id=w["topic"], plan_title="大门雨棚方案",
        question="是否同意在大门加装雨棚？", status="published",
        opens_at=stored(db, vote_id, "opens_at"), closes_at=closes_at, quorum=2, eligible=10,
        count=tally.tally(db, vote_id), outcome="passed", winning_option_id=yes,
        result_note="", notice_days=3, notice_ends_at=to_iso(closes + timedelta(days=3)),
        published_at=closes_at)
    assert shown == publish.get_publication(db, vote_id)
    assert [(o.label, o.households) for o in shown.count.options] == [("同意", 2), ("不同意", 1)]
    assert stored(db, vote_id, "published_by") == w["staff"].id
    assert db.execute("SELECT status, updated_at FROM council_plans WHERE id = ?",
                      (w["plan"],)).fetchone() == ("adopted", closes_at)


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_publishing_is_audited_with_the_outcome_the_period_and_the_plan(db, w, who):
    close(db, w["vote"]["id"])
    publish.publish(db, w[who], vote_id=w["vote"]["id"], notice_days=7)
    assert last_audit(db, "council.publish") == {
        "actor": w[who].id, "type": "council_vote", "id": str(w["vote"]["id"]),
        "detail": {"outcome": "passed", "notice_days": 7, "plan": "adopted"}}


def test_a_rejected_plan_is_audited_as_rejected(db):
    world = vote_world(db, quorum=5)
    close(db, world["vote"]["id"])
    publish.publish(db, world["staff"], vote_id=world["vote"]["id"], notice_days=1)
    assert last_audit(db, "council.publish")["detail"] == {
        "outcome": "no_quorum", "notice_days": 1, "plan": "rejected"}


def test_publishing_refusals_word_for_word(db, w):
    vote_id = w["vote"]["id"]
    close(db, vote_id)

    def again(days=7):
        return publish.publish(db, w["staff"], vote_id=vote_id, notice_days=days)

    db.execute("UPDATE council_votes SET status = 'cancelled' WHERE id = ?", (vote_id,))
    db.conn.commit()
    assert fields(again) == {"vote_id": "该表决已取消，不能公示。"}
    db.execute("UPDATE council_votes SET status = 'open' WHERE id = ?", (vote_id,))
    db.conn.commit()
    again()
    published_at = stored(db, vote_id, "published_at")
    assert fields(again) == {"vote_id": f"该表决已于 {local_text(published_at)} 公示。"}
    assert audit_count(db, "council.publish") == 1
    for unknown in (999, 0, -1, 2 ** 63, "1", True, None):
        assert not_found(lambda: publish.publish(db, w["staff"], vote_id=unknown,
                                                 notice_days=7)) == "找不到该表决。"


def test_a_note_of_500_characters_is_kept_and_501_refused(db, w):
    close(db, w["vote"]["id"])
    assert fields(lambda: publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=7,
                                          note="长" * 501)) == {"note": "公示说明不能超过 500 个字。"}
    assert stored(db, w["vote"]["id"], "status") == "open"
    shown = publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=7,
                            note=" " + "长" * 500 + " ")
    assert shown.result_note == "长" * 500


def test_a_note_that_is_not_text_is_no_note(db, w):
    close(db, w["vote"]["id"])
    shown = publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=7, note=None)
    assert stored(db, w["vote"]["id"], "result_note") == shown.result_note == ""


# --- the notice period -----------------------------------------------------------------------


def test_the_notice_period_ends_at_its_exact_second(db, published):
    vote_id = published["vote"]["id"]
    shown = publish.get_publication(db, vote_id)
    ends_at = shown.notice_ends_at
    ends = moment_of(ends_at)
    assert (shown.in_notice(ends - SECOND), shown.in_notice(ends)) == (True, False)
    with clock.pretend(ends - SECOND):
        assert shown.in_notice()
        last = _object(db, published, key="last")
    assert last.created_at == to_iso(ends - SECOND)
    with clock.pretend(ends):
        assert not shown.in_notice()
        assert fields(lambda: _object(db, published, key="late")) == {
            "body": f"公示期已于 {local_text(ends_at)} 结束，不能再提出异议。"}
    assert [o.id for o in publish.objections(db, vote_id)] == [last.id]


def test_a_vote_not_yet_published_has_no_notice_period(db, w):
    close(db, w["vote"]["id"])
    shown = publish.get_publication(db, w["vote"]["id"])
    assert not shown.in_notice()
    assert publish.notice_lines(shown) == []
    assert [line for line in publish.result_lines(shown) if line.startswith("表决结果")] == []


# --- reading ---------------------------------------------------------------------------------


def test_the_latest_publications_come_first_and_only_published_ones(db, published):
    first = published["vote"]["id"]
    t = moment_of(stored(db, first, "published_at"))
    later = _published_vote(db, published, published_at=to_iso(t + timedelta(hours=1)))
    same_second = _published_vote(db, published, published_at=to_iso(t))
    make_vote(db, plan_id=make_plan(db, topic_id=published["topic"],
                                    created_by=published["staff"].id),
              created_by=published["staff"].id)  # open
    make_vote(db, plan_id=make_plan(db, topic_id=published["topic"],
                                    created_by=published["staff"].id),
              created_by=published["staff"].id, status="cancelled")
    recent = publish.recent_publications(db)
    assert [p.vote_id for p in recent] == [later, same_second, first]
    assert recent == [publish.get_publication(db, v) for v in (later, same_second, first)]
    assert [p.vote_id for p in publish.recent_publications(db, limit=2)] == [later, same_second]


def test_the_latest_twenty_publications_are_shown_by_default(db, w):
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    made = [_published_vote(db, w, published_at=to_iso(start + timedelta(days=n)))
            for n in range(21)]
    assert [p.vote_id for p in publish.recent_publications(db)] == made[:0:-1]


def test_unanswered_objections_come_with_their_publication_vote_by_vote(db, published):
    first = published["vote"]["id"]
    now = moment_of(stored(db, first, "published_at"))
    second = _published_vote(db, published, published_at=to_iso(now),
                             notice_ends_at=to_iso(now + timedelta(days=7)))
    a = _object(db, published, key="a")
    b = _object(db, published, who="out", key="b")
    c = _object(db, published, who="in2", key="c")
    d = _object(db, published, key="d", vote_id=second)
    publish.answer(db, published["staff"], objection_id=b.id, answer="已核实。")
    one, two = publish.get_publication(db, first), publish.get_publication(db, second)
    assert publish.unanswered(db) == [(one, a), (one, c), (two, d)]


def test_objections_read_back_whole_oldest_first_with_names_masked(db, published):
    vote_id = published["vote"]["id"]
    db.execute("UPDATE users SET display_name = '' WHERE id = ?", (published["out"].id,))
    db.conn.commit()
    moment = moment_of(stored(db, vote_id, "published_at")) + timedelta(hours=2)
    with clock.pretend(moment):
        named = _object(db, published, key="a", body=" 采光 ")
        nameless = _object(db, published, who="out", key="b", body="噪音")
    with clock.pretend(moment + timedelta(hours=1)):
        publish.answer(db, published["staff"], objection_id=nameless.id, answer=" 夜间不施工。 ")
    made, later = to_iso(moment), to_iso(moment + timedelta(hours=1))
    assert publish.objections(db, vote_id) == [
        publish.Objection(id=named.id, vote_id=vote_id, who="n*", body="采光", created_at=made,
                          answer=None, answered_at=None),
        publish.Objection(id=nameless.id, vote_id=vote_id, who="居民", body="噪音",
                          created_at=made, answer="夜间不施工。", answered_at=later)]
    assert publish.objections(db, 999) == []


def test_an_unknown_vote_is_not_found_however_it_is_named(db, w):
    for unknown in (999, 0, 2 ** 63, "1", True):
        assert not_found(lambda: publish.get_publication(db, unknown)) == "找不到该表决。"


# --- objecting -------------------------------------------------------------------------------


def test_objection_refusals_word_for_word_and_nothing_is_stored(db, published):
    for key in (None, "", "   "):
        assert fields(lambda: _object(db, published, key=key)) == {
            "key": "提交失败，请刷新页面后重试。"}
    assert fields(lambda: _object(db, published, body=None)) == {"body": "请写下您的异议。"}
    assert fields(lambda: _object(db, published, body=" ")) == {"body": "请写下您的异议。"}
    assert fields(lambda: _object(db, published, body="长" * 501)) == {
        "body": "异议不能超过 500 个字。"}
    assert not_found(lambda: _object(db, published, vote_id=999)) == "找不到该表决。"
    assert publish.objections(db, published["vote"]["id"]) == []


def test_no_objection_to_a_vote_not_yet_published_word_for_word(db, w):
    assert fields(lambda: _object(db, w)) == {"body": "该表决还没有公示，暂不能提出异议。"}
    assert publish.objections(db, w["vote"]["id"]) == []


def test_an_objection_of_500_characters_is_kept(db, published):
    assert _object(db, published, body=" " + "长" * 500 + " ").body == "长" * 500


def test_who_may_not_object_is_told_why_word_for_word(db, published):
    assert denied(lambda: _object(db, published, who="guest")) == "请先登录。"
    assert denied(lambda: publish.object(db, None, vote_id=published["vote"]["id"], body="异议",
                                         key="k")) == "请先登录。"
    assert denied(lambda: _object(db, published, who="unverified")) == (
        "只有已核实住户的居民才能提出异议，请先在“我的”中绑定住户并等待核实。")
    assert publish.objections(db, published["vote"]["id"]) == []


def test_an_objection_is_audited_and_comes_back_whole(db, published):
    vote_id = published["vote"]["id"]
    moment = moment_of(stored(db, vote_id, "published_at")) + timedelta(minutes=5)
    with clock.pretend(moment):
        found = _object(db, published, who="out", body=" 噪音太大 ")
    assert found == publish.Objection(id=found.id, vote_id=vote_id, who="s*", body="噪音太大",
                                      created_at=to_iso(moment), answer=None, answered_at=None)
    assert db.execute("SELECT user_id, household_id FROM council_objections WHERE id = ?",
                      (found.id,)).fetchone() == (published["out"].id,
                                                  published["out"].household_id)
    assert last_audit(db, "council.object") == {
        "actor": published["out"].id, "type": "council_vote", "id": str(vote_id),
        "detail": {"objection": found.id}}


def test_a_repeated_key_gives_back_that_objection_among_several(db, published):
    first = _object(db, published, key="k1", body="第一条")
    second = _object(db, published, who="out", key="k2", body="第二条")
    assert _object(db, published, key="k1", body="改过的内容") == first
    assert _object(db, published, who="out", key="k2", body="") == second
    assert len(publish.objections(db, published["vote"]["id"])) == 2
    assert audit_count(db, "council.object") == 2


# --- answers ---------------------------------------------------------------------------------


@pytest.fixture
def objected(db, published):
    published["objection"] = _object(db, published)
    return published


def test_answer_refusals_word_for_word(db, objected):
    oid = objected["objection"].id

    def answer(text="答复", objection_id=oid):
        return publish.answer(db, objected["staff"], objection_id=objection_id, answer=text)

    assert fields(lambda: answer(None)) == {"answer": "请填写答复。"}
    assert fields(lambda: answer("  ")) == {"answer": "请填写答复。"}
    assert fields(lambda: answer("长" * 1001)) == {"answer": "答复不能超过 1000 个字。"}
    for unknown in (999, 0, 2 ** 63, str(oid), True):
        assert not_found(lambda: answer(objection_id=unknown)) == "找不到该异议。"
    assert publish.objections(db, objected["vote"]["id"])[0].answer is None
    assert audit_count(db, "council.answer") == 0


def test_an_answer_of_1000_characters_is_kept(db, objected):
    shown = publish.answer(db, objected["staff"], objection_id=objected["objection"].id,
                           answer="长" * 1000 + " ")
    assert shown.answer == "长" * 1000


def test_answers_are_audited_with_what_they_replaced_and_a_repeat_changes_nothing(db, objected):
    first = objected["objection"]
    vote_id = objected["vote"]["id"]
    moment = moment_of(first.created_at) + timedelta(hours=1)
    with clock.pretend(moment):
        shown = publish.answer(db, objected["staff"], objection_id=first.id, answer=" 用透光板。 ")
    assert shown == publish.Objection(id=first.id, vote_id=vote_id, who="n*",
                                      body="雨棚会挡住一楼的采光。", created_at=first.created_at,
                                      answer="用透光板。", answered_at=to_iso(moment))
    assert last_audit(db, "council.answer") == {
        "actor": objected["staff"].id, "type": "council_objection", "id": str(first.id),
        "detail": {"vote": vote_id, "replaced": ""}}
    with clock.pretend(moment + timedelta(hours=1)):
        publish.answer(db, objected["admin"], objection_id=first.id, answer="改为磨砂板。")
    assert last_audit(db, "council.answer") == {
        "actor": objected["admin"].id, "type": "council_objection", "id": str(first.id),
        "detail": {"vote": vote_id, "replaced": "用透光板。"}}
    with clock.pretend(moment + timedelta(hours=2)):
        again = publish.answer(db, objected["staff"], objection_id=first.id, answer="改为磨砂板。")
    assert (again.answer, again.answered_at) == ("改为磨砂板。", to_iso(moment + timedelta(hours=1)))
    assert db.execute("SELECT answered_by FROM council_objections WHERE id = ?",
                      (first.id,)).fetchone() == (objected["admin"].id,)
    assert audit_count(db, "council.answer") == 2


def test_the_largest_row_id_sqlite_holds_is_answered_and_one_past_it_is_not_found(db, objected):
    biggest = 2 ** 63 - 1
    db.execute("INSERT INTO council_objections (id, vote_id, user_id, household_id, body,"
               " submission_key, created_at) VALUES (?, ?, ?, ?, '噪音', 'big', ?)",
               (biggest, objected["vote"]["id"], objected["out"].id,
                objected["out"].household_id, objected["objection"].created_at))
    db.conn.commit()
    shown = publish.answer(db, objected["staff"], objection_id=biggest, answer="已转告物业。")
    assert (shown.id, shown.body, shown.answer) == (biggest, "噪音", "已转告物业。")
    assert not_found(lambda: publish.answer(db, objected["staff"], objection_id=biggest + 1,
                                            answer="答复")) == "找不到该异议。"


# --- the WeChat text -------------------------------------------------------------------------


def test_the_wechat_text_line_by_line(db, published):
    shown = publish.get_publication(db, published["vote"]["id"])
    assert publish.wechat_text(db, shown.vote_id, URL).split("\n") == [
        "【议事结果公示】大门雨棚方案",
        "表决事项：是否同意在大门加装雨棚？",
        f"表决时间：{local_text(shown.opens_at)} 至 {local_text(shown.closes_at)}",
        "同意：2 户（66.7%）",
        "不同意：1 户（33.3%）",
        "参与 3 户（线上 2 户，纸质 1 户），应参与 10 户，参与率 30.0%；至少需要 2 户参与，已达到。",
        "表决结果：通过（同意）",
        "说明：请各楼栋长转告。",
        f"公示期 7 天，至 {local_text(shown.notice_ends_at)} 止。",
        "如有异议，请在公示期内扫码登录后在“公示”中提出，或到社区居委会当面反映；社区将公开答复。",
        f"详情和异议：{URL}"]


def test_the_wechat_text_of_a_vote_nobody_voted_in(db):
    world = vote_world(db, quorum=5)
    close(db, world["vote"]["id"])
    shown = publish.publish(db, world["staff"], vote_id=world["vote"]["id"], notice_days=3)
    assert publish.wechat_text(db, shown.vote_id, URL).split("\n")[3:8] == [
        "同意：0 户（—）",
        "不同意：0 户（—）",
        "参与 0 户（线上 0 户，纸质 0 户），应参与 10 户，参与率 0.0%；至少需要 5 户参与，未达到。",
        "表决结果：未达法定户数",  # no winning option, no note
        f"公示期 3 天，至 {local_text(shown.notice_ends_at)} 止。"]


# --- the A4 sheet ----------------------------------------------------------------------------


@pytest.fixture
def layout(monkeypatch):
    """What the sheet draws, in order: ("text", text, size, bold, fill, gap), ("header",),
    ("row", values), each with the cursor before and after it; the QR; the footer."""
    drawn: list[dict] = []

    def spy(name, describe):
        original = getattr(Sheet, name)
        signature = inspect.signature(original)

        def method(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            before = self.y
            result = original(self, *args, **kwargs)
            drawn.append({"what": describe(bound.arguments), "before": before, "after": self.y,
                          "result": result})
            return result

        monkeypatch.setattr(Sheet, name, method)

    spy("text", lambda a: ("text", a["text"], a["size"], a["bold"], a["fill"], a["gap"]))
    spy("table_header", lambda a: ("header",))
    spy("row", lambda a: ("row", a["values"]))
    spy("qr", lambda a: ("qr", a["png"], a["caption"]))
    spy("finish", lambda a: ("finish", a["footer"]))
    return drawn


@pytest.mark.parametrize("url", [URL, LONG_URL])
def test_the_a4_sheet_draws_each_line_in_its_size_and_place(db, objected, layout, url):
    vote_id = objected["vote"]["id"]
    publish.answer(db, objected["staff"], objection_id=objected["objection"].id,
                   answer="雨棚用透光板。")
    _object(db, objected, who="out", key="unanswered", body="还没有答复的异议")
    shown = publish.get_publication(db, vote_id)
    printed = moment_of(shown.published_at) + timedelta(hours=3)
    with clock.pretend(printed):
        pdf = publish.a4_pdf(db, vote_id, url)
    assert ("\ufeff议事结果公示 大门雨棚方案").encode("utf-16-be") in pdf  # the PDF's title
    [qr] = [item for item in layout if item["what"][0] == "qr"]
    assert qr["what"] == ("qr", posters.qr_png(url, box_size=5), "扫码查看详情、提出异议")
    assert layout[-1]["what"] == ("finish", "测试社区 · 微网实格")
    body = [item for item in layout if item["what"][0] in ("text", "header", "row")]
    assert [item["what"] for item in body] == [
        ("text", "议事结果公示", 64, True, INK, 26),
        ("text", "大门雨棚方案", 36, True, INK, 14),
        ("text", "测试社区 · 一户一票", 26, False, MUTED, 14),
        ("text", f"打印时间：{local_text(to_iso(printed))}", 22, False, MUTED, 14),
        ("text", "表决事项：是否同意在大门加装雨棚？", 28, False, INK, 14),
        ("text", f"表决时间：{local_text(shown.opens_at)} 至 {local_text(shown.closes_at)}", 28,
         False, INK, 14),
        ("header",),
        ("row", {"label": "同意", "households": "2 户", "share": "66.7%"}),
        ("row", {"label": "不同意", "households": "1 户", "share": "33.3%"}),
        ("text", "参与 3 户（线上 2 户，纸质 1 户），应参与 10 户，参与率 30.0%；至少需要 2 户参与，"
                 "已达到。", 26, False, INK, 14),
        ("text", "表决结果：通过（同意）", 30, True, INK, 14),
        ("text", "说明：请各楼栋长转告。", 26, False, INK, 14),
        ("text", f"公示期 7 天，至 {local_text(shown.notice_ends_at)} 止。", 26, False, INK, 14),
        ("text", "如有异议，请在公示期内扫码登录后在“公示”中提出，或到社区居委会当面反映；"
                 "社区将公开答复。", 26, False, INK, 14),
        ("text", "异议与答复", 30, True, INK, 14),
        ("text", "n*：雨棚会挡住一楼的采光。", 24, False, INK, 14),
        ("text", "答复：雨棚用透光板。", 24, False, MUTED, 14)]
    heading_end = body[3]["after"]
    below_qr = qr["result"] + 20
    # the result starts 20 below the heading or the QR, whichever reaches lower
    above_result = max(20, below_qr - heading_end)
    assert (above_result == 20) == (url == URL)
    space_above = [item["before"] - previous["after"] for previous, item in zip(body, body[1:])]
    assert space_above == [0, 0, 0, above_result, 0, 10, 0, 0, 16, 0, 0, 10, 0, 10, 0, 0]


@pytest.fixture
def drawn(monkeypatch):
    from PIL import ImageDraw

    seen: list[str] = []
    original = ImageDraw.ImageDraw.text

    def record(self, xy, text, *args, **kwargs):
        seen.append(text)
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    return seen


def test_without_a_community_name_the_sheet_says_社区(db, published, drawn):
    db.execute("UPDATE community SET name = ''")
    db.conn.commit()
    publish.a4_pdf(db, published["vote"]["id"], URL)
    assert "社区 · 一户一票" in drawn
    assert "第 1 / 1 页 · 社区 · 微网实格" in drawn


def test_many_answers_run_over_pages_that_repeat_the_title(db, published, drawn):
    for n in range(12):
        found = _object(db, published, key=f"k{n}", body=f"第{n}条：" + "施工时间太长，" * 20)
        publish.answer(db, published["staff"], objection_id=found.id,
                       answer="已与物业商定缩短工期，" * 8)
    shown = publish.get_publication(db, published["vote"]["id"])
    answered = publish.objections(db, shown.vote_id)
    pages = publish.notice_pages(shown, URL, "测试社区", "2026-11-23 10:00", answered)
    assert len(pages) >= 2
    assert "议事结果公示 · 大门雨棚方案（续）" in drawn
    assert f"第 2 / {len(pages)} 页 · 测试社区 · 微网实格" in drawn
