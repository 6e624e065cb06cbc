"""Checking a stored audit log end to end, behind a small storage interface.

A log in storage is three lists (:class:`LogStorage`):

* the **entries**: every event's leaf data, in event-id order (leaf ``i`` is the
  ``i``-th event; ids may skip, never repeat);
* the **leaf table**: for each leaf index, the event id and leaf hash recorded when a
  checkpoint first covered it (so a changed row can be named exactly);
* the **checkpoints**, oldest first, each signed.

:func:`verify_log` recomputes every leaf hash and every checkpoint's root from the
entries, checks each signature against trusted keys, the leaf table against the entries,
and a consistency proof between each checkpoint and the next; it returns every finding
in log order, the first naming the first bad entry. Pure: storage is whatever implements
the interface (the registry's tables; a list in tests).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vitalstat.audit.checkpoint import SignedCheckpoint
from vitalstat.audit.merkle import MerkleTree, leaf_hash, verify_consistency

__all__ = ["Entry", "Finding", "LogStorage", "LogVerdict", "StoredCheckpoint", "StoredLeaf",
           "verify_log"]


@dataclass(frozen=True, slots=True)
class Entry:
    event_id: int
    data: bytes  # the leaf data (``encoding.event_leaf``)


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    index: int
    event_id: int
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    id: int
    signed: SignedCheckpoint


class LogStorage(Protocol):
    def entries(self) -> Iterable[Entry]: ...  # event-id order
    def stored_leaves(self) -> Sequence[StoredLeaf]: ...  # leaf-index order
    def checkpoints(self) -> Sequence[StoredCheckpoint]: ...  # oldest first


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong. ``index`` is the first leaf it affects (``None``: no leaf, e.g. a
    bad signature); ``event_id`` the event at that leaf as logged or as now stored."""

    message: str
    index: int | None = None
    event_id: int | None = None
    checkpoint_id: int | None = None
    exact: bool = True  # False: the first bad entry is at or after ``index``


