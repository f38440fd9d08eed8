"""AppTest of 登录/注册 and 我的账户."""
from datetime import timedelta

import pytest

from lib.core.clock import utc_now
from lib.core.db import scalar
from lib.people import login as login_rules
from lib.people import sessions
from lib.people import ui as people_ui
from tests.app.conftest import by_label, login, texts


def register(at, username="qian_shu", password="Harvest2026", repeat=None, mobile=""):
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_reg_username").input(username)
    at.text_input(key="account_reg_display_name").input("钱叔")
    at.text_input(key="account_reg_password").input(password)
    at.text_input(key="account_reg_password_repeat").input(repeat or password)
    at.text_input(key="account_reg_mobile").input(mobile)
    at.selectbox(key="account_reg_place").select_index(0)
    at.text_input(key="account_reg_room").input("101")
    by_label(at.button, "注册").click()
    at.run()
    return at


def test_demo_accounts_are_shown_on_the_login_page_in_demo_mode(app):
    at = app()
    at.switch_page("app_pages/account.py").run()
    assert not at.exception
    assert any("Demo@2026" in caption for caption in texts(at.caption))


def test_login_goes_home_then_logout_revokes_the_session(app, portal_db):
    at = login(app(), "resident")
    assert not at.exception
    assert "登录成功！" in texts(at.success)
    assert by_label(at.button, "继续").proto.type == "primary"
    at.run()  # the run the browser asks for once the cookie is stored
    assert texts(at.title) == ["幸福里小区"]  # 首页: where a person lands by default
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL") == 1
    at.session_state["account_continue"] = ("", 0)  # the cookie's late reruns are long over
    at.switch_page("app_pages/account.py").run()
    assert texts(at.title) == ["我的账户"]
    assert by_label(at.button, "返回首页")  # a way on from 我的账户
    at.button(key="account_logout").click()
    at.run()
    assert "您已退出登录。" in texts(at.success)
    assert texts(at.title) == ["登录 / 注册"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL") == 0


def test_the_login_button_is_primary_and_continue_without_waiting_also_goes_on(app):
    at = app()
    at.switch_page("app_pages/account.py").run()
    assert by_label(at.button, "登录").proto.type == "primary"
    login(at, "resident")
    by_label(at.button, "继续").click()
    at.run()
    assert texts(at.title) == ["幸福里小区"]


def test_a_guest_comes_back_to_the_page_they_were_on_after_logging_in(app):
    at = app()
    at.run()
    at.switch_page("app_pages/reports.py").run()  # app.py notes the page (ui_navigation.remember_page)
    login(at, "resident").run()
    assert texts(at.title)[0] == "问题墙"


def test_a_guest_sent_from_admin_comes_back_to_admin(app):
    at = app()
    at.run()
    at.switch_page("app_pages/admin.py").run()
    assert "此页面需要登录后使用。" in texts(at.info)
    login(at, "leader")
    assert "请先登录，登录后将回到您刚才要打开的页面。" in texts(at.info)
    at.run()
    assert texts(at.title)[0] == "住户核实"  # /admin opens the first 管理 task


def test_wrong_password_is_counted_and_does_not_log_in(app, portal_db):
    at = login(app(), "resident", "wrong-password1")
    assert not at.exception
    assert texts(at.error) == ["用户名或密码错误。"]
    assert texts(at.title) == ["登录 / 注册"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM login_failures WHERE username = 'resident'") == 1
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions") == 0


class Clock:
    """A stand-in for utc_now that moves only when told."""

    def __init__(self):
        self.now = utc_now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(login_rules, "utc_now", fake)
    monkeypatch.setattr(sessions, "utc_now", fake)
    monkeypatch.setattr(people_ui, "utc_now", fake)
    return fake


def test_many_wrong_passwords_slow_the_owner_down_but_never_lock_them_out(app, portal_db, clock):
    at = app()
    for _ in range(login_rules.FREE_LOGIN_FAILURES):
        login(at, "resident", "wrong-password1")
        assert texts(at.error) == ["用户名或密码错误。"]
    login(at, "resident", "wrong-password1")
    assert any("请 1 秒后再试" in message for message in texts(at.error))
    owner = login(app(), "resident")  # another browser: the name waits there too, briefly
    assert any("请 1 秒后再试" in message for message in texts(owner.error))
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions") == 0
    clock.advance(1.1)
    login(owner, "resident")
    assert "登录成功！" in texts(owner.success)
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions") == 1


def test_an_unknown_username_gets_exactly_the_same_answers(app, clock):
    answers = {}
    for name in ("resident", "nobody_here"):
        at = app()
        answers[name] = [texts(login(at, name, "wrong-password1").error)
                         for _ in range(login_rules.FREE_LOGIN_FAILURES + 1)]
    assert answers["resident"] == answers["nobody_here"]
    assert not any("次" in message for message in answers["resident"][0])  # no tries-left count


def test_one_browser_trying_many_names_is_slowed_down_too(app, clock):
    at = app()
    for number in range(login_rules.FREE_LOGIN_FAILURES):
        login(at, f"guess{number}", "Password123")
    login(at, "resident")  # the right password, but this session has been spraying
    assert any("秒后再试" in message for message in texts(at.error))
    assert texts(at.title) == ["登录 / 注册"]


def test_registration_logs_the_new_resident_in_and_goes_on(app, portal_db):
    at = register(app())
    assert not at.exception
    assert "注册成功，已为您登录！" in texts(at.success)
    row = next(portal_db.query("SELECT id, role, household_status FROM users"
                               " WHERE username = 'qian_shu'"))
    assert (row["role"], row["household_status"]) == ("resident", "pending")
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", (row["id"],)) == 1
    at.run()
    assert texts(at.title) == ["幸福里小区"]
    at.session_state["account_continue"] = ("", 0)
    at.switch_page("app_pages/account.py").run()
    assert texts(at.title) == ["我的账户"]
    assert any("钱叔" in text for text in texts(at.markdown))


def test_weak_password_duplicate_username_and_bad_mobile_are_refused(app, portal_db):
    at = register(app(), password="weak")
    assert any("密码" in message for message in texts(at.error))
    at = register(app(), username="resident")
    assert any("已被注册" in message for message in texts(at.error))
    at = register(app(), mobile="12345")
    assert any("手机号" in message for message in texts(at.error))
    assert scalar(portal_db, "SELECT COUNT(*) FROM users WHERE username = 'qian_shu'") == 0


def test_resident_without_household_can_request_one(app, portal_db):
    at = app()
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_reg_username").input("solo_user")
    at.text_input(key="account_reg_display_name").input("独居老人")
    at.text_input(key="account_reg_password").input("Harvest2026")
    at.text_input(key="account_reg_password_repeat").input("Harvest2026")
    by_label(at.button, "注册").click()
    at.run()  # registered and logged in
    at.run()
    at.session_state["account_continue"] = ("", 0)
    at.switch_page("app_pages/account.py").run()
    at.selectbox(key="account_bind_place").select_index(1)
    at.text_input(key="account_bind_room").input("402")
    by_label(at.button, "提交核实").click()
    at.run()
    assert not at.exception
    status = scalar(portal_db, "SELECT household_status FROM users WHERE username = 'solo_user'")
    assert status == "pending"


def test_each_refusal_is_named_by_the_label_of_its_field(app, portal_db):
    shown = texts(register(app(), username="resident").error)
    assert [m for m in shown if m.startswith("用户名：") and "已被注册" in m], shown
    shown = texts(register(app(), repeat="Harvest2027", mobile="12345").error)
    assert any(m.startswith("确认密码：") for m in shown), shown
    assert any(m.startswith("手机号：") for m in shown), shown
    at = login(app(), "resident")
    at.session_state["account_continue"] = ("", 0)
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_old_password").input("not-my-password1")
    at.text_input(key="account_new_password").input("Harvest2026")
    at.text_input(key="account_new_password_repeat").input("Harvest2026")
    by_label(at.button, "修改密码").click()
    at.run()
    assert not at.exception
    assert [m for m in texts(at.error) if m.startswith("原密码：")], texts(at.error)
