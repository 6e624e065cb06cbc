"""The audit log as a service: write signed checkpoints, verify the log, hand out proofs.

Every row of ``events`` is a leaf, in id order, from event 1 on. A checkpoint (one
transaction): lock out event writers (``Tx.lock_event_log``), append the leaf hashes of
events not yet logged to ``audit_leaves``, check that the logged leaves still give the
previous checkpoint's root, and sign (size, root, time of the newest entry) with the
release key (``VITALSTAT_KEYS``: one key for subscribers to hold; retired keys keep old
checkpoints verifying). Nothing new since the last checkpoint: that one is returned.
The checkpoint is not itself an event (it would make every checkpoint one entry short).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitalstat.audit.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from vitalstat.audit.encoding import event_leaf
from vitalstat.audit.log import (
    Entry,
    LogVerdict,
    StoredCheckpoint,
    StoredLeaf,
    verify_log,
)
from vitalstat.audit.merkle import MerkleTree, leaf_hash
from vitalstat.audit.proofs import consistency_document, inclusion_document
from vitalstat.errors import AuditLogError, NotFoundError, ValidationError
from vitalstat.formats import minisign
from vitalstat.services import keys as signing
from vitalstat.store import Store
from vitalstat.store.repo import Tx, utc_now

__all__ = [
    "CheckpointResult",
    "list_checkpoints",
    "load_checkpoint_file",
    "prove_consistency",
    "prove_inclusion",
    "trusted_keys",
    "verify_audit_log",
    "write_checkpoint",
]


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    id: int
    signed: SignedCheckpoint
    new: bool  # False: nothing was added since this (latest) checkpoint


def _signed(row: Mapping[str, Any]) -> SignedCheckpoint:
    return SignedCheckpoint.from_json({
        "format": "vitalstat-audit-checkpoint/1", "size": int(row["tree_size"]),
        "root": row["root_hash"], "time": row["log_time"], "key_id": row["key_id"],
        "signature": row["signature"]}, source=f"checkpoint {row['id']}")


def _tree(rows: Sequence[tuple[int, int, str]]) -> MerkleTree:
    return MerkleTree(bytes.fromhex(h) for _, _, h in rows)


def write_checkpoint(store: Store, *, keys: Path, actor: str) -> CheckpointResult:
    """Log every event not yet logged and sign a checkpoint of the whole log."""
    store.check_schema()
    key, pub = signing.load_signing_key(keys)
    with store.transaction() as tx:
        tx.lock_event_log()
        rows = tx.audit_leaf_rows()
        tree = _tree(rows)
        latest = tx.latest_checkpoint_row()
        # Leaves and their checkpoint are written together: the latest checkpoint covers
        # exactly the logged leaves, and they still give its root.
        last = _signed(latest) if latest is not None else None
        if (last.size if last else 0) != tree.size or (
                last is not None and not hmac.compare_digest(tree.root(), last.root)):
            which = f"checkpoint {latest['id']}" if latest is not None else "no checkpoint"
            raise AuditLogError(f"the {tree.size} logged leaves do not match {which}: the "
                                "audit log was altered; run `vitalstat audit verify` (no new "
                                "checkpoint signed)")
        after = rows[-1][1] if rows else 0
        new_rows: list[tuple[int, int, str]] = []
        time = ""
        for event in tx.event_rows(after_id=after):
            h = leaf_hash(event_leaf(event))
            new_rows.append((tree.append(h), int(event["id"]), h.hex()))
            time = event["occurred_at"]
        if tree.size == 0:
            raise NotFoundError("the audit log is empty: nothing to checkpoint yet")
        if latest is not None and last is not None and not new_rows:
            return CheckpointResult(int(latest["id"]), last, new=False)
        tx.insert_audit_leaves(new_rows)
        signed = sign_checkpoint(Checkpoint(tree.size, tree.root(), time), key,
                                 pub.key_id_hex)
        cp_id = tx.insert_checkpoint({
            "tree_size": signed.size, "root_hash": signed.root.hex(), "log_time": time,
            "key_id": signed.key_id, "signature": signed.as_json()["signature"],
            "created_at": utc_now(), "created_by": actor})
    return CheckpointResult(cp_id, signed, new=True)


def list_checkpoints(store: Store) -> list[dict[str, Any]]:
    """Every stored checkpoint, oldest first (as stored: not verified; see verify)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return tx.checkpoint_rows()


def trusted_keys(keys: Path, public_key: Path | None = None) -> dict[str, bytes]:
    """Key id -> raw public key: the one ``public_key`` file, else every public key in
    the key directory (active and retired). Never the registry's own table: whoever can
    rewrite the log could add a key there."""
    if public_key is not None:
        pub = minisign.parse_public_key(public_key.read_text(encoding="ascii"),
                                        source=str(public_key))
        return {pub.key_id_hex: pub.raw}
    found = {k: p.raw for k, p in signing.public_keys(keys).items()}
    if not found:
        raise NotFoundError(f"no public key in {keys}: pass --key FILE (release.pub)")
    return found