@dataclass(slots=True)
class LogVerdict:
    entries: int
    checkpoints: int
    covered: int  # leaves covered by the newest good checkpoint
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The finding that names the first bad entry (lowest leaf), else the first one."""
        if not self.findings:
            return None
        placed = [f for f in self.findings if f.index is not None]
        return min(placed, key=lambda f: f.index or 0) if placed else self.findings[0]


def _eq(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _check_leaf_table(ids: list[int], tree: MerkleTree, leaves: Sequence[StoredLeaf]
                      ) -> Finding | None:
    present = set(ids)
    for i, stored in enumerate(leaves):
        if stored.index != i:
            return Finding(f"the leaf table skips or repeats index {i} "
                           f"(found {stored.index}): it was altered", i, stored.event_id)
        if i >= len(ids):
            return Finding(f"event {stored.event_id} (leaf {i}) is missing: the log was "
                           f"truncated after event {ids[-1] if ids else 'none'}",
                           i, stored.event_id)
        if ids[i] != stored.event_id:
            if stored.event_id not in present:
                return Finding(f"event {stored.event_id} (leaf {i}) is missing: deleted",
                               i, stored.event_id)
            return Finding(f"event {ids[i]} stands at leaf {i}, where event "
                           f"{stored.event_id} was logged: inserted or reordered",
                           i, ids[i])
        if not _eq(tree.leaf(i), stored.leaf_hash):
            return Finding(f"event {ids[i]} (leaf {i}) differs from what was logged: "
                           "edited", i, ids[i])
    return None


def verify_log(storage: LogStorage, trusted: Mapping[str, bytes],
               external: Sequence[SignedCheckpoint] = ()) -> LogVerdict:
    """Recompute everything; see the module docstring. ``trusted``: key id -> raw public
    key. ``external``: checkpoints kept elsewhere (a release's) the log must also match."""
    entries = list(storage.entries())
    ids = [e.event_id for e in entries]
    tree = MerkleTree(leaf_hash(e.data) for e in entries)
    leaves = list(storage.stored_leaves())
    checkpoints = list(storage.checkpoints())
    verdict = LogVerdict(len(entries), len(checkpoints), 0)
    found = verdict.findings

    def event_at(index: int) -> int | None:
        if index < len(ids):
            return ids[index]
        return leaves[index].event_id if index < len(leaves) else None

    table = _check_leaf_table(ids, tree, leaves)
    if table is not None:
        found.append(table)

    def check_root(sc: SignedCheckpoint, good: int | None, what: str,
                   cp_id: int | None) -> bool:
        if sc.size > tree.size:
            first = tree.size
            found.append(Finding(f"{what} covers {sc.size} entries but the log holds "
                                 f"{tree.size}: entries were removed", first,
                                 event_at(first), cp_id))
            return False
        if not _eq(tree.root(sc.size), sc.root):
            message = f"{what} (size {sc.size}) does not match the stored log"
            if good is None:  # nothing narrows it down
                found.append(Finding(f"{message}: the log was changed or forked before "
                                     f"leaf {sc.size}", checkpoint_id=cp_id))
                return False
            # The first wrong leaf lies at or after ``good`` (earlier checkpoints held).
            if table is not None and table.index is not None and good <= table.index < sc.size:
                where, exact = table.index, True
            else:
                where, exact = good, False
            found.append(Finding(f"{message} (the first {good} entries match earlier "
                                 "checkpoints): an entry was changed, or the log forked",
                                 where, event_at(where), cp_id, exact))
            return False
        return True

    good = 0
    previous: StoredCheckpoint | None = None
    for stored in checkpoints:
        sc, what = stored.signed, f"checkpoint {stored.id}"
        if not sc.verifies(trusted):
            found.append(Finding(f"{what}: signature does not verify with a trusted key "
                                 f"(key {sc.key_id})", checkpoint_id=stored.id))
            continue
        if previous is not None and sc.size < previous.signed.size:
            found.append(Finding(f"{what} has {sc.size} entries, fewer than checkpoint "
                                 f"{previous.id} before it ({previous.signed.size}): a "
                                 "truncated or forked log", sc.size, event_at(sc.size),
                                 stored.id, exact=False))
            continue
        if not check_root(sc, good, what, stored.id):
            continue
        if previous is not None:
            before = previous.signed
            path = tree.consistency_proof(before.size, sc.size)
            if not verify_consistency(before.size, sc.size, before.root, sc.root, path):
                found.append(Finding(f"{what} does not extend checkpoint {previous.id}",
                                     before.size, event_at(before.size), stored.id,
                                     exact=False))
                continue
        if sc.size > len(leaves):
            found.append(Finding(f"{what} covers {sc.size} entries but the leaf table "
                                 f"records {len(leaves)}: it was altered", len(leaves),
                                 event_at(len(leaves)), stored.id))
        previous, good = stored, max(good, sc.size)
    newest = previous.signed.size if previous is not None else 0
    if len(leaves) > newest and not found:  # written together with their checkpoint
        found.append(Finding(f"the leaf table records {len(leaves)} leaves but the newest "
                             f"checkpoint covers {newest}: a checkpoint was removed", newest,
                             event_at(newest), exact=False))
    for n, sc in enumerate(external, 1):
        what = f"external checkpoint {n}"
        if not sc.verifies(trusted):
            found.append(Finding(f"{what}: signature does not verify with a trusted key "
                                 f"(key {sc.key_id})"))
        elif check_root(sc, good if sc.size > good else None, what, None):
            good = max(good, sc.size)
    verdict.covered = good
    if table is not None and table.index is not None and table.index < good and found == [
            table]:
        # Every signed root holds over the events themselves: the event is as signed and
        # it is the leaf table that was changed.
        found.remove(table)
        found.append(Finding(f"the leaf table's entry for leaf {table.index} (event "
                             f"{table.event_id}) was altered; the events match every signed "
                             "checkpoint", table.index, table.event_id))
    found.sort(key=lambda f: (f.index is None, f.index or 0))
    return verdict
