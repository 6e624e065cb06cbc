"""API tokens: create (shown once), list, revoke, and authenticate a request's token.

A token is ``vs_<id>_<secret>``: ``id`` (public, 12 hex digits) finds the row, the
secret is checked against its argon2id hash. Argon2 costs tens of milliseconds by
design, so :class:`TokenVerifier` checks it once and then remembers, for ``ttl``
seconds, that this exact token (keyed by an HMAC-SHA-256 of it under a per-process
random key, never the token itself) matched that hash. Every request still reads the
token's row by primary key, so a revoked token is refused at once.

The actor of everything done with a token is the token's ``name`` (the person or
system it was issued to), so the two-person rules see the same person whether they act
through the CLI (``--as NAME``) or the API.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from vitalstat.domain.access import Role
from vitalstat.errors import NotFoundError, UnauthenticatedError, ValidationError
from vitalstat.services.holds import parse_choice
from vitalstat.services.secret_hash import hash_secret, verify_secret
from vitalstat.services.subscribers import get_subscriber
from vitalstat.store import Store
from vitalstat.store.reads import TokenLookup
from vitalstat.store.repo import utc_now

__all__ = ["Identity", "TokenInfo", "TokenVerifier", "create_token", "list_tokens",
           "revoke_token"]

_TOKEN = re.compile(r"vs_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request acts as."""

    name: str
    role: Role
    subscriber: str | None = None
    token_id: str = ""

    @property
    def confined_to(self) -> str | None:
        """The subscriber a subscriber token sees alone (``None``: a staff token). A
        subscriber token naming none is confined to nothing rather than to everything."""
        return (self.subscriber or "") if self.role is Role.SUBSCRIBER else None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    role: Role
    subscriber: str | None
    created_at: str
    created_by: str
    revoked_at: str | None

    @classmethod
    def from_row(cls, row: dict[str, object]) -> TokenInfo:
        return cls(str(row["id"]), str(row["name"]), Role(str(row["role"])),
                   (row["subscriber"] and str(row["subscriber"])) or None,
                   str(row["created_at"]), str(row["created_by"]),
                   (row["revoked_at"] and str(row["revoked_at"])) or None)


def create_token(store: Store, name: str, *, role: str, actor: str,
                 subscriber: str | None = None) -> tuple[str, TokenInfo]:
    """A new token for ``name``; returns the token (shown once) and its stored info."""
    name = name.strip()
    if not name:
        raise ValidationError("a token needs the name of who it is for", field="name")
    kind = parse_choice(Role, role, "role")
    if (kind is Role.SUBSCRIBER) != (subscriber is not None):
        raise ValidationError("a subscriber token needs --subscriber NAME, and only a "
                              "subscriber token takes one", field="subscriber")
    store.check_schema()
    if subscriber is not None:
        subscriber = get_subscriber(store, subscriber).name  # must exist
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = utc_now()
    with store.transaction() as tx:
        tx.insert_token({"id": token_id, "name": name, "role": kind.value,
                         "subscriber": subscriber, "secret_hash": hash_secret(secret),
                         "created_at": now, "created_by": actor})
        tx.append_event(actor=actor, kind="token.created", subject=f"token:{token_id}",
                        detail={"name": name, "role": kind.value, "subscriber": subscriber},
                        at=now)
        row = tx.token_row(token_id)
    assert row is not None
    return f"vs_{token_id}_{secret}", TokenInfo.from_row(row)


def list_tokens(store: Store) -> list[TokenInfo]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [TokenInfo.from_row(r) for r in tx.token_rows()]


def revoke_token(store: Store, token_id: str, *, actor: str) -> TokenInfo:
    """Revoke token ``token_id`` (its public id, as ``token list`` shows it)."""
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        row = tx.token_row(token_id.strip())
        if row is None:
            raise NotFoundError(f"no token with id {token_id!r} (see vitalstat token list)")
        if row["revoked_at"] is None:
            tx.revoke_token(row["id"], now)
            tx.append_event(actor=actor, kind="token.revoked", subject=f"token:{row['id']}",
                            detail={"name": row["name"], "role": row["role"]}, at=now)
        row = tx.token_row(row["id"])
    assert row is not None
    return TokenInfo.from_row(row)


class TokenVerifier:
    """Authenticates tokens: argon2 once per token per ``ttl`` seconds, revocation always."""

    def __init__(self, store: Store, *, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        # HMAC(token) -> (hash it was verified against, when that stops counting)
        self._verified: dict[bytes, tuple[str, float]] = {}
        # one argon2 check at a time per token: a burst of first requests waits for it
        # instead of running (and allocating 64 MiB for) one check each
        self._checking: dict[bytes, threading.Lock] = {}

    def authenticate(self, token: str) -> Identity:
        """The identity ``token`` acts as; ``unauthenticated`` if it is not a live token."""
        token_id, secret = self._parse(token)
        # the row every time: a revocation applies to the very next request
        return self._identity(token, secret, self.store.reads.token_row(token_id))

    def authenticate_lookup(self, token: str, ssn: str) -> tuple[Identity, TokenLookup]:
        """As :meth:`authenticate`, reading with the token, in the same statement, what a
        subscriber's lookup of the normalised ``ssn`` needs (``Store.reads``)."""
        token_id, secret = self._parse(token)
        found = self.store.reads.token_and_lookup(token_id, ssn)
        return self._identity(token, secret, found.token), found

    @staticmethod
    def _parse(token: str) -> tuple[str, str]:
        found = _TOKEN.fullmatch(token.strip())
        if found is None:
            raise UnauthenticatedError("malformed API token (expected vs_<id>_<secret>)")
        return found.group(1), found.group(2)

    def _identity(self, token: str, secret: str, row: dict[str, Any] | None) -> Identity:
        if row is None or row["revoked_at"] is not None:
            raise UnauthenticatedError("unknown or revoked API token")
        stored = str(row["secret_hash"])
        mac = hmac.new(self._key, token.encode(), hashlib.sha256).digest()
        if not self._fresh(mac, stored):
            with self._lock:
                if len(self._checking) >= self.max_entries:
                    self._checking.clear()
                checking = self._checking.setdefault(mac, threading.Lock())
            with checking:
                if not self._fresh(mac, stored):
                    if not verify_secret(stored, secret):
                        raise UnauthenticatedError("unknown or revoked API token")
                    with self._lock:
                        if len(self._verified) >= self.max_entries:
                            self._verified.clear()
                            self._checking.clear()
                        self._verified[mac] = (stored, time.monotonic() + self.ttl)
        return Identity(str(row["name"]), Role(str(row["role"])),
                        (row["subscriber"] and str(row["subscriber"])) or None,
                        str(row["id"]))

    def _fresh(self, mac: bytes, stored: str) -> bool:
        """Whether this token was verified against ``stored`` less than ``ttl`` ago."""
        with self._lock:
            cached = self._verified.get(mac)
        return (cached is not None and cached[1] >= time.monotonic()
                and hmac.compare_digest(cached[0], stored))
