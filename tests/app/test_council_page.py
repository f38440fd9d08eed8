"""AppTest of 议事 (/council): the board, a topic's 议题 tab with support, the propose form by
role, and 管理 › 议事's 议题 tab (sorting, a 随手拍 turned into a topic)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from lib.core.db import scalar
from lib.core.roles import GUEST_USER
from lib.council import topics
from lib.people.users import load_user
from lib.reports import workflow
from lib.site.ui_navigation import admin_tasks_for
from tests.app.conftest import by_label, login, open_as, texts
from tests.council_helpers import make_topic


PAGE = "app_pages/council.py"
ADMIN_PAGE = "app_pages/admin/council.py"
BOARD = ["紧急且重要（0）", "目前需要关注（0）", "重要但需要时间（0）", "已协商解决（0）",
         "新提出的议题（0）"]


def user(db, username: str):
    return load_user(db, scalar(db, "SELECT id FROM users WHERE username = ?", (username,)))


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


def topic_count(db) -> int:
    return scalar(db, "SELECT COUNT(*) FROM council_topics")


def open_topic(app, username: str | None, topic_id: int):
    at = open_as(app, PAGE, username)
    at.query_params["t"] = str(topic_id)
    at.run()
    assert not at.exception
    return at


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def test_a_guest_reads_the_four_boxes_and_new_topics_and_is_offered_login(app, portal_db):
    at = open_as(app, PAGE, None)
    assert texts(at.title) == ["议事"]
    assert texts(at.subheader) == BOARD
    assert "登录并核实住户后，可以提出议题。" in texts(at.info)
    assert "登录后提议题" in buttons(at)
    assert "提交议题" not in buttons(at)


def test_the_board_shows_each_topic_in_its_box_and_a_tap_opens_it(app, portal_db):
    resident = user(portal_db, "resident")
    urgent = make_topic(portal_db, proposed_by=resident.id, box="urgent_important",
                        title="3栋外墙瓷砖脱落")
    make_topic(portal_db, proposed_by=resident.id, title="增设快递柜")
    at = open_as(app, PAGE, None)
    assert texts(at.subheader) == ["紧急且重要（1）", "目前需要关注（0）", "重要但需要时间（0）",
                                   "已协商解决（0）", "新提出的议题（1）"]
    at.button(key=f"council_box_urgent_important_open_{urgent}").click().run()
    assert not at.exception
    assert at.query_params["t"] == str(urgent)
    assert texts(at.title) == ["3栋外墙瓷砖脱落"]
    assert [tab.label for tab in at.tabs][0] == "议题"
    assert "登录后支持" in buttons(at)
    at.button(key="council_back").click().run()
    assert "t" not in at.query_params and texts(at.title) == ["议事"]


def test_a_guest_who_logs_in_to_support_comes_back_to_the_topic(app, portal_db):
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "leader").id, title="楼道装扶手")
    at = open_topic(app, None, topic_id)
    at.button(key="council_support_login").click().run()
    assert not at.exception
    assert at.session_state["after_login"] == "council"
    login(at, "resident").run()
    assert not at.exception
    assert texts(at.title)[0] == "楼道装扶手"
    assert "council_support" in [b.key for b in at.button]


def test_an_unknown_topic_number_says_so(app, portal_db):
    at = open_topic(app, None, 404)
    assert "找不到该议题。" in texts(at.warning)


def test_an_unverified_resident_is_told_why_they_cannot_propose_or_support(app, portal_db):
    portal_db.execute("UPDATE users SET household_status = 'pending', household_id = NULL"
                      " WHERE username = 'resident'")
    portal_db.conn.commit()
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "leader").id)
    at = open_as(app, PAGE, "resident")
    assert topics.NOT_VERIFIED in texts(at.info)
    assert "提交议题" not in buttons(at)
    at.query_params["t"] = str(topic_id)
    at.run()
    assert topics.NOT_VERIFIED in texts(at.info)
    assert not [b for b in at.button if b.key == "council_support"]


def test_a_resident_proposes_a_topic_with_a_photo_and_lands_on_its_page(app, portal_db):
    at = open_as(app, PAGE, "resident")
    at.file_uploader(key="council_propose_photo").set_value(("gate.jpg", jpeg(), "image/jpeg"))
    at.run()
    at.text_input(key="council_propose_title").input("大门加装雨棚")
    at.text_area(key="council_propose_body").input("下雨天进出大门没有地方避雨。")
    by_label(at.button, "提交议题").click().run()
    assert not at.exception
    row = portal_db.execute("SELECT id, title, photo, box FROM council_topics").fetchall()
    assert len(row) == 1 and row[0][1:2] == ("大门加装雨棚",) and row[0][2] and row[0][3] == "new"
    assert at.query_params["t"] == str(row[0][0])
    assert texts(at.title) == ["大门加装雨棚"]
    assert any("议题已提交" in text for text in texts(at.success))
    assert len(at.get("image")) == 1


def test_an_empty_topic_gets_a_chinese_message_and_nothing_is_stored(app, portal_db):
    at = open_as(app, PAGE, "resident")
    at.text_input(key="council_propose_title").input("   ")
    by_label(at.button, "提交议题").click().run()
    assert not at.exception
    assert "议题标题：请填写议题标题。" in texts(at.error)
    assert "议题说明：请填写议题说明。" in texts(at.error)
    assert topic_count(portal_db) == 0


def test_a_resident_supports_a_topic_and_withdraws(app, portal_db):
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "leader").id)
    at = open_topic(app, "resident", topic_id)
    at.button(key="council_support").click().run()
    assert not at.exception
    assert "已支持这个议题。" in texts(at.success)
    assert topics.get_topic(portal_db, topic_id).supporters == 1
    assert "council_unsupport" in [b.key for b in at.button]
    at.button(key="council_unsupport").click().run()
    assert "已取消支持。" in texts(at.success)
    assert topics.get_topic(portal_db, topic_id).supporters == 0


def test_a_declined_topic_shows_the_reason_and_no_support_button(app, portal_db):
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "leader").id)
    topics.sort(portal_db, user(portal_db, "staff"), topic_id=topic_id, box="declined",
                note="属于物业合同范围")
    at = open_topic(app, "resident", topic_id)
    assert "不予议事：属于物业合同范围" in texts(at.warning)
    assert not [b for b in at.button if b.key == "council_support"]


# --- 管理 › 议事 › 议题 ---------------------------------------------------------------------------

@pytest.mark.parametrize("username, role", [("resident", "居民"), ("leader", "微网格长")])
def test_a_resident_or_leader_cannot_open_the_admin_page(app, portal_db, username, role):
    at = open_as(app, ADMIN_PAGE, username)
    assert f"此页面仅限社区工作人员及以上使用，您当前的身份是{role}。" in texts(at.error)
    assert "admin-council" not in [t.url_path for t in admin_tasks_for(user(portal_db, username))]


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_staff_sort_a_new_topic_into_a_box(app, portal_db, username):
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "resident").id)
    at = open_as(app, ADMIN_PAGE, username)
    assert [tab.label for tab in at.tabs][0] == "议题"
    at.selectbox(key=f"admin_council_box_{topic_id}").set_value("urgent_important")
    at.text_input(key=f"admin_council_box_note_{topic_id}").input("雨季前要解决")
    by_label(at.button, "保存分类").click().run()
    assert not at.exception
    topic = topics.get_topic(portal_db, topic_id)
    assert (topic.box, topic.box_note) == ("urgent_important", "雨季前要解决")
    assert "“小区大门加装雨棚”已放入“紧急且重要”。" in texts(at.success)


def test_declining_without_a_reason_is_refused_on_the_page(app, portal_db):
    topic_id = make_topic(portal_db, proposed_by=user(portal_db, "resident").id)
    at = open_as(app, ADMIN_PAGE, "staff")
    at.selectbox(key=f"admin_council_box_{topic_id}").set_value("declined")
    by_label(at.button, "保存分类").click().run()
    assert "说明：不予议事时请写明理由，居民会在议题页看到。" in texts(at.error)
    assert topics.get_topic(portal_db, topic_id).box == "new"


def test_staff_turn_a_recent_report_into_a_topic(app, portal_db, tmp_path):
    category = scalar(portal_db, "SELECT id FROM report_categories WHERE name = '设施损坏'")
    place = scalar(portal_db, "SELECT id FROM places WHERE code = '3-1'")
    report = workflow.file_report(portal_db, user(portal_db, "resident"), data_dir=tmp_path,
                                  place_id=place, category_id=category,
                                  description="车棚的灯坏了", photo_files=[jpeg()],
                                  submission_key="app-report")
    at = open_as(app, ADMIN_PAGE, "staff")
    assert at.selectbox(key="admin_council_report").value == report["id"]
    at.text_input(key="admin_council_report_title").input("车棚照明")
    at.selectbox(key="admin_council_report_box").set_value("watch")
    by_label(at.button, "转为议题").click().run()
    assert not at.exception
    topic = topics.get_topic(portal_db, topics.topic_for_report(portal_db, report["id"]))
    assert (topic.title, topic.box, topic.place_id, topic.body) == (
        "车棚照明", "watch", place, "车棚的灯坏了")
    assert topic.photo
    assert any(f"随手拍 #{report['id']} 已转为议题“车棚照明”" in t for t in texts(at.success))
    assert "最近没有可以转为议题的随手拍。" in texts(at.info)


def test_the_report_page_links_staff_to_turn_it_into_a_topic_preselected(app, portal_db, tmp_path):
    category = scalar(portal_db, "SELECT id FROM report_categories WHERE name = '设施损坏'")
    place = scalar(portal_db, "SELECT id FROM places WHERE code = '3-1'")
    older, newer = (workflow.file_report(
        portal_db, GUEST_USER, data_dir=tmp_path, place_id=place, category_id=category,
        description=text, photo_files=[], submission_key=f"app-{text}")["id"]
        for text in ("车棚的灯坏了", "东门地砖松动"))
    at = open_as(app, "app_pages/reports.py", "staff")
    at.query_params["n"] = str(older)
    at.run()
    link = next(p for p in at.get("page_link") if p.proto.label == "需要居民协商？转为议事议题")
    assert link.proto.page.endswith("admin-council") and f"r={older}" in link.proto.query_string
    admin = open_as(app, ADMIN_PAGE, "staff")
    admin.query_params["r"] = str(older)
    admin.run()
    assert admin.selectbox(key="admin_council_report").value == older  # not the newest
    by_label(admin.button, "转为议题").click().run()
    assert topics.topic_for_report(portal_db, older) is not None
    assert topics.topic_for_report(portal_db, newer) is None
    assert f"随手拍 #{older} 已转为议题：" in texts(admin.info)


def test_a_topic_for_the_whole_compound_can_be_chosen_after_scanning_a_building(app, portal_db):
    at = open_as(app, PAGE, "resident")
    at.query_params["b"] = "1-1"
    at.run()
    assert at.selectbox(key="council_propose_place").value.code == "1-1"
    at.selectbox(key="council_propose_place").select_index(0)
    at.text_input(key="council_propose_title").input("全小区加装监控")
    at.text_area(key="council_propose_body").input("外来人员多，希望主要路口加装监控。")
    by_label(at.button, "提交议题").click().run()
    assert not at.exception
    assert portal_db.execute("SELECT place_id FROM council_topics").fetchall() == [(None,)]
    assert "地点：全小区" in texts(at.caption)


def test_a_long_box_shows_its_first_topics_and_the_rest_on_a_tap(app, portal_db):
    staff = user(portal_db, "staff")
    made = [make_topic(portal_db, proposed_by=staff.id, title=f"已解决议题{n}",
                       box=topics.RESOLVED) for n in range(11)]
    at = open_as(app, PAGE, None)
    shown = [label for label in buttons(at) if label.startswith("已解决议题")]
    assert len(shown) == 5  # BOX_LIMIT: years of settled topics do not all render
    more = by_label(at.button, "展开其余 6 个")
    more.click().run()
    shown = [label for label in buttons(at) if label.startswith("已解决议题")]
    assert sorted(shown) == sorted(f"已解决议题{n}" for n in range(len(made)))
    assert "展开其余 6 个" not in buttons(at)
