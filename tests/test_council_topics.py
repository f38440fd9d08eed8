"""议题收集: who may propose, support and sort topics, what is refused (and that nothing
changes then), a report turned into a topic once, double taps stored once, photos swept."""
from __future__ import annotations

import io
import itertools
import json

import pytest
from PIL import Image

from lib.core import photos
from lib.core.errors import NotFound, PermissionDenied, PhotoRejected, ValidationError
from lib.core.roles import ADMIN, LEADER, RESIDENT, STAFF
from lib.council import topics
from lib.reports import workflow
from tests.council_helpers import make_topic
from tests.volunteer_helpers import make_cast


_keys = itertools.count(1)
VERIFIED = [RESIDENT, LEADER, STAFF, ADMIN]  # any role with a verified household takes part
NOT_STAFF = {"guest": "请先登录。", "unverified": "此操作需要社区工作人员权限。",
             RESIDENT: "此操作需要社区工作人员权限。", LEADER: "此操作需要社区工作人员权限。"}


@pytest.fixture
def cast(db):
    cast = make_cast(db)
    cast[RESIDENT] = cast["in"]
    return cast


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def key() -> str:
    return f"k{next(_keys)}"


def jpeg(color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def state(db) -> tuple:
    """Everything a refused call must leave untouched."""
    return tuple(db.execute(f"SELECT * FROM {table}").fetchall()
                 for table in ("council_topics", "council_support", "audit_log"))


def audits(db, action: str) -> list[dict]:
    return [json.loads(r["detail"] or "{}") | {"_actor": r["actor_id"], "_target": r["target_id"]}
            for r in db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,))]


def files(data_dir) -> list:
    return sorted(p.name for p in data_dir.rglob("*") if p.is_file())


def propose(db, actor, data_dir, **over):
    fields = dict(title="小区大门加装雨棚", body="下雨天进出大门没有地方避雨，老人带孩子很不方便。",
                  place_id=None, place_note="", photo=None, key=key())
    fields.update(over)
    return topics.propose(db, actor, data_dir=data_dir, **fields)


def file_report(db, actor, data_dir, *, place_id, photo: bytes | None = None,
                text="车棚的灯坏了一个多月，晚上推车看不见。") -> int:
    category = db.execute("SELECT id FROM report_categories WHERE name = '设施损坏'").fetchone()[0]
    report = workflow.file_report(db, actor, data_dir=data_dir, place_id=place_id,
                                  category_id=category, description=text,
                                  photo_files=[photo] if photo else [], submission_key=key())
    return report["id"]


# --- propose ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", VERIFIED)
def test_a_verified_member_of_any_role_proposes_a_new_topic(db, cast, data_dir, role):
    actor = cast[role]
    topic_id = propose(db, actor, data_dir, place_id=cast["grid"]["place_a"], place_note="东门内侧")
    topic = topics.get_topic(db, topic_id)
    assert (topic.title, topic.box, topic.box_label) == ("小区大门加装雨棚", "new", "待分类")
    assert topic.place_label == "1栋（1-1）" and topic.place_note == "东门内侧"
    assert topic.household_id == actor.household_id and topic.proposed_by == actor.id
    assert topic.proposer == actor.display_name and topic.supporters == 0
    assert audits(db, "council.topic_propose") == [
        {"topic": "小区大门加装雨棚", "photo": False, "_actor": actor.id, "_target": str(topic_id)}]


@pytest.mark.parametrize("who, message", [("guest", "请先登录。"),
                                          ("unverified", topics.NOT_VERIFIED)])
def test_a_guest_or_an_unverified_account_cannot_propose_and_nothing_is_stored(
        db, cast, data_dir, who, message):
    before = state(db)
    with pytest.raises(PermissionDenied) as refused:
        propose(db, cast[who], data_dir, photo=jpeg())
    assert str(refused.value) == message
    assert state(db) == before and files(data_dir) == []


def test_a_disabled_account_cannot_propose(db, cast, data_dir):
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (cast[RESIDENT].id,))
    db.conn.commit()
    with pytest.raises(PermissionDenied):
        propose(db, cast[RESIDENT], data_dir)
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 0


@pytest.mark.parametrize("over, field, message", [
    ({"title": "   "}, "title", "请填写议题标题。"),
    ({"title": "长" * 41}, "title", "议题标题最多 40 个字，现在是 41 个字。"),
    ({"body": ""}, "body", "请填写议题说明。"),
    ({"body": "长" * 1001}, "body", "议题说明最多 1000 个字，现在是 1001 个字。"),
    ({"place_note": "长" * 51}, "place_note", "具体位置最多 50 个字，现在是 51 个字。"),
    ({"place_id": 9999}, "place_id", "找不到这个楼栋或地点，请重新选择。"),
    ({"place_id": "1-1"}, "place_id", "找不到这个楼栋或地点，请重新选择。"),
    ({"key": " "}, "key", "缺少操作编号，请刷新页面后重试。"),
])
def test_bad_input_gets_a_chinese_message_and_nothing_is_stored(db, cast, data_dir, over, field,
                                                                 message):
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        propose(db, cast[RESIDENT], data_dir, photo=jpeg(), **over)
    assert refused.value.fields[field] == message
    assert state(db) == before and files(data_dir) == []


