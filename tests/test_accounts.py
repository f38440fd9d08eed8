"""Accounts: registration rules, household checks, roles, passwords and server-side sessions."""
import pytest

from lib import accounts
from lib.db import scalar
from lib.errors import PermissionDenied, ValidationError
from lib.roles import User


@pytest.fixture
def place(db):
    db.execute("INSERT INTO community (name) VALUES ('幸福里小区')")
    db.execute("INSERT INTO grids (community_id, name) VALUES (1, '第一网格')")
    db.execute("INSERT INTO microgrids (grid_id, name) VALUES (1, '甲'), (1, '乙')")
    db.execute("INSERT INTO places (code, name, kind, microgrid_id, created_at) VALUES"
               " ('1-1', '1栋1单元', 'building', 1, 'now'), ('2-1', '2栋1单元', 'building', 2, 'now')")
    db.conn.commit()
    return 1


def register(db, **overrides):
    fields = dict(username="wang_ayi", display_name="王阿姨", password="Spring2026",
                  password_repeat="Spring2026", mobile="13912345678", place_id=1, room="302")
    fields.update(overrides)
    return accounts.register(db, **fields)


def count_users(db):
    return scalar(db, "SELECT COUNT(*) FROM users")


def test_registration_stores_a_pending_household_request(db, place):
    user = register(db)
    assert user.role == "resident"
    assert user.household_status == "pending"
    assert user.household_id is None
    row = accounts.user_row(db, user.id)
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
def test_bad_registration_input_is_refused_and_nothing_is_stored(db, place, field, value,
                                                                   message_field):
    with pytest.raises(ValidationError) as refused:
        register(db, **{field: value})
    assert message_field in refused.value.fields
    assert count_users(db) == 0


def test_duplicate_username_is_refused_whatever_the_case(db, place):
    register(db)
    with pytest.raises(ValidationError) as refused:
        register(db, username="WANG_AYI")
    assert "已被注册" in refused.value.fields["username"]
    assert count_users(db) == 1


def test_mobile_is_optional_and_normalised(db, place):
    assert register(db, mobile="").mobile is None
    assert register(db, username="li_shu", mobile="+86 139-1234-5678").mobile == "13912345678"


def test_leader_verifies_a_household_in_their_microgrid_only(db, place, make_user):
    resident = register(db)
    other_leader = make_user("leader", leads_microgrid_id=2)
    with pytest.raises(PermissionDenied):
        accounts.verify_household(db, other_leader, user_id=resident.id, approve=True)
    assert accounts.user_row(db, resident.id)["household_status"] == "pending"
    leader = make_user("leader", leads_microgrid_id=1)
    assert [row["id"] for row in accounts.pending_households(db, leader)] == [resident.id]
    assert accounts.pending_households(db, other_leader) == []
    verified = accounts.verify_household(db, leader, user_id=resident.id, approve=True)
    assert verified.household_status == "verified"
    assert scalar(db, "SELECT room FROM households WHERE id = ?", (verified.household_id,)) == "302"
    # repeating the decision changes nothing
    again = accounts.verify_household(db, leader, user_id=resident.id, approve=True)
    assert again.household_id == verified.household_id
    assert scalar(db, "SELECT COUNT(*) FROM households") == 1


def test_a_resident_cannot_verify_households(db, place, make_user):
    resident = register(db)
    with pytest.raises(PermissionDenied):
        accounts.verify_household(db, make_user("resident"), user_id=resident.id, approve=True)


def test_rejecting_needs_a_reason(db, place, make_user):
    resident = register(db)
    staff = make_user("staff")
    with pytest.raises(ValidationError):
        accounts.verify_household(db, staff, user_id=resident.id, approve=False)
    rejected = accounts.verify_household(db, staff, user_id=resident.id, approve=False,
                                         reason="查无此户")
    assert rejected.household_status == "rejected"


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
    assert accounts.load_user(db, admin.id).role == "admin"


