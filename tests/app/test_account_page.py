"""AppTest of 登录/注册 and 我的账户."""
from lib.db import scalar

from tests.app.conftest import by_label, login, texts


def register(at, username="qian_shu", password="Harvest2026", repeat=None, mobile=""):
    at.switch_page("pages/account.py").run()
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
    at.switch_page("pages/account.py").run()
    assert not at.exception
    assert any("Demo@2026" in caption for caption in texts(at.caption))


def test_login_then_logout_revokes_the_session(app, portal_db):
    at = login(app(), "resident")
    assert not at.exception
    assert "登录成功！" in texts(at.success)
    at.run()
    assert texts(at.title) == ["我的账户"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL") == 1
    at.button(key="account_logout").click()
    at.run()
    assert "您已退出登录。" in texts(at.success)
    assert texts(at.title) == ["登录 / 注册"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL") == 0


def test_wrong_password_is_counted_and_does_not_log_in(app, portal_db):
    at = login(app(), "resident", "wrong-password1")
    assert not at.exception
    assert any("用户名或密码错误" in message for message in texts(at.error))
    assert texts(at.title) == ["登录 / 注册"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM login_failures WHERE username = 'resident'") == 1
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions") == 0


def test_five_wrong_passwords_lock_the_account_in_every_browser(app, portal_db):
    at = app()
    for _ in range(5):
        login(at, "resident", "wrong-password1")
    assert any("失败次数过多" in message for message in texts(at.error))
    at.run()
    assert not [widget for widget in at.text_input if widget.form_id == "account_login"]
    other_browser = login(app(), "resident")  # even the right password waits a while
    assert any("失败次数过多" in message for message in texts(other_browser.error))
    assert texts(other_browser.title) == ["登录 / 注册"]
    assert scalar(portal_db, "SELECT COUNT(*) FROM sessions") == 0


def test_registration_creates_a_pending_resident(app, portal_db):
    at = register(app())
    assert not at.exception
    assert any("注册成功" in message for message in texts(at.success))
    row = next(portal_db.query("SELECT role, household_status FROM users WHERE username = 'qian_shu'"))
    assert row == {"role": "resident", "household_status": "pending"}


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
    at.switch_page("pages/account.py").run()
    at.text_input(key="account_reg_username").input("solo_user")
    at.text_input(key="account_reg_display_name").input("独居老人")
    at.text_input(key="account_reg_password").input("Harvest2026")
    at.text_input(key="account_reg_password_repeat").input("Harvest2026")
    by_label(at.button, "注册").click()
    at.run()
    login(at, "solo_user", "Harvest2026").run()
    at.selectbox(key="account_bind_place").select_index(1)
    at.text_input(key="account_bind_room").input("402")
    by_label(at.button, "提交核实").click()
    at.run()
    assert not at.exception
    status = scalar(portal_db, "SELECT household_status FROM users WHERE username = 'solo_user'")
    assert status == "pending"
