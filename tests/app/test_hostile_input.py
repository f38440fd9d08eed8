"""Hostile input across the forms: stored safely or refused, always shown as plain text."""
import pytest

from lib.core.db import scalar
from tests.app.conftest import by_label, texts
from tests.app.test_report_page import fill, open_report


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MARKDOWN = "**粗体** [点我](javascript:alert(1)) :red[红字] $x^2$"
SQL = "1-1'; DROP TABLE reports; --"
RARE = "楼道 𠀀𪚥 🐶🚲 测试"


@pytest.mark.parametrize("payload", [XSS, MARKDOWN, SQL, RARE])
def test_report_text_is_stored_verbatim_and_shown_only_as_text(app, portal_db, payload):
    fill(open_report(app), text=payload)
    assert scalar(portal_db, "SELECT description FROM reports") == payload
    for params in ({}, {"n": "1"}):
        at = app()
        at.switch_page("app_pages/reports.py")
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception
        assert any(payload[:40] in element.value for element in at.text)
        assert not any(payload[:20] in str(element.value) for element in at.markdown)


@pytest.mark.parametrize("code", [SQL, "x" * 5000, "🏠", "%00", "../../etc/passwd", "<b>1</b>"])
def test_crafted_place_codes_in_the_url_get_a_message_and_break_nothing(app, code):
    for page in ("app_pages/home.py", "app_pages/report.py", "app_pages/reports.py"):
        at = app()
        at.switch_page(page)
        at.query_params["b"] = code
        at.run()
        assert not at.exception
        assert any("没有找到编号为" in message for message in texts(at.warning))


@pytest.mark.parametrize("number", ["-1", "0x10", "1e9", "99999999999999999999", "<script>"])
def test_crafted_report_numbers_get_a_clear_message(app, number):
    at = app()
    at.switch_page("app_pages/reports.py")
    at.query_params["n"] = number
    at.run()
    assert not at.exception
    assert at.error


def test_hostile_display_names_are_stored_and_shown_inert(app, portal_db):
    at = app()
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="account_reg_username").input("mallory")
    at.text_input(key="account_reg_display_name").input("**王**<b>x</b>")
    at.text_input(key="account_reg_password").input("Harvest2026")
    at.text_input(key="account_reg_password_repeat").input("Harvest2026")
    by_label(at.button, "注册").click()
    at.run()
    assert scalar(portal_db, "SELECT display_name FROM users WHERE username = 'mallory'") == "**王**<b>x</b>"
    at.session_state["account_continue"] = ("", 0)  # registering logged mallory in
    at.switch_page("app_pages/account.py").run()
    assert "\\*\\*王\\*\\*\\<b\\>x\\</b\\>" in " ".join(m.value for m in at.markdown)


def test_huge_and_empty_fields_are_refused(app, portal_db):
    at = fill(open_report(app), text="")
    assert at.error
    at = fill(open_report(app), text="长" * 5000)
    assert at.error or scalar(portal_db, "SELECT MAX(LENGTH(description)) FROM reports") <= 500
    assert scalar(portal_db, "SELECT COUNT(*) FROM reports WHERE LENGTH(description) > 500") == 0
