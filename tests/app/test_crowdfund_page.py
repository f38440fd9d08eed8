"""AppTest of 众筹 (/crowdfund: the list, ?b=, a project's page), 首页's section, and
管理 › 众筹项目 (staff create, add a slot, launch; lower roles refused)."""
from datetime import timedelta

import pytest

from lib.core.clock import local_today
from lib.core.db import scalar
from lib.crowdfund import labour, projects
from lib.people import org
from tests.app.conftest import by_label, login, texts
from tests.app.crowdfund_pages import user
from tests.crowdfund_helpers import make_project


PAGE = "app_pages/crowdfund.py"
ADMIN = "app_pages/admin/crowdfund.py"




def place_id(db, code: str) -> int:
    return scalar(db, "SELECT id FROM places WHERE code = ?", (code,))


@pytest.fixture
def three(portal_db):
    """A raising project at 1-1 (with money in), one building at 2-1, a draft at 1-1."""
    staff = user(portal_db, "staff").id
    raising = make_project(portal_db, created_by=staff, place_id=place_id(portal_db, "1-1"),
                           title="车棚地面硬化", goal_fen=4_000_000,
                           tasks=({"name": "平整地面", "headcount": 4},))
    portal_db.execute(
        "INSERT INTO crowdfund_pledges (project_id, user_id, amount_fen, method, status, match_fen,"
        " submission_key, created_at) VALUES (?, ?, 1000000, 'cash', 'received', 5000000, 'k1',"
        " 'now')", (raising["id"], user(portal_db, "resident").id))
    portal_db.conn.commit()
    building = make_project(portal_db, created_by=staff, place_id=place_id(portal_db, "2-1"),
                            title="楼道粉刷", status="building", match_percent=0, goal_fen=0,
                            tasks=({"name": "刷墙", "headcount": 3},))
    draft = make_project(portal_db, created_by=staff, place_id=place_id(portal_db, "1-1"),
                         title="秘密草稿", status="draft")
    return {"raising": raising["id"], "building": building["id"], "draft": draft["id"]}


def list_page(app, username=None, **params):
    at = app()
    at.run()
    if username:
        login(at, username)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def buttons(at) -> list[str]:
    return [button.label for button in at.button]


def test_the_list_shows_open_projects_with_progress_and_the_match(app, three):
    at = list_page(app)
    assert texts(at.title) == ["众筹"]
    assert "车棚地面硬化" in buttons(at) and "楼道粉刷" in buttons(at)
    assert "秘密草稿" not in buttons(at)
    bars = [bar.proto.text for bar in at.get("progress")]
    assert "居民已到账 10,000.00 元 / 目标 40,000.00 元" in bars
    assert "出工报名 0 / 4 人次" in bars and "出工报名 0 / 3 人次" in bars
    assert "街道办事处按 1:5 配套：已配套 50,000.00 元；合计 60,000.00 元" in texts(at.caption)


def test_a_place_code_shows_only_that_places_projects_and_says_so(app, three):
    at = list_page(app, b="2-1")
    assert "楼道粉刷" in buttons(at) and "车棚地面硬化" not in buttons(at)
    assert any("只显示" in caption and "2-1" in caption for caption in texts(at.caption))
    at.button(key="crowdfund_all").click().run()
    assert "车棚地面硬化" in buttons(at) and "楼道粉刷" in buttons(at)
    assert "b" not in at.query_params


def test_a_place_without_projects_says_so(app, three):
    at = list_page(app, b="8-2")
    assert texts(at.info) == ["这个地点暂时没有正在进行的众筹项目。"]


def test_tapping_a_project_opens_its_page_with_terms_first(app, three):
    at = list_page(app)
    at.button(key=f"crowdfund_list_open_{three['raising']}").click().run()
    assert not at.exception
    assert at.query_params["p"] == str(three["raising"])
    assert texts(at.title) == ["车棚地面硬化"]
    assert [tab.label for tab in at.tabs][0] == "概况"
    terms = texts(at.markdown)
    assert any("筹资目标：40,000.00 元" in line and "1:5 配套（不设上限）" in line
               and "每小时 30.00 元" in line for line in terms)
    at.button(key="crowdfund_back").click().run()
    assert texts(at.title) == ["众筹"]


@pytest.mark.parametrize("username", [None, "resident", "leader"])
def test_a_draft_is_not_found_for_anyone_but_staff(app, three, username):
    at = list_page(app, username, p=str(three["draft"]))
    assert texts(at.warning) == ["找不到该众筹项目。"]
    assert "秘密草稿" not in texts(at.title)


