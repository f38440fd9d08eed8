"""AppTest of 公示 and 落实: a topic's 公示 and 落实 tabs, 管理 › 议事 › 公示与落实 and the meeting
page's 上轮落实情况, for each role."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from lib.core.clock import local_today, now_iso, to_iso, utc_now
from lib.core.db import scalar
from lib.council import followup, meetings, publish, tracking, ui_publish
from lib.council import ui as council_ui
from lib.council import ui_admin as council_admin_ui
from lib.people.users import load_user
from tests.app.conftest import login, texts
from tests.council_helpers import make_plan, make_topic, make_vote


COUNCIL = "app_pages/council.py"
ADMIN = "app_pages/admin/council.py"


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """This part's lines in the registries (set here too, so the tests hold either way)."""
    monkeypatch.setitem(council_ui.TOPIC_TABS, "公示", ui_publish.publish_tab)
    monkeypatch.setitem(council_ui.TOPIC_TABS, "落实", ui_publish.tracking_tab)
    monkeypatch.setitem(council_admin_ui.ADMIN_TABS, "公示与落实", ui_publish.admin_tab)


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def world(db, *, published: bool = False, status: str = "voting") -> dict:
    """A topic with a plan put to a vote; resident's household (1-1 302) voted 同意 online and
    zhangwei's household 不同意 on paper; the vote closed a minute ago."""
    staff, resident = user(db, "staff"), user(db, "resident")
    topic = make_topic(db, proposed_by=resident.id, box="urgent_important")
    plan = make_plan(db, topic_id=topic, created_by=staff.id)
    vote = make_vote(db, plan_id=plan, created_by=staff.id, quorum=2)
    yes, no = vote["options"]
    for household, option, voter, entered in (
            (resident.household_id, yes, resident.id, None),
            (user(db, "zhangwei").household_id, no, None, staff.id)):
        now = now_iso()
        ballot = db.execute(
            "INSERT INTO council_ballots (vote_id, household_id, option_id, channel, user_id,"
            " entered_by, cast_at, recorded_at, counted, rule, submission_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, '测试', ?)",
            (vote["id"], household, option, "online" if voter else "paper", voter, entered, now,
             now, f"app:{household}")).lastrowid
        db.execute("INSERT INTO council_choices VALUES (?, ?, ?, ?, ?, ?)",
                   (vote["id"], household, ballot, option, "online" if voter else "paper", now))
    db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?",
               (to_iso(utc_now() - timedelta(minutes=1)), vote["id"]))
    db.conn.commit()
    if published:
        publish.publish(db, staff, vote_id=vote["id"], notice_days=7)
    return {"staff": staff, "resident": resident, "topic": topic, "plan": plan, "vote": vote}


def tie_break(db, w) -> None:
    """Make the vote pass: wangxiulan's household says 同意 too (inside the window)."""
    leader = user(db, "wangxiulan")
    db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?",
               (to_iso(utc_now() + timedelta(hours=1)), w["vote"]["id"]))
    ballot = db.execute(
        "INSERT INTO council_ballots (vote_id, household_id, option_id, channel, user_id,"
        " cast_at, recorded_at, counted, rule, submission_key)"
        " VALUES (?, ?, ?, 'online', ?, ?, ?, 1, '测试', 'app:leader')",
        (w["vote"]["id"], leader.household_id, w["vote"]["options"][0], leader.id, now_iso(),
         now_iso())).lastrowid
    db.execute("INSERT INTO council_choices VALUES (?, ?, ?, ?, 'online', ?)",
               (w["vote"]["id"], leader.household_id, ballot, w["vote"]["options"][0], now_iso()))
    db.execute("UPDATE council_votes SET closes_at = ? WHERE id = ?",
               (to_iso(utc_now() - timedelta(minutes=1)), w["vote"]["id"]))
    db.conn.commit()


def open_topic(app, username: str | None, topic_id: int, tab: str):
    at = app()
    if username is None:
        at.run()
    else:
        login(at, username).run()
    at.switch_page(COUNCIL)
    at.query_params["t"] = str(topic_id)
    at.session_state[council_ui.TAB_KEY] = tab
    at.run()
    assert not at.exception
    return at


def open_admin(app, username: str):
    at = login(app(), username)
    at.switch_page(ADMIN)
    at.session_state[council_admin_ui.TAB_KEY] = "公示与落实"
    at.run()
    assert not at.exception
    return at


def click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception


def all_text(at) -> str:
    return "\n".join(texts(at.markdown) + texts(at.caption) + texts(at.info) + texts(at.success)
                     + texts(at.warning) + texts(at.error) + texts(at.subheader))


# --- the topic's 公示 tab ----------------------------------------------------------------------


@pytest.mark.parametrize("username", [None, "resident", "staff"])
def test_everyone_reads_that_nothing_is_published_yet(app, portal_db, username):
    w = world(portal_db)
    at = open_topic(app, username, w["topic"], "公示")
    assert any("还没有公示的表决结果" in t for t in texts(at.info))


