"""Secrets at rest: argon2id hashes (argon2-cffi, in the ``server`` extra).

API tokens and the secrets of cases opened without an account are stored only as these
hashes; the plain secret is shown once.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from vitalstat.errors import ConfigError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["hash_secret", "verify_secret"]


@cache
def _hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise ConfigError("argon2-cffi is not installed: pip install 'vitalstat[server]'"
                          ) from None
    return PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    """Whether ``secret`` matches ``stored_hash`` (argon2 compares in constant time)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored_hash, secret))
    except (VerificationError, InvalidHashError):
        return False
