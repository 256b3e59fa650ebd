"""Password hashing (argon2id) and the password rules of OWASP ASVS.

At least 8 characters, long passphrases welcome (up to 256), no composition rules, and the
30,000 most common passwords (plus common French ones) refused.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


def configure_hasher(config) -> None:
    """Use the argon2id cost from the configuration (tests use a cheap one to stay fast)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", 3),
        memory_cost=config.get("ARGON2_MEMORY_KIB", 65536),
        parallelism=config.get("ARGON2_PARALLELISM", 4),
    )
    _DUMMY_HASH = _hasher.hash("dummy password for timing")


# Common in French-speaking countries and missing from the English-centred list.
_FRENCH_COMMON = {
    "motdepasse",
    "motdepasse1",
    "motdepasse123",
    "azertyuiop",
    "azerty123",
    "azertyui",
    "soleil123",
    "bonjour123",
    "doudou123",
    "chouchou",
    "marseille",
    "marseille13",
    "loulou123",
    "jetaime123",
    "coucou123",
    "nicolas1",
    "camille1",
    "football1",
}
# A dummy hash, verified when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("dummy password for timing")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return (
        frozenset(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= MIN_LENGTH) | _FRENCH_COMMON
    )


def password_problem(password: str, username: str | None = None):
    """Return a translated reason why `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    normalised = password.strip().lower()
    if normalised in _common_passwords():
        return _l("This password is too common. Choose another one, for example three words.")
    if len(set(normalised)) <= 2:
        return _l(
            "This password is too easy to guess. Choose another one, for example three words."
        )
    if username and normalised == username.strip().lower():
        return _l("Your password must not be your username.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
