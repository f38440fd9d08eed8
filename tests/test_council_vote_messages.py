"""一户一票's refusals word for word, at their boundaries, and the records they leave.

A page places each message by its field name, so a refusal is checked as the whole
``fields`` dict; a limit is checked on both of its sides, a clock edge at the exact second
(``clock.pretend``).
"""
from datetime import datetime, timedelta, timezone

import pytest

from lib.core import clock
from lib.core.clock import local_text, to_iso, utc_now
from lib.council import votes
from lib.council.tally import FAILED, OptionCount, Tally, outcome, tally
from tests.council_helpers import counted, make_plan, make_vote, vote_world
from tests.refusals import fields, last_audit, not_found


@pytest.fixture
def w(db):
    return vote_world(db)


def _households(db) -> int:
    return db.execute("SELECT COUNT(*) FROM households").fetchone()[0]


# --- opening a vote --------------------------------------------------------------------------


def _open(db, w, plan=None, **kw):
    plan = plan or make_plan(db, topic_id=w["topic"], created_by=w["staff"].id)
    args = dict(plan_id=plan, question="是否同意加装雨棚？", options=["同意", "不同意", "弃权"],
                adopting=["同意"], opens_at=utc_now(), closes_at=utc_now() + timedelta(days=3),
                quorum=2)
    args.update(kw)
    return votes.open_vote(db, w["staff"], **args)


LONG = "议" * 200


@pytest.mark.parametrize("kw, expected", [
    ({"question": None}, {"question": "请填写表决事项。"}),
    ({"question": LONG + "事"}, {"question": "表决事项不能超过200个字。"}),
    ({"options": ["同意", " "]}, {"options": "至少需要两个选项（例如：同意、不同意）。"}),
    ({"options": [str(n) for n in range(11)], "adopting": ["1"]}, {"options": "选项不能超过10个。"}),
    ({"options": ["同意", "同意"]}, {"options": "选项不能重复。"}),
    ({"options": ["同意", "不" * 31]}, {"options": "每个选项不能超过30个字。"}),
    ({"adopting": []}, {"adopting": "请选出表示通过方案的选项（如“同意”），且不能是全部选项。"}),
    ({"adopting": ["赞成"]}, {"adopting": "请选出表示通过方案的选项（如“同意”），且不能是全部选项。"}),
    ({"adopting": ["同意", "不同意", "弃权"]},
     {"adopting": "请选出表示通过方案的选项（如“同意”），且不能是全部选项。"}),
    ({"opens_at": "今天"}, {"opens_at": "请填写开始时间。"}),
    ({"opens_at": datetime(2026, 1, 1)}, {"opens_at": "请填写开始时间。"}),
    ({"closes_at": None}, {"closes_at": "请填写截止时间。"}),
    ({"quorum": 0}, {"quorum": "法定户数至少为1户。"}),
    ({"quorum": True}, {"quorum": "法定户数至少为1户。"}),
    ({"quorum": "3"}, {"quorum": "法定户数至少为1户。"}),
    ({"question": "", "quorum": 0}, {"question": "请填写表决事项。", "quorum": "法定户数至少为1户。"}),
])
def test_each_bad_setting_is_named_in_its_field_and_nothing_opens(db, w, kw, expected):
    assert fields(lambda: _open(db, w, **kw)) == expected
    assert db.execute("SELECT COUNT(*) FROM council_votes").fetchone() == (1,)  # w's own


def test_the_limits_themselves_are_allowed(db, w):
    ten = [str(n) for n in range(10)]
    vote_id = _open(db, w, question=LONG, options=ten, adopting=["0"], quorum=1)
    vote = votes.get_vote(db, vote_id)
    assert (vote.question, [o.label for o in vote.options]) == (LONG, ten)
    assert [o.position for o in vote.options] == list(range(1, 11))
    thirty = "不" * 30
    vote = votes.get_vote(db, _open(db, w, options=["同意", thirty], quorum=_households(db)))
    assert [o.label for o in vote.options] == ["同意", thirty]


def test_blank_options_and_adopting_entries_are_dropped(db, w):
    vote = votes.get_vote(db, _open(db, w, options=[" 同意 ", "", "  ", "不同意"],
                                    adopting=["同意", " ", None]))
    assert [(o.label, o.adopts) for o in vote.options] == [("同意", True), ("不同意", False)]


