"""The audit log on the registry (SQLite and PostgreSQL): checkpoints, proofs, the
append-only tables, and a DBA's hand edits caught by ``audit verify``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from release_helpers import ingest_rows, ssn
from sqlalchemy import text

from vitalstat.audit.checkpoint import SignedCheckpoint
from vitalstat.audit.proofs import check_proof
from vitalstat.errors import AppendOnlyViolation, AuditLogError, NotFoundError
from vitalstat.services import audit
from vitalstat.services import keys as signing
from vitalstat.services.releases import build_release, verify_release
from vitalstat.store import Store

APPEND_ONLY = ("events", "audit_leaves", "audit_checkpoints")


@pytest.fixture
def keys(tmp_path: Path, store: Store) -> Path:
    signing.generate_key(store, tmp_path / "keys", actor="keeper")
    return tmp_path / "keys"


def add_events(store: Store, n: int, tag: str = "e") -> list[int]:
    with store.transaction() as tx:
        return [tx.append_event(actor="tester", kind="test.event", subject=f"{tag}:{i}",
                                detail={"i": i, "tag": tag}) for i in range(n)]


def trusted(keys: Path) -> dict[str, bytes]:
    return audit.trusted_keys(keys)


def checkpoint(store: Store, keys: Path) -> audit.CheckpointResult:
    return audit.write_checkpoint(store, keys=keys, actor="auditor")


def test_checkpoints_proofs_and_verify_on_an_honest_log(store: Store, keys: Path) -> None:
    ids = [1, *add_events(store, 6)]  # event 1: signing_key.generated
    first = checkpoint(store, keys)
    assert first.new and first.signed.size == 7 and first.signed.verifies(trusted(keys))
    again = checkpoint(store, keys)
    assert (again.id, again.new, again.signed) == (first.id, False, first.signed)
    ids += add_events(store, 5)
    second = checkpoint(store, keys)
    assert second.signed.size == 12 and second.id == first.id + 1
    verdict = audit.verify_audit_log(store, trusted=trusted(keys))
    assert verdict.ok and (verdict.entries, verdict.checkpoints, verdict.covered) == (12, 2, 12)
    for n, eid in enumerate(ids):
        doc = json.loads(json.dumps(audit.prove_inclusion(store, eid)))
        assert doc["leaf_index"] == n
        assert check_proof(doc, trusted(keys)).startswith(f"ok: event {eid} ")
    old = audit.prove_inclusion(store, ids[2], size=7)
    assert check_proof(old, trusted(keys), pinned=first.signed)
    cons = audit.prove_consistency(store, 7, 12)
    assert "extends the log of 7" in check_proof(cons, trusted(keys), pinned=first.signed)
    with pytest.raises(NotFoundError, match="checkpointed sizes: 7, 12"):
        audit.prove_inclusion(store, ids[0], size=9)
    late = add_events(store, 1)[0]
    with pytest.raises(NotFoundError, match="audit checkpoint"):
        audit.prove_inclusion(store, late)
    assert audit.verify_audit_log(store, trusted=trusted(keys)).covered == 12


def test_both_stores_refuse_to_change_or_remove_audit_entries(store: Store, keys: Path
                                                              ) -> None:
    add_events(store, 3)
    checkpoint(store, keys)
    for table, column, value in (("events", "actor", "'mallory'"),
                                 ("audit_leaves", "leaf_hash", "'00'"),
                                 ("audit_checkpoints", "root_hash", "'00'")):
        for sql in (f"UPDATE {table} SET {column} = {value}", f"DELETE FROM {table}",
                    *([f"TRUNCATE {table}"] if store.dialect == "postgresql" else [])):
            with pytest.raises(AppendOnlyViolation, match=f"{table} are append-only"), \
                    store.transaction() as tx:
                tx.conn.execute(text(sql))
    assert audit.verify_audit_log(store, trusted=trusted(keys)).ok


# ------------------------------------------------------------------ a DBA at work

def drop_triggers(store: Store) -> None:
    """What someone with the database's owner password could do: no system command does."""
    with store.engine.begin() as conn:
        for table in APPEND_ONLY:
            if store.dialect == "sqlite":
                for verb in ("update", "delete"):
                    name = f"{table}_no_{verb}"
                    conn.execute(text(f"DROP TRIGGER {name}"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))