def test_the_longest_title_and_body_are_accepted_trimmed(db, cast, data_dir):
    topic_id = propose(db, cast[RESIDENT], data_dir, title=f"  {'题' * 40}  ", body="说" * 1000)
    topic = topics.get_topic(db, topic_id)
    assert topic.title == "题" * 40 and len(topic.body) == 1000


def test_an_empty_title_and_body_name_both_fields(db, cast, data_dir):
    with pytest.raises(ValidationError) as refused:
        propose(db, cast[RESIDENT], data_dir, title="", body=" ")
    assert set(refused.value.fields) == {"title", "body"}


def test_a_photo_is_stored_without_gps_and_counted_in_use(db, cast, data_dir):
    topic_id = propose(db, cast[RESIDENT], data_dir, photo=jpeg())
    topic = topics.get_topic(db, topic_id)
    assert topic.photo and photos.path_for(data_dir, topic.photo).exists()
    assert topic.photo in topics.photos_in_use(db)
    assert photos.sweep_orphans(data_dir, topics.photos_in_use(db)) == []
    assert photos.path_for(data_dir, topic.photo).exists()


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_stored(db, cast, data_dir):
    before = state(db)
    with pytest.raises(PhotoRejected):
        propose(db, cast[RESIDENT], data_dir, photo=b"not a picture")
    assert state(db) == before and files(data_dir) == []


def test_a_double_tap_stores_one_topic_and_one_photo(db, cast, data_dir):
    same = key()
    first = propose(db, cast[RESIDENT], data_dir, photo=jpeg(), key=same)
    again = propose(db, cast[RESIDENT], data_dir, photo=jpeg("blue"), key=same)
    assert first == again
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 1
    assert len([f for f in files(data_dir) if "thumb" not in f]) <= 2  # one photo (+ its thumb)
    assert len(audits(db, "council.topic_propose")) == 1