def test_the_window_edges(db, w):
    start = utc_now()
    assert fields(lambda: _open(db, w, opens_at=start, closes_at=start)) == {
        "closes_at": "截止时间必须晚于开始时间。"}
    moment = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
    with clock.pretend(moment):
        assert fields(lambda: _open(db, w, opens_at=moment - timedelta(hours=1),
                                    closes_at=moment)) == {"closes_at": "截止时间已过，请选一个以后的时间。"}
        assert _open(db, w, opens_at=moment - timedelta(hours=1),
                     closes_at=moment + timedelta(seconds=1))


def test_the_scope_is_one_building_or_everyone(db, w):
    common = db.execute("INSERT INTO places (code, name, kind, created_at)"
                        " VALUES ('9-9', '活动室', 'common', 'now')").lastrowid
    db.conn.commit()
    message = {"scope": "表决范围只能是一栋楼或全体住户。"}
    assert fields(lambda: _open(db, w, scope_place_id=common)) == message
    assert fields(lambda: _open(db, w, scope_place_id=9999)) == message
    place_b = w["grid"]["place_b"]
    in_b = db.execute("SELECT COUNT(*) FROM households WHERE place_id = ?", (place_b,)).fetchone()[0]
    vote = votes.get_vote(db, _open(db, w, scope_place_id=place_b, quorum=in_b))
    assert (vote.scope_place_id, vote.scope_label, vote.eligible) == (place_b, "2栋", in_b)
    assert fields(lambda: _open(db, w, scope_place_id=place_b, quorum=in_b + 1)) == {
        "quorum": f"法定户数不能超过范围内的户数（{in_b}户）。"}


def test_the_plan_must_exist_be_a_draft_and_have_no_live_vote(db, w):
    assert not_found(lambda: _open(db, w, plan=9999)) == "找不到这个方案。"
    assert fields(lambda: _open(db, w, plan=w["plan"])) == {
        "plan": "只有“待表决”的方案才能发起表决。"}
    # a plan typed back to draft past the rules still has its live vote
    db.execute("UPDATE council_plans SET status = 'draft' WHERE id = ?", (w["plan"],))
    db.conn.commit()
    assert fields(lambda: _open(db, w, plan=w["plan"])) == {"plan": "该方案已有表决，不能重复发起。"}


def test_opening_is_audited_with_what_was_fixed(db, w):
    vote_id = _open(db, w, quorum=3)
    assert last_audit(db, "council.vote_open") == {
        "actor": w["staff"].id, "type": "council_vote", "id": str(vote_id),
        "detail": {"question": "是否同意加装雨棚？", "eligible": _households(db), "quorum": 3}}


# --- cancelling ------------------------------------------------------------------------------


def test_cancelling_refusals_word_for_word(db, w):
    vote_id = w["vote"]["id"]
    assert fields(lambda: votes.cancel_vote(db, w["staff"], vote_id=vote_id, reason=None)) == {
        "reason": "请填写取消原因。"}
    assert not_found(lambda: votes.cancel_vote(db, w["staff"], vote_id=999, reason="x")) == (
        "找不到这次表决。")
    votes.cancel_vote(db, w["staff"], vote_id=vote_id, reason=" 方案要改 ")
    assert last_audit(db, "council.vote_cancel") == {
        "actor": w["staff"].id, "type": "council_vote", "id": str(vote_id),
        "detail": {"reason": "方案要改"}}
    assert fields(lambda: votes.cancel_vote(db, w["staff"], vote_id=vote_id, reason="再取消")) == {
        "vote": "本次表决已取消。"}
    published = make_vote(db, plan_id=make_plan(db, topic_id=w["topic"], created_by=w["staff"].id),
                          created_by=w["staff"].id, status="published")
    assert fields(lambda: votes.cancel_vote(db, w["staff"], vote_id=published["id"],
                                            reason="x")) == {"vote": "本次表决已公示结果，不能取消。"}
    assert votes.get_vote(db, published["id"]).status == "published"


# --- ballots: keys, votes, options -----------------------------------------------------------


BAD_KEY = {"_": "提交标识无效，请刷新页面后重试。"}


def _cast(db, user, vote, index=0, key="k"):
    return votes.cast(db, user, vote_id=vote["id"], option_id=vote["options"][index], key=key)