def dba(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


@pytest.fixture
def logged(store: Store, keys: Path) -> Iterator[list[int]]:
    ids = [1, *add_events(store, 9)]
    checkpoint(store, keys)
    ids += add_events(store, 6, "b")
    checkpoint(store, keys)
    assert audit.verify_audit_log(store, trusted=trusted(keys)).ok
    drop_triggers(store)
    yield ids


def expect_bad(store: Store, keys: Path, event_id: int, *words: str) -> None:
    with pytest.raises(AuditLogError) as caught:
        audit.verify_audit_log(store, trusted=trusted(keys))
    message = str(caught.value)
    assert f"first bad entry: event {event_id}:" in message, message
    assert caught.value.event_id == event_id
    for word in words:
        assert word in message, message


def test_an_edited_event_is_named(store: Store, keys: Path, logged: list[int]) -> None:
    dba(store, f"UPDATE events SET actor = 'someone-else' WHERE id = {logged[4]}")
    expect_bad(store, keys, logged[4], "edited")
    with pytest.raises(AuditLogError, match=f"event {logged[4]} differs"):
        audit.prove_inclusion(store, logged[4])


def test_an_edited_detail_byte_is_named(store: Store, keys: Path, logged: list[int]) -> None:
    dba(store, f"UPDATE events SET detail = replace(detail, ':', ': ') WHERE id = {logged[12]}")
    expect_bad(store, keys, logged[12], "edited")


def test_a_deleted_event_is_named(store: Store, keys: Path, logged: list[int]) -> None:
    dba(store, f"DELETE FROM events WHERE id = {logged[7]}")
    expect_bad(store, keys, logged[7], "missing")


def test_reordered_events_are_named(store: Store, keys: Path, logged: list[int]) -> None:
    a, b = logged[3], logged[11]
    dba(store, f"UPDATE events SET id = -1 WHERE id = {a}",
        f"UPDATE events SET id = {a} WHERE id = {b}",
        f"UPDATE events SET id = {b} WHERE id = -1")
    expect_bad(store, keys, a, "edited")


def test_a_truncated_log_is_named(store: Store, keys: Path, logged: list[int]) -> None:
    dba(store, f"DELETE FROM events WHERE id >= {logged[13]}")
    expect_bad(store, keys, logged[13], "missing")


def test_a_forged_replacement_row_is_named(store: Store, keys: Path, logged: list[int]
                                           ) -> None:
    eid = logged[5]
    dba(store, f"DELETE FROM events WHERE id = {eid}",
        "INSERT INTO events (id, occurred_at, actor, kind, subject, detail) VALUES "
        f"({eid}, '2026-01-01T00:00:00+00:00', 'clerk', 'test.event', 'e:4', '{{}}')")
    expect_bad(store, keys, eid, "edited")


def test_rewriting_events_and_leaf_hashes_alike_still_fails_on_the_signature(
        store: Store, keys: Path, logged: list[int]) -> None:
    eid = logged[12]  # covered by the second checkpoint only (size 16; the first is 10)
    dba(store, f"UPDATE events SET actor = 'x' WHERE id = {eid}")
    with store.transaction(write=False) as tx:
        row = tx.event_row(eid)
    from vitalstat.audit.encoding import event_leaf
    from vitalstat.audit.merkle import leaf_hash

    assert row is not None
    dba(store, f"UPDATE audit_leaves SET leaf_hash = '{leaf_hash(event_leaf(row)).hex()}' "
        f"WHERE event_id = {eid}")
    with pytest.raises(AuditLogError, match=f"event {logged[10]} or a later one: checkpoint"):
        audit.verify_audit_log(store, trusted=trusted(keys))
    with pytest.raises(AuditLogError, match="no new checkpoint signed"):
        checkpoint(store, keys)  # and no new checkpoint papers over it


def test_a_forged_checkpoint_fails_its_signature(store: Store, keys: Path, logged: list[int]
                                                 ) -> None:
    dba(store, "UPDATE audit_checkpoints SET tree_size = tree_size - 1 WHERE id = 1")
    with pytest.raises(AuditLogError, match="checkpoint 1: signature does not verify"):
        audit.verify_audit_log(store, trusted=trusted(keys))
    dba(store, "UPDATE audit_checkpoints SET root_hash = 'not hex' WHERE id = 2")
    with pytest.raises(AuditLogError, match="checkpoint 2 is malformed"):
        audit.verify_audit_log(store, trusted=trusted(keys))


def test_truncating_everything_is_caught_by_a_checkpoint_kept_outside(
        store: Store, keys: Path, logged: list[int], tmp_path: Path) -> None:
    """Drop the newest checkpoint, its leaves and its events: the database alone cannot
    tell; the checkpoint a release (or a subscriber) kept can."""
    with store.transaction(write=False) as tx:
        latest = tx.latest_checkpoint_row()
    assert latest is not None
    kept = audit.prove_inclusion(store, logged[-1])["checkpoint"]
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps(kept))
    dba(store, "DELETE FROM audit_checkpoints WHERE id = 2",
        "DELETE FROM audit_leaves WHERE leaf_index >= 10",
        f"DELETE FROM events WHERE id > {logged[9]}")
    assert audit.verify_audit_log(store, trusted=trusted(keys)).ok
    with pytest.raises(AuditLogError, match="covers 16 entries but the log holds 10"):
        audit.verify_audit_log(store, trusted=trusted(keys),
                               external=[audit.load_checkpoint_file(saved)])


