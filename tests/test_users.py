"""Reading users: a missing one is named in Chinese, a disabled one is nobody."""
import pytest

from lib.core.errors import NotFound
from lib.people import users


def test_an_unknown_user_is_not_found_in_chinese(db):
    with pytest.raises(NotFound) as caught:
        users.user_row(db, 999)
    assert str(caught.value) == "找不到该用户。"


def test_a_disabled_or_missing_user_loads_as_nobody_but_keeps_their_row(db, make_user):
    user = make_user("staff", mobile="13912345678", show_name_publicly=0)
    loaded = users.load_user(db, user.id)
    assert (loaded.username, loaded.role, loaded.mobile, loaded.show_name_publicly) == (
        user.username, "staff", "13912345678", False)
    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (user.id,))
    assert users.load_user(db, user.id) is None
    assert users.user_row(db, user.id)["disabled"] == 1
    assert users.load_user(db, None) is None and users.load_user(db, 999) is None
