"""AppTest of 管理 › 积分发放 (/admin-points) and 积分规则 (/admin-points-rules); who may open them."""
import pytest

from lib.core import rules
from lib.core.db import scalar
from tests.app.conftest import by_label, login, texts


PAGE = "app_pages/admin/points.py"
RULES_PAGE = "app_pages/admin/points_rules.py"


def open_page(app, username: str | None, page: str = PAGE):
    at = app()
    at.run() if username is None else login(at, username).run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def balance(db, username: str = "resident") -> int:
    return scalar(db, "SELECT COALESCE(SUM(amount), 0) FROM points_ledger JOIN users"
                      " ON users.id = user_id WHERE username = ?", (username,))


def entries(db) -> int:
    return scalar(db, "SELECT COUNT(*) FROM points_ledger")


def find_resident(at, query: str = "林阿姨"):
    at.text_input(key="admin_points_query").input(query).run()
    assert not at.exception
    return at


def submit(at, amount: str, reason: str, *, deduct: bool = False, confirm: bool = True):
    at.radio(key="admin_points_direction").set_value("扣减" if deduct else "发放").run()
    at.text_input(key="admin_points_amount").input(amount)
    at.text_area(key="admin_points_reason").input(reason)
    at.checkbox(key="admin_points_confirmed").set_value(confirm)
    at.button(key="FormSubmitter:admin_points_form-" + ("确认扣减" if deduct else "确认发放"))\
        .click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_staff_find_a_resident_and_grant_a_special_award(app, portal_db, username):
    before = balance(portal_db)
    at = submit(find_resident(open_page(app, username)), "20", "让出自家菜地修路")
    assert balance(portal_db) == before + 20
    assert any("已为" in message and "发放 20 分" in message for message in texts(at.success))
    row = portal_db.execute("SELECT kind, reason, actor_id FROM points_ledger ORDER BY id DESC"
                            " LIMIT 1").fetchone()
    actor = scalar(portal_db, "SELECT id FROM users WHERE username = ?", (username,))
    assert row == ("special", "让出自家菜地修路", actor)
    assert scalar(portal_db, "SELECT COUNT(*) FROM audit_log WHERE action = 'points.special'"
                             " AND actor_id = ?", (actor,)) >= 1


def test_staff_deduct_points_and_a_second_tap_does_not_deduct_twice(app, portal_db):
    before = balance(portal_db)
    at = submit(find_resident(open_page(app, "staff")), "5", "楼道堆物，经提醒仍未清理",
                deduct=True)
    assert balance(portal_db) == before - 5
    # the same form submitted again (a double tap) finds the first entry
    at.button(key="FormSubmitter:admin_points_form-确认扣减").click().run()
    assert balance(portal_db) == before - 5


def test_staff_find_by_building_and_room(app):
    at = find_resident(open_page(app, "staff"), "1-1 302")
    assert "居民 林阿姨" in at.selectbox(key="admin_points_holder").format_func(
        at.selectbox(key="admin_points_holder").value)


def test_without_the_confirmation_tick_nothing_is_granted(app, portal_db):
    before = entries(portal_db)
    at = submit(find_resident(open_page(app, "staff")), "20", "修路", confirm=False)
    assert entries(portal_db) == before
    assert any("请先勾选" in message for message in texts(at.error))


@pytest.mark.parametrize("amount, message", [
    ("0", "积分数必须大于 0"), ("-0", "积分数必须大于 0"), ("-5", "积分数必须大于 0"),
    ("abc", "请填写整数积分"), ("2.5", "请填写整数积分"), ("1e3", "请填写整数积分"),
    ("", "请填写整数积分"), ("99999999", "请填写整数积分"), ("51", "不能超过 50 分"),
    ("<script>", "请填写整数积分")])
def test_bad_amounts_are_refused_in_chinese_and_nothing_changes(app, portal_db, amount, message):
    before = entries(portal_db)
    at = submit(find_resident(open_page(app, "staff")), amount, "修路")
    assert entries(portal_db) == before
    assert any(message in error for error in texts(at.error)), texts(at.error)


def test_a_full_width_amount_is_understood(app, portal_db):
    before = balance(portal_db)
    submit(find_resident(open_page(app, "staff")), "２０", "修路")
    assert balance(portal_db) == before + 20


def test_a_10k_character_reason_is_refused_and_nothing_changes(app, portal_db):
    before = entries(portal_db)
    at = find_resident(open_page(app, "staff"))
    at.text_area(key="admin_points_reason").input("长" * 10_000)  # past max_chars, as a script can
    at = submit(at, "5", "长" * 10_000)
    assert entries(portal_db) == before
    assert any("理由" in error for error in texts(at.error))


def test_a_deduction_below_zero_is_refused(app, portal_db):
    portal_db.execute("INSERT INTO users (username, display_name, password_hash, created_at,"
                      " password_changed_at) VALUES ('poor', '穷小子', 'x', 'now', 'now')")
    portal_db.conn.commit()
    before = entries(portal_db)
    at = submit(find_resident(open_page(app, "staff"), "穷小子"), "5", "楼道堆物", deduct=True)
    assert entries(portal_db) == before
    assert any("积分不足" in error for error in texts(at.error))


def test_staff_print_a_residents_passbook(app):
    at = find_resident(open_page(app, "staff"))
    assert not at.get("download_button")
    at.button(key="admin_points_passbook").click().run()
    assert not at.exception and at.get("download_button")


@pytest.mark.parametrize("username", ["resident", "leader"])
def test_residents_and_leaders_are_refused(app, portal_db, username):
    before = entries(portal_db)
    at = open_page(app, username)
    assert any("仅限社区工作人员" in message for message in texts(at.error))
    assert not at.text_input and entries(portal_db) == before


def test_a_guest_is_offered_login(app):
    at = open_page(app, None)
    assert "此页面需要登录后使用。" in texts(at.info)
    assert not at.text_input


def test_the_admin_edits_the_points_rules_only_and_it_is_audited(app, portal_db):
    at = open_page(app, "admin", RULES_PAGE)
    keys = [widget.key for widget in at.number_input]
    assert keys and all(key.startswith("admin_rule_points.") for key in keys)
    assert any("只对以后发放的积分生效" in message for message in texts(at.info))
    at.number_input(key="admin_rule_points.special_max").set_value(80)
    by_label(at.button, "保存规则").click().run()
    assert not at.exception
    assert rules.get(portal_db, "points.special_max") == 80
    assert scalar(portal_db, "SELECT detail FROM audit_log WHERE action = 'rule.set'"
                             " ORDER BY id DESC LIMIT 1").find("80") >= 0


def test_the_old_rules_page_shows_only_the_report_rules(app):
    at = open_page(app, "admin", "app_pages/admin/rules.py")
    keys = [widget.key for widget in at.number_input]
    assert keys and all(key.startswith("admin_rule_reports.") for key in keys)


def test_staff_are_refused_the_points_rules(app):
    at = open_page(app, "staff", RULES_PAGE)
    assert any("仅限社区管理员" in message for message in texts(at.error))
    assert not at.number_input