def load_checkpoint_file(path: Path) -> SignedCheckpoint:
    """A ``checkpoint.json`` (a release's, or one saved earlier)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such checkpoint file") from None
    except ValueError as exc:
        raise ValidationError(f"{path}: not JSON ({exc})", field="checkpoint") from None
    return SignedCheckpoint.from_json(data, source=str(path))


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One transaction's view of the log, as :class:`vitalstat.audit.log.LogStorage`."""

    events: list[Entry]
    leaves: list[StoredLeaf]
    stored: list[StoredCheckpoint]

    def entries(self) -> Iterable[Entry]:
        return self.events

    def stored_leaves(self) -> Sequence[StoredLeaf]:
        return self.leaves

    def checkpoints(self) -> Sequence[StoredCheckpoint]:
        return self.stored


def _snapshot(tx: Tx) -> _Snapshot:
    # Read in this order: on PostgreSQL each statement sees the latest commits, and each
    # table only ever refers to rows committed before it (checkpoints to leaves, leaves
    # to events), so every later read holds all that the earlier one refers to.
    stored = []
    for row in tx.checkpoint_rows():
        try:
            stored.append(StoredCheckpoint(int(row["id"]), _signed(row)))
        except ValidationError as exc:
            raise AuditLogError(f"audit log check failed: checkpoint {row['id']} is "
                                f"malformed, so it was altered ({exc})") from None
    leaves = [StoredLeaf(i, e, bytes.fromhex(h)) for i, e, h in tx.audit_leaf_rows()]
    events = [Entry(int(e["id"]), event_leaf(e)) for e in tx.event_rows()]
    return _Snapshot(events, leaves, stored)


def verify_audit_log(store: Store, *, trusted: Mapping[str, bytes],
                     external: Sequence[SignedCheckpoint] = ()) -> LogVerdict:
    """Recompute the whole log (``audit.log.verify_log``); raises :class:`AuditLogError`
    naming the first bad entry when anything fails, else returns the verdict."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        snapshot = _snapshot(tx)
    verdict = verify_log(snapshot, trusted, external)
    first = verdict.first
    if first is not None:
        more = len(verdict.findings) - 1
        where = ("" if first.event_id is None else
                 f"first bad entry: event {first.event_id}: " if first.exact else
                 f"first bad entry: event {first.event_id} or a later one: ")
        raise AuditLogError(f"audit log check failed: {where}{first.message}"
                            + (f" ({more} more finding(s))" if more else ""),
                            event_id=first.event_id)
    return verdict


def _checkpoint_of_size(tx: Tx, size: int | None) -> tuple[int, SignedCheckpoint]:
    rows = tx.checkpoint_rows()
    if not rows:
        raise NotFoundError("no checkpoint yet: run `vitalstat audit checkpoint`")
    if size is None:
        return int(rows[-1]["id"]), _signed(rows[-1])
    matching = [r for r in rows if int(r["tree_size"]) == size]
    if not matching:
        sizes = sorted({int(r["tree_size"]) for r in rows})
        shown = ", ".join(map(str, sizes[-10:]))
        raise NotFoundError(f"no checkpoint of size {size} (checkpointed sizes: {shown}): "
                            "proofs are given against signed checkpoints only")
    return int(matching[-1]["id"]), _signed(matching[-1])


def _checked_tree(tx: Tx, cp_id: int, sc: SignedCheckpoint
                  ) -> tuple[MerkleTree, list[tuple[int, int, str]]]:
    rows = tx.audit_leaf_rows()
    tree = _tree(rows)
    if sc.size > tree.size or tree.root(sc.size) != sc.root:
        raise AuditLogError(f"the logged leaves do not give checkpoint {cp_id}'s root: "
                            "run `vitalstat audit verify`")
    return tree, rows


def prove_inclusion(store: Store, event_id: int, *, size: int | None = None
                    ) -> dict[str, Any]:
    """Proof that event ``event_id`` is in the checkpoint of ``size`` (default: latest)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        cp_id, sc = _checkpoint_of_size(tx, size)
        tree, rows = _checked_tree(tx, cp_id, sc)
        event = tx.event_row(event_id)
        index = next((i for i, e, _ in rows[:sc.size] if e == event_id), None)
        if event is None:
            raise NotFoundError(f"no event {event_id}")
        if index is None:
            raise NotFoundError(f"event {event_id} is not in the checkpoint of size "
                                f"{sc.size}: run `vitalstat audit checkpoint` first")
        leaf = event_leaf(event)
        if leaf_hash(leaf) != tree.leaf(index):
            raise AuditLogError(f"event {event_id} differs from what was logged: it was "
                                "edited (run `vitalstat audit verify`)", event_id=event_id)
        return inclusion_document(event_id, index, leaf, tree.inclusion_proof(index, sc.size),
                                  sc)


def prove_consistency(store: Store, first: int, second: int) -> dict[str, Any]:
    """Proof that the checkpoint of size ``second`` extends the one of size ``first``."""
    if not 0 < first <= second:
        raise ValidationError("sizes must satisfy 0 < FIRST <= SECOND", field="size")
    store.check_schema()
    with store.transaction(write=False) as tx:
        _, a = _checkpoint_of_size(tx, first)
        b_id, b = _checkpoint_of_size(tx, second)
        tree, _ = _checked_tree(tx, b_id, b)
        if tree.root(a.size) != a.root:
            raise AuditLogError(f"the checkpoint of size {first} is not a prefix of the "
                                "logged leaves: run `vitalstat audit verify`")
        return consistency_document(a, b, tree.consistency_proof(first, second))
