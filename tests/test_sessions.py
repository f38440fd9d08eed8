"""Server-side sessions: a cookie logs in until logout, a new password, disabling or expiry."""
from datetime import timedelta

import pytest

from lib.core.clock import utc_now
from lib.core.db import scalar
from lib.core.errors import NotFound
from lib.people import sessions
from tests.people_helpers import register

pytestmark = pytest.mark.usefixtures("cheap_bcrypt")


def test_session_revoked_by_logout_no_longer_identifies_anyone(db, buildings):
    user = register(db)
    sessions.start_session(db, user.username, "cookie-token-1")
    assert sessions.session_user(db, "cookie-token-1").id == user.id
    sessions.end_session(db, "cookie-token-1")
    assert sessions.session_user(db, "cookie-token-1") is None
    assert sessions.session_user(db, "never-issued") is None
    assert sessions.session_user(db, None) is None


def test_a_session_expires_after_its_days(db, buildings):
    register(db)
    sessions.start_session(db, "wang_ayi", "token", days=30)
    assert sessions.session_user(db, "token", now=utc_now() + timedelta(days=29)).username \
        == "wang_ayi"
    assert sessions.session_user(db, "token", now=utc_now() + timedelta(days=30, minutes=1)) \
        is None
    assert sessions.session_user(db, "token").username == "wang_ayi"


def test_logging_in_and_out_is_in_the_audit_log_with_who_did_it(db, buildings):
    user = register(db)
    sessions.start_session(db, "WANG_AYI", "token")
    sessions.end_session(db, "token")
    sessions.end_session(db, "token")  # again: already revoked, nothing more is recorded
    rows = list(db.query("SELECT actor_id, action, target_type, target_id FROM audit_log"
                         " WHERE action LIKE 'account.log%' ORDER BY id"))
    assert rows == [
        {"actor_id": user.id, "action": "account.login", "target_type": "user",
         "target_id": str(user.id)},
        {"actor_id": user.id, "action": "account.logout", "target_type": "user",
         "target_id": str(user.id)},
    ]


def test_a_session_token_up_to_4096_characters_is_honoured_and_longer_or_odd_ones_are_not(
        db, buildings):
    register(db)
    for token in ("t" * 4096, "u" * 4097):
        sessions.start_session(db, "wang_ayi", token)
    assert sessions.session_user(db, "t" * 4096).username == "wang_ayi"
    assert sessions.session_user(db, "u" * 4097) is None
    assert sessions.session_user(db, 12345) is None
    assert sessions.session_user(db, "") is None


def test_a_plain_logout_records_logout_as_the_reason(db, buildings):
    register(db)
    sessions.start_session(db, "wang_ayi", "token")
    sessions.end_session(db, "token")
    assert scalar(db, "SELECT revoked_reason FROM sessions") == "logout"


def test_a_session_for_an_unknown_name_is_not_started(db):
    with pytest.raises(NotFound) as caught:
        sessions.start_session(db, "nobody", "token")
    assert str(caught.value) == "找不到该用户。"
    assert scalar(db, "SELECT COUNT(*) FROM sessions") == 0
