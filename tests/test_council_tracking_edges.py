"""跟踪落实's refusals word for word, at their limits and clock edges, what each reading
function returns field by field, and the audit rows a change leaves.

A page places each message by its field name, so a refusal is checked as the whole
``fields`` dict; a limit is checked on both of its sides, a day's edge at the exact second
(``clock.pretend``).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from lib.core import audit, clock
from lib.core.clock import SHANGHAI, local_today, to_iso
from lib.core.errors import PermissionDenied
from lib.council import tracking
from tests import test_council_tracking as base
from tests.council_helpers import make_plan, make_topic
from tests.refusals import fields, last_audit, not_found
from tests.test_council_tracking import jpeg, plan_row, update_rows, uploads


world = base.world  # the fixture: a topic in building A, its adopted plan and a draft


def audit_count(db, action) -> int:
    return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0]


def set_plan(db, plan_id, **columns) -> None:
    db.execute(f"UPDATE council_plans SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
               (*columns.values(), plan_id))
    db.conn.commit()


# Shanghai midnight starting 2026-03-01 (16:00 UTC the day before): a day's edge to the second.
MIDNIGHT = datetime(2026, 3, 1, tzinfo=SHANGHAI)
JUST_BEFORE = MIDNIGHT - timedelta(seconds=1)
MOMENT = datetime(2026, 3, 1, 9, 30, tzinfo=SHANGHAI)


# --- which plan -------------------------------------------------------------------------------


@pytest.mark.parametrize("plan_id", [0, -1, True, "1", 1.0, None, 2 ** 63, 2 ** 63 - 1, 999])
def test_only_a_stored_plans_whole_number_id_finds_it(db, world, plan_id):
    assert world["plan"] == 1  # so True, "1" and 1.0 would find it if taken for 1
    assert not_found(lambda: tracking.get_tracked(db, plan_id)) == "找不到该方案。"
    assert not_found(lambda: tracking.complete(db, world["staff"], plan_id=plan_id)) == \
        "找不到该方案。"


def test_a_plan_with_a_large_id_is_found(db, world):
    plan = db["council_plans"].insert({
        "id": 500, "topic_id": world["topic"], "title": "五百号方案", "status": "adopted",
        "created_by": world["staff"].id, "created_at": "t", "updated_at": "t"}).last_pk
    db.conn.commit()
    assert tracking.get_tracked(db, plan).title == "五百号方案"


# --- what a tracked plan reads back -----------------------------------------------------------


def test_every_field_of_a_tracked_plan_reads_back(db, world, tmp_path):
    plan = world["plan"]
    project = tracking.to_project(db, world["staff"], plan_id=plan)
    set_plan(db, plan, owner="物业公司", deadline="2027-01-31", done_at="2026-12-01T02:00:00+00:00",
             duties="楼栋长监督")
    with clock.pretend(MOMENT):
        update = tracking.add_update(db, world["staff"], data_dir=tmp_path, plan_id=plan,
                                     body="钢架到场", percent=40, photos=[jpeg()], key="u")
    assert tracking.get_tracked(db, plan) == tracking.Tracked(
        plan_id=plan, topic_id=world["topic"], title="大门雨棚方案",
        body="在大门内侧加装钢结构雨棚，长6米。", cost_fen=1_200_000, duties="楼栋长监督",
        owner="物业公司", deadline="2027-01-31", status="adopted", project_id=project.id,
        done_at="2026-12-01T02:00:00+00:00",
        updates=(tracking.Update(update.id, "钢架到场", 40, to_iso(MOMENT), "staff名",
                                 update.photos),))
    assert len(update.photos) == 1


def test_updates_come_newest_first_with_their_own_photos_in_order(db, world, tmp_path):
    plan, staff, admin = world["plan"], world["staff"], world["admin"]
    other = make_plan(db, topic_id=world["topic"], created_by=staff.id, status="adopted")
    with clock.pretend(MOMENT):
        first = tracking.add_update(db, staff, data_dir=tmp_path, plan_id=plan, body="开工",
                                    percent=10, photos=[jpeg(), jpeg("blue")], key="a")
    elsewhere = tracking.add_update(db, staff, data_dir=tmp_path, plan_id=other, body="别处",
                                    photos=[jpeg("green")], key="b")
    second = tracking.add_update(db, admin, data_dir=tmp_path, plan_id=plan, body="封顶",
                                 key="c")
    # a meeting's minutes photo whose owner id is the same number as an update's
    db.execute("INSERT INTO council_photos (kind, owner_id, photo, created_at)"
               " VALUES ('minutes', ?, 'minutes-photo', 't')", (second.id,))
    db.conn.commit()
    names = [row[0] for row in db.execute(
        "SELECT photo FROM council_photos WHERE kind = 'update' ORDER BY id")]
    assert tracking.updates(db, plan) == [
        tracking.Update(second.id, "封顶", None, second.created_at, "admin名", ()),
        tracking.Update(first.id, "开工", 10, to_iso(MOMENT), "staff名", tuple(names[:2]))]
    assert tracking.updates(db, other) == [
        tracking.Update(elsewhere.id, "别处", None, elsewhere.created_at, "staff名",
                        (names[2],))]
    assert tracking.photos_in_use(db) == set(names)


def test_the_percent_shown_is_the_latest_given_and_100_once_done(db, world, tmp_path):
    plan, staff = world["plan"], world["staff"]
    assert tracking.get_tracked(db, plan).percent is None
    tracking.add_update(db, staff, data_dir=None, plan_id=plan, body="开工", percent=30, key="a")
    tracking.add_update(db, staff, data_dir=None, plan_id=plan, body="下雨停工", key="b")
    shown = tracking.get_tracked(db, plan)
    assert (shown.percent, shown.is_adopted, shown.is_done) == (30, True, False)
    tracking.add_update(db, staff, data_dir=None, plan_id=plan, body="复工", percent=0, key="c")
    assert tracking.get_tracked(db, plan).percent == 0
    done = tracking.complete(db, staff, plan_id=plan)
    assert (done.percent, done.is_adopted, done.is_done) == (100, False, True)


def test_a_plan_is_overdue_from_the_first_second_after_its_deadline_day(db, world):
    plan = world["plan"]
    set_plan(db, plan, deadline="2026-02-28")
    with clock.pretend(JUST_BEFORE):
        assert not tracking.get_tracked(db, plan).overdue
    with clock.pretend(MIDNIGHT):
        assert tracking.get_tracked(db, plan).overdue
        set_plan(db, plan, deadline=None)
        assert not tracking.get_tracked(db, plan).overdue
        set_plan(db, plan, deadline="2026-02-01", status="done")
        assert not tracking.get_tracked(db, plan).overdue  # done late is not overdue


def test_a_topics_tracked_plans_are_its_adopted_and_done_ones_newest_first(db, world):
    staff, topic = world["staff"].id, world["topic"]
    ids = {status: make_plan(db, topic_id=topic, created_by=staff, status=status, title=status)
           for status in ("done", "voting", "rejected", "dropped")}
    newest = make_plan(db, topic_id=topic, created_by=staff, status="adopted", title="最新")
    other_topic = make_topic(db, proposed_by=world["in"].id, title="别的议题")
    make_plan(db, topic_id=other_topic, created_by=staff, status="adopted", title="别的")
    shown = tracking.tracked_of_topic(db, topic)
    assert [t.plan_id for t in shown] == [newest, ids["done"], world["plan"]]
    assert shown == [tracking.get_tracked(db, p) for p in (newest, ids["done"], world["plan"])]
    assert tracking.tracked_of_topic(db, 999) == []


def test_plans_in_progress_come_by_nearest_deadline_and_undated_last(db, world):
    staff, topic = world["staff"].id, world["topic"]
    later = make_plan(db, topic_id=topic, created_by=staff, status="adopted", title="晚")
    sooner = make_plan(db, topic_id=topic, created_by=staff, status="adopted", title="早")
    same_day = make_plan(db, topic_id=topic, created_by=staff, status="adopted", title="同日")
    make_plan(db, topic_id=topic, created_by=staff, status="done", title="已完成")
    set_plan(db, later, deadline="2027-05-01")
    set_plan(db, sooner, deadline="2027-01-01")
    set_plan(db, same_day, deadline="2027-01-01")
    shown = tracking.in_progress(db)
    assert [t.plan_id for t in shown] == [sooner, same_day, later, world["plan"]]
    assert shown[0] == tracking.get_tracked(db, sooner)


def test_a_project_leads_back_to_its_plan(db, world):
    project = tracking.to_project(db, world["staff"], plan_id=world["plan"])
    assert tracking.plan_of_project(db, project.id) == {
        "id": world["plan"], "topic_id": world["topic"], "title": "大门雨棚方案"}
    assert tracking.plan_of_project(db, project.id + 1) is None


# --- owner and deadline -----------------------------------------------------------------------


def _owner(db, w, owner="物业公司", deadline=None, plan=None):
    return tracking.set_owner(db, w["staff"], plan_id=plan or w["plan"], owner=owner,
                              deadline=deadline if deadline is not None else local_today())


@pytest.mark.parametrize("owner, deadline, expected", [
    (None, "2026-03-10", {"owner": "请填写负责人或负责单位。"}),
    (" ", "2026-03-10", {"owner": "请填写负责人或负责单位。"}),
    ("长" * 41, "2026-03-10", {"owner": "负责人不能超过 40 个字。"}),
    ("物业", None, {"deadline": "请选择完成期限。"}),
    ("物业", 20260310, {"deadline": "请选择完成期限。"}),
    ("物业", "三月十日", {"deadline": "请选择完成期限。"}),
    ("物业", "2026-02-28", {"deadline": "完成期限不能早于今天。"}),
    ("物业", date(2028, 3, 1), {"deadline": "完成期限不能晚于两年之后。"}),
])
def test_each_bad_owner_or_deadline_is_named_in_its_field(db, world, owner, deadline, expected):
    before = plan_row(db, world["plan"])
    with clock.pretend(MIDNIGHT):
        assert fields(lambda: tracking.set_owner(db, world["staff"], plan_id=world["plan"],
                                                 owner=owner, deadline=deadline)) == expected
    assert plan_row(db, world["plan"]) == before


def test_forty_characters_today_and_two_years_ahead_are_allowed(db, world):
    with clock.pretend(MIDNIGHT):
        shown = _owner(db, world, owner=" " + "长" * 40 + " ", deadline=" 2026-03-01 ")
        assert (shown.owner, shown.deadline) == ("长" * 40, "2026-03-01")
        last = date(2026, 3, 1) + timedelta(days=730)
        assert last == date(2028, 2, 29)
        assert _owner(db, world, deadline=last).deadline == "2028-02-29"
        assert _owner(db, world, deadline="2028-02-29").deadline == "2028-02-29"


def test_today_is_the_communitys_day_to_the_second(db, world):
    with clock.pretend(JUST_BEFORE):  # 23:59:59 on 28 February in Shanghai
        assert _owner(db, world, deadline="2026-02-28").deadline == "2026-02-28"
        assert _owner(db, world, deadline=date(2028, 2, 28)).deadline == "2028-02-28"
        assert fields(lambda: _owner(db, world, deadline=date(2028, 2, 29))) == {
            "deadline": "完成期限不能晚于两年之后。"}
    with clock.pretend(MIDNIGHT):
        assert fields(lambda: _owner(db, world, deadline="2026-02-28")) == {
            "deadline": "完成期限不能早于今天。"}


@pytest.mark.parametrize("status, expected", [
    ("draft", "只有表决通过、正在落实的方案才能修改负责人和期限。"),
    ("voting", "只有表决通过、正在落实的方案才能修改负责人和期限。"),
    ("rejected", "只有表决通过、正在落实的方案才能修改负责人和期限。"),
    ("done", "该方案已落实完成，不能再修改负责人和期限。"),
])
def test_only_a_plan_being_carried_out_gets_an_owner(db, world, status, expected):
    set_plan(db, world["plan"], status=status)
    before = plan_row(db, world["plan"])
    assert fields(lambda: _owner(db, world)) == {"plan_id": expected}
    assert plan_row(db, world["plan"]) == before
    assert audit_count(db, "council.track_owner") == 0


def test_setting_the_owner_is_audited_and_setting_it_again_changes_nothing(db, world):
    plan, day = world["plan"], "2026-03-20"
    with clock.pretend(MOMENT):
        shown = _owner(db, world, owner=" 物业公司 ", deadline=day)
    assert shown == tracking.get_tracked(db, plan)
    assert plan_row(db, plan) == ("物业公司", day, "adopted", None, None, to_iso(MOMENT))
    assert last_audit(db, "council.track_owner") == {
        "actor": world["staff"].id, "type": "council_plan", "id": str(plan),
        "detail": {"owner": "物业公司", "deadline": day}}
    with clock.pretend(MOMENT + timedelta(hours=1)):
        _owner(db, world, owner="物业公司", deadline=date(2026, 3, 20))
    assert plan_row(db, plan)[5] == to_iso(MOMENT)
    assert audit_count(db, "council.track_owner") == 1
    with clock.pretend(MOMENT + timedelta(hours=2)):
        _owner(db, world, owner="物业公司", deadline="2026-03-21")  # only the day moves
        _owner(db, world, owner="社区居委会", deadline="2026-03-21")  # only the owner changes
    assert plan_row(db, plan)[:2] == ("社区居委会", "2026-03-21")
    assert plan_row(db, plan)[5] == to_iso(MOMENT + timedelta(hours=2))
    assert audit_count(db, "council.track_owner") == 3
    assert last_audit(db, "council.track_owner")["detail"] == {
        "owner": "社区居委会", "deadline": "2026-03-21"}


# --- progress updates -------------------------------------------------------------------------


def _update(db, w, tmp_path, body="钢架到场", percent=None, photo_list=(), key="k", plan=None,
            who="staff"):
    return tracking.add_update(db, w[who], data_dir=tmp_path, plan_id=plan or w["plan"],
                               body=body, percent=percent, photos=list(photo_list), key=key)


@pytest.mark.parametrize("kw, expected", [
    ({"key": None}, {"key": "提交失败，请刷新页面后重试。"}),
    ({"key": ""}, {"key": "提交失败，请刷新页面后重试。"}),
    ({"key": "  "}, {"key": "提交失败，请刷新页面后重试。"}),
    ({"key": None, "body": ""}, {"key": "提交失败，请刷新页面后重试。"}),
    ({"body": None}, {"body": "请填写进展情况。"}),
    ({"body": " "}, {"body": "请填写进展情况。"}),
    ({"body": "长" * 1001}, {"body": "进展情况不能超过 1000 个字。"}),
    ({"percent": -1}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"percent": 101}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"percent": "50"}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"percent": 50.0}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"percent": True}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"percent": False}, {"percent": "完成进度请填 0 到 100 之间的整数。"}),
    ({"photo_list": [b"x"] * 7}, {"photos": "一次最多上传 6 张照片。"}),
])
def test_each_bad_update_is_named_in_its_field_and_nothing_is_stored(db, world, tmp_path, kw,
                                                                     expected):
    assert fields(lambda: _update(db, world, tmp_path, **kw)) == expected
    assert update_rows(db) == [] and uploads(tmp_path) == []
    assert audit_count(db, "council.track_update") == 0


def test_the_limits_of_an_update_are_allowed(db, world, tmp_path):
    long = _update(db, world, tmp_path, body=" " + "长" * 1000 + " ", percent=0,
                   photo_list=[jpeg()] * 6 + [b""], key="a")
    assert (long.body, long.percent, len(long.photos)) == ("长" * 1000, 0, 6)
    full = _update(db, world, tmp_path, percent=100, key="b")
    blank = _update(db, world, tmp_path, percent="", key="c")
    assert (full.percent, blank.percent) == (100, None)
    assert update_rows(db) == [(world["plan"], "长" * 1000, 0), (world["plan"], "钢架到场", 100),
                               (world["plan"], "钢架到场", None)]


def test_an_update_without_photos_needs_no_data_directory(db, world):
    assert _update(db, world, None).photos == ()
    with pytest.raises(ValueError) as caught:
        _update(db, world, None, photo_list=[jpeg()], key="other")
    assert str(caught.value) == "a photo needs the data directory to be stored in"
    assert len(update_rows(db)) == 1


@pytest.mark.parametrize("status, expected", [
    ("draft", "只有表决通过、正在落实的方案才能登记进展。"),
    ("voting", "只有表决通过、正在落实的方案才能登记进展。"),
    ("done", "该方案已落实完成，不能再登记进展。"),
])
def test_only_a_plan_being_carried_out_takes_updates(db, world, tmp_path, status, expected):
    set_plan(db, world["plan"], status=status)
    assert fields(lambda: _update(db, world, tmp_path, photo_list=[jpeg()])) == {
        "plan_id": expected}
    assert update_rows(db) == [] and uploads(tmp_path) == []
    assert not_found(lambda: _update(db, world, tmp_path, plan=999)) == "找不到该方案。"


def test_an_update_is_written_at_its_moment_and_audited(db, world, tmp_path):
    plan = world["plan"]
    with clock.pretend(MOMENT):
        update = _update(db, world, tmp_path, percent=40, photo_list=[jpeg(), jpeg("blue")],
                         who="admin")
    assert update == tracking.Update(update.id, "钢架到场", 40, to_iso(MOMENT), "admin名",
                                     update.photos)
    assert db.execute("SELECT created_by, submission_key FROM council_updates").fetchone() == (
        world["admin"].id, "k")
    assert db.execute("SELECT owner_id, created_at FROM council_photos ORDER BY id").fetchall() \
        == [(update.id, to_iso(MOMENT))] * 2
    assert plan_row(db, plan)[5] == to_iso(MOMENT)
    assert last_audit(db, "council.track_update") == {
        "actor": world["admin"].id, "type": "council_plan", "id": str(plan),
        "detail": {"update": update.id, "percent": 40, "photos": 2}}
    _update(db, world, tmp_path, key="no-photos")
    assert last_audit(db, "council.track_update")["detail"] == {
        "update": update.id + 1, "percent": None, "photos": 0}


def test_a_repeated_key_returns_the_first_update_whatever_else_is_sent(db, world, tmp_path):
    other = make_plan(db, topic_id=world["topic"], created_by=world["staff"].id,
                      status="adopted", title="别的方案")
    _update(db, world, tmp_path, body="另一条", key="other")
    first = _update(db, world, tmp_path, body="开工", percent=10, key="same")
    again = _update(db, world, tmp_path, body="", percent=500, photo_list=[jpeg()], key="same",
                    plan=other)
    assert again == first
    assert tracking.updates(db, other) == []
    assert len(update_rows(db)) == 2 and uploads(tmp_path) == []


def test_a_tap_that_loses_the_race_keeps_the_winners_update_and_none_of_its_photos(
        db, world, tmp_path, monkeypatch):
    keep = tracking._keep
    won = []

    def keep_while_the_other_tap_lands(uploads_, data_dir):
        stored = keep(uploads_, data_dir)
        monkeypatch.setattr(tracking, "_keep", keep)
        won.append(_update(db, world, tmp_path, body="先到的", key="same"))
        return stored

    monkeypatch.setattr(tracking, "_keep", keep_while_the_other_tap_lands)
    shown = _update(db, world, tmp_path, body="后到的", photo_list=[jpeg()], key="same")
    assert shown == won[0] and shown.body == "先到的"
    assert update_rows(db) == [(world["plan"], "先到的", None)]
    assert uploads(tmp_path) == []
    assert audit_count(db, "council.track_update") == 1


def test_a_plan_completed_while_the_photos_upload_takes_no_update_and_keeps_no_photos(
        db, world, tmp_path, monkeypatch):
    keep = tracking._keep

    def keep_while_the_plan_is_completed(uploads_, data_dir):
        stored = keep(uploads_, data_dir)
        tracking.complete(db, world["admin"], plan_id=world["plan"])
        return stored

    monkeypatch.setattr(tracking, "_keep", keep_while_the_plan_is_completed)
    assert fields(lambda: _update(db, world, tmp_path, photo_list=[jpeg()])) == {
        "plan_id": "该方案已落实完成，不能再登记进展。"}
    assert update_rows(db) == [] and uploads(tmp_path) == []


def test_a_failure_while_writing_leaves_no_update_and_no_photo_files(db, world, tmp_path,
                                                                     monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        _update(db, world, tmp_path, photo_list=[jpeg()])
    assert update_rows(db) == [] and uploads(tmp_path) == []
    assert db.execute("SELECT COUNT(*) FROM council_photos").fetchone() == (0,)


# --- completion -------------------------------------------------------------------------------


def test_completing_is_timed_and_audited(db, world):
    plan = world["plan"]
    with clock.pretend(MOMENT):
        shown = tracking.complete(db, world["admin"], plan_id=plan)
    assert (shown.status, shown.done_at) == ("done", to_iso(MOMENT))
    assert plan_row(db, plan)[2:] == ("done", None, to_iso(MOMENT), to_iso(MOMENT))
    assert last_audit(db, "council.track_done") == {
        "actor": world["admin"].id, "type": "council_plan", "id": str(plan), "detail": {}}
    assert shown == tracking.get_tracked(db, plan)


@pytest.mark.parametrize("status", ["draft", "voting", "rejected", "dropped"])
def test_only_a_plan_being_carried_out_can_be_completed(db, world, status):
    set_plan(db, world["plan"], status=status)
    before = plan_row(db, world["plan"])
    assert fields(lambda: tracking.complete(db, world["staff"], plan_id=world["plan"])) == {
        "plan_id": "只有表决通过、正在落实的方案才能标记完成。"}
    assert plan_row(db, world["plan"]) == before


# --- to a crowdfunding project ----------------------------------------------------------------


CLOSING = "本项目来自议事方案，经一户一票表决通过"


def test_the_project_carries_the_plans_words_money_and_a_way_back(db, world):
    plan = world["plan"]
    set_plan(db, plan, cost_fen=1_234_567)
    with clock.pretend(MOMENT):
        project = tracking.to_project(db, world["staff"], plan_id=plan,
                                      topic_url="https://portal.example/council?t=1")
    assert project.description == (
        "在大门内侧加装钢结构雨棚，长6米。\n分工：物业负责施工，楼栋长监督。\n"
        f"{CLOSING}，议事详情：https://portal.example/council?t=1。")
    assert (project.title, project.goal_fen, project.deadline, project.place_id) == (
        "大门雨棚方案", 1_234_567, "2026-04-30", world["grid"]["place_a"])
    assert plan_row(db, plan)[3:] == (project.id, None, to_iso(MOMENT))
    assert last_audit(db, "council.to_project") == {
        "actor": world["staff"].id, "type": "council_plan", "id": str(plan),
        "detail": {"project": project.id}}


def test_without_an_address_duties_or_body_the_description_says_only_where_it_came_from(
        db, world):
    plan = world["plan"]
    set_plan(db, plan, duties="")
    project = tracking.to_project(db, world["staff"], plan_id=plan)
    assert project.description == f"在大门内侧加装钢结构雨棚，长6米。\n{CLOSING}。"
    bare = make_plan(db, topic_id=world["topic"], created_by=world["staff"].id, status="adopted")
    set_plan(db, bare, body="", duties="")
    assert tracking.to_project(db, world["staff"], plan_id=bare).description == f"{CLOSING}。"


def test_a_long_title_and_description_are_cut_to_the_projects_limits(db, world):
    set_plan(db, world["plan"], title="题" * 45, body="长" * 2100)
    project = tracking.to_project(db, world["staff"], plan_id=world["plan"])
    assert project.title == "题" * 40
    assert project.description == "长" * 2000


def test_a_deadline_of_today_is_kept_and_a_past_one_becomes_sixty_days(db, world):
    staff, topic = world["staff"], world["topic"]
    late = make_plan(db, topic_id=topic, created_by=staff.id, status="adopted")
    set_plan(db, world["plan"], deadline="2026-03-01")
    set_plan(db, late, deadline="2026-02-28")
    with clock.pretend(MIDNIGHT):
        assert tracking.to_project(db, staff, plan_id=world["plan"]).deadline == "2026-03-01"
        assert tracking.to_project(db, staff, plan_id=late).deadline == "2026-04-30"


def test_project_refusals_word_for_word(db, world):
    staff, plan = world["staff"], world["plan"]
    whole = make_topic(db, proposed_by=world["in"].id, place_id=None, title="全小区")
    compound = make_plan(db, topic_id=whole, created_by=staff.id, status="adopted")
    assert fields(lambda: tracking.to_project(db, staff, plan_id=compound)) == {
        "place_id": "该议题涉及整个小区，请选择众筹项目所在的楼栋或地点。"}
    project = tracking.to_project(db, staff, plan_id=plan)
    assert fields(lambda: tracking.to_project(db, staff, plan_id=plan)) == {
        "plan_id": f"该方案已转为众筹项目（编号 {project.id}），不能重复转。"}
    done = make_plan(db, topic_id=world["topic"], created_by=staff.id, status="done")
    assert fields(lambda: tracking.to_project(db, staff, plan_id=done)) == {
        "plan_id": "该方案已落实完成，不能再转为众筹项目。"}
    assert fields(lambda: tracking.to_project(db, staff, plan_id=world["draft"])) == {
        "plan_id": "只有表决通过、正在落实的方案才能转为众筹项目。"}
    assert not_found(lambda: tracking.to_project(db, staff, plan_id=999)) == "找不到该方案。"
    assert audit_count(db, "council.to_project") == 1


def test_below_staff_are_refused_before_anything_is_looked_up_or_checked(db, world):
    for call in (lambda: tracking.to_project(db, world["in"], plan_id=999),
                 lambda: tracking.set_owner(db, world["leader"], plan_id=999, owner="",
                                            deadline=None),
                 lambda: tracking.add_update(db, world["in"], data_dir=None, plan_id=999,
                                             body="", key=""),
                 lambda: tracking.complete(db, world["guest"], plan_id=999)):
        with pytest.raises(PermissionDenied):
            call()
