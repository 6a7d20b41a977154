"""Password policy and hashing: argon2id, at least 8 characters, common passwords refused."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    # The 10,000 most used passwords, plus a few local favourites.
    local = {
        "woaini1314",
        "woaini520",
        "5201314",
        "aa123456",
        "qq123456",
        "a123456789",
        "1qaz2wsx",
        "88888888",
        "66666666",
        "11111111",
        "12345678",
        "abc12345",
        "leadloop",
        "password1",
    }
    return frozenset(FREQUENCY_LISTS["passwords"][:10000]) | local


def password_problem(password: str, username: str = "") -> str | None:
    """Return a code for what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(password)) <= 2:
        return "too_common"
    if username and lowered == username.lower():
        return "same_as_username"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified when the username is unknown, so timing does not reveal which usernames exist.
DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")