# ------------------------------------------------------------------ concurrency

def test_a_checkpoint_waits_for_event_writers_so_it_covers_a_committed_prefix(
        store: Store, keys: Path) -> None:
    """PostgreSQL hands out ids before commit: a writer holding id N open while a later
    one commits N+1 must not leave N+1 checkpointed ahead of N."""
    add_events(store, 2)
    slow = store.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    tx = slow.begin()
    slow.execute(text("INSERT INTO events (occurred_at, actor, kind, subject, detail) "
                      "VALUES ('2026-12-01T00:00:00+00:00', 'slow', 'test.slow', 's', '{}')"))
    if store.dialect == "postgresql":
        add_events(store, 1, "fast")  # commits with a higher id than the open one
    result: list[audit.CheckpointResult] = []
    worker = threading.Thread(target=lambda: result.append(checkpoint(store, keys)))
    worker.start()
    time.sleep(1.0)
    assert worker.is_alive() and not result  # waiting for the open writer
    tx.commit()
    slow.close()
    worker.join(30)
    assert result and result[0].signed.size == (5 if store.dialect == "postgresql" else 4)
    assert audit.verify_audit_log(store, trusted=trusted(keys)).ok


# ------------------------------------------------------------------ releases

def test_each_release_carries_the_current_checkpoint(store: Store, keys: Path,
                                                     tmp_path: Path) -> None:
    ingest_rows(store, tmp_path, [(ssn(n), "Avery", "Ann", "1999-01-01") for n in range(3)])
    r1 = build_release(store, actor="builder", releases=tmp_path / "rel", keys=keys).release
    report = verify_release(r1.path, keys=keys)
    assert "checkpoint.json" in [f.name for f in report.files]
    first = SignedCheckpoint.from_json(json.loads((r1.path / "checkpoint.json").read_text()))
    assert first.verifies(trusted(keys))
    with store.transaction(write=False) as tx:
        events_before = len(tx.events(kind=None))
        row = tx.latest_checkpoint_row()
    assert row is not None and first.size == int(row["tree_size"]) == events_before - 1
    # (the release.built event itself comes after its checkpoint)
    ingest_rows(store, tmp_path, [(ssn(n), "Blake", "Bo", "1998-01-01") for n in range(3, 5)])
    r2 = build_release(store, actor="builder", releases=tmp_path / "rel", keys=keys).release
    second = SignedCheckpoint.from_json(json.loads((r2.path / "checkpoint.json").read_text()))
    cons = audit.prove_consistency(store, first.size, second.size)
    assert check_proof(cons, trusted(keys), pinned=first)
    audit.verify_audit_log(store, trusted=trusted(keys), external=[first, second])


# ------------------------------------------------- generated histories, real SQLite

@pytest.fixture(scope="module")
def shared_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("audit-keys")
    s = Store.open(f"sqlite:///{home / 'k.db'}")
    s.migrate()
    signing.generate_key(s, home / "keys", actor="keeper")
    s.close()
    return home / "keys"


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(details=st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=8) |
                                        st.integers(), max_size=3), min_size=2, max_size=25),
       cuts=st.sets(st.integers(1, 25), max_size=3),
       how=st.sampled_from(["edit", "delete", "swap", "truncate"]), data=st.data())