def test_staff_may_look_at_a_draft(app, three):
    at = list_page(app, "staff", p=str(three["draft"]))
    assert texts(at.title) == ["秘密草稿"]


def test_a_finished_project_shows_its_final_report(app, portal_db):
    done = make_project(portal_db, created_by=user(portal_db, "staff").id,
                        place_id=place_id(portal_db, "1-1"), title="路灯维修", status="done")
    portal_db.execute("UPDATE crowdfund_projects SET final_report = '三盏路灯已修好。' WHERE id = ?",
                      (done["id"],))
    portal_db.conn.commit()
    at = list_page(app)
    assert "已完成的项目" in texts(at.subheader)
    at.button(key=f"crowdfund_done_open_{done['id']}").click().run()
    assert "完工报告" in texts(at.subheader)
    assert "三盏路灯已修好。" in texts(at.text)


def test_the_home_page_lists_open_projects_and_the_scanned_places_first(app, three):
    at = app()
    at.query_params["b"] = "2-1"
    at.run()
    assert not at.exception
    links = [link.label for link in at.get("page_link")]
    ours = [label for label in links if label in ("车棚地面硬化", "楼道粉刷", "秘密草稿")]
    assert ours == ["楼道粉刷", "车棚地面硬化"]
    at.button(key="home_crowdfund_here").click().run()  # only this place's, on 众筹
    assert not at.exception
    assert any("只显示" in caption and "2-1" in caption for caption in texts(at.caption))
    at = app()
    at.run()
    assert not [button for button in at.button if button.key == "home_crowdfund_here"]
    links = [link.label for link in at.get("page_link")]
    assert [label for label in links if label in ("车棚地面硬化", "楼道粉刷")] == [
        "车棚地面硬化", "楼道粉刷"]


# --- 管理 › 众筹项目 ---------------------------------------------------------------------------

def admin_page(app, username):
    at = app()
    at.run()
    if username:
        login(at, username)
    at.switch_page(ADMIN).run()
    assert not at.exception
    return at


def test_staff_create_a_project_add_a_slot_and_launch_it(app, portal_db):
    at = admin_page(app, "staff")
    by_label(at.text_input, "项目名称").input("小花园改造")
    by_label(at.text_input, "筹资目标（元，只筹劳力填 0）").input("20000")
    by_label(at.text_input, "配套比例（倍，没有配套填 0）").input("3")
    by_label(at.text_input, "配套上限（元，不设上限请留空）").input("50000")
    by_label(at.text_input, "配套出资方").input("街道办事处")
    by_label(at.text_input, "每小时出工折算（元，不折算填 0）").input("25")
    by_label(at.selectbox, "地点").set_value(org.place_by_code(portal_db, "plaza"))
    at.button(key="FormSubmitter:crowdfund_form_new-创建项目（草稿）").click().run()
    assert not at.exception
    made = projects.list_projects(portal_db, statuses=(projects.DRAFT,))
    assert [(p.title, p.goal_fen, p.match_percent, p.match_cap_fen, p.labour_hour_fen,
             p.place_code) for p in made] == [("小花园改造", 2_000_000, 300, 5_000_000, 2_500,
                                               "plaza")]
    assert texts(at.success) == ["已创建：小花园改造。接下来可以添加出工时段，然后发起众筹。"]
    assert at.selectbox(key="crowdfund_admin_pick").value == made[0].id
    by_label(at.text_input, "出工内容").input("种花")
    at.button(key="FormSubmitter:crowdfund_task_new-添加时段").click().run()
    assert not at.exception
    [task] = labour.tasks_of(portal_db, made[0].id)
    assert (task.name, task.starts_at, task.half_hours, task.headcount) == ("种花", "09:00", 4, 5)
    at.button(key="crowdfund_launch").click().run()
    assert not at.exception
    assert projects.get_project(portal_db, made[0].id).status == "raising"
    assert texts(at.success) == ["已发起众筹，居民现在可以认捐和报名出工。"]
    assert "开始实施" in buttons(at)
    at.get("expandable")  # the edit form after launch no longer offers the terms
    assert "配套比例、上限、出资方和工时价值在发起时已确定，不能修改。" in texts(at.caption)
    assert not [t for t in at.text_input if t.label.startswith("配套比例")]


def test_bad_input_on_the_admin_page_says_so_in_chinese_and_stores_nothing(app, portal_db):
    at = admin_page(app, "staff")
    by_label(at.text_input, "项目名称").input("小花园改造")
    by_label(at.text_input, "筹资目标（元，只筹劳力填 0）").input("-5")
    at.button(key="FormSubmitter:crowdfund_form_new-创建项目（草稿）").click().run()
    assert not at.exception
    assert "筹资目标：筹资目标：金额必须大于 0。" in texts(at.error)
    assert "地点：请选择项目所在的楼栋或地点。" in texts(at.error)
    assert scalar(portal_db, "SELECT COUNT(*) FROM crowdfund_projects") == 0


