"""Logging in: the right password, the backoff that never locks the owner out, unknown names."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from lib.core.db import scalar
from lib.core.errors import LoginFailed, LoginThrottled, NotFound
from lib.people import accounts, login, passwords, sessions, users
from tests.people_helpers import register

TIMING_TEST = "test_an_unknown_name_takes_as_long_as_a_wrong_password"


@pytest.fixture(autouse=True)
def bcrypt_cost(request):
    """Cheap bcrypt, except for the timing test: its comparison needs the real cost."""
    if request.node.originalname != TIMING_TEST:
        request.getfixturevalue("cheap_bcrypt")


T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fail(db, name="wang_ayi", when=0.0, **options):
    with pytest.raises(LoginFailed):
        login.authenticate(db, name, "Wrong2026", now=at(when), **options)


def test_the_right_password_logs_in_and_a_wrong_one_is_refused_in_chinese(db, buildings):
    register(db)
    assert login.authenticate(db, " Wang_Ayi ", "Spring2026", now=at(0)).username == "wang_ayi"
    with pytest.raises(LoginFailed) as caught:
        login.authenticate(db, "wang_ayi", "Spring2026 ", now=at(1))
    assert str(caught.value) == "用户名或密码错误。"


def test_the_backoff_starts_after_five_failures_doubles_and_stops_at_a_minute():
    waits = [login.login_backoff_seconds(n) for n in range(14)]
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_after_five_failures_the_next_attempt_waits_and_is_not_even_checked(db, buildings):
    register(db)
    for second in range(login.FREE_LOGIN_FAILURES):
        fail(db, when=second * 0.1)  # five quick failures cost nothing
    last = (login.FREE_LOGIN_FAILURES - 1) * 0.1
    with pytest.raises(LoginThrottled) as caught:  # the right password, too early
        login.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 0.5))
    assert caught.value.retry_after == 1 and "请 1 秒后再试" in str(caught.value)
    assert len(login.login_failure_times(db, "wang_ayi", now=at(last + 0.5))) == 5  # not counted
    fail(db, when=last + 1.0)  # after the wait it is checked again: the sixth failure
    with pytest.raises(LoginThrottled) as caught:
        login.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 2.5))
    assert caught.value.retry_after == 1  # 2 s after the sixth
    assert login.authenticate(db, "wang_ayi", "Spring2026", now=at(last + 3.0)).username \
        == "wang_ayi"


def test_an_attacker_cannot_lock_the_owner_out_for_more_than_a_minute(db, buildings):
    register(db)
    moment = 0.0
    for _ in range(15):  # an attacker guessing as fast as the backoff lets them
        moment += 60.0
        fail(db, when=moment)
    with pytest.raises(LoginThrottled) as caught:
        login.authenticate(db, "wang_ayi", "Spring2026", now=at(moment + 1))
    assert caught.value.retry_after == 59
    assert login.authenticate(db, "wang_ayi", "Spring2026", now=at(moment + 60)).id


def test_a_failure_older_than_the_window_no_longer_counts(db, buildings):
    register(db)
    for second in range(login.FREE_LOGIN_FAILURES):
        fail(db, when=second)
    later = login.LOGIN_FAILURE_WINDOW.total_seconds() + 10
    assert login.login_failure_times(db, "wang_ayi", now=at(later)) == []
    fail(db, when=later)  # counted alone: the five are out of the window
    fail(db, when=later + 0.01)  # would have to wait 2 s if the old five still counted
    assert len(login.login_failure_times(db, "wang_ayi", now=at(later + 0.01))) == 2
    assert scalar(db, "SELECT COUNT(*) FROM login_failures") == 2  # old rows are deleted


def test_a_name_that_does_not_exist_is_answered_and_throttled_exactly_alike(db, buildings,
                                                                             make_user):
    register(db)
    admin = make_user("admin")
    answers = {}
    for name in ("wang_ayi", "nobody_here", "disabled_one"):
        if name == "disabled_one":
            disabled = register(db, username=name, mobile="")
            accounts.set_disabled(db, admin, user_id=disabled.id, disabled=True)
        seen = []
        for step in range(login.FREE_LOGIN_FAILURES + 2):
            try:
                login.authenticate(db, name, "Spring2026" if name != "wang_ayi" else "Wrong1",
                                      now=at(step * 0.1))
            except (LoginFailed, LoginThrottled) as error:
                seen.append(str(error))
        answers[name] = seen
    assert answers["wang_ayi"] == answers["nobody_here"] == answers["disabled_one"]
    assert answers["wang_ayi"][0] == "用户名或密码错误。"
    assert "秒后再试" in answers["wang_ayi"][-1]


def test_an_unknown_name_takes_as_long_as_a_wrong_password(db, buildings):
    register(db)

    def timed(name: str, step: int) -> float:
        started = time.perf_counter()
        with pytest.raises(LoginFailed):
            login.authenticate(db, name, "Wrong2026", now=at(step * 100))
        return time.perf_counter() - started

    timed("nobody_at_all", 0)  # the decoy hash is made once, on first use
    # The fastest of a few runs: other processes sharing the CPU only ever add time. Without
    # the decoy an unknown name is answered about a thousand times faster.
    known = min(timed("wang_ayi", step) for step in range(1, 5))
    unknown = min(timed("nobody_here", step) for step in range(1, 5))
    assert unknown > known * 0.5 and known > unknown * 0.5, (known, unknown)


def test_one_browser_session_trying_many_names_is_slowed_down(db, buildings):
    register(db)
    mine = [at(second * 0.1) for second in range(login.FREE_LOGIN_FAILURES)]
    with pytest.raises(LoginThrottled):
        login.authenticate(db, "wang_ayi", "Spring2026", client_failures=mine, now=at(0.6))
    assert login.authenticate(db, "wang_ayi", "Spring2026", client_failures=mine,
                                 now=at(1.5)).username == "wang_ayi"
    assert login.authenticate(db, "wang_ayi", "Spring2026", now=at(1.6))  # another browser
    long_ago = [moment - login.LOGIN_FAILURE_WINDOW for moment in mine[:4]] + [at(1.65)]
    assert login.authenticate(db, "wang_ayi", "Spring2026", client_failures=long_ago,
                                 now=at(1.7))  # a session's old failures expire too


def test_a_successful_login_clears_the_names_failures(db, buildings):
    register(db)
    for second in range(3):
        fail(db, when=second)
    login.authenticate(db, "wang_ayi", "Spring2026", now=at(4))
    assert login.login_failure_times(db, "wang_ayi", now=at(4)) == []
    for second in range(login.FREE_LOGIN_FAILURES):  # the free failures are free again
        fail(db, when=5 + second * 0.01)


def test_parallel_guesses_queue_behind_the_backoff_instead_of_slipping_through(db, buildings,
                                                                                tmp_path):
    import threading

    from lib.core.db import open_db

    register(db)
    for step in range(login.FREE_LOGIN_FAILURES - 1):
        fail(db, when=step * 0.01)
    outcomes = []
    start = threading.Barrier(8)

    def guess():
        mine = open_db(tmp_path / "portal.db", migrate=False)
        start.wait()
        try:
            login.authenticate(mine, "wang_ayi", "Wrong2026", now=at(1))
        except (LoginFailed, LoginThrottled) as error:
            outcomes.append(type(error).__name__)
        finally:
            mine.conn.close()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["LoginFailed"] + ["LoginThrottled"] * 7


def test_a_password_over_bcrypts_72_bytes_never_logs_in(db, buildings):
    long_one = "Spring2026" + "长" * 30  # bcrypt 5 refuses anything over 72 bytes
    user = register(db)
    with pytest.raises(LoginFailed):
        login.authenticate(db, "wang_ayi", long_one, now=at(0))
    assert not passwords.check_password(users.user_row(db, user.id), long_one)


def test_a_missing_name_or_password_never_logs_in_even_as_a_placeholder_account(
        db, buildings, make_user):
    make_user("resident", username="xxxx", password_hash=passwords.hash_password("XXXX"))
    with pytest.raises(LoginFailed):
        login.authenticate(db, None, "XXXX", now=at(0))
    with pytest.raises(LoginFailed):
        login.authenticate(db, "xxxx", None, now=at(1))
    with pytest.raises(LoginFailed):
        login.authenticate(db, "nobody", None, now=at(2))
    with pytest.raises(NotFound):
        sessions.start_session(db, None, "token")


def test_a_blank_name_never_matches_an_account_with_a_blank_username(db, buildings, make_user):
    user = make_user("resident", password_hash=passwords.hash_password("Spring2026"))
    db.execute("UPDATE users SET username = '' WHERE id = ?", (user.id,))
    with pytest.raises(LoginFailed):
        login.authenticate(db, "  ", "Spring2026", now=at(0))


def test_login_names_are_cut_at_40_characters_and_lowercased(db, buildings):
    with pytest.raises(LoginFailed):
        login.authenticate(db, "A" * 41, "Spring2026", now=at(0))
    assert [r["username"] for r in db.query("SELECT username FROM login_failures")] == ["a" * 40]


def test_login_failures_are_stored_in_utc_whatever_the_server_zone(db, buildings, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        with pytest.raises(LoginFailed):
            login.authenticate(db, "wang_ayi", "Spring2026", now=at(0))
        stored = scalar(db, "SELECT at FROM login_failures")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert stored.endswith("+00:00")


def test_a_failure_exactly_at_the_window_edge_no_longer_counts():
    now = at(0)
    fails = [now - login.LOGIN_FAILURE_WINDOW] + [now] * 4
    assert login.login_wait(fails, now) == 0.0
    assert login.login_wait([now] * 5, now) == 1.0


def test_a_browser_session_keeps_only_the_failures_that_still_count():
    old, recent = at(0), at(60)
    now = old + login.LOGIN_FAILURE_WINDOW
    assert login.client_failures_after([old, recent], now) == [recent, now]
    assert login.client_failures_after([], at(5)) == [at(5)]
