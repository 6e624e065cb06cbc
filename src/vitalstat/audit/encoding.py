"""Canonical JSON, and the bytes of one event as a leaf of the audit log.

Canonical JSON (the one definition; ``store.repo`` writes event details with it):

* object keys sorted by Unicode code point (Python's ``sort_keys``), no duplicates;
* no whitespace outside strings (separators ``,`` and ``:``);
* strings as ``json.dumps`` writes them with ``ensure_ascii=False``: UTF-8 text, only
  ``"``, ``\\``, and control characters escaped (``\\n``, ``\\u001f`` ...);
* integers in decimal; ``NaN`` and infinities refused (they are not JSON);
* encoded as UTF-8 bytes (lone surrogates refused).

An event's leaf data is the canonical JSON of the object with exactly the keys
``actor, detail, id, kind, occurred_at, subject``: the ``events`` row as stored, with
``detail`` kept as its stored text (a string), so any change to any byte of a row
changes its leaf.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["EVENT_FIELDS", "canonical_bytes", "canonical_json", "event_leaf"]

#: The ``events`` columns a leaf covers (all of them).
EVENT_FIELDS: tuple[str, ...] = ("actor", "detail", "id", "kind", "occurred_at", "subject")


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (see the module docstring)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON as UTF-8 bytes (raises ``UnicodeEncodeError`` on lone surrogates)."""
    return canonical_json(value).encode("utf-8")


def event_leaf(event: Mapping[str, Any]) -> bytes:
    """The leaf data of one ``events`` row (a mapping with at least :data:`EVENT_FIELDS`)."""
    row = {name: event[name] for name in EVENT_FIELDS}
    row["id"] = int(row["id"])
    return canonical_bytes(row)