def test_the_submission_key_must_be_there_short_and_of_this_vote(db, w):
    for key in (None, "", "   ", "k" * 101):
        assert fields(lambda: _cast(db, w["in"], w["vote"], key=key)) == BAD_KEY
    assert counted(db, w["vote"]["id"]) == []
    assert _cast(db, w["in"], w["vote"], key="k" * 100).counted
    other = make_vote(db, plan_id=make_plan(db, topic_id=w["topic"], created_by=w["staff"].id),
                      created_by=w["staff"].id)
    assert fields(lambda: _cast(db, w["in"], other, key="k" * 100)) == BAD_KEY


def test_a_ballot_on_a_missing_cancelled_or_published_vote(db, w):
    assert not_found(lambda: votes.cast(db, w["in"], vote_id=999, option_id=1, key="m")) == (
        "找不到这次表决。")
    published = make_vote(db, plan_id=make_plan(db, topic_id=w["topic"], created_by=w["staff"].id),
                          created_by=w["staff"].id, status="published")
    assert fields(lambda: _cast(db, w["in"], published, key="p")) == {"vote": votes.MSG_PUBLISHED}
    cancelled = make_vote(db, plan_id=make_plan(db, topic_id=w["topic"], created_by=w["staff"].id),
                          created_by=w["staff"].id, status="cancelled")
    assert fields(lambda: _cast(db, w["in"], cancelled, key="c")) == {"vote": votes.MSG_CANCELLED}
    assert fields(lambda: votes.cast(db, w["in"], vote_id=w["vote"]["id"], option_id=999,
                                     key="o")) == {"option": "请选择本次表决的一个选项。"}


def test_a_member_whose_household_is_not_verified_is_refused_even_with_a_home(db, w):
    from lib.core.errors import PermissionDenied

    db.execute("UPDATE users SET household_status = 'pending' WHERE id = ?", (w["in"].id,))
    db.conn.commit()
    with pytest.raises(PermissionDenied, match="住户核实后才能投票"):
        _cast(db, w["in"], w["vote"])
    assert counted(db, w["vote"]["id"]) == []


def test_online_voting_opens_and_closes_at_the_exact_second(db, w):
    vote = w["vote"]
    opens_at, closes_at = (datetime.fromisoformat(v) for v in db.execute(
        "SELECT opens_at, closes_at FROM council_votes WHERE id = ?", (vote["id"],)).fetchone())
    with clock.pretend(opens_at - timedelta(seconds=1)):
        assert fields(lambda: _cast(db, w["in"], vote, key="early")) == {
            "vote": f"投票尚未开始，开始时间：{local_text(to_iso(opens_at))}。"}
    with clock.pretend(opens_at):
        assert _cast(db, w["in"], vote, key="first").rule == votes.RULE_FIRST
    with clock.pretend(closes_at - timedelta(seconds=1)):
        assert _cast(db, w["in"], vote, 1, key="last").rule == votes.RULE_CHANGE
    with clock.pretend(closes_at):
        assert fields(lambda: _cast(db, w["in"], vote, key="late")) == {
            "vote": f"投票已于{local_text(to_iso(closes_at))}截止，不能再投票或改票。"}
    assert counted(db, vote["id"]) == [(w["in"].household_id, vote["options"][1], "online")]


def test_an_online_ballot_keeps_no_signed_name(db, w):
    _cast(db, w["in"], w["vote"])
    assert db.execute("SELECT signed_by, user_id, entered_by FROM council_ballots").fetchone() == (
        "", w["in"].id, None)


def test_online_after_counted_paper_says_when_it_was_entered(db, w):
    hh = w["in"].household_id
    votes.enter_paper(db, w["staff"], vote_id=w["vote"]["id"], household_id=hh,
                      option_id=w["vote"]["options"][1], signed_by="张", collected_at=utc_now(),
                      key="p")
    recorded = db.execute("SELECT recorded_at FROM council_ballots").fetchone()[0]
    assert fields(lambda: _cast(db, w["in"], w["vote"], key="o")) == {
        "vote": f"你家已交纸质选票（录入于{local_text(recorded)}），如需更改请联系社区。"}


def test_the_schema_refusing_for_another_reason_says_so_in_chinese(db, w):
    from lib.core.db import immediate

    _cast(db, w["in"], w["vote"], key="taken")

    def reuse_the_key():  # past _replayed, straight to the UNIQUE submission key
        with immediate(db):
            votes._write(db, vote_id=w["vote"]["id"], household_id=w["out"].household_id,
                         option_id=w["vote"]["options"][0], channel="online", user_id=w["out"].id,
                         entered_by=None, signed_by="", cast_at=clock.now_iso(), counted=True,
                         rule=votes.RULE_FIRST, key="taken")

    assert fields(reuse_the_key) == {"vote": "投票未能保存，请刷新页面后查看你家的投票情况。"}
    assert counted(db, w["vote"]["id"]) == [(w["in"].household_id, w["vote"]["options"][0],
                                             "online")]


