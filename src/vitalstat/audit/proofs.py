"""Proof documents a third party checks without the registry: build them, check them.

An inclusion proof (JSON object)::

    {"format": "vitalstat-audit-proof/1", "proof": "inclusion",
     "event_id": 7, "leaf_index": 6, "leaf": "<the event's leaf data, canonical JSON>",
     "path": ["<hex>", ...], "checkpoint": {<signed checkpoint, see checkpoint.py>}}

A consistency proof: ``"proof": "consistency"``, ``"first"`` and ``"second"`` (signed
checkpoints) and ``"path"``. :func:`check_proof` checks the signature(s) with the trusted
keys, then the path with the RFC 9162 algorithms; for an inclusion proof it hashes the
leaf data itself, so the event shown is the event proven.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from vitalstat.audit.checkpoint import SignedCheckpoint
from vitalstat.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from vitalstat.errors import ProofError, ValidationError

__all__ = ["FORMAT", "check_proof", "consistency_document", "inclusion_document"]

FORMAT = "vitalstat-audit-proof/1"


def inclusion_document(event_id: int, index: int, leaf: bytes, path: Sequence[bytes],
                       checkpoint: SignedCheckpoint) -> dict[str, Any]:
    return {"format": FORMAT, "proof": "inclusion", "event_id": event_id,
            "leaf_index": index, "leaf": leaf.decode("utf-8"),
            "path": [p.hex() for p in path], "checkpoint": checkpoint.as_json()}


def consistency_document(first: SignedCheckpoint, second: SignedCheckpoint,
                         path: Sequence[bytes]) -> dict[str, Any]:
    return {"format": FORMAT, "proof": "consistency", "first": first.as_json(),
            "second": second.as_json(), "path": [p.hex() for p in path]}


def _path(doc: Mapping[str, Any]) -> list[bytes]:
    path = doc.get("path")
    if not isinstance(path, list) or not all(
            isinstance(p, str) and re.fullmatch(r"[0-9a-f]{64}", p) for p in path):
        raise ProofError("path must be a list of 64-hex-digit hashes", field="path")
    return [bytes.fromhex(p) for p in path]


def _checkpoint(doc: Mapping[str, Any], name: str, trusted: Mapping[str, bytes]
                ) -> SignedCheckpoint:
    try:
        sc = SignedCheckpoint.from_json(doc.get(name), source=name)
    except ValidationError as exc:
        raise ProofError(str(exc), field=name) from None
    if not sc.verifies(trusted):
        known = ", ".join(sorted(trusted)) or "none"
        raise ProofError(f"the {name}'s signature does not verify (signed by key "
                         f"{sc.key_id}; trusted: {known})", field=name)
    return sc


def check_proof(doc: Any, trusted: Mapping[str, bytes],
                pinned: SignedCheckpoint | None = None) -> str:
    """Check a proof document; returns a one-line summary, raises :class:`ProofError`.

    ``pinned``: a checkpoint the checker already trusts (a release's ``checkpoint.json``):
    an inclusion proof must be against it, a consistency proof must start from it.
    """
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        raise ProofError(f"not a {FORMAT} document", field="format")
    kind = doc.get("proof")
    path = _path(doc)
    if kind == "inclusion":
        sc = _checkpoint(doc, "checkpoint", trusted)
        index, event_id, leaf = doc.get("leaf_index"), doc.get("event_id"), doc.get("leaf")
        if not isinstance(index, int) or not isinstance(leaf, str):
            raise ProofError("leaf_index must be a number and leaf a string", field="leaf")
        try:
            shown = json.loads(leaf)
        except ValueError:
            raise ProofError("leaf is not JSON", field="leaf") from None
        if not isinstance(shown, dict) or shown.get("id") != event_id:
            raise ProofError(f"the leaf is not event {event_id}", field="event_id")
        if pinned is not None and sc != pinned:
            raise ProofError("the proof is against another checkpoint than the pinned one",
                             field="checkpoint")
        if not verify_inclusion(leaf_hash(leaf.encode("utf-8")), index, sc.size, path,
                                sc.root):
            raise ProofError(f"event {event_id} is NOT proven to be leaf {index} of the "
                             f"checkpoint of size {sc.size}", field="path")
        return (f"ok: event {event_id} ({shown.get('kind')}) is leaf {index} of the log of "
                f"{sc.size} entries signed by key {sc.key_id} (root {sc.root.hex()})")
    if kind == "consistency":
        first = _checkpoint(doc, "first", trusted)
        second = _checkpoint(doc, "second", trusted)
        if pinned is not None and first != pinned:
            raise ProofError("the proof does not start from the pinned checkpoint",
                             field="first")
        if not verify_consistency(first.size, second.size, first.root, second.root, path):
            raise ProofError(f"the log of {second.size} entries is NOT proven to extend the "
                             f"log of {first.size}", field="path")
        return (f"ok: the log of {second.size} entries (root {second.root.hex()}) extends "
                f"the log of {first.size} (root {first.root.hex()}); both signed")
    raise ProofError("proof must be 'inclusion' or 'consistency'", field="proof")