def test_a_guest_reads_the_result_the_counts_and_the_wechat_text(app, portal_db):
    w = world(portal_db, published=True)
    at = open_topic(app, None, w["topic"], "公示")
    shown = all_text(at)
    assert "表决结果：未通过" in shown  # a tie at 1:1 does not pass
    assert "参与 2 户（线上 1，纸质 1）" in shown
    [code] = at.code
    assert "【议事结果公示】大门雨棚方案" in code.value
    assert f"/council?t={w['topic']}" in code.value
    assert any(b.label == "登录后提出异议" for b in at.button)
    assert not at.text_area  # no objection form for a guest


def test_a_resident_objects_and_an_empty_objection_changes_nothing(app, portal_db):
    w = world(portal_db, published=True)
    at = open_topic(app, "resident", w["topic"], "公示")
    click(at, "提交异议")
    assert any("请写下您的异议" in t for t in texts(at.error))
    assert scalar(portal_db, "SELECT COUNT(*) FROM council_objections") == 0
    at.text_area(key="council_pub_object_0_body").set_value("雨棚会挡住一楼采光。")
    click(at, "提交异议")
    assert scalar(portal_db, "SELECT body FROM council_objections") == "雨棚会挡住一楼采光。"
    assert "异议已提交，社区会在这里公开答复。" in texts(at.success)
    assert any("雨棚会挡住一楼采光。" in t for t in texts(at.markdown))
    assert "等待社区答复" in texts(at.caption)
    assert at.text_area(key="council_pub_object_1_body").value == ""  # a fresh, empty form


def test_an_unverified_resident_is_told_why_they_cannot_object(app, portal_db):
    w = world(portal_db, published=True)
    at = open_topic(app, "newcomer", w["topic"], "公示")
    at.text_area(key="council_pub_object_0_body").set_value("不同意")
    click(at, "提交异议")
    assert any("只有已核实住户的居民才能提出异议" in t for t in texts(at.error))
    assert scalar(portal_db, "SELECT COUNT(*) FROM council_objections") == 0


def test_after_the_notice_period_no_form_is_offered(app, portal_db):
    w = world(portal_db, published=True)
    portal_db.execute("UPDATE council_votes SET notice_ends_at = ?",
                      (to_iso(utc_now() - timedelta(minutes=1)),))
    portal_db.conn.commit()
    at = open_topic(app, "resident", w["topic"], "公示")
    assert any("公示期已于" in t for t in texts(at.caption))
    assert not at.text_area


# --- 管理 › 公示与落实 ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_staff_publish_a_closed_vote_from_the_admin_tab(app, portal_db, username):
    w = world(portal_db)
    tie_break(portal_db, w)
    at = open_admin(app, username)
    assert any("大门雨棚方案" in t for t in texts(at.markdown))
    at.number_input(key=f"admin_council_pub_{w['vote']['id']}_days").set_value(10)
    click(at, "确认公示")
    shown = publish.get_publication(portal_db, w["vote"]["id"])
    assert (shown.status, shown.outcome, shown.notice_days) == ("published", "passed", 10)
    assert any("已公示“大门雨棚方案”的表决结果：通过" in t for t in texts(at.success))
    assert scalar(portal_db, "SELECT status FROM council_plans WHERE id = ?", (w["plan"],)) == \
        "adopted"
    assert "没有已截止、待公示的表决。" in texts(at.caption)
    [link] = [link for link in at.get("page_link") if "公示中" in link.proto.label]
    assert link.proto.label == "大门雨棚方案（通过，公示中）"


@pytest.mark.parametrize("username", ["resident", "leader"])
def test_below_staff_do_not_get_the_admin_tab(app, portal_db, username):
    w = world(portal_db)
    at = login(app(), username)
    at.switch_page(ADMIN)
    at.session_state[council_admin_ui.TAB_KEY] = "公示与落实"
    at.run()
    assert not any(b.label == "确认公示" for b in at.button)
    assert publish.get_publication(portal_db, w["vote"]["id"]).status == "open"


def test_staff_answer_an_objection_and_residents_read_it(app, portal_db):
    w = world(portal_db, published=True)
    publish.object_to(portal_db, w["resident"], vote_id=w["vote"]["id"], body="太贵了", key="o1")
    at = open_admin(app, "staff")
    objection_id = scalar(portal_db, "SELECT id FROM council_objections")
    click(at, "公开答复")
    assert any("请填写答复" in t for t in texts(at.error))
    at.text_area(key=f"admin_council_answer_{objection_id}").set_value("费用由维修资金列支。")
    click(at, "公开答复")
    assert "答复已公开。" in texts(at.success)
    at = open_topic(app, None, w["topic"], "公示")
    assert any("社区答复：费用由维修资金列支。" in t for t in texts(at.markdown))


def adopted(db, w) -> None:
    tie_break(db, w)
    publish.publish(db, w["staff"], vote_id=w["vote"]["id"], notice_days=7)


