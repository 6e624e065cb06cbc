"""Regenerate ``golden/audit.json`` (only when a format changes on purpose):

    .venv/bin/python tests/audit/golden_values.py > tests/audit/golden/audit.json

The tests compare today's code with the pinned file, never with this script.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vitalstat.audit.checkpoint import Checkpoint, sign_checkpoint
from vitalstat.audit.encoding import event_leaf
from vitalstat.audit.merkle import MerkleTree, leaf_hash

#: The leaf inputs of the Certificate Transparency / Trillian reference tests.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]
EVENTS = [
    {"id": 1, "occurred_at": "2026-12-01T08:00:00.000000+00:00", "actor": "clara",
     "kind": "registry.migrated", "subject": "registry", "detail": '{"revision":"0005"}'},
    {"id": 2, "occurred_at": "2026-12-01T08:00:01.000000+00:00", "actor": "Zoë Ñúñez",
     "kind": "source.registered", "subject": "source:family/fam-1",
     "detail": '{"kind":"family","source_id":"fam-1"}'},
    {"id": 4, "occurred_at": "2026-12-01T08:00:02.000000+00:00", "actor": "clara",
     "kind": "reports.ingested", "subject": "batch:1",
     "detail": '{"file":"f.csv","lines":2,"note":"tab\\there \\"quoted\\""}'},
]
SEED = bytes(range(32))
KEY_ID = "0123456789ABCDEF"


def golden() -> dict[str, Any]:
    tree = MerkleTree(leaf_hash(bytes.fromhex(x)) for x in CT_LEAVES)
    leaves = [event_leaf(e) for e in EVENTS]
    events_tree = MerkleTree(leaf_hash(x) for x in leaves)
    cp = Checkpoint(events_tree.size, events_tree.root(), EVENTS[-1]["occurred_at"])
    signed = sign_checkpoint(cp, Ed25519PrivateKey.from_private_bytes(SEED), KEY_ID)
    return {
        "ct_leaves": CT_LEAVES,
        "ct_roots": [tree.root(n).hex() for n in range(9)],
        "ct_inclusion": [{"index": i, "size": n,
                          "path": [p.hex() for p in tree.inclusion_proof(i, n)]}
                         for n in range(1, 9) for i in range(n)],
        "ct_consistency": [{"first": m, "second": n,
                            "path": [p.hex() for p in tree.consistency_proof(m, n)]}
                           for n in range(1, 9) for m in range(1, n + 1)],
        "events": EVENTS,
        "event_leaves": [x.decode("utf-8") for x in leaves],
        "event_leaf_hashes": [leaf_hash(x).hex() for x in leaves],
        "events_root": events_tree.root().hex(),
        "checkpoint_body": cp.body().decode(),
        "checkpoint": signed.as_json(),
    }


if __name__ == "__main__":
    print(json.dumps(golden(), indent=1, ensure_ascii=False))
