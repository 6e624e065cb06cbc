"""Idempotency keys: a request sent again with the same key gets the same answer.

The answer (status and JSON body) is stored per (actor, key) with the SHA-256 of the
request. The same key with the same request replays the stored answer and changes
nothing; the same key with another request is refused (``idempotency-key-reused``).
Two identical requests racing with one key both run the use case, which is idempotent
itself (ingesting the same reports twice changes nothing); the first answer stored wins.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vitalstat.errors import ConflictError, IdempotencyKeyReused, ValidationError
from vitalstat.store import Store
from vitalstat.store.repo import canonical_json, utc_now

__all__ = ["MAX_KEY_LENGTH", "remember", "replay", "request_digest"]

MAX_KEY_LENGTH = 200


def request_digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(f"must be 1-{MAX_KEY_LENGTH} printable characters",
                              field="Idempotency-Key")
    return key


def replay(store: Store, actor: str, key: str, digest: str) -> tuple[int, Any] | None:
    """The stored answer for this key, or ``None`` if the key is new."""
    key = _check_key(key)
    with store.transaction(write=False) as tx:
        row = tx.idempotent_answer(actor, key)
    if row is None:
        return None
    if row["request_sha256"] != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different "
                                   "request: use a new key for a new request")
    return int(row["status"]), json.loads(row["response"])


def remember(store: Store, actor: str, key: str, digest: str, status: int,
             body: Any) -> tuple[int, Any]:
    """Store the answer; if a racing request stored one first, return that one."""
    key = _check_key(key)
    try:
        with store.transaction() as tx:
            tx.insert_idempotent_answer({"actor": actor, "key": key, "request_sha256": digest,
                                         "status": status, "response": canonical_json(body),
                                         "created_at": utc_now()})
    except ConflictError:
        earlier = replay(store, actor, key, digest)
        if earlier is not None:
            return earlier
        raise
    return status, body
