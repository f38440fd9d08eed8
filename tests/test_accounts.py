"""Accounts: registration rules, household checks, roles, passwords and server-side sessions."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from lib.core.clock import utc_now
from lib.core.db import scalar
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.roles import GUEST_USER, User
from lib.people import accounts


@pytest.fixture(autouse=True)
def cheap_bcrypt(request, monkeypatch):
    """bcrypt at cost 4 instead of 12: the same rules, a suite ten times faster.

    The decoy hash is rebuilt at the same cost; the timing test keeps the real cost.
    """
    if request.node.name != "test_an_unknown_name_takes_as_long_as_a_wrong_password":
        real = accounts.bcrypt.gensalt
        monkeypatch.setattr(accounts.bcrypt, "gensalt",
                            lambda rounds=12, prefix=b"2b": real(4, prefix))
    accounts._decoy_hash.cache_clear()
    yield
    accounts._decoy_hash.cache_clear()


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


T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fail(db, name="wang_ayi", when=0.0, **options):
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, name, "Wrong2026", now=at(when), **options)


def test_the_right_password_logs_in_and_a_wrong_one_is_refused_in_chinese(db, place):
    register(db)
    assert accounts.authenticate(db, " Wang_Ayi ", "Spring2026", now=at(0)).username == "wang_ayi"
    with pytest.raises(accounts.LoginFailed) as caught:
        accounts.authenticate(db, "wang_ayi", "Spring2026 ", now=at(1))
    assert str(caught.value) == "用户名或密码错误。"


def test_the_backoff_starts_after_five_failures_doubles_and_stops_at_a_minute():
    waits = [accounts.login_backoff_seconds(n) for n in range(14)]
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_after_five_failures_the_next_attempt_waits_and_is_not_even_checked(db, place):
    register(db)
    for second in range(accounts.FREE_LOGIN_FAILURES):
        fail(db, when=second * 0.1)  # five quick failures cost nothing
    last = (accounts.FREE_LOGIN_FAILURES - 1) * 0.1
    with pytest.raises(accounts.LoginThrottled) as caught:  # the right password, too early
        accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 0.5))
    assert caught.value.retry_after == 1 and "请 1 秒后再试" in str(caught.value)
    assert len(accounts.login_failure_times(db, "wang_ayi", now=at(last + 0.5))) == 5  # not counted
    fail(db, when=last + 1.0)  # after the wait it is checked again: the sixth failure
    with pytest.raises(accounts.LoginThrottled) as caught:
        accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 2.5))
    assert caught.value.retry_after == 1  # 2 s after the sixth
    assert accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 3.0)).username \
        == "wang_ayi"


def test_an_attacker_cannot_lock_the_owner_out_for_more_than_a_minute(db, place):
    register(db)
    moment = 0.0
    for _ in range(15):  # an attacker guessing as fast as the backoff lets them
        moment += 60.0
        fail(db, when=moment)
    with pytest.raises(accounts.LoginThrottled) as caught:
        accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(moment + 1))
    assert caught.value.retry_after == 59
    assert accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(moment + 60)).id


def test_a_failure_older_than_the_window_no_longer_counts(db, place):
    register(db)
    for second in range(accounts.FREE_LOGIN_FAILURES):
        fail(db, when=second)
    later = accounts.LOGIN_FAILURE_WINDOW.total_seconds() + 10
    assert accounts.login_failure_times(db, "wang_ayi", now=at(later)) == []
    fail(db, when=later)  # counted alone: the five are out of the window
    fail(db, when=later + 0.01)  # would have to wait 2 s if the old five still counted
    assert len(accounts.login_failure_times(db, "wang_ayi", now=at(later + 0.01))) == 2
    assert scalar(db, "SELECT COUNT(*) FROM login_failures") == 2  # old rows are deleted


def test_a_name_that_does_not_exist_is_answered_and_throttled_exactly_alike(db, place,
                                                                             make_user):
    register(db)
    admin = make_user("admin")
    answers = {}
    for name in ("wang_ayi", "nobody_here", "disabled_one"):
        if name == "disabled_one":
            disabled = register(db, username=name, mobile="")
            accounts.set_disabled(db, admin, user_id=disabled.id, disabled=True)
        seen = []
        for step in range(accounts.FREE_LOGIN_FAILURES + 2):
            try:
                accounts.authenticate(db, name, "Spring2026" if name != "wang_ayi" else "Wrong1",
                                      now=at(step * 0.1))
            except (accounts.LoginFailed, accounts.LoginThrottled) as error:
                seen.append(str(error))
        answers[name] = seen
    assert answers["wang_ayi"] == answers["nobody_here"] == answers["disabled_one"]
    assert answers["wang_ayi"][0] == "用户名或密码错误。"
    assert "秒后再试" in answers["wang_ayi"][-1]


def test_an_unknown_name_takes_as_long_as_a_wrong_password(db, place):
    register(db)

    def timed(name: str, step: int) -> float:
        started = time.perf_counter()
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, name, "Wrong2026", now=at(step * 100))
        return time.perf_counter() - started

    timed("nobody_at_all", 0)  # the decoy hash is made once, on first use
    # The fastest of a few runs: other processes sharing the CPU only ever add time. Without
    # the decoy an unknown name is answered about a thousand times faster.
    known = min(timed("wang_ayi", step) for step in range(1, 5))
    unknown = min(timed("nobody_here", step) for step in range(1, 5))
    assert unknown > known * 0.5 and known > unknown * 0.5, (known, unknown)


def test_one_browser_session_trying_many_names_is_slowed_down(db, place):
    register(db)
    mine = [at(second * 0.1) for second in range(accounts.FREE_LOGIN_FAILURES)]
    with pytest.raises(accounts.LoginThrottled):
        accounts.authenticate(db, "wang_ayi", "Spring2026", client_failures=mine, now=at(0.6))
    assert accounts.authenticate(db, "wang_ayi", "Spring2026", client_failures=mine,
                                 now=at(1.5)).username == "wang_ayi"
    assert accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(1.6))  # another browser
    long_ago = [moment - accounts.LOGIN_FAILURE_WINDOW for moment in mine[:4]] + [at(1.65)]
    assert accounts.authenticate(db, "wang_ayi", "Spring2026", client_failures=long_ago,
                                 now=at(1.7))  # a session's old failures expire too


def test_a_successful_login_clears_the_names_failures(db, place):
    register(db)
    for second in range(3):
        fail(db, when=second)
    accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(4))
    assert accounts.login_failure_times(db, "wang_ayi", now=at(4)) == []
    for second in range(accounts.FREE_LOGIN_FAILURES):  # the free failures are free again
        fail(db, when=5 + second * 0.01)


def test_a_session_expires_after_its_days(db, place):
    register(db)
    accounts.start_session(db, "wang_ayi", "token", days=30)
    assert accounts.session_user(db, "token", now=utc_now() + timedelta(days=29)).username \
        == "wang_ayi"
    assert accounts.session_user(db, "token", now=utc_now() + timedelta(days=30, minutes=1)) \
        is None
    assert accounts.session_user(db, "token").username == "wang_ayi"


def test_household_request_after_registration_without_one(db, place):
    user = register(db, place_id=None, room="")
    assert user.household_status == "none"
    with pytest.raises(ValidationError):
        accounts.request_household(db, user, place_id=1, room="")
    accounts.request_household(db, user, place_id=1, room="501")
    assert accounts.user_row(db, user.id)["household_status"] == "pending"
    with pytest.raises(PermissionDenied):
        accounts.request_household(db, User(None, "", "访客", "guest"), place_id=1, room="1")


def test_parallel_guesses_queue_behind_the_backoff_instead_of_slipping_through(db, place,
                                                                                tmp_path):
    import threading

    from lib.core.db import open_db

    register(db)
    for step in range(accounts.FREE_LOGIN_FAILURES - 1):
        fail(db, when=step * 0.01)
    outcomes = []
    start = threading.Barrier(8)

    def guess():
        mine = open_db(tmp_path / "portal.db", migrate=False)
        start.wait()
        try:
            accounts.authenticate(mine, "wang_ayi", "Wrong2026", now=at(1))
        except (accounts.LoginFailed, accounts.LoginThrottled) as error:
            outcomes.append(type(error).__name__)
        finally:
            mine.conn.close()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["LoginFailed"] + ["LoginThrottled"] * 7


def test_a_password_over_bcrypts_72_bytes_never_logs_in(db, place):
    long_one = "Spring2026" + "长" * 30  # bcrypt 5 refuses anything over 72 bytes
    user = register(db)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "wang_ayi", long_one, now=at(0))
    assert not accounts.check_password(accounts.user_row(db, user.id), long_one)


def test_logging_in_and_out_is_in_the_audit_log_with_who_did_it(db, place):
    user = register(db)
    accounts.start_session(db, "WANG_AYI", "token")
    accounts.end_session(db, "token")
    accounts.end_session(db, "token")  # again: already revoked, nothing more is recorded
    rows = list(db.query("SELECT actor_id, action, target_type, target_id FROM audit_log"
                         " WHERE action LIKE 'account.log%' ORDER BY id"))
    assert rows == [
        {"actor_id": user.id, "action": "account.login", "target_type": "user",
         "target_id": str(user.id)},
        {"actor_id": user.id, "action": "account.logout", "target_type": "user",
         "target_id": str(user.id)},
    ]


@pytest.mark.parametrize("password, problem", [
    ("Abcdef1", "密码至少 8 位。"),
    ("Abcdef12", None),
    ("ABCDEFG1", None),
    ("abcdefg1", None),
    ("Ab1" + "x" * 61, None),  # 64 bytes
    ("Ab1" + "x" * 62, "密码太长，请不超过 64 个字节（约 20 个汉字）。"),
    ("abcdefgh", "密码需同时包含字母和数字。"),
    ("12345678", "密码需同时包含字母和数字。"),
    ("PASSWORD1", "密码太容易被猜到，请换一个。"),
    ("xWang_Ayi9", "密码太容易被猜到，请换一个。"),
])
def test_password_rules_at_their_edges(password, problem):
    assert accounts.password_problem(password, "wang_ayi") == problem


@pytest.mark.parametrize("overrides, field, message", [
    ({"display_name": "王" * 21}, "display_name", "请填写 1-20 个字的称呼。"),
    ({"display_name": "王\n阿姨"}, "display_name", "请填写 1-20 个字的称呼。"),
    ({"username": "9lives"}, "username", "用户名为 3-20 位小写字母、数字或下划线，以字母开头。"),
    ({"password_repeat": "Spring2027"}, "password_repeat", "两次输入的密码不一致。"),
    ({"place_id": None}, "place", "请选择所住的楼栋。"),  # a room alone is not enough
])
def test_each_refused_field_says_why_in_chinese(db, place, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        register(db, **overrides)
    assert refused.value.fields[field] == message
    assert count_users(db) == 0


def test_registration_normalises_the_username_and_is_audited(db, place):
    user = register(db, username=" Wang_Ayi ", display_name="王" * 20)
    assert user.username == "wang_ayi" and user.display_name == "王" * 20
    row = next(db.query("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                        " WHERE action = 'account.register'"))
    assert (row["actor_id"], row["target_type"], row["target_id"]) == (user.id, "user",
                                                                       str(user.id))
    assert "wang_ayi" in row["detail"]


# --- behaviour pinned down by the mutation review (make mutate) ---------------------------------

def test_staff_find_users_by_name_mobile_or_username_with_their_room_and_residents_cannot(
        db, place, make_user):
    staff = make_user("staff")
    wang = register(db)
    accounts.verify_household(db, staff, user_id=wang.id, approve=True)
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


def test_a_resident_hides_and_shows_their_name_on_public_lists(db, place):
    user = register(db)
    accounts.set_privacy(db, user, show_name_publicly=False)
    assert accounts.load_user(db, user.id).show_name_publicly is False
    accounts.set_privacy(db, user, show_name_publicly=True)
    assert accounts.load_user(db, user.id).show_name_publicly is True
    with pytest.raises(PermissionDenied):
        accounts.set_privacy(db, GUEST_USER, show_name_publicly=False)


def test_the_household_summary_shows_the_request_then_the_verified_room(db, place, make_user):
    user = register(db, room="302室")
    assert accounts.household_summary(db, user) == "1栋1单元 302"
    verified = accounts.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    db.execute("UPDATE users SET requested_room = NULL WHERE id = ?", (user.id,))
    assert accounts.household_summary(db, verified) == "1栋1单元 302"
    assert accounts.household_summary(db, make_user("resident")) == ""


def test_a_household_decision_is_audited_and_a_settled_one_cannot_be_reversed(
        db, place, make_user):
    staff = make_user("staff")
    user = register(db)
    accounts.verify_household(db, staff, user_id=user.id, approve=False, reason="查无此户")
    again = accounts.verify_household(db, staff, user_id=user.id, approve=False, reason="再次")
    assert again.household_status == "rejected"
    with pytest.raises(ValidationError) as caught:
        accounts.verify_household(db, staff, user_id=user.id, approve=True)
    assert str(caught.value) == "该用户没有待核实的住户信息。"
    rows = list(db.query("SELECT actor_id, action, target_type, target_id, detail FROM audit_log"
                         " WHERE action LIKE 'household.%'"))
    assert [(r["actor_id"], r["action"], r["target_type"], r["target_id"]) for r in rows] == [
        (staff.id, "household.reject", "user", str(user.id))]
    assert json.loads(rows[0]["detail"]) == {"place": "1-1", "room": "302", "reason": "查无此户"}
    assert accounts.user_row(db, user.id)["household_status"] == "rejected"


def test_a_leader_of_another_micro_grid_is_told_why_in_chinese(db, place, make_user):
    user = register(db)
    with pytest.raises(PermissionDenied) as caught:
        accounts.verify_household(db, make_user("leader", leads_microgrid_id=2), user_id=user.id,
                                  approve=True)
    assert str(caught.value) == "您只能核实自己负责的微网格内的住户。"


def test_one_of_two_admins_can_be_demoted_and_the_refusals_say_why(db, place, make_user):
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


def test_sessions_ended_by_an_admin_record_why(db, place, make_user):
    admin = make_user("admin")
    user = register(db)
    accounts.start_session(db, user.username, "phone")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    accounts.start_session(db, user.username, "tablet")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    assert [r[0] for r in db.execute("SELECT revoked_reason FROM sessions WHERE user_id = ?"
                                     " ORDER BY id", (user.id,))] == ["password", "disabled"]
    with pytest.raises(ValidationError) as caught:
        accounts.set_disabled(db, admin, user_id=admin.id, disabled=True)
    assert str(caught.value) == "不能停用自己的账号。"


def audit_rows(db, pattern):
    """(actor, action, target type, target id, detail) of the audit entries matching pattern."""
    return [(r["actor_id"], r["action"], r["target_type"], r["target_id"],
             json.loads(r["detail"]) if r["detail"] else None)
            for r in db.query("SELECT * FROM audit_log WHERE action LIKE ? ORDER BY id",
                              (pattern,))]


def test_a_household_request_names_the_refused_field_and_is_audited_once(db, place):
    user = register(db, place_id=None, room="")
    for place_id in (None, 999):
        with pytest.raises(ValidationError) as caught:
            accounts.request_household(db, user, place_id=place_id, room="501")
        assert caught.value.fields == {"place": "请选择所住的楼栋。"}
    assert accounts.user_row(db, user.id)["household_status"] == "none"
    accounts.request_household(db, user, place_id=1, room="501")
    assert audit_rows(db, "household.%") == [
        (user.id, "household.request", "user", str(user.id), {"room": "501"})]


def test_a_pending_or_verified_household_cannot_be_requested_again(db, place, make_user):
    user = register(db)
    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            accounts.request_household(db, user, place_id=2, room="101")
        assert str(caught.value) == "您已提交过住户信息。"
        row = accounts.user_row(db, user.id)
        assert (row["requested_place_id"], row["requested_room"]) == (1, "302")
        accounts.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    assert audit_rows(db, "household.request") == []


def test_a_rejection_without_a_reason_names_the_field_and_leaves_the_request_pending(
        db, place, make_user):
    user = register(db)
    with pytest.raises(ValidationError) as caught:
        accounts.verify_household(db, make_user("staff"), user_id=user.id, approve=False,
                                  reason="  ")
    assert caught.value.fields == {"reason": "请填写未通过的原因。"}
    assert accounts.user_row(db, user.id)["household_status"] == "pending"
    assert audit_rows(db, "household.%") == []


def test_an_approval_is_audited_with_the_leader_building_and_room(db, place, make_user):
    leader = make_user("leader", leads_microgrid_id=1)
    user = register(db)
    accounts.verify_household(db, leader, user_id=user.id, approve=True)
    assert audit_rows(db, "household.%") == [
        (leader.id, "household.verify", "user", str(user.id),
         {"place": "1-1", "room": "302", "reason": ""})]


def test_a_request_for_a_building_that_is_gone_is_not_found(db, place, make_user):
    user = register(db)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE users SET requested_place_id = 999 WHERE id = ?", (user.id,))
    with pytest.raises(accounts.NotFound) as caught:
        accounts.verify_household(db, make_user("staff"), user_id=user.id, approve=True)
    assert str(caught.value) == "找不到该楼栋。"
    assert accounts.user_row(db, user.id)["household_status"] == "pending"


def test_an_unknown_user_is_not_found_in_chinese(db, place):
    with pytest.raises(accounts.NotFound) as caught:
        accounts.user_row(db, 999)
    assert str(caught.value) == "找不到该用户。"
    with pytest.raises(accounts.NotFound) as caught:
        accounts.start_session(db, "nobody", "token")
    assert str(caught.value) == "找不到该用户。"


def test_a_leader_needs_a_micro_grid_that_exists_and_the_change_is_audited(db, place, make_user):
    admin, user = make_user("admin"), make_user("resident")
    with pytest.raises(ValidationError) as caught:
        accounts.change_role(db, admin, user_id=user.id, role="leader", leads_microgrid_id=99)
    assert caught.value.fields == {"microgrid": "请选择该微网格长负责的微网格。"}
    assert accounts.user_row(db, user.id)["role"] == "resident"
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
    assert accounts.load_user(db, last.id) is not None
    assert audit_rows(db, "user.%able") == []


def test_disabling_and_enabling_are_audited_with_the_admin_and_the_account(db, make_user):
    admin, user = make_user("admin"), make_user("resident")
    accounts.set_disabled(db, admin, user_id=user.id, disabled=True)
    accounts.set_disabled(db, admin, user_id=user.id, disabled=False)
    assert audit_rows(db, "user.%able") == [
        (admin.id, "user.disable", "user", str(user.id), None),
        (admin.id, "user.enable", "user", str(user.id), None)]
    assert accounts.load_user(db, user.id) is not None


def test_a_reset_password_containing_the_username_is_refused_and_a_good_one_audited(
        db, place, make_user):
    admin = make_user("admin")
    user = register(db)
    with pytest.raises(ValidationError) as caught:
        accounts.reset_password(db, admin, user_id=user.id, new_password="Wang_ayi2027")
    assert caught.value.fields == {"password": "密码太容易被猜到，请换一个。"}
    assert accounts.check_password(accounts.user_row(db, user.id), "Spring2026")
    accounts.reset_password(db, admin, user_id=user.id, new_password="Autumn2026")
    assert audit_rows(db, "%password") == [
        (admin.id, "user.reset_password", "user", str(user.id), None)]


@pytest.mark.parametrize("old, new, repeat, fields", [
    ("Spring2027", "Winter2026", "Winter2026", {"old_password": "原密码不正确。"}),
    ("Spring2026", "wang_ayi2027", "wang_ayi2027", {"password": "密码太容易被猜到，请换一个。"}),
    ("Spring2026", "Winter2026", "Winter2027", {"password_repeat": "两次输入的密码不一致。"}),
])
def test_a_refused_own_password_change_names_the_field_and_keeps_the_old_password(
        db, place, old, new, repeat, fields):
    user = register(db)
    accounts.start_session(db, user.username, "phone")
    with pytest.raises(ValidationError) as caught:
        accounts.change_own_password(db, user, old_password=old, new_password=new,
                                     new_password_repeat=repeat)
    assert caught.value.fields == fields
    assert accounts.check_password(accounts.user_row(db, user.id), "Spring2026")
    assert accounts.session_user(db, "phone").id == user.id
    assert audit_rows(db, "%password") == []


def test_an_own_password_change_is_audited_as_the_users_own(db, place):
    user = register(db)
    accounts.change_own_password(db, user, old_password="Spring2026", new_password="Winter2026",
                                 new_password_repeat="Winter2026")
    assert audit_rows(db, "%password") == [
        (user.id, "account.change_password", "user", str(user.id), None)]


def test_registration_refusals_are_exact_in_chinese(db, place):
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


def test_a_password_without_a_username_is_judged_on_its_own():
    assert accounts.password_problem("Xxxx2026") is None


def test_a_missing_name_or_password_never_logs_in_even_as_a_placeholder_account(
        db, place, make_user):
    make_user("resident", username="xxxx", password_hash=accounts.hash_password("XXXX"))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, None, "XXXX", now=at(0))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "xxxx", None, now=at(1))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "nobody", None, now=at(2))
    with pytest.raises(accounts.NotFound):
        accounts.start_session(db, None, "token")


def test_a_blank_name_never_matches_an_account_with_a_blank_username(db, place, make_user):
    user = make_user("resident", password_hash=accounts.hash_password("Spring2026"))
    db.execute("UPDATE users SET username = '' WHERE id = ?", (user.id,))
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "  ", "Spring2026", now=at(0))


def test_login_names_are_cut_at_40_characters_and_lowercased(db, place):
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "A" * 41, "Spring2026", now=at(0))
    assert [r["username"] for r in db.query("SELECT username FROM login_failures")] == ["a" * 40]


def test_login_failures_are_stored_in_utc_whatever_the_server_zone(db, place, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(db, "wang_ayi", "Spring2026", now=at(0))
        stored = scalar(db, "SELECT at FROM login_failures")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert stored.endswith("+00:00")


def test_a_failure_exactly_at_the_window_edge_no_longer_counts():
    now = at(0)
    fails = [now - accounts.LOGIN_FAILURE_WINDOW] + [now] * 4
    assert accounts.login_wait(fails, now) == 0.0
    assert accounts.login_wait([now] * 5, now) == 1.0


def test_a_session_token_up_to_4096_characters_is_honoured_and_longer_or_odd_ones_are_not(
        db, place):
    register(db)
    for token in ("t" * 4096, "u" * 4097):
        accounts.start_session(db, "wang_ayi", token)
    assert accounts.session_user(db, "t" * 4096).username == "wang_ayi"
    assert accounts.session_user(db, "u" * 4097) is None
    assert accounts.session_user(db, 12345) is None
    assert accounts.session_user(db, "") is None


def test_a_plain_logout_records_logout_as_the_reason(db, place):
    register(db)
    accounts.start_session(db, "wang_ayi", "token")
    accounts.end_session(db, "token")
    assert scalar(db, "SELECT revoked_reason FROM sessions") == "logout"


def test_search_without_a_query_lists_everyone_up_to_fifty(db, make_user):
    staff = make_user("staff")
    for _ in range(51):
        make_user("resident")
    found = accounts.search_users(db, staff)
    assert len(found) == 50 and found[0]["id"] == staff.id


def test_roles_are_labelled_in_chinese_and_unknown_ones_shown_as_they_are():
    assert accounts.role_label("admin") == accounts.ROLE_LABELS["admin"] != "admin"
    assert accounts.role_label("mystery") == "mystery"


def test_a_new_secret_carries_24_random_bytes():
    assert len(accounts.new_secret()) == 32
    assert accounts.new_secret() != accounts.new_secret()
