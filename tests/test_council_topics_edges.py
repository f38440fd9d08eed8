"""议题收集's refusals word for word, at their limits, the board's order in every box, and the
audit rows each change leaves.

A page places each message by its field name, so a refusal is checked as the whole ``fields``
dict; a limit is checked on both of its sides; the waits for the write lock are played by
making the check before the lock miss (a second tap that was still queueing).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lib.core import audit, clock
from lib.core.roles import LEADER, RESIDENT, STAFF
from lib.council import topics
from tests import test_council_topics as base
from tests.council_helpers import make_topic
from tests.refusals import denied, fields, last_audit, not_found
from tests.test_council_topics import file_report, files, jpeg, key, propose, state


cast = base.cast  # the same people and photo folder as the module's own tests
data_dir = base.data_dir


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def at(hour: int) -> datetime:
    return datetime(2026, 3, 1, hour, 0, tzinfo=timezone.utc)


# --- reading ---------------------------------------------------------------------------------

def test_a_topic_without_a_proposer_or_place_reads_as_a_residents_for_the_whole_compound(db, cast):
    topic = topics.get_topic(db, make_topic(db, proposed_by=None))
    assert (topic.proposer, topic.place_id, topic.place_label) == ("居民", None, "全小区")
    assert topic.is_open


def test_an_unknown_or_malformed_topic_is_refused_word_for_word(db, cast):
    for wanted in (404, "abc", None):
        assert not_found(lambda: topics.get_topic(db, wanted)) == "找不到该议题。"


def test_the_board_orders_each_box_by_what_staff_look_for_first(db, cast):
    """Open boxes: most supported first (newest first on ties); 待分类: newest first whatever
    its support; closed boxes: the latest settled first, never-sorted ones last."""
    made = {name: make_topic(db, proposed_by=cast["in"].id, title=name)
            for name in ("w1", "w2", "w3", "n1", "n2", "r1", "r2", "d1", "d2")}
    made["r3"] = make_topic(db, proposed_by=cast["in"].id, title="r3", box="resolved")
    for name in ("w1", "w2", "w3"):
        topics.sort(db, cast[STAFF], topic_id=made[name], box="watch")
    for name, supporters in {"w1": ("in", "in2"), "w2": ("out",), "w3": (LEADER,),
                             "n1": ("in", "in2")}.items():
        for who in supporters:
            topics.support(db, cast[who], topic_id=made[name])
    for name, box, hour in (("r1", "resolved", 10), ("r2", "resolved", 9),
                            ("d1", "declined", 8), ("d2", "declined", 11)):
        with clock.pretend(at(hour)):
            topics.sort(db, cast[STAFF], topic_id=made[name], box=box, note="已处理")
    boxes = topics.board(db)
    names = {box: [t.title for t in listed] for box, listed in boxes.items()}
    assert names == {"new": ["n2", "n1"], "urgent_important": [], "watch": ["w1", "w3", "w2"],
                     "important_slow": [], "resolved": ["r1", "r2", "r3"],
                     "declined": ["d2", "d1"]}
    assert [t.supporters for t in boxes["watch"]] == [2, 1, 1]


# --- who counts as a verified resident ---------------------------------------------------------

@pytest.mark.parametrize("change, verified", [
    ("", True),
    ("disabled = 1", False),
    ("household_status = 'pending'", False),  # a household on file, its check not passed
    ("household_id = NULL", False),  # marked verified, but no household to speak for
])
def test_only_an_enabled_account_with_a_verified_household_takes_part(db, cast, data_dir, change,
                                                                       verified):
    resident = cast[RESIDENT]
    if change:
        db.execute(f"UPDATE users SET {change} WHERE id = ?", (resident.id,))
        db.conn.commit()
    assert topics.is_verified_resident(db, resident) is verified
    if verified:
        assert topics.require_verified(db, resident) == resident.household_id
    else:
        assert denied(lambda: topics.require_verified(db, resident)) == topics.NOT_VERIFIED


def test_nobody_signed_in_is_asked_to_log_in(db, cast):
    for nobody in (None, cast["guest"]):
        assert topics.is_verified_resident(db, nobody) is False
        assert denied(lambda: topics.require_verified(db, nobody)) == "请先登录。"


# --- proposing -------------------------------------------------------------------------------

@pytest.mark.parametrize("over, expected", [
    ({"title": None}, {"title": "请填写议题标题。"}),
    ({"title": "长" * 41}, {"title": "议题标题最多 40 个字，现在是 41 个字。"}),
    ({"body": None}, {"body": "请填写议题说明。"}),
    ({"body": "长" * 1001}, {"body": "议题说明最多 1000 个字，现在是 1001 个字。"}),
    ({"place_note": "长" * 51}, {"place_note": "具体位置最多 50 个字，现在是 51 个字。"}),
    ({"place_id": 9999}, {"place_id": "找不到这个楼栋或地点，请重新选择。"}),
    ({"place_id": -1}, {"place_id": "找不到这个楼栋或地点，请重新选择。"}),
    ({"place_id": "1-1"}, {"place_id": "找不到这个楼栋或地点，请重新选择。"}),
    ({"place_id": [1]}, {"place_id": "找不到这个楼栋或地点，请重新选择。"}),
    ({"key": None}, {"key": "缺少操作编号，请刷新页面后重试。"}),
    ({"title": "", "body": "", "place_note": "长" * 51, "place_id": 9999},
     {"title": "请填写议题标题。", "body": "请填写议题说明。",
      "place_note": "具体位置最多 50 个字，现在是 51 个字。",
      "place_id": "找不到这个楼栋或地点，请重新选择。"}),
])
def test_each_bad_field_is_named_word_for_word_and_nothing_is_stored(db, cast, data_dir, over,
                                                                      expected):
    assert cast["grid"]["place_a"] == 1  # "1-1" and [1] would name a real place if read loosely
    before = state(db)
    assert fields(lambda: propose(db, cast[RESIDENT], data_dir, photo=jpeg(), **over)) == expected
    assert state(db) == before and files(data_dir) == []


def test_every_text_is_accepted_at_its_limit(db, cast, data_dir):
    topic = topics.get_topic(db, propose(db, cast[RESIDENT], data_dir, title="题" * 40,
                                         body="说" * 1000, place_note=f" {'位' * 50} "))
    assert (topic.title, topic.body, topic.place_note) == ("题" * 40, "说" * 1000, "位" * 50)


def test_a_proposal_without_a_place_is_for_the_whole_compound_with_no_place_note(
        db, cast, data_dir):
    resident = cast[RESIDENT]
    plain = topics.propose(db, resident, data_dir=data_dir, title="加装雨棚", body="下雨没处躲。",
                           key=key())
    empty = propose(db, resident, data_dir, place_note=None)
    for topic_id in (plain, empty):
        topic = topics.get_topic(db, topic_id)
        assert (topic.place_id, topic.place_note, topic.place_label) == (None, "", "全小区")


def test_a_place_chosen_by_its_number_as_text_is_stored_as_that_place(db, cast, data_dir):
    place_b = cast["grid"]["place_b"]
    topic = topics.get_topic(db, propose(db, cast[RESIDENT], data_dir, place_id=str(place_b)))
    assert (topic.place_id, topic.place_label) == (place_b, "2栋（2-1）")


def test_a_proposal_is_audited_with_its_title_and_whether_it_has_a_photo(db, cast, data_dir):
    resident = cast[RESIDENT]
    topic_id = propose(db, resident, data_dir, title="车棚加装照明", photo=jpeg())
    assert last_audit(db, "council.topic_propose") == {
        "actor": resident.id, "type": "council_topic", "id": str(topic_id),
        "detail": {"topic": "车棚加装照明", "photo": True}}


def test_a_second_tap_that_waited_for_the_lock_gets_the_first_topic_and_drops_its_photo(
        db, cast, data_dir, monkeypatch):
    same = key()
    first = propose(db, cast[RESIDENT], data_dir, photo=jpeg(), key=same)
    stored = files(data_dir)
    real, calls = topics._by_key, []

    def queued(db_, key_):  # the check before the lock ran before the first tap committed
        calls.append(key_)
        return None if len(calls) == 1 else real(db_, key_)

    monkeypatch.setattr(topics, "_by_key", queued)
    assert propose(db, cast[RESIDENT], data_dir, photo=jpeg("blue"), key=same) == first
    assert calls == [same, same]
    assert files(data_dir) == stored  # the second photo is removed again
    assert count(db, "council_topics") == 1
    assert len(audit.recent(db, action="council.topic_propose")) == 1


def test_an_account_unverified_while_waiting_for_the_lock_is_refused_and_its_photo_removed(
        db, cast, data_dir, monkeypatch):
    resident = cast[RESIDENT]
    real = topics._by_key
    calls = []

    def unverified_meanwhile(db_, key_):  # staff withdrew the household check while it queued
        calls.append(key_)
        if len(calls) == 2:
            db_.execute("UPDATE users SET household_status = 'rejected' WHERE id = ?",
                        (resident.id,))
        return real(db_, key_)

    monkeypatch.setattr(topics, "_by_key", unverified_meanwhile)
    before = state(db)
    assert denied(lambda: propose(db, resident, data_dir, photo=jpeg())) == topics.NOT_VERIFIED
    assert len(calls) == 2
    assert state(db) == before and files(data_dir) == []


def test_an_unverified_account_is_refused_before_its_photo_is_processed_or_a_key_is_looked_up(
        db, cast, data_dir, monkeypatch):
    first_key = key()
    topic_id = propose(db, cast[RESIDENT], data_dir, key=first_key)
    db.execute("UPDATE users SET household_status = 'rejected' WHERE id = ?",
               (cast[RESIDENT].id,))
    processed = []
    monkeypatch.setattr(topics.photos, "process_photo", lambda data: processed.append(data))
    before = state(db)
    assert denied(lambda: propose(db, cast[RESIDENT], data_dir, key=first_key)) == \
        topics.NOT_VERIFIED  # not the topic it proposed while verified
    assert denied(lambda: propose(db, cast["unverified"], data_dir, photo=jpeg())) == \
        topics.NOT_VERIFIED
    assert processed == [] and files(data_dir) == []
    assert state(db) == before and topics.get_topic(db, topic_id).title == "小区大门加装雨棚"


# --- support ---------------------------------------------------------------------------------

def test_support_and_its_withdrawal_are_audited_with_who_and_which_topic(db, cast):
    topic_id = make_topic(db, proposed_by=cast["out"].id)
    resident = cast[RESIDENT]
    row = {"actor": resident.id, "type": "council_topic", "id": str(topic_id), "detail": {}}
    assert topics.support(db, resident, topic_id=topic_id) is True
    assert last_audit(db, "council.topic_support") == row
    assert topics.unsupport(db, resident, topic_id=topic_id) is True
    assert last_audit(db, "council.topic_unsupport") == row


@pytest.mark.parametrize("box, label", [("resolved", "已协商解决"), ("declined", "不予议事")])
def test_a_closed_topic_refuses_support_word_for_word(db, cast, box, label):
    topic_id = make_topic(db, proposed_by=cast["out"].id, box=box)
    assert not topics.get_topic(db, topic_id).is_open
    assert fields(lambda: topics.support(db, cast[RESIDENT], topic_id=topic_id)) == {
        "topic": f"该议题{label}，不再征集支持。"}


def test_support_for_an_unknown_topic_is_refused_word_for_word(db, cast):
    for action in (topics.support, topics.unsupport):
        assert not_found(lambda: action(db, cast[RESIDENT], topic_id="abc")) == "找不到该议题。"


# --- sorting ---------------------------------------------------------------------------------

def test_sorting_is_audited_with_both_boxes_and_the_note(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    staff = cast[STAFF]
    with clock.pretend(at(9)):
        topic = topics.sort(db, staff, topic_id=topic_id, box="urgent_important", note="漏水")
    assert (topic.box, topic.box_note, topic.sorted_by, topic.sorted_at, topic.updated_at) == (
        "urgent_important", "漏水", staff.id, "2026-03-01T09:00:00+00:00",
        "2026-03-01T09:00:00+00:00")
    assert last_audit(db, "council.topic_sort") == {
        "actor": staff.id, "type": "council_topic", "id": str(topic_id),
        "detail": {"box": "紧急且重要", "before": "待分类", "note": "漏水"}}


def test_a_new_note_in_the_same_box_is_saved_and_audited(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    topics.sort(db, cast[STAFF], topic_id=topic_id, box="watch", note="先观察")
    topic = topics.sort(db, cast["staff2"], topic_id=topic_id, box="watch", note="已联系物业")
    assert (topic.box_note, topic.sorted_by) == ("已联系物业", cast["staff2"].id)
    assert last_audit(db, "council.topic_sort")["detail"] == {
        "box": "目前需要关注", "before": "目前需要关注", "note": "已联系物业"}


def test_sorting_without_a_note_leaves_the_note_empty(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    assert topics.sort(db, cast[STAFF], topic_id=topic_id, box="watch").box_note == ""


@pytest.mark.parametrize("box, note, expected", [
    ("someday", "", {"box": "请选择议题的分类。"}),
    ("watch", "长" * 201, {"note": "说明最多 200 个字，现在是 201 个字。"}),
    ("declined", "长" * 201, {"note": "说明最多 200 个字，现在是 201 个字。"}),
    ("declined", None, {"note": "不予议事时请写明理由，居民会在议题页看到。"}),
])
def test_a_bad_box_or_note_is_refused_word_for_word(db, cast, box, note, expected):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    before = state(db)
    assert fields(lambda: topics.sort(db, cast[STAFF], topic_id=topic_id, box=box,
                                      note=note)) == expected
    assert state(db) == before


def test_a_note_of_200_characters_is_accepted(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    for box in ("watch", "declined"):
        assert topics.sort(db, cast[STAFF], topic_id=topic_id, box=box,
                           note="长" * 200).box_note == "长" * 200


def test_sorting_an_unknown_topic_is_refused_word_for_word(db, cast):
    assert not_found(lambda: topics.sort(db, cast[STAFF], topic_id=404, box="watch")) == (
        "找不到该议题。")


# --- from a 随手拍 report ----------------------------------------------------------------------

def test_a_report_turned_into_a_new_topic_waits_unsorted_and_is_audited(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    staff = cast[STAFF]
    topic_id = topics.from_report(db, staff, report_id=report_id)
    topic = topics.get_topic(db, topic_id)
    assert (topic.title, topic.box, topic.sorted_by, topic.sorted_at) == (
        "设施损坏（1栋）", "new", None, None)
    assert (topic.proposer, topic.proposed_by, topic.place_label) == (
        "随手拍转入", staff.id, "1栋（1-1）")
    assert last_audit(db, "council.topic_from_report") == {
        "actor": staff.id, "type": "council_topic", "id": str(topic_id),
        "detail": {"report": report_id, "topic": "设施损坏（1栋）"}}


@pytest.mark.parametrize("box", ["declined", "someday"])
def test_a_report_cannot_go_straight_to_declined_or_an_unknown_box(db, cast, data_dir, box):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    before = state(db)
    assert fields(lambda: topics.from_report(db, cast[STAFF], report_id=report_id, box=box)) == {
        "box": "请选择议题的分类。"}
    assert state(db) == before


def test_an_unknown_report_is_refused_word_for_word(db, cast):
    assert not_found(lambda: topics.from_report(db, cast[STAFF], report_id=999)) == (
        "找不到这条随手拍。")


def test_a_title_of_40_characters_is_accepted_and_41_refused(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    assert fields(lambda: topics.from_report(db, cast[STAFF], report_id=report_id,
                                             title="长" * 41)) == {
        "title": "议题标题最多 40 个字，现在是 41 个字。"}
    topic_id = topics.from_report(db, cast[STAFF], report_id=report_id, title=f" {'长' * 40} ")
    assert topics.get_topic(db, topic_id).title == "长" * 40


def test_a_repeat_with_a_too_long_title_still_gets_the_first_topic(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    first = topics.from_report(db, cast[STAFF], report_id=report_id)
    before = state(db)
    assert topics.from_report(db, cast["staff2"], report_id=report_id, title="长" * 41) == first
    assert state(db) == before


def test_a_report_without_text_says_so_and_a_long_one_is_cut_at_1000(db, cast, data_dir):
    blank = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    long = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    db.execute("UPDATE reports SET description = '   ' WHERE id = ?", (blank,))
    db.execute("UPDATE reports SET description = ? WHERE id = ?", ("灯" * 1001, long))
    db.conn.commit()
    bodies = [topics.get_topic(db, topics.from_report(db, cast[STAFF], report_id=r)).body
              for r in (blank, long)]
    assert bodies == ["（随手拍未填写文字）", "灯" * 1000]


def test_the_topic_shows_the_reports_own_photo_not_the_after_repair_one(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    for name, stage in (("a" * 32, "after"), ("b" * 32, "before"), ("c" * 32, "before")):
        db.execute("INSERT INTO report_photos (report_id, name, stage, created_at)"
                   " VALUES (?, ?, ?, 'now')", (report_id, name, stage))
    db.conn.commit()
    topic_id = topics.from_report(db, cast[STAFF], report_id=report_id)
    assert topics.get_topic(db, topic_id).photo == "b" * 32


# --- the report picker -----------------------------------------------------------------------

def test_rejected_and_duplicate_reports_are_not_offered(db, cast, data_dir):
    place = cast["grid"]["place_a"]
    kept, rejected, duplicate = (file_report(db, cast["in"], data_dir, place_id=place)
                                 for _ in range(3))
    db.execute("UPDATE reports SET status = 'rejected' WHERE id = ?", (rejected,))
    db.execute("UPDATE reports SET duplicate_of = ? WHERE id = ?", (kept, duplicate))
    db.conn.commit()
    assert [r["id"] for r in topics.recent_reports(db)] == [kept]


def test_the_picker_offers_the_latest_30_reports(db, cast, data_dir):
    first = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    db.execute(
        "INSERT INTO reports (place_id, category_id, description, submission_key, follow_token,"
        " created_at, updated_at) SELECT place_id, category_id, description,"
        " submission_key || '-' || n.value, follow_token || '-' || n.value, created_at,"
        " updated_at FROM reports, json_each('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
        "20,21,22,23,24,25,26,27,28,29,30]') AS n WHERE reports.id = ?", (first,))
    db.conn.commit()
    offered = [r["id"] for r in topics.recent_reports(db)]
    assert len(offered) == 30 and first not in offered
    assert offered == sorted(offered, reverse=True)