# --- paper -----------------------------------------------------------------------------------


def _paper(db, w, household_id, index=0, key="p", *, collected_at=None, who="张大爷", vote=None):
    vote = vote or w["vote"]
    return votes.enter_paper(
        db, w["staff"], vote_id=vote["id"], household_id=household_id,
        option_id=vote["options"][index], signed_by=who,
        collected_at=collected_at if collected_at is not None else utc_now(), key=key)


@pytest.mark.parametrize("who, collected, expected", [
    (None, "now", {"signed_by": "请填写选票上的签名人姓名。"}),
    ("张" * 41, "now", {"signed_by": "签名人姓名不能超过40个字。"}),
    ("张", "昨天", {"collected_at": "请填写收票时间。"}),
    ("张", datetime(2026, 1, 1), {"collected_at": "请填写收票时间。"}),
    ("张", "future", {"collected_at": "收票时间不能晚于现在。"}),
    ("", "昨天", {"signed_by": "请填写选票上的签名人姓名。", "collected_at": "请填写收票时间。"}),
])
def test_a_bad_paper_ballot_is_named_in_its_field(db, w, who, collected, expected):
    at = {"now": utc_now(), "future": utc_now() + timedelta(minutes=5)}.get(collected, collected)
    assert fields(lambda: _paper(db, w, w["out"].household_id, who=who, collected_at=at)) == expected
    assert db.execute("SELECT COUNT(*) FROM council_ballots").fetchone() == (0,)


def test_forty_characters_and_this_very_second_are_allowed(db, w):
    moment = utc_now().replace(microsecond=0)
    with clock.pretend(moment):
        result = _paper(db, w, w["out"].household_id, who="张" * 40, collected_at=moment)
    assert result.counted
    assert db.execute("SELECT signed_by, cast_at FROM council_ballots").fetchone() == (
        "张" * 40, to_iso(moment))


def test_a_paper_ballot_typed_twice_with_one_key_is_written_once(db, w):
    first = _paper(db, w, w["out"].household_id, 1, key="same")
    again = _paper(db, w, w["out"].household_id, 1, key="same")
    assert again == first
    assert (first.ballot_id, first.option_label) == (
        db.execute("SELECT MAX(id) FROM council_ballots").fetchone()[0], "不同意")
    assert db.execute("SELECT COUNT(*) FROM council_ballots").fetchone() == (1,)


def test_paper_collection_time_edges_are_the_vote_window(db, w):
    vote = w["vote"]
    opens_at = datetime.fromisoformat(db.execute(
        "SELECT opens_at FROM council_votes WHERE id = ?", (vote["id"],)).fetchone()[0])
    closes_at = (utc_now() - timedelta(minutes=1)).replace(microsecond=0)
    db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?", (to_iso(closes_at), vote["id"]))
    db.conn.commit()
    outside = {"collected_at": (f"收票时间必须在投票时间内（{local_text(to_iso(opens_at))} 至 "
                                f"{local_text(to_iso(closes_at))}）。")}
    assert fields(lambda: _paper(db, w, w["out"].household_id, key="a",
                                 collected_at=opens_at - timedelta(seconds=1))) == outside
    assert fields(lambda: _paper(db, w, w["out"].household_id, key="b",
                                 collected_at=closes_at)) == outside
    assert _paper(db, w, w["out"].household_id, key="c", collected_at=opens_at).counted
    assert _paper(db, w, w["in"].household_id, key="d",
                  collected_at=closes_at - timedelta(seconds=1)).counted


def test_paper_for_a_missing_household_or_twice_for_one(db, w):
    assert fields(lambda: _paper(db, w, 9999)) == {"room": "找不到这一户，请核对楼栋和房号。"}
    hh = w["out"].household_id
    _paper(db, w, hh, key="first")
    recorded = db.execute("SELECT recorded_at FROM council_ballots").fetchone()[0]
    assert fields(lambda: _paper(db, w, hh, key="second")) == {
        "room": f"该户的纸质选票已计入（录入于{local_text(recorded)}），不能重复录入。"}


