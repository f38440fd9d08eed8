"""Accounts: registration rules, roles, disabling, password changes, privacy and search."""
import json

import pytest

from lib.core.db import scalar
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import GUEST_USER
from lib.people import accounts, households, passwords, sessions, users
from tests.people_helpers import audit_rows, register

pytestmark = pytest.mark.usefixtures("cheap_bcrypt")


def count_users(db):
    return scalar(db, "SELECT COUNT(*) FROM users")


def test_registration_stores_a_pending_household_request(db, buildings):
    user = register(db)
    assert user.role == "resident"
    assert user.household_status == "pending"
    assert user.household_id is None
    row = users.user_row(db, user.id)
    assert row["requested_room"] == "302" and row["password_hash"].startswith("$2")


@pytest.mark.parametrize("field, value, message_field", [
    ("username", "Ab", "username"),
    ("username", "用户", "username"),
    ("password", "short1", "password"),
    ("password", "onlyletters", "password"),
    ("password", "wang_ayi2026", "password"),
    ("password", "密" * 24 + "1a", "password"),
    ("password_repeat", "Different2026", "password_repeat"),
    ("mobile", "1234567", "mobile"),
    ("mobile", "23912345678", "mobile"),
    ("room", "3 0 2!", "room"),
    ("place_id", 999, "place"),
    ("display_name", "", "display_name"),
])
def test_bad_registration_input_is_refused_and_nothing_is_stored(db, buildings, field, value,
                                                                   message_field):
    with pytest.raises(ValidationError) as refused:
        register(db, **{field: value})
    assert message_field in refused.value.fields
    assert count_users(db) == 0


def test_duplicate_username_is_refused_whatever_the_case(db, buildings):
    register(db)
    with pytest.raises(ValidationError) as refused:
        register(db, username="WANG_AYI")
    assert "已被注册" in refused.value.fields["username"]
    assert count_users(db) == 1


def test_mobile_is_optional_and_normalised(db, buildings):
    assert register(db, mobile="").mobile is None
    assert register(db, username="li_shu", mobile="+86 139-1234-5678").mobile == "13912345678"


