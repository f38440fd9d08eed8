"""AppTest of 问题墙: the wall, the follow view, confirmation, the staff desk."""
from collections import Counter

import pytest

from lib.core.db import scalar
from lib.reports.ui import TAB_KEY
from tests.app.conftest import by_label, login, texts
from tests.app.test_report_page import fill, jpeg, open_report


def file_one(app, **kwargs):
    fill(open_report(app), files=[("a.jpg", jpeg(), "image/jpeg")], **kwargs)


def open_wall(at, tab: str | None = None, **params):
    """问题墙 with ``params`` in the address, on ``tab`` as if the person had tapped it."""
    at.switch_page("app_pages/reports.py")
    for key, value in params.items():
        at.query_params[key] = value
    if tab is not None:
        at.session_state[TAB_KEY] = tab
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
    at.switch_page("app_pages/report.py").run()
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
    at = open_wall(login(app(), "staff"), tab="处理台")
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


def subheaders(at) -> str:
    return " ".join(texts(at.subheader))


def test_a_unicode_digit_gets_the_chinese_message_not_an_error_box(app):
    for number in ("²", "١٢", "1²"):
        at = open_wall(app(), n=number)
        assert any("编号不正确" in e for e in texts(at.error)), number
        assert not at.exception


def test_staff_go_desk_handle_accept_start_resolve_on_the_same_report(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"), tab="处理台")
    at.button(key="reports_queue_open_1").click()
    at.run()
    assert at.query_params["n"] == "1" and "第 1 号 · 待受理" in subheaders(at)
    at.button(key="reports_accept").click()
    at.run()
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "accepted"
    assert at.query_params["n"] == "1" and "第 1 号 · 已受理" in subheaders(at)
    assert any("已受理" in s for s in texts(at.success))
    at.button(key="reports_start").click()
    at.run()
    assert at.query_params["n"] == "1" and "第 1 号 · 处理中" in subheaders(at)
    at.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    at.file_uploader(key="reports_after_photo").set_value(("after.jpg", jpeg(), "image/jpeg"))
    by_label(at.button, "办结").click()
    at.run()
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "resolved"
    assert at.query_params["n"] == "1" and "第 1 号 · 已办结" in subheaders(at)


def test_staff_reject_stays_on_the_report(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"))
    at.button(key="reports_open_1").click()
    at.run()
    at.selectbox(key="reports_reason").set_value("insufficient")
    by_label(at.button, "不予受理").click()
    at.run()
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "rejected"
    assert at.query_params["n"] == "1" and "第 1 号 · 不予受理" in subheaders(at)


def test_the_after_photo_is_marked_required_and_a_bad_one_gets_the_message_beside_it(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"), n="1")
    at.button(key="reports_accept").click()
    at.run()
    assert "必填" in at.file_uploader(key="reports_after_photo").label
    at.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    at.file_uploader(key="reports_after_photo").set_value(("after.gif", b"GIF89a" + b"\x00" * 40,
                                                          "image/gif"))
    by_label(at.button, "办结").click()
    at.run()
    assert any("JPG" in e for e in texts(at.error))
    assert scalar(portal_db, "SELECT status FROM reports WHERE id = 1") == "accepted"
    assert not list(at.file_uploader(key="reports_after_photo").proto.type)


def test_a_resident_confirms_and_rates_from_my_reports(app, portal_db):
    at = login(app(), "zhangwei")
    at.switch_page("app_pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    fill(at)
    staff = open_wall(login(app(), "staff"), n="1")
    staff.button(key="reports_accept").click()
    staff.run()
    staff.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    staff.file_uploader(key="reports_after_photo").set_value(("after.jpg", jpeg(), "image/jpeg"))
    by_label(staff.button, "办结").click()
    staff.run()

    open_wall(at, tab="我的反映")
    at.button(key="reports_mine_open_1").click()
    at.run()
    assert at.query_params["n"] == "1"
    at.radio(key="reports_solved").set_value("已解决")
    at.radio(key="reports_rating").set_value(4)
    by_label(at.button, "提交确认").click()
    at.run()
    assert scalar(portal_db, "SELECT confirmation || rating FROM reports WHERE id = 1") == "solved4"
    assert at.query_params["n"] == "1"
    assert any("反映人确认已解决" in c and "★★★★" in c for c in texts(at.caption))


def test_back_to_the_wall_clears_the_number_and_a_filter_then_stays_on_the_wall(app):
    file_one(app)
    at = open_wall(app())
    at.button(key="reports_open_1").click()
    at.run()
    at.button(key="reports_back").click()
    at.run()
    assert "n" not in at.query_params
    at.selectbox(key="reports_filter_status").set_value("pending").run()
    assert not subheaders(at) and at.button(key="reports_open_1")
    assert "n" not in at.query_params


def test_a_guest_finds_the_reports_this_browser_filed_under_my_reports(app, portal_db):
    at = open_report(app)
    fill(at)
    open_wall(at, tab="我的反映")
    assert [tab.label for tab in at.tabs] == ["全部问题", "我的反映"]
    at.button(key="reports_mine_open_1").click()
    at.run()
    token = scalar(portal_db, "SELECT follow_token FROM reports WHERE id = 1")
    assert at.query_params["n"] == "1" and at.query_params["t"] == token
    other = open_wall(app(), tab="我的反映")  # another browser has no such report
    assert not other.button(key="reports_mine_open_1") if False else not [
        b for b in other.button if b.key == "reports_mine_open_1"]


def test_staff_captions_escape_names_and_the_proxy_text(app, portal_db):
    image = "![](http://198.51.100.7/x.png)"
    at = login(app(), "staff")
    portal_db.execute("UPDATE users SET display_name = ? WHERE username = 'staff'", (image,))
    portal_db.conn.commit()
    at.switch_page("app_pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    at.toggle(key="report_is_proxy").set_value(True).run()
    at.selectbox(key="report_category").select_index(1).run()
    at.text_input(key="report_proxy_for").input(image)
    fill(at, category=None, text=image + " 楼道", mobile="")
    desk = open_wall(login(app(), "staff"), n="1")
    desk.button(key="reports_accept").click()
    desk.run()
    desk = open_wall(login(app(), "staff"), tab="处理台")
    view = open_wall(login(app(), "staff"), n="1")
    for page in (desk, view):
        raw = [str(e.value) for e in list(page.caption) + list(page.markdown)]
        assert not [text for text in raw if "](http" in text], raw


def test_the_auto_confirm_label_reads_the_period_from_the_rules(app, portal_db):
    file_one(app)
    portal_db.execute("UPDATE settings SET value = '3' WHERE key = 'reports.confirm_within_days'")
    portal_db.execute("UPDATE reports SET status = 'resolved', confirmation = 'auto' WHERE id = 1")
    portal_db.conn.commit()
    at = open_wall(app(), n="1")
    assert any("3 天内未答复" in c for c in texts(at.caption))


def test_a_hidden_name_leaders_report_shows_no_role_in_the_timeline(app, portal_db):
    at = login(app(), "leader")
    at.switch_page("app_pages/report.py").run()
    at.selectbox(key="report_place").select_index(0)
    at.selectbox(key="report_category").select_index(1).run()
    at.checkbox(key="report_hide_name").check()
    fill(at, category=None)
    shown = " ".join(texts(open_wall(app(), n="1").text))
    assert "提交（反映人）" in shown and "微网格长" not in shown and "楼栋长" not in shown


def test_the_export_defaults_to_the_shanghai_date(app):
    from datetime import datetime

    from lib.core.clock import SHANGHAI

    at = open_wall(login(app(), "staff"), tab="处理台")
    assert at.date_input(key="reports_export_end").value == datetime.now(SHANGHAI).date()


def test_the_reporter_says_unsolved_by_the_follow_link_and_stays_on_the_reopened_report(app,
                                                                                        portal_db):
    file_one(app)
    staff = open_wall(login(app(), "staff"), n="1")
    staff.button(key="reports_accept").click()
    staff.run()
    staff.text_area(key="reports_result").input("纸箱已清走，通道畅通")
    staff.file_uploader(key="reports_after_photo").set_value(("after.jpg", jpeg(), "image/jpeg"))
    by_label(staff.button, "办结").click()
    staff.run()
    token = scalar(portal_db, "SELECT follow_token FROM reports WHERE id = 1")
    at = open_wall(app(), n="1", t=token)
    at.radio(key="reports_solved").set_value("未解决")
    at.radio(key="reports_rating").set_value(2)
    by_label(at.button, "提交确认").click()
    at.run()
    assert scalar(portal_db, "SELECT status || reopen_count FROM reports WHERE id = 1") == "in_progress1"
    assert at.query_params["n"] == "1" and at.query_params["t"] == token
    assert "第 1 号 · 处理中" in subheaders(at)


@pytest.fixture
def view_calls(monkeypatch):
    """Count the read queries each of 问题墙's tabs runs (the real functions still answer)."""
    from lib.reports import views

    calls = Counter()
    for name in ("wall", "wall_counts", "my_reports", "device_reports", "queue_summary",
                 "staff_queue", "desk_stats"):
        real = getattr(views, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)
        monkeypatch.setattr(views, name, counted)
    return calls


WALL = {"wall", "wall_counts"}
DESK = {"queue_summary", "staff_queue"}  # and desk_stats, cached for a minute


def ran(calls: Counter) -> set[str]:
    return set(calls) - {"desk_stats"}


def test_only_the_tab_shown_runs_its_queries(app, view_calls):
    file_one(app)
    at = open_wall(login(app(), "staff"))
    view_calls.clear()
    at.run()
    assert set(view_calls) == WALL  # 全部问题 is shown: neither 我的反映 nor 处理台 runs
    view_calls.clear()
    open_wall(at, tab="处理台")
    assert set(view_calls) == DESK | {"desk_stats"}
    assert at.button(key="reports_queue_open_1") and not at.get("selectbox")
    view_calls.clear()
    open_wall(at, tab="我的反映")
    assert set(view_calls) == {"my_reports"}


def test_a_residents_wall_never_runs_the_desk(app, view_calls):
    file_one(app)
    at = open_wall(login(app(), "resident"))
    at.run()
    open_wall(at, tab="我的反映")
    assert view_calls["my_reports"] and not (DESK | {"desk_stats"}) & set(view_calls)


def test_back_from_a_report_opened_on_the_desk_returns_to_the_desk(app, view_calls):
    file_one(app)
    at = open_wall(login(app(), "staff"), tab="处理台")
    at.button(key="reports_queue_open_1").click()
    at.run()
    assert at.query_params["n"] == "1"
    view_calls.clear()
    at.button(key="reports_back").click()
    at.run()
    assert "n" not in at.query_params
    assert ran(view_calls) == DESK and at.button(key="reports_queue_open_1")
    view_calls.clear()
    at.run()  # and stays there on the next rerun
    assert ran(view_calls) == DESK


def test_browsing_every_tab_and_a_report_writes_nothing(app, portal_db):
    file_one(app)
    at = open_wall(login(app(), "staff"))
    before = list(portal_db.conn.iterdump())
    for tab in ("全部问题", "我的反映", "处理台"):
        open_wall(at, tab=tab)
        at.run()
    open_wall(at, n="1")
    assert list(portal_db.conn.iterdump()) == before