def test_a_failed_write_removes_the_stored_photo(db, cast, data_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(topics.audit, "record", broken)
    with pytest.raises(RuntimeError):
        propose(db, cast[RESIDENT], data_dir, photo=jpeg())
    assert files(data_dir) == []
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 0


# --- reading ---------------------------------------------------------------------------------

def test_an_unknown_or_malformed_topic_is_not_found(db, cast):
    for wanted in (999, "abc", None, "1; DROP TABLE council_topics"):
        with pytest.raises(NotFound, match="找不到该议题。"):
            topics.get_topic(db, wanted)


def test_the_board_has_every_box_the_four_in_order_and_most_supported_first(db, cast):
    assert topics.BOARD_BOXES == ("urgent_important", "watch", "important_slow", "resolved")
    assert [topics.BOX_LABELS[b] for b in topics.BOARD_BOXES] == [
        "紧急且重要", "目前需要关注", "重要但需要时间", "已协商解决"]
    quiet = make_topic(db, proposed_by=cast["in"].id, box="watch", title="安静的")
    loud = make_topic(db, proposed_by=cast["in"].id, box="watch", title="热门的")
    older = make_topic(db, proposed_by=cast["out"].id, title="先提的")
    newer = make_topic(db, proposed_by=cast["out"].id, title="后提的")
    for who in ("in", "in2", LEADER):
        topics.support(db, cast[who], topic_id=quiet if who == "in" else loud)
    boxes = topics.board(db)
    assert set(boxes) == set(topics.BOX_LABELS)
    assert [t.id for t in boxes["watch"]] == [loud, quiet]
    assert [t.supporters for t in boxes["watch"]] == [2, 1]
    assert [t.id for t in boxes["new"]] == [newer, older]
    assert boxes["urgent_important"] == []


def test_a_proposer_who_opted_out_is_masked_and_a_report_topic_says_where_it_came_from(
        db, cast, data_dir):
    db.execute("UPDATE users SET show_name_publicly = 0 WHERE id = ?", (cast["in"].id,))
    db.conn.commit()
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    assert topics.get_topic(db, topic_id).proposer == cast["in"].display_name[0] + "*"
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    made = topics.from_report(db, cast[STAFF], report_id=report_id)
    assert topics.get_topic(db, made).proposer == "随手拍转入"


# --- support ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", VERIFIED)
def test_support_is_once_per_person_and_withdrawing_is_idempotent(db, cast, role):
    topic_id = make_topic(db, proposed_by=cast["out"].id)
    actor = cast[role]
    assert topics.support(db, actor, topic_id=topic_id) is True
    assert topics.support(db, actor, topic_id=topic_id) is False
    assert topics.get_topic(db, topic_id).supporters == 1
    assert topics.supported_ids(db, actor) == {topic_id}
    assert topics.unsupport(db, actor, topic_id=topic_id) is True
    assert topics.unsupport(db, actor, topic_id=topic_id) is False
    assert topics.get_topic(db, topic_id).supporters == 0
    assert len(audits(db, "council.topic_support")) == 1
    assert len(audits(db, "council.topic_unsupport")) == 1


def test_two_members_of_a_household_each_count_as_a_supporter(db, cast):
    topic_id = make_topic(db, proposed_by=cast["out"].id)
    db.execute("UPDATE users SET household_id = ? WHERE id = ?",
               (cast["in"].household_id, cast["in2"].id))
    db.conn.commit()
    topics.support(db, cast["in"], topic_id=topic_id)
    topics.support(db, cast["in2"], topic_id=topic_id)
    assert topics.get_topic(db, topic_id).supporters == 2


@pytest.mark.parametrize("who, message", [("guest", "请先登录。"),
                                          ("unverified", topics.NOT_VERIFIED)])
def test_a_guest_or_an_unverified_account_cannot_support(db, cast, who, message):
    topic_id = make_topic(db, proposed_by=cast["out"].id)
    before = state(db)
    for action in (topics.support, topics.unsupport):
        with pytest.raises(PermissionDenied) as refused:
            action(db, cast[who], topic_id=topic_id)
        assert str(refused.value) == message
    assert state(db) == before
    assert topics.supported_ids(db, cast["guest"]) == set()


@pytest.mark.parametrize("box, label", [("resolved", "已协商解决"), ("declined", "不予议事")])
def test_a_settled_or_declined_topic_takes_no_more_support(db, cast, box, label):
    topic_id = make_topic(db, proposed_by=cast["out"].id, box=box)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        topics.support(db, cast[RESIDENT], topic_id=topic_id)
    assert refused.value.fields["topic"] == f"该议题{label}，不再征集支持。"
    assert state(db) == before


def test_supporting_an_unknown_topic_is_not_found(db, cast):
    with pytest.raises(NotFound):
        topics.support(db, cast[RESIDENT], topic_id=404)
    assert db.execute("SELECT COUNT(*) FROM council_support").fetchone()[0] == 0


# --- sort ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_sort_a_topic_into_each_box_and_back(db, cast, role):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    for box in (*topics.BOARD_BOXES, "new"):
        topic = topics.sort(db, cast[role], topic_id=topic_id, box=box, note="楼上漏水影响安全")
        assert topic.box == box and topic.box_note == "楼上漏水影响安全"
        assert topic.sorted_by == cast[role].id and topic.sorted_at
    entries = audits(db, "council.topic_sort")
    assert [e["box"] for e in entries] == ["紧急且重要", "目前需要关注", "重要但需要时间",
                                           "已协商解决", "待分类"]
    assert entries[0]["before"] == "待分类"


def test_sorting_again_into_the_same_box_with_the_same_note_changes_nothing(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    topics.sort(db, cast[STAFF], topic_id=topic_id, box="watch", note="")
    before = state(db)
    topics.sort(db, cast["staff2"], topic_id=topic_id, box="watch", note="  ")
    assert state(db) == before


@pytest.mark.parametrize("who", ["guest", "unverified", RESIDENT, LEADER])
def test_nobody_below_staff_may_sort(db, cast, who):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    before = state(db)
    with pytest.raises(PermissionDenied) as refused:
        topics.sort(db, cast[who], topic_id=topic_id, box="urgent_important")
    assert str(refused.value) == NOT_STAFF[who]
    assert state(db) == before


def test_declining_needs_a_reason_that_residents_then_read(db, cast):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        topics.sort(db, cast[STAFF], topic_id=topic_id, box="declined", note="   ")
    assert refused.value.fields == {"note": "不予议事时请写明理由，居民会在议题页看到。"}
    assert state(db) == before
    topic = topics.sort(db, cast[STAFF], topic_id=topic_id, box="declined",
                        note="属于物业合同范围，已转物业处理")
    assert (topic.box_label, topic.box_note) == ("不予议事", "属于物业合同范围，已转物业处理")


@pytest.mark.parametrize("box, note, field", [("someday", "", "box"), ("watch", "长" * 201, "note")])
def test_an_unknown_box_or_a_too_long_note_is_refused(db, cast, box, note, field):
    topic_id = make_topic(db, proposed_by=cast["in"].id)
    before = state(db)
    with pytest.raises(ValidationError) as refused:
        topics.sort(db, cast[STAFF], topic_id=topic_id, box=box, note=note)
    assert field in refused.value.fields
    assert state(db) == before


def test_sorting_an_unknown_topic_is_not_found(db, cast):
    with pytest.raises(NotFound):
        topics.sort(db, cast[STAFF], topic_id=404, box="watch")


# --- from a 随手拍 report ----------------------------------------------------------------------

@pytest.mark.parametrize("role", [STAFF, ADMIN])
def test_staff_turn_a_report_into_a_topic_copying_place_text_and_photo(db, cast, data_dir, role):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_b"],
                            photo=jpeg())
    report_photo = db.execute("SELECT name FROM report_photos WHERE report_id = ?",
                              (report_id,)).fetchone()[0]
    assert [r["id"] for r in topics.recent_reports(db)] == [report_id]
    topic_id = topics.from_report(db, cast[role], report_id=report_id, box="watch")
    topic = topics.get_topic(db, topic_id)
    assert (topic.title, topic.place_id, topic.body) == (
        "设施损坏（2栋）", cast["grid"]["place_b"], "车棚的灯坏了一个多月，晚上推车看不见。")
    assert topic.photo == report_photo and topic.report_id == report_id
    assert (topic.box, topic.sorted_by) == ("watch", cast[role].id)
    assert topics.topic_for_report(db, report_id) == topic_id
    assert topics.recent_reports(db) == []
    assert audits(db, "council.topic_from_report") == [
        {"report": report_id, "topic": "设施损坏（2栋）", "_actor": cast[role].id,
         "_target": str(topic_id)}]


def test_one_topic_per_report_a_repeat_returns_the_first_and_writes_nothing(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    first = topics.from_report(db, cast[STAFF], report_id=report_id, title="车棚照明")
    before = state(db)
    again = topics.from_report(db, cast["staff2"], report_id=report_id, title="另一个标题")
    assert again == first and state(db) == before
    assert topics.get_topic(db, first).title == "车棚照明"


def test_the_unique_index_holds_if_two_staff_race_past_the_check(db, cast, data_dir, monkeypatch):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    first = topics.from_report(db, cast[STAFF], report_id=report_id)
    real, calls = topics.topic_for_report, []

    def blind_once(db_, rid):  # the check before the insert misses the first topic
        calls.append(rid)
        return None if len(calls) == 1 else real(db_, rid)

    monkeypatch.setattr(topics, "topic_for_report", blind_once)
    assert topics.from_report(db, cast["staff2"], report_id=report_id) == first
    assert calls == [report_id, report_id]
    assert db.execute("SELECT COUNT(*) FROM council_topics").fetchone()[0] == 1


@pytest.mark.parametrize("who", ["guest", "unverified", RESIDENT, LEADER])
def test_nobody_below_staff_may_turn_a_report_into_a_topic(db, cast, data_dir, who):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    before = state(db)
    with pytest.raises(PermissionDenied) as refused:
        topics.from_report(db, cast[who], report_id=report_id)
    assert str(refused.value) == NOT_STAFF[who]
    assert state(db) == before


def test_an_unknown_report_a_too_long_title_or_a_declined_box_is_refused(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    before = state(db)
    with pytest.raises(NotFound, match="找不到这条随手拍。"):
        topics.from_report(db, cast[STAFF], report_id=999)
    with pytest.raises(ValidationError) as refused:
        topics.from_report(db, cast[STAFF], report_id=report_id, title="长" * 41)
    assert refused.value.fields == {"title": "议题标题最多 40 个字，现在是 41 个字。"}
    with pytest.raises(ValidationError):
        topics.from_report(db, cast[STAFF], report_id=report_id, box="declined")
    assert state(db) == before


def test_photos_in_use_counts_minutes_and_update_photos_too(db, cast):
    db.execute("INSERT INTO council_photos (kind, owner_id, photo, created_at)"
               " VALUES ('minutes', 1, 'm.jpg', 'now'), ('update', 1, 'u.jpg', 'now')")
    db.conn.commit()
    make_topic(db, proposed_by=cast["in"].id)
    assert topics.photos_in_use(db) == {"m.jpg", "u.jpg"}


def test_a_report_summary_is_read_by_number_and_junk_finds_nothing(db, cast, data_dir):
    report_id = file_report(db, cast["in"], data_dir, place_id=cast["grid"]["place_a"])
    assert topics.report_summary(db, str(report_id))["category"] == "设施损坏"
    for junk in (None, "abc", 999):
        assert topics.report_summary(db, junk) is None