def test_staff_track_a_plan_owner_update_with_photo_project_and_completion(app, portal_db):
    w = world(portal_db)
    adopted(portal_db, w)
    at = open_admin(app, "staff")
    prefix = f"admin_council_owner_{w['plan']}"
    at.text_input(key=f"{prefix}_who").set_value("物业公司")
    at.date_input(key=f"{prefix}_day").set_value(local_today() + timedelta(days=20))
    click(at, "保存负责人和期限")
    assert "负责人和期限已保存。" in texts(at.success)

    prefix = f"admin_council_update_{w['plan']}_0"
    click(at, "发布进展")
    assert any("请填写进展情况" in t for t in texts(at.error))
    assert tracking.get_tracked(portal_db, w["plan"]).updates == ()
    at.text_area(key=f"{prefix}_body").set_value("钢架已到场。")
    at.number_input(key=f"{prefix}_percent").set_value(40)
    click(at, "发布进展")
    [update] = tracking.get_tracked(portal_db, w["plan"]).updates
    assert (update.body, update.percent) == ("钢架已到场。", 40)
    assert at.text_area(key=f"admin_council_update_{w['plan']}_1_body").value == ""

    click(at, "转为众筹草稿")  # the topic is the whole compound's: a place is needed
    assert any("请选择众筹项目所在的楼栋或地点" in t for t in texts(at.error))
    assert tracking.get_tracked(portal_db, w["plan"]).project_id is None
    at.selectbox(key=f"admin_council_project_place_{w['plan']}").select_index(0)
    click(at, "转为众筹草稿")
    project_id = tracking.get_tracked(portal_db, w["plan"]).project_id
    assert project_id and scalar(portal_db, "SELECT status FROM crowdfund_projects WHERE id = ?",
                                 (project_id,)) == "draft"
    assert not any(b.label == "转为众筹草稿" for b in at.button)

    click(at, "确认完成")
    assert tracking.get_tracked(portal_db, w["plan"]).status == "done"
    assert "没有正在落实的方案。" in texts(at.caption)


def test_staff_photos_reach_the_topic_page(app, portal_db):
    w = world(portal_db)
    adopted(portal_db, w)
    tracking.add_update(portal_db, w["staff"], data_dir=app_data_dir(), plan_id=w["plan"],
                        body="钢架已到场。", percent=40, photos=[jpeg()], key="u1")
    at = open_topic(app, None, w["topic"], "落实")
    assert "钢架已到场。" in texts(at.markdown)
    assert len(at.get("image")) == 1  # the update's photo
    assert any("完成进度 40%" in str(p.proto.text) for p in at.get("progress"))


def app_data_dir():
    from lib.core.config import load_settings

    return load_settings().data_dir


# --- the topic's 落实 tab: rating -------------------------------------------------------------


def done(db, w) -> None:
    adopted(db, w)
    tracking.complete(db, w["staff"], plan_id=w["plan"])


def test_a_resident_rates_a_done_plan_and_a_family_member_replaces_it(app, portal_db):
    w = world(portal_db)
    done(portal_db, w)
    at = open_topic(app, "resident", w["topic"], "落实")
    click(at, "提交评价")
    assert any("请选择" in t for t in texts(at.error))
    assert followup.summary(portal_db, w["plan"]).total == 0
    at.radio(key=f"council_rate_{w['plan']}").set_value("basic")
    click(at, "提交评价")
    assert followup.summary(portal_db, w["plan"]).counts["basic"] == 1
    assert any("基本满意 1 户" in t for t in texts(at.markdown))

    at = open_topic(app, "resident2", w["topic"], "落实")
    assert any("你家的评价：基本满意（家人评价）" in t for t in texts(at.caption))
    at.radio(key=f"council_rate_{w['plan']}").set_value("satisfied")
    click(at, "提交评价")
    assert followup.summary(portal_db, w["plan"]).counts == \
        {"satisfied": 1, "basic": 0, "unsatisfied": 0}


def test_a_guest_reads_the_rating_and_is_offered_to_log_in(app, portal_db):
    w = world(portal_db)
    done(portal_db, w)
    followup.rate(portal_db, w["resident"], plan_id=w["plan"], rating="satisfied", comment="好")
    at = open_topic(app, None, w["topic"], "落实")
    assert any("满意 1 户" in t for t in texts(at.markdown))
    assert any(b.label == "登录后评价" for b in at.button)
    assert not at.radio


# --- the meeting page ----------------------------------------------------------------------------


def test_the_meeting_page_opens_with_the_last_round(app, portal_db):
    w = world(portal_db)
    adopted(portal_db, w)
    tracking.set_owner(portal_db, w["staff"], plan_id=w["plan"], owner="物业公司",
                       deadline=local_today() + timedelta(days=5))
    meeting = meetings.schedule(portal_db, w["staff"], title="12月院落议事会",
                                held_on=local_today() + timedelta(days=3), starts_at="19:30",
                                venue="社区活动室", participants="", topic_ids=[w["topic"]],
                                key="m1")
    at = app()
    at.run()
    at.switch_page(COUNCIL)
    at.query_params["m"] = str(meeting)
    at.run()
    assert not at.exception
    assert texts(at.subheader)[0] == "上轮落实情况"
    assert any("大门雨棚方案" in t for t in texts(at.markdown))
    assert any("负责：物业公司" in t for t in texts(at.caption))
