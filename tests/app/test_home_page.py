"""AppTest of 首页: the community, the scanned place, the balance."""
from lib.db import scalar

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
    at.switch_page("pages/home.py").run()
    assert not at.exception
    expected = scalar(portal_db, "SELECT SUM(amount) FROM points_ledger JOIN users"
                                 " ON users.id = user_id WHERE username = 'resident'")
    assert expected > 0
    assert texts(at.metric) == [str(expected)]
