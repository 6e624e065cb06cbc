"""Whole-log verification over an in-memory store: hypothesis-generated histories, then
every kind of tampering a database administrator could do, each caught at its first
bad entry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.audit.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from vitalstat.audit.encoding import canonical_json, event_leaf
from vitalstat.audit.log import Entry, StoredCheckpoint, StoredLeaf, verify_log
from vitalstat.audit.merkle import MerkleTree, leaf_hash

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY_ID = "0123456789ABCDEF"
TRUSTED = {KEY_ID: KEY.public_key().public_bytes_raw()}


@dataclass
class MemoryLog:
    """The three tables, as lists; ``checkpoint`` does what the service does."""

    events: list[dict[str, Any]] = field(default_factory=list)
    leaves: list[StoredLeaf] = field(default_factory=list)
    stored: list[StoredCheckpoint] = field(default_factory=list)

    def entries(self) -> Iterable[Entry]:
        return [Entry(e["id"], event_leaf(e)) for e in sorted(self.events,
                                                              key=lambda e: e["id"])]

    def stored_leaves(self) -> Sequence[StoredLeaf]:
        return self.leaves

    def checkpoints(self) -> Sequence[StoredCheckpoint]:
        return self.stored

    def checkpoint(self) -> SignedCheckpoint:
        tree = MerkleTree(x.leaf_hash for x in self.leaves)
        for e in self.events[len(self.leaves):]:
            h = leaf_hash(event_leaf(e))
            self.leaves.append(StoredLeaf(tree.append(h), e["id"], h))
        signed = sign_checkpoint(Checkpoint(tree.size, tree.root(),
                                            self.events[-1]["occurred_at"]), KEY, KEY_ID)
        self.stored.append(StoredCheckpoint(len(self.stored) + 1, signed))
        return signed


def event(eid: int, text: str) -> dict[str, Any]:
    return {"id": eid, "occurred_at": f"2026-12-01T{eid:012d}", "actor": "clara",
            "kind": "test.event", "subject": f"s:{text}", "detail": canonical_json({"t": text})}


@st.composite
def histories(draw: st.DrawFn) -> MemoryLog:
    """1-40 events (ids 2, 4, 6 ... so one can be slipped in between), checkpoints after
    random prefixes, always one at the end."""
    n = draw(st.integers(1, 40))
    texts = draw(st.lists(st.text(max_size=6), min_size=n, max_size=n))
    cuts = draw(st.sets(st.integers(1, n), max_size=4)) | {n}
    log = MemoryLog()
    for i, text in enumerate(texts):
        log.events.append(event(2 * (i + 1), text))
        if i + 1 in cuts:
            log.checkpoint()
    return log


@settings(max_examples=60, deadline=None)
@given(histories())
def test_an_untouched_history_verifies(log: MemoryLog) -> None:
    verdict = verify_log(log, TRUSTED)
    assert verdict.ok, verdict.findings
    assert verdict.covered == verdict.entries == len(log.events)


TAMPERS = ["edit", "delete", "swap", "truncate", "insert", "fork", "renumber"]


def tamper(log: MemoryLog, how: str, i: int, j: int) -> int:
    """Alter ``log.events`` as a DBA with the triggers dropped could; returns the index of
    the first leaf that is no longer what was logged."""
    ev = log.events
    if how == "edit":
        ev[i] = {**ev[i], "actor": ev[i]["actor"] + "?"}
    elif how == "delete":
        del ev[i]
    elif how == "swap":  # two rows trade places (content moves, ids stay)
        j = max(j, i + 1) if i + 1 < len(ev) else i
        if j == i:  # nothing to swap with: reorder the detail instead
            ev[i] = {**ev[i], "detail": ev[i]["detail"] + " "}
        else:
            a, b = ev[i], ev[j]
            if {k: v for k, v in a.items() if k != "id"} == {
                    k: v for k, v in b.items() if k != "id"}:
                b = {**b, "subject": b["subject"] + "~"}  # identical rows: still a change
            ev[i], ev[j] = {**b, "id": a["id"]}, {**a, "id": b["id"]}
    elif how == "truncate":
        del ev[i:]
    elif how == "insert":
        ev.insert(i, event(ev[i]["id"] - 1, "forged"))
    elif how == "fork":  # same ids from i on, another history
        ev[i:] = [event(e["id"], e["subject"] + "/fork") for e in ev[i:]]
    elif how == "renumber":
        ev[i] = {**ev[i], "id": ev[i]["id"] - 1}
    return i


@settings(max_examples=200, deadline=None)
@given(histories(), st.sampled_from(TAMPERS), st.data())
def test_every_tampering_is_caught_at_its_first_bad_entry(log: MemoryLog, how: str,
                                                          data: st.DataObject) -> None:
    n = len(log.events)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1))
    ids = [e["id"] for e in log.events]
    first = tamper(log, how, i, j)
    verdict = verify_log(log, TRUSTED)
    assert not verdict.ok
    bad = verdict.first
    assert bad is not None and bad.index == first and bad.exact, (how, verdict.findings)
    assert bad.event_id in (ids[first], ids[first] - 1), bad  # renumbered/inserted: id-1


@settings(max_examples=100, deadline=None)
@given(histories(), st.data())
def test_rewriting_the_leaf_table_too_is_still_caught_by_the_signed_roots(
        log: MemoryLog, data: st.DataObject) -> None:
    """Edit an event and its logged leaf hash alike: only the signatures stand in the way,
    and the finding points between the last checkpoint that still holds and the edit."""
    i = data.draw(st.integers(0, len(log.events) - 1))
    log.events[i] = {**log.events[i], "kind": "forged"}
    log.leaves[i] = StoredLeaf(i, log.events[i]["id"], leaf_hash(event_leaf(log.events[i])))
    verdict = verify_log(log, TRUSTED)
    assert not verdict.ok
    before = max([c.signed.size for c in log.stored if c.signed.size <= i], default=0)
    first = verdict.first
    assert first is not None and first.index is not None and before <= first.index <= i


@settings(max_examples=60, deadline=None)
@given(histories())
def test_checkpoints_cannot_be_altered_reordered_or_dropped_unnoticed(log: MemoryLog) -> None:
    last = log.stored[-1]
    cp = last.signed.checkpoint
    # a changed root or size no longer verifies
    for forged in (Checkpoint(cp.size, bytes(32), cp.time), Checkpoint(cp.size - 1, cp.root,
                                                                         cp.time)):
        log.stored[-1] = StoredCheckpoint(last.id, SignedCheckpoint(forged, last.signed.key_id,
                                                                    last.signed.signature))
        assert not verify_log(log, TRUSTED).ok
    log.stored[-1] = last
    # dropping the newest checkpoint, its leaves and events truncates "cleanly" in the
    # database; the checkpoint kept elsewhere (a release's checkpoint.json) catches it
    if cp.size > 1:
        log.stored.pop()
        keep = max([c.signed.size for c in log.stored], default=0)
        del log.leaves[keep:]
        del log.events[keep:]
        assert verify_log(log, TRUSTED).ok
        verdict = verify_log(log, TRUSTED, external=[last.signed])
        assert not verdict.ok and "entries were removed" in verdict.findings[0].message


def test_a_checkpoint_signed_by_an_untrusted_key_or_smaller_than_its_predecessor_fails(
        ) -> None:
    log = MemoryLog()
    for i in range(1, 6):
        log.events.append(event(2 * i, str(i)))
    log.checkpoint()
    assert not verify_log(log, {}).ok
    assert "signature does not verify" in verify_log(log, {}).findings[0].message
    small = sign_checkpoint(Checkpoint(3, MerkleTree(x.leaf_hash for x in log.leaves[:3])
                                       .root(), "t"), KEY, KEY_ID)
    log.stored.append(StoredCheckpoint(2, small))
    verdict = verify_log(log, TRUSTED)
    assert not verdict.ok and "fewer than checkpoint 1" in verdict.findings[0].message


def test_a_fork_signed_with_the_real_key_is_caught_by_consistency() -> None:
    """Two histories that share a prefix and were both signed (a key holder rewriting the
    past): the checkpoint of one does not fit the other."""
    honest, fork = MemoryLog(), MemoryLog()
    for i in range(1, 9):
        honest.events.append(event(2 * i, str(i)))
        fork.events.append(event(2 * i, str(i) if i < 5 else f"{i}'"))
    released = honest.checkpoint()
    fork.checkpoint()
    verdict = verify_log(fork, TRUSTED, external=[released])
    assert not verdict.ok and verdict.first is not None


@settings(max_examples=60, deadline=None)
@given(histories(), st.data())
def test_an_altered_leaf_table_is_told_apart_from_an_altered_event(log: MemoryLog,
                                                                   data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(log.leaves) - 1))
    log.leaves[i] = StoredLeaf(i, log.leaves[i].event_id, bytes(32))
    verdict = verify_log(log, TRUSTED)
    assert [f.index for f in verdict.findings] == [i]
    assert "leaf table's entry" in verdict.findings[0].message
