"""积分 (/points): a resident's balance, history, passbook and boards; a guest sees the boards."""
import json

from lib.core.db import scalar
from lib.points import ledger
from tests.app.conftest import by_label, login, texts


def open_points(at):
    at.switch_page("app_pages/points.py").run()
    assert not at.exception
    return at


def balance_of(db, username: str) -> int:
    return scalar(db, "SELECT COALESCE(SUM(amount), 0) FROM points_ledger JOIN users"
                      " ON users.id = user_id WHERE username = ?", (username,))


def test_a_resident_sees_their_balance_history_and_year_totals(app, portal_db):
    at = open_points(login(app(), "resident"))
    assert texts(at.metric) == [f"{balance_of(portal_db, 'resident')} 分"]
    assert any("年获得" in caption for caption in texts(at.caption))
    shown = texts(at.text)
    reasons = [row[0] for row in portal_db.execute(
        "SELECT reason FROM points_ledger JOIN users ON users.id = user_id"
        " WHERE username = 'resident' ORDER BY points_ledger.id DESC LIMIT 3")]
    assert reasons and all(reason in shown for reason in reasons)
    # newest first
    assert shown.index(reasons[0]) < shown.index(reasons[-1])


def test_the_passbook_is_made_only_when_asked_and_is_a_pdf(app):
    at = open_points(login(app(), "resident"))
    assert not at.get("download_button")
    at.button(key="points_passbook").click().run()
    assert not at.exception
    assert at.get("download_button")


def test_a_guest_sees_the_boards_and_a_login_offer_but_no_balance(app, portal_db):
    at = open_points(app())
    assert not at.metric
    assert by_label(at.button, "登录 / 注册")
    assert [tab.label for tab in at.tabs] == ["个人榜", "楼栋榜"]
    board = at.dataframe[0].value
    assert list(board.columns) == ["名次", "居民", "获得积分"]
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["y"]["field"] == "居民"
    assert spec["encoding"]["x"]["title"] == "获得积分"


def test_a_name_hidden_by_its_owner_is_masked_on_the_board(app, portal_db):
    at = open_points(app())
    names = list(at.dataframe[0].value["居民"])
    assert "刘*" in names and "刘洋" not in names


def test_a_report_award_links_to_its_report(app, portal_db):
    user_id = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    ledger.award(portal_db, None, user_id=user_id, amount=5, kind=ledger.KIND_REPORT,
                 reason="随手拍被受理", key="report:1:accepted")
    at = open_points(login(app(), "resident"))
    links = [link for link in at.get("page_link") if link.proto.label == "查看这条随手拍"]
    assert len(links) == 1
    assert (links[0].proto.page, links[0].proto.query_string) == ("reports", "n=1")


def test_a_hostile_reason_is_shown_only_as_text(app, portal_db):
    from lib.people.users import load_user
    from tests.app.test_hostile_input import MARKDOWN, XSS
    staff = load_user(portal_db, scalar(portal_db, "SELECT id FROM users WHERE username = 'staff'"))
    resident = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    for number, payload in enumerate((XSS, MARKDOWN)):
        ledger.special(portal_db, staff, user_id=resident, amount=1, reason=payload,
                       key=f"special:hostile{number}")
    at = open_points(login(app(), "resident"))
    assert XSS in texts(at.text) and MARKDOWN in texts(at.text)
    assert not any("<script>" in str(element.value) or "点我" in str(element.value)
                   for element in at.markdown)


def test_older_entries_page_back_and_forth_without_gaps(app, portal_db):
    user_id = scalar(portal_db, "SELECT id FROM users WHERE username = 'resident'")
    for number in range(40):
        ledger.award(portal_db, None, user_id=user_id, amount=1, kind=ledger.KIND_VOLUNTEER,
                     reason=f"第{number}次值班", key=f"volunteer-test:{number}")
    at = open_points(login(app(), "resident"))
    seen = list(texts(at.text))
    at.button(key="points_older").click().run()
    assert not at.exception
    second = texts(at.text)
    assert not set(seen) & set(second)
    assert "第39次值班" in seen and "第24次值班" in second and "第25次值班" in seen
    at.button(key="points_newest").click().run()
    assert texts(at.text) == seen
