"""Passwords: how they are hashed and checked, and what counts as too weak.

Kept apart from the accounts and the login throttle so the one place that touches bcrypt can be
read (and its cost lowered in tests) on its own. Passwords are never stored or logged in clear.
"""
from __future__ import annotations

import functools
import re
import secrets

import bcrypt


BCRYPT_ROUNDS = 12  # bcrypt's default cost: about a quarter of a second per check
PASSWORD_MIN_CHARS, PASSWORD_MAX_BYTES = 8, 64  # bcrypt reads only the first 72 bytes
COMMON_PASSWORDS = {"password1", "12345678a", "a12345678", "qwerty123", "abc12345", "admin123"}


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak, in Chinese, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_CHARS:
        return f"密码至少 {PASSWORD_MIN_CHARS} 位。"
    if len(password.encode()) > PASSWORD_MAX_BYTES:
        return f"密码太长，请不超过 {PASSWORD_MAX_BYTES} 个字节（约 20 个汉字）。"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码需同时包含字母和数字。"
    if password.lower() in COMMON_PASSWORDS or (username and username.lower() in password.lower()):
        return "密码太容易被猜到，请换一个。"
    return None


def check_password(row: dict, password: str) -> bool:
    """Whether ``password`` matches the users row's hash; never raises for odd input."""
    try:
        return bcrypt.checkpw(password.encode(), row["password_hash"].encode())
    except ValueError:  # bcrypt 5 refuses passwords over 72 bytes
        return False


@functools.cache
def decoy_hash() -> str:
    """A hash of a random password at the cost real ones have.

    A login for a name that does not exist is checked against it, so the answer takes as long
    as for a real name with a wrong password and the timing tells nobody which names exist.
    """
    return hash_password(secrets.token_urlsafe(16))