def test_generated_histories_tampered_in_sqlite_are_named(
        shared_keys: Path, tmp_path_factory: pytest.TempPathFactory,
        details: list[dict[str, object]], cuts: set[int], how: str, data: st.DataObject
        ) -> None:
    s = Store.open(f"sqlite:///{tmp_path_factory.mktemp('h') / 'r.db'}")
    s.migrate()
    try:
        ids: list[int] = []
        for n, detail in enumerate(details, 1):
            with s.transaction() as tx:
                ids.append(tx.append_event(actor="t", kind="k", subject=f"s{n}",
                                           detail=detail))
            if n in cuts:
                audit.write_checkpoint(s, keys=shared_keys, actor="a")
        audit.write_checkpoint(s, keys=shared_keys, actor="a")
        assert audit.verify_audit_log(s, trusted=trusted(shared_keys)).ok
        drop_triggers(s)
        i = data.draw(st.integers(0, len(ids) - 1))
        victim = ids[i]
        if how == "edit":
            dba(s, f"UPDATE events SET subject = subject || '!' WHERE id = {victim}")
        elif how == "delete":
            dba(s, f"DELETE FROM events WHERE id = {victim}")
        elif how == "truncate":
            dba(s, f"DELETE FROM events WHERE id >= {victim}")
        else:  # swap two rows' contents (ids stay): subjects differ, so both change
            other = ids[data.draw(st.integers(0, len(ids) - 1).filter(lambda j: j != i))]
            a, b = sorted((victim, other))
            victim = a
            dba(s, f"UPDATE events SET id = -1 WHERE id = {a}",
                f"UPDATE events SET id = {a} WHERE id = {b}",
                f"UPDATE events SET id = {b} WHERE id = -1")
        expect_bad(s, shared_keys, victim)
    finally:
        s.close()


def test_a_removed_checkpoint_is_not_papered_over_by_a_new_one(
        store: Store, keys: Path, logged: list[int]) -> None:
    dba(store, "DELETE FROM audit_checkpoints WHERE id = 2")
    with pytest.raises(AuditLogError, match="16 logged leaves do not match checkpoint 1"):
        checkpoint(store, keys)
    with pytest.raises(AuditLogError, match="newest checkpoint covers 10: a checkpoint"):
        audit.verify_audit_log(store, trusted=trusted(keys))


def test_a_forked_registry_is_caught_against_the_other_branch_s_checkpoint(
        sqlite_store: Store, tmp_path: Path) -> None:
    """A copy of the registry taken after checkpoint 1, then both carry on differently and
    both are signed with the real key (a split view): each is consistent alone, but the
    checkpoint one branch published does not fit the other."""
    import sqlite3

    from vitalstat.audit.proofs import consistency_document
    from vitalstat.errors import ProofError

    store = sqlite_store
    keys = tmp_path / "keys"
    signing.generate_key(store, keys, actor="keeper")
    add_events(store, 5)
    common = checkpoint(store, keys).signed
    copy = tmp_path / "fork.db"
    with sqlite3.connect(Path(str(store.engine.url.database))) as src, \
            sqlite3.connect(copy) as dst:
        src.backup(dst)
    twin = Store.open(f"sqlite:///{copy}")
    try:
        add_events(store, 3, "main")
        main = checkpoint(store, keys).signed
        add_events(twin, 3, "fork")
        fork = checkpoint(twin, keys).signed
        assert main.size == fork.size and main.root != fork.root
        for s in (store, twin):
            assert audit.verify_audit_log(s, trusted=trusted(keys), external=[common]).ok
        with pytest.raises(AuditLogError, match=r"external checkpoint 1 .*forked"):
            audit.verify_audit_log(twin, trusted=trusted(keys), external=[main])
        with pytest.raises(ProofError, match="NOT proven"):
            check_proof(consistency_document(main, fork, []), trusted(keys))
        assert check_proof(audit.prove_consistency(twin, common.size, fork.size),
                           trusted(keys), pinned=common)
    finally:
        twin.close()


def test_checkpoints_signed_before_a_key_rotation_still_verify(store: Store, keys: Path
                                                               ) -> None:
    add_events(store, 2)
    old = checkpoint(store, keys).signed
    signing.rotate_key(store, keys, actor="keeper")
    new = checkpoint(store, keys).signed
    assert old.key_id != new.key_id
    assert audit.verify_audit_log(store, trusted=trusted(keys)).ok  # retired/ holds the old
    only_new = audit.trusted_keys(keys, keys / "release.pub")
    with pytest.raises(AuditLogError, match="checkpoint 1: signature does not verify"):
        audit.verify_audit_log(store, trusted=only_new)