def test_paper_inside_a_scoped_vote_counts(db, w):
    scoped = make_vote(db, plan_id=make_plan(db, topic_id=w["topic"], created_by=w["staff"].id),
                       created_by=w["staff"].id, scope_place_id=w["grid"]["place_b"])
    assert _paper(db, w, w["out"].household_id, vote=scoped).counted
    assert counted(db, scoped["id"]) == [(w["out"].household_id, scoped["options"][0], "paper")]


def test_paper_entry_is_audited_with_the_household_and_rule(db, w):
    hh = w["in"].household_id
    _cast(db, w["in"], w["vote"], key="o")
    _paper(db, w, hh, 1, key="p")
    assert last_audit(db, "council.paper_ballot") == {
        "actor": w["staff"].id, "type": "council_vote", "id": str(w["vote"]["id"]),
        "detail": {"household": hh, "counted": False, "rule": votes.RULE_PAPER_AFTER_ONLINE}}


# --- reading back ----------------------------------------------------------------------------


def test_every_field_of_a_vote_reads_back(db, w):
    vote_id = w["vote"]["id"]
    db.execute("UPDATE council_votes SET status = 'published', outcome = 'passed',"
               " winning_option_id = ?, result_note = '按期施工', notice_ends_at = '2026-12-01T00:00:00+00:00',"
               " published_at = '2026-11-24T00:00:00+00:00', scope_place_id = ? WHERE id = ?",
               (w["vote"]["options"][0], w["grid"]["place_a"], vote_id))
    db.conn.commit()
    row = db.execute("SELECT question, opens_at, closes_at, quorum, eligible FROM council_votes"
                     " WHERE id = ?", (vote_id,)).fetchone()
    vote = votes.get_vote(db, vote_id)
    assert vote == votes.Vote(
        id=vote_id, plan_id=w["plan"], plan_title="大门雨棚方案", topic_id=w["topic"],
        question=row[0], scope_place_id=w["grid"]["place_a"], scope_label="1栋",
        opens_at=row[1], closes_at=row[2], quorum=row[3], eligible=row[4], status="published",
        outcome="passed", winning_option_id=w["vote"]["options"][0], result_note="按期施工",
        notice_ends_at="2026-12-01T00:00:00+00:00", published_at="2026-11-24T00:00:00+00:00",
        cancel_reason="", options=[votes.Option(w["vote"]["options"][0], 1, "同意", True),
                                   votes.Option(w["vote"]["options"][1], 2, "不同意", False)])
    assert not_found(lambda: votes.get_vote(db, 999)) == "找不到这次表决。"


def test_a_households_choice_and_the_record_carry_their_ids_and_times(db, w):
    vote = w["vote"]
    _cast(db, w["in"], vote, 1, key="o")
    ballot_id, cast_at, recorded_at = db.execute(
        "SELECT id, cast_at, recorded_at FROM council_ballots").fetchone()
    updated_at = db.execute("SELECT updated_at FROM council_choices").fetchone()[0]
    assert votes.household_choice(db, vote["id"], w["in"].household_id) == votes.Choice(
        vote["options"][1], "不同意", "online", updated_at, "neighbour名")
    (ballot,) = votes.ballots(db, w["staff"], vote["id"])
    assert (ballot.id, ballot.household_id, ballot.option_label, ballot.cast_at,
            ballot.recorded_at) == (ballot_id, w["in"].household_id, "不同意", cast_at, recorded_at)


# --- the count -------------------------------------------------------------------------------


def test_the_count_names_its_vote_and_buildings(db, w):
    result = tally(db, w["vote"]["id"])
    assert result.vote_id == w["vote"]["id"]
    assert [b.place_id for b in result.buildings] == [w["grid"]["place_a"], w["grid"]["place_b"]]
    assert not_found(lambda: tally(db, 999)) == "找不到这次表决。"


def test_a_vote_without_options_fails_rather_than_crash():
    assert outcome(Tally(1, [], 0, 0, 0, 0, 0)) == (FAILED, None)
    lone = OptionCount(7, "同意", True, 1, 1, 0)
    assert outcome(Tally(1, [lone], 1, 1, 1, 1, 0)) == ("passed", 7)


def test_a_paper_ballots_address_is_asked_for_field_by_field(db, w):
    place_b = w["grid"]["place_b"]
    assert fields(lambda: votes.find_household(db, None, "101")) == {"building": "请选择楼栋。"}
    assert fields(lambda: votes.find_household(db, place_b, None)) == {"room": "请填写房号。"}
    assert fields(lambda: votes.find_household(db, place_b, " 999 ")) == {
        "room": "该楼栋没有 999 这一户，请核对房号。"}