def test_staff_start_the_work_and_cancel_with_a_reason(app, portal_db, three):
    at = admin_page(app, "staff")
    at.selectbox(key="crowdfund_admin_pick").set_value(three["raising"]).run()
    at.button(key="crowdfund_build").click().run()
    assert projects.get_project(portal_db, three["raising"]).status == "building"
    by_label(at.text_input, "取消原因").input("场地另有安排")
    at.button(key="FormSubmitter:crowdfund_cancel-确认取消项目").click().run()
    assert not at.exception
    cancelled = projects.get_project(portal_db, three["raising"])
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "场地另有安排")
    assert "项目已取消：场地另有安排" in texts(at.warning)


def test_a_launched_project_cannot_launch_twice_from_a_stale_page(app, portal_db, three):
    at = admin_page(app, "staff")
    at.selectbox(key="crowdfund_admin_pick").set_value(three["draft"]).run()
    projects.launch(portal_db, user(portal_db, "admin"), project_id=three["draft"])
    at.button(key="crowdfund_launch").click().run()
    assert not at.exception
    assert texts(at.error) == ["众筹中的项目不能发起众筹。"]


@pytest.mark.parametrize("username, message", [
    ("resident", "此页面仅限社区工作人员及以上使用，您当前的身份是居民。"),
    ("leader", "此页面仅限社区工作人员及以上使用，您当前的身份是微网格长。")])
def test_lower_roles_get_the_role_message_on_the_admin_page(app, portal_db, username, message):
    at = admin_page(app, username)
    assert texts(at.error) == [message]
    assert not [t for t in at.text_input if t.label == "项目名称"]


def test_a_guest_is_offered_to_log_in_on_the_admin_page(app):
    at = admin_page(app, None)
    assert texts(at.info) == ["此页面需要登录后使用。"]
    assert not [t for t in at.text_input if t.label == "项目名称"]


def test_the_deadline_defaults_a_month_ahead(app):
    at = admin_page(app, "staff")
    assert by_label(at.date_input, "截止日期").value == local_today() + timedelta(days=30)


def test_staff_finish_a_project_with_a_report_and_photos(app, portal_db, three):
    import io

    from PIL import Image

    portal_db.execute("UPDATE crowdfund_pledges SET status = 'received'")
    portal_db.execute("UPDATE crowdfund_projects SET status = 'building' WHERE id = ?",
                      (three["raising"],))
    portal_db.conn.commit()
    at = admin_page(app, "staff")
    at.selectbox(key="crowdfund_admin_pick").set_value(three["raising"]).run()
    at.button(key="FormSubmitter:crowdfund_complete-完工并公开报告").click().run()
    assert "完工报告：请填写完工报告：做了什么、花了多少、效果如何。" in texts(at.error)
    assert projects.get_project(portal_db, three["raising"]).status == "building"
    shot = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(shot, "JPEG")
    by_label(at.text_area, "完工报告").input("地面已铺平。")
    at.file_uploader(key="crowdfund_report_photos").set_value(
        [("after.jpg", shot.getvalue(), "image/jpeg")])
    at.button(key="FormSubmitter:crowdfund_complete-完工并公开报告").click().run()
    assert not at.exception
    done = projects.get_project(portal_db, three["raising"])
    assert (done.status, done.final_report) == ("done", "地面已铺平。")
    assert len(projects.report_photos(portal_db, done.id)) == 1
    assert texts(at.success)[0] == "项目已完成，完工报告已公开。"


@pytest.mark.parametrize("wanted", ["1 OR 1=1", "9" * 30, "9" * 5000, "²", "-1", "0", "<b>1</b>"])
def test_a_crafted_project_number_finds_nothing_and_breaks_nothing(app, three, wanted):
    at = list_page(app, p=wanted)
    assert texts(at.warning) == ["找不到该众筹项目。"]


def test_a_project_title_is_shown_as_plain_text(app, portal_db):
    hostile = "**粗体** [点我](javascript:alert(1)) :red[红字]"
    make_project(portal_db, created_by=user(portal_db, "staff").id,
                 place_id=place_id(portal_db, "1-1"), title=hostile)
    at = list_page(app)
    assert hostile in [button.label.replace("\\", "") for button in at.button]
    at.button(key="crowdfund_list_open_1").click().run()
    assert texts(at.title) == [hostile]
