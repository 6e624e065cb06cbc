"""The verifiable audit log: every event a leaf of an RFC 9162 Merkle tree, signed
checkpoints, inclusion and consistency proofs. Pure maths; storage behind ``log.LogStorage``.

* ``encoding``: canonical JSON and an event's leaf bytes;
* ``merkle``: leaf/node hashing, tree heads, proofs and their checks;
* ``checkpoint``: the signed (size, root, time) statement;
* ``log``: checking a whole stored log, naming the first bad entry;
* ``proofs``: proof documents for third parties; ``verify``: their stand-alone checker.
"""

from __future__ import annotations

from vitalstat.audit.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from vitalstat.audit.encoding import canonical_json, event_leaf
from vitalstat.audit.log import Entry, LogVerdict, StoredCheckpoint, StoredLeaf, verify_log
from vitalstat.audit.merkle import (
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from vitalstat.audit.proofs import check_proof

__all__ = [
    "Checkpoint",
    "Entry",
    "LogVerdict",
    "MerkleTree",
    "SignedCheckpoint",
    "StoredCheckpoint",
    "StoredLeaf",
    "canonical_json",
    "check_proof",
    "event_leaf",
    "leaf_hash",
    "node_hash",
    "sign_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
]