def test_only_admins_change_roles_and_leaders_need_a_microgrid(db, place, make_user):
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
    assert accounts.load_user(db, resident.id).role == "resident"


def test_session_revoked_by_logout_no_longer_identifies_anyone(db, place):
    user = register(db)
    accounts.start_session(db, user.username, "cookie-token-1")
    assert accounts.session_user(db, "cookie-token-1").id == user.id
    accounts.end_session(db, "cookie-token-1")
    assert accounts.session_user(db, "cookie-token-1") is None
    assert accounts.session_user(db, "never-issued") is None
    assert accounts.session_user(db, None) is None


def test_password_reset_and_disabling_end_every_session(db, place, make_user):
    admin = make_user("admin")
    user = register(db)
    accounts.start_session(db, user.username, "phone")
    accounts.start_session(db, user.username, "tablet")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    assert accounts.session_user(db, "phone") is None and accounts.session_user(db, "tablet") is None
    assert accounts.check_password(accounts.user_row(db, user.id), "Autumn2026")
    accounts.start_session(db, user.username, "laptop")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    assert accounts.session_user(db, "laptop") is None
    assert accounts.load_user(db, user.id) is None


def test_weak_reset_password_is_refused_and_old_one_still_works(db, place, make_user):
    admin = make_user("admin")
    user = register(db)
    with pytest.raises(ValidationError):
        accounts.reset_password(db, admin, user_id=user.id, new_password="123")
    assert accounts.check_password(accounts.user_row(db, user.id), "Spring2026")


def test_own_password_change_checks_the_old_password(db, place):
    user = register(db)
    with pytest.raises(ValidationError) as refused:
        accounts.change_own_password(db, user, old_password="wrong", new_password="Winter2026",
                                     new_password_repeat="Winter2026")
    assert "old_password" in refused.value.fields
    accounts.start_session(db, user.username, "t")
    accounts.change_own_password(db, user, old_password="Spring2026", new_password="Winter2026",
                                 new_password_repeat="Winter2026")
    assert accounts.session_user(db, "t") is None


def test_wrong_passwords_lock_the_username_for_a_while(db, place):
    register(db)
    for attempt in range(accounts.MAX_LOGIN_FAILURES - 1):
        assert accounts.record_login_failure(db, "wang_ayi") > 0
        assert not accounts.login_locked(db, "wang_ayi")
    assert accounts.record_login_failure(db, "WANG_AYI") == 0
    assert accounts.login_locked(db, "wang_ayi")
    assert accounts.recent_login_failures(db, "Wang_Ayi") == accounts.MAX_LOGIN_FAILURES
    accounts.start_session(db, "wang_ayi", "token")  # a successful login clears the count
    assert not accounts.login_locked(db, "wang_ayi")


def test_authenticator_records_carry_role_and_failures_and_exclude_disabled_users(db, place,
                                                                                   make_user):
    admin = make_user("admin")
    user = register(db)
    assert accounts.authenticator_record(db, "WANG_AYI")["roles"] == ["resident"]
    assert "failed_login_attempts" not in accounts.authenticator_record(db, "wang_ayi")
    accounts.record_login_failure(db, "wang_ayi")
    assert accounts.authenticator_record(db, "wang_ayi")["failed_login_attempts"] == 1
    assert accounts.authenticator_record(db, "nobody") is None
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    assert accounts.authenticator_record(db, "wang_ayi") is None


def test_household_request_after_registration_without_one(db, place):
    user = register(db, place_id=None, room="")
    assert user.household_status == "none"
    with pytest.raises(ValidationError):
        accounts.request_household(db, user, place_id=1, room="")
    accounts.request_household(db, user, place_id=1, room="501")
    assert accounts.user_row(db, user.id)["household_status"] == "pending"
    with pytest.raises(PermissionDenied):
        accounts.request_household(db, User(None, "", "访客", "guest"), place_id=1, room="1")
