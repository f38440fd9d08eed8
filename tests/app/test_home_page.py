"""AppTest of 首页: the community, the scanned place, the balance."""
from lib.core.db import scalar
from tests.app.conftest import login, texts


def test_guest_sees_the_community_and_a_way_to_log_in(app):
    at = app()
    at.run()
    assert not at.exception
    assert texts(at.title) == ["幸福里小区"]
    assert not at.metric  # no balance for a guest


def test_scanned_place_is_named(app):
    at = app()
    at.query_params["b"] = "1-1"
    at.run()
    assert not at.exception
    assert any("1栋1单元" in message and "1-1" in message for message in texts(at.success))


def test_unknown_place_code_gets_a_clear_message_and_no_place(app):
    at = app()
    at.query_params["b"] = "9-9<script>"
    at.run()
    assert not at.exception
    assert any("没有找到编号为" in message for message in texts(at.warning))
    assert not at.success


def test_resident_sees_their_points_balance(app, portal_db):
    at = login(app(), "resident")
    at.switch_page("app_pages/home.py").run()
    assert not at.exception
    expected = scalar(portal_db, "SELECT SUM(amount) FROM points_ledger JOIN users"
                                 " ON users.id = user_id WHERE username = 'resident'")
    assert expected > 0
    assert texts(at.metric) == [str(expected)]


def test_an_unknown_code_after_a_known_one_does_not_keep_the_old_place(app):
    at = app()
    at.query_params["b"] = "1-1"
    at.run()
    assert any("1栋1单元" in message for message in texts(at.success))
    at.query_params["b"] = "nope"
    at.run()
    assert not at.exception
    assert any("没有找到编号为“nope”" in message for message in texts(at.warning))
    assert not at.success
    at.switch_page("app_pages/report.py").run()  # moving on does not bring the old place back
    assert at.selectbox(key="report_place").value is None


def test_an_unknown_code_clears_the_place_chooser_that_the_old_code_filled(app):
    at = app()
    at.switch_page("app_pages/report.py")
    at.query_params["b"] = "1-1"
    at.run()
    assert at.selectbox(key="report_place").value.code == "1-1"
    at.query_params["b"] = "nope"
    at.run()
    assert any("没有找到编号为" in message for message in texts(at.warning))
    assert at.selectbox(key="report_place").value is None


def test_a_place_the_person_chose_is_kept_while_the_scanned_code_stays(app):
    at = app()
    at.switch_page("app_pages/report.py")
    at.query_params["b"] = "1-1"
    at.run()
    at.selectbox(key="report_place").set_value(
        next(p for p in at.selectbox(key="report_place").options if "2-1" in p)).run()
    at.run()
    assert at.selectbox(key="report_place").value.code == "2-1"


def test_the_demo_history_opens_with_the_community_and_its_audit_log(app, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "1")
    at = app()
    at.run()
    assert not at.exception and texts(at.title) == ["幸福里小区"]
    login(at, "admin")
    at.switch_page("app_pages/admin/audit.py").run()
    assert not at.exception
    log = next(frame.value for frame in at.dataframe if "操作人" in frame.value.columns)
    accepted = log[log["操作"] == "受理问题"]
    # the page shows the latest 200 entries: the month's accepted reports beside 议事's
    # paper ballots, typed by staff, each an entry in words
    assert len(accepted) >= 5
    assert (log["操作"] == "录入纸质选票").sum() >= 20
    assert set(accepted["操作人"]) == {"网格员 小周（staff）"}
    assert all(target.startswith("问题 第 ") for target in accepted["对象"])


def test_markdown_in_a_name_stays_text_on_the_home_page(app, portal_db):
    from tests.app.test_admin_page import HOSTILE, all_markdown

    portal_db.execute("UPDATE users SET display_name = ? WHERE username = 'resident'", (HOSTILE,))
    portal_db.execute("UPDATE places SET name = ? WHERE code = '1-1'", (HOSTILE,))
    portal_db.conn.commit()
    at = login(app(), "resident")
    at.switch_page("app_pages/home.py")
    at.query_params["b"] = "1-1"
    at.run()
    shown = all_markdown(at)
    assert sum("198" in text for text in shown) >= 2  # the name and the place are there…
    assert [text for text in shown if "](" in text or "198.51.100.7/x.png" in text] == []


def links(at) -> dict[str, tuple[str, str]]:
    """Each page link on the screen: label -> (url path, query)."""
    return {link.proto.label: (link.proto.page, link.proto.query_string)
            for link in at.get("page_link")}


def test_every_way_in_keeps_the_scanned_place_and_each_role_sees_its_own(app):
    at = app()
    at.query_params["b"] = "1-1"
    at.run()
    assert links(at) == {"随手拍 · 反映问题": ("report", "b=1-1"),
                         "问题墙 · 看处理进度": ("reports", "b=1-1"),
                         "积分超市 · 积分换生活用品": ("shop", "b=1-1"),
                         "登录 / 注册": ("account", "b=1-1")}
    for username, admin in (("resident", False), ("leader", True)):
        at = login(app(), username)
        at.query_params["b"] = "1-1"
        at.switch_page("app_pages/home.py").run()
        assert not at.exception
        shown = links(at)
        assert shown["我的账户"] == ("account", "b=1-1")
        assert ("管理" in shown) is admin and "登录 / 注册" not in shown
    unscanned = app()
    unscanned.run()
    assert {query for _, query in links(unscanned).values()} == {""}
