"""AppTest of 问题墙: the wall, the follow view, confirmation, the staff desk."""
from lib.db import scalar
from tests.app.conftest import by_label, login, texts
from tests.app.test_report_page import fill, jpeg, open_report


def file_one(app, **kwargs):
    fill(open_report(app), files=[("a.jpg", jpeg(), "image/jpeg")], **kwargs)


def open_wall(at, **params):
    at.switch_page("pages/reports.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def test_the_wall_shows_reports_but_never_a_phone_number(app):
    file_one(app, mobile="13912345678")
    at = open_wall(app())
    everything = " ".join(texts(at.text) + texts(at.caption) + texts(at.markdown))
    assert "第 1 号" in everything and "13912345678" not in everything
    assert [tab.label for tab in at.tabs] == ["全部问题", "我的反映"]


def test_the_follow_view_needs_no_login_and_shows_the_timeline(app):
    file_one(app, mobile="13912345678")
    at = open_wall(app(), n="1")
    shown = " ".join(texts(at.text) + texts(at.caption) + texts(at.subheader))
    assert "第 1 号 · 待受理" in shown and "提交" in shown and "13912345678" not in shown


def test_a_bad_report_number_gets_a_clear_message(app):
    assert any("找不到编号为 99" in e for e in texts(open_wall(app(), n="99").error))
    assert any("编号不正确" in e for e in texts(open_wall(app(), n="1;DROP").error))


def test_tapping_into_a_report_from_the_wall_keeps_its_number_for_the_next_runs(app):
    file_one(app)
    at = open_wall(app())
    at.button(key="reports_open_1").click()
    at.run()
    assert at.query_params["n"] == ["1"] or at.query_params["n"] == "1"
    assert any("第 1 号 · 待受理" in s for s in texts(at.subheader))
    at.run()  # a rerun (any tap) still shows the report
    assert any("第 1 号 · 待受理" in s for s in texts(at.subheader))


def test_staff_accept_and_resolve_then_the_reporter_confirms_with_the_link(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"), n="1")
    at.button(key="reports_accept").click()
    at.run()
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "accepted"
    at.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    at.file_uploader(key="reports_after_photo").set_value(("after.jpg", jpeg(), "image/jpeg"))
    by_label(at.button, "办结").click()
    at.run()
    assert not at.exception
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "resolved"

    token = scalar(portal_db, "SELECT follow_token FROM reports WHERE id = 1")
    assert not open_wall(app(), n="1").get("radio")  # without the link, no confirmation form
    reporter = open_wall(app(), n="1", t=token)
    reporter.radio(key="reports_rating").set_value(4)
    by_label(reporter.button, "提交确认").click()
    reporter.run()
    assert scalar(portal_db, "SELECT confirmation || rating FROM reports WHERE id = 1") == "solved4"


def test_resolving_without_an_after_photo_is_refused(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"), n="1")
    at.button(key="reports_accept").click()
    at.run()
    at.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    by_label(at.button, "办结").click()
    at.run()
    assert any("处理后的照片" in e for e in texts(at.error))
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "accepted"


def test_a_residents_report_earns_points_once_accepted(app, portal_db):
    at = login(app(), "zhangwei")
    at.switch_page("pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    fill(at)
    before = scalar(portal_db, "SELECT SUM(amount) FROM points_ledger JOIN users ON users.id ="
                               " user_id WHERE username = 'zhangwei'")
    staff = open_wall(login(app(), "staff"), n="1")
    staff.button(key="reports_accept").click()
    staff.run()
    after = scalar(portal_db, "SELECT SUM(amount) FROM points_ledger JOIN users ON users.id ="
                              " user_id WHERE username = 'zhangwei'")
    assert after == before + 5


def test_the_staff_desk_lists_the_queue_and_charts(app):
    file_one(app)
    at = open_wall(login(app(), "staff"))
    assert [tab.label for tab in at.tabs] == ["全部问题", "我的反映", "处理台"]
    assert any("待办 1 件" in caption for caption in texts(at.caption))
    assert len(at.get("vega_lite_chart")) == 3
    at.button(key="reports_export").click()
    at.run()
    assert {b.label for b in at.get("download_button")} >= {"下载 CSV", "下载 Excel"}


def test_a_resident_cannot_act_as_staff_on_a_report(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "resident"), n="1")
    assert not [b for b in at.button if b.label in ("受理", "不予受理")]
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "pending"
