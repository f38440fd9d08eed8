"""Passwords: the strength rule at its edges, and a hash that checks its own password only."""
import pytest

from lib.people import passwords


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
    assert passwords.password_problem(password, "wang_ayi") == problem


def test_a_password_without_a_username_is_judged_on_its_own():
    assert passwords.password_problem("Xxxx2026") is None


def test_a_hash_checks_its_own_password_only_and_is_salted(cheap_bcrypt):
    first, second = passwords.hash_password("Spring2026"), passwords.hash_password("Spring2026")
    assert first != second and first.startswith("$2b$04$")  # salted; the cost tests ask for
    assert passwords.check_password({"password_hash": first}, "Spring2026")
    assert not passwords.check_password({"password_hash": first}, "spring2026")
    assert not passwords.check_password({"password_hash": first}, "Spring2026" + "长" * 30)


def test_the_decoy_hash_is_made_once_and_matches_no_guess(cheap_bcrypt):
    decoy = passwords.decoy_hash()
    assert passwords.decoy_hash() is decoy
    assert not passwords.check_password({"password_hash": decoy}, "Spring2026")