@pytest.mark.parametrize("overrides, field, message", [
    ({"display_name": "王" * 21}, "display_name", "请填写 1-20 个字的称呼。"),
    ({"display_name": "王\n阿姨"}, "display_name", "请填写 1-20 个字的称呼。"),
    ({"username": "9lives"}, "username", "用户名为 3-20 位小写字母、数字或下划线，以字母开头。"),
    ({"password_repeat": "Spring2027"}, "password_repeat", "两次输入的密码不一致。"),
    ({"place_id": None}, "place", "请选择所住的楼栋。"),  # a room alone is not enough
])
def test_each_refused_field_says_why_in_chinese(db, buildings, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        register(db, **overrides)
    assert refused.value.fields[field] == message
    assert count_users(db) == 0


def test_registration_normalises_the_username_and_is_audited(db, buildings):
    user = register(db, username=" Wang_Ayi ", display_name="王" * 20)
    assert user.username == "wang_ayi" and user.display_name == "王" * 20
    row = next(db.query("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                        " WHERE action = 'account.register'"))
    assert (row["actor_id"], row["target_type"], row["target_id"]) == (user.id, "user",
                                                                       str(user.id))
    assert "wang_ayi" in row["detail"]


def test_registration_refusals_are_exact_in_chinese(db, buildings):
    register(db)
    with pytest.raises(ValidationError) as caught:
        register(db, username="wang_ayi", mobile="")
    assert caught.value.fields == {"username": "该用户名已被注册，请换一个。"}
    with pytest.raises(ValidationError) as caught:
        register(db, username="li_shu", mobile="1391234567")
    assert caught.value.fields == {"mobile": "手机号应为 11 位大陆手机号码，例如 13800138000。"}
    with pytest.raises(ValidationError) as caught:
        register(db, username=None)
    assert "username" in caught.value.fields
    assert count_users(db) == 1


def test_the_last_admin_cannot_be_demoted_or_disabled(db, make_user):
    admin = make_user("admin")
    with pytest.raises(ValidationError):
        accounts.change_role(db, admin, user_id=admin.id, role="resident")
    other = make_user("admin")
    with pytest.raises(ValidationError):
        accounts.set_disabled(db, other, user_id=other.id, disabled=True)  # not yourself
    accounts.set_disabled(db, admin, user_id=other.id, disabled=True)
    with pytest.raises(ValidationError):
        accounts.change_role(db, admin, user_id=admin.id, role="staff")
    assert users.load_user(db, admin.id).role == "admin"


def test_only_admins_change_roles_and_leaders_need_a_microgrid(db, buildings, make_user):
    admin, staff, resident = make_user("admin"), make_user("staff"), make_user("resident")
    with pytest.raises(PermissionDenied):
        accounts.change_role(db, staff, user_id=resident.id, role="leader", leads_microgrid_id=1)
    with pytest.raises(ValidationError):
        accounts.change_role(db, admin, user_id=resident.id, role="leader")
    leader = accounts.change_role(db, admin, user_id=resident.id, role="leader",
                                  leads_microgrid_id=1)
    assert (leader.role, leader.leads_microgrid_id) == ("leader", 1)
    demoted = accounts.change_role(db, admin, user_id=resident.id, role="resident")
    assert (demoted.role, demoted.leads_microgrid_id) == ("resident", None)
    assert users.load_user(db, resident.id).role == "resident"


def test_one_of_two_admins_can_be_demoted_and_the_refusals_say_why(db, buildings, make_user):
    first, second = make_user("admin"), make_user("admin")
    assert accounts.change_role(db, first, user_id=second.id, role="staff").role == "staff"
    for kwargs, fields in (({"role": "king"}, {"role": "未知的角色。"}),
                           ({"role": "leader"}, {"microgrid": "请选择该微网格长负责的微网格。"}),
                           ({"role": "staff"}, {"role": "这是最后一位管理员，不能取消其管理员身份。"})):
        with pytest.raises(ValidationError) as caught:
            accounts.change_role(db, first, user_id=first.id, **kwargs)
        assert caught.value.fields == fields
    entry = next(db.query("SELECT detail FROM audit_log WHERE action = 'user.role'"))
    assert json.loads(entry["detail"]) == {"old": "admin", "new": "staff", "microgrid": None}


def test_a_leader_needs_a_micro_grid_that_exists_and_the_change_is_audited(db, buildings, make_user):
    admin, user = make_user("admin"), make_user("resident")
    with pytest.raises(ValidationError) as caught:
        accounts.change_role(db, admin, user_id=user.id, role="leader", leads_microgrid_id=99)
    assert caught.value.fields == {"microgrid": "请选择该微网格长负责的微网格。"}
    assert users.user_row(db, user.id)["role"] == "resident"
    accounts.change_role(db, admin, user_id=user.id, role="leader", leads_microgrid_id=2)
    assert audit_rows(db, "user.role") == [
        (admin.id, "user.role", "user", str(user.id),
         {"old": "resident", "new": "leader", "microgrid": 2})]


def test_the_last_active_admin_cannot_be_disabled_by_a_stale_admin(db, make_user):
    stale, last = make_user("admin"), make_user("admin")
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (stale.id,))
    with pytest.raises(ValidationError) as caught:
        accounts.set_disabled(db, stale, user_id=last.id, disabled=True)
    assert str(caught.value) == "这是最后一位管理员，不能停用。"
    assert users.load_user(db, last.id) is not None
    assert audit_rows(db, "user.%able") == []


def test_disabling_and_enabling_are_audited_with_the_admin_and_the_account(db, make_user):
    admin, user = make_user("admin"), make_user("resident")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    accounts.set_disabled(db, admin, user_id=user.id, disabled=False)
    assert audit_rows(db, "user.%able") == [
        (admin.id, "user.disable", "user", str(user.id), None),
        (admin.id, "user.enable", "user", str(user.id), None)]
    assert users.load_user(db, user.id) is not None


def test_password_reset_and_disabling_end_every_session(db, buildings, make_user):
    admin = make_user("admin")
    user = register(db)
    sessions.start_session(db, user.username, "phone")
    sessions.start_session(db, user.username, "tablet")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    assert sessions.session_user(db, "phone") is None and sessions.session_user(db, "tablet") is None
    assert passwords.check_password(users.user_row(db, user.id), "Autumn2026")
    sessions.start_session(db, user.username, "laptop")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    assert sessions.session_user(db, "laptop") is None
    assert users.load_user(db, user.id) is None


def test_sessions_ended_by_an_admin_record_why(db, buildings, make_user):
    admin = make_user("admin")
    user = register(db)
    sessions.start_session(db, user.username, "phone")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    sessions.start_session(db, user.username, "tablet")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    assert [r[0] for r in db.execute("SELECT revoked_reason FROM sessions WHERE user_id = ?"
                                     " ORDER BY id", (user.id,))] == ["password", "disabled"]
    with pytest.raises(ValidationError) as caught:
        accounts.set_disabled(db, admin, user_id=admin.id, disabled=True)
    assert str(caught.value) == "不能停用自己的账号。"


def test_weak_reset_password_is_refused_and_old_one_still_works(db, buildings, make_user):
    admin = make_user("admin")
    user = register(db)
    with pytest.raises(ValidationError):
        accounts.reset_password(db, admin, user_id=user.id, new_password="123")
    assert passwords.check_password(users.user_row(db, user.id), "Spring2026")


def test_a_reset_password_containing_the_username_is_refused_and_a_good_one_audited(
        db, buildings, make_user):
    admin = make_user("admin")
    user = register(db)
    with pytest.raises(ValidationError) as caught:
        accounts.reset_password(db, admin, user_id=user.id, new_password="Wang_ayi2027")
    assert caught.value.fields == {"password": "密码太容易被猜到，请换一个。"}
    assert passwords.check_password(users.user_row(db, user.id), "Spring2026")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    assert audit_rows(db, "%password") == [
        (admin.id, "user.reset_password", "user", str(user.id), None)]


def test_own_password_change_checks_the_old_password(db, buildings):
    user = register(db)
    with pytest.raises(ValidationError) as refused:
        accounts.change_own_password(db, user, old_password="wrong", new_password="Winter2026",
                                     new_password_repeat="Winter2026")
    assert "old_password" in refused.value.fields
    sessions.start_session(db, user.username, "t")
    accounts.change_own_password(db, user, old_password="Spring2026", new_password="Winter2026",
                                 new_password_repeat="Winter2026")
    assert sessions.session_user(db, "t") is None


@pytest.mark.parametrize("old, new, repeat, fields", [
    ("Spring2027", "Winter2026", "Winter2026", {"old_password": "原密码不正确。"}),
    ("Spring2026", "wang_ayi2027", "wang_ayi2027", {"password": "密码太容易被猜到，请换一个。"}),
    ("Spring2026", "Winter2026", "Winter2027", {"password_repeat": "两次输入的密码不一致。"}),
])
def test_a_refused_own_password_change_names_the_field_and_keeps_the_old_password(
        db, buildings, old, new, repeat, fields):
    user = register(db)
    sessions.start_session(db, user.username, "phone")
    with pytest.raises(ValidationError) as caught:
        accounts.change_own_password(db, user, old_password=old, new_password=new,
                                     new_password_repeat=repeat)
    assert caught.value.fields == fields
    assert passwords.check_password(users.user_row(db, user.id), "Spring2026")
    assert sessions.session_user(db, "phone").id == user.id
    assert audit_rows(db, "%password") == []


def test_an_own_password_change_is_audited_as_the_users_own(db, buildings):
    user = register(db)
    accounts.change_own_password(db, user, old_password="Spring2026", new_password="Winter2026",
                                 new_password_repeat="Winter2026")
    assert audit_rows(db, "%password") == [
        (user.id, "account.change_password", "user", str(user.id), None)]


def test_staff_find_users_by_name_mobile_or_username_with_their_room_and_residents_cannot(
        db, buildings, make_user):
    staff = make_user("staff")
    wang = register(db)
    households.verify_household(db, staff, user_id=wang.id, approve=True)
    register(db, username="li_shu", display_name="李叔", mobile="13700000000", room="401")
    found = accounts.search_users(db, staff, " 王阿 ")
    assert [(r["username"], r["place_code"], r["room"], r["household_status"]) for r in found] == [
        ("wang_ayi", "1-1", "302", "verified")]
    assert [r["username"] for r in accounts.search_users(db, staff, "1370000")] == ["li_shu"]
    assert [r["username"] for r in accounts.search_users(db, staff, "li_")] == ["li_shu"]
    assert [r["username"] for r in accounts.search_users(db, staff, "", limit=2)] == [
        staff.username, "wang_ayi"]
    assert accounts.search_users(db, staff, "无此人") == []
    with pytest.raises(PermissionDenied):
        accounts.search_users(db, wang, "王")


def test_search_without_a_query_lists_everyone_up_to_fifty(db, make_user):
    staff = make_user("staff")
    for _ in range(51):
        make_user("resident")
    found = accounts.search_users(db, staff)
    assert len(found) == 50 and found[0]["id"] == staff.id


def test_a_resident_hides_and_shows_their_name_on_public_lists(db, buildings):
    user = register(db)
    accounts.set_privacy(db, user, show_name_publicly=False)
    assert users.load_user(db, user.id).show_name_publicly is False
    accounts.set_privacy(db, user, show_name_publicly=True)
    assert users.load_user(db, user.id).show_name_publicly is True
    with pytest.raises(PermissionDenied):
        accounts.set_privacy(db, GUEST_USER, show_name_publicly=False)
