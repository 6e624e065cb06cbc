"""Direct transactions (SQLite): a bulk load into an empty registry is written under a
rollback journal instead of the WAL, when the database has no other connection, and the
database is back in WAL mode when it ends, committed or not."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vitalstat.store import Store


def _file_mode(path: Path) -> str:
    """The journal mode the database file is in, as a fresh connection finds it."""
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        con.close()


def _db_path(store: Store) -> Path:
    return Path(str(store.engine.url.database))


def _kinds(store: Store) -> list[str]:
    with store.transaction(write=False) as tx:
        return [e["subject"] for e in tx.events(kind="test.direct")]


def test_a_direct_transaction_uses_a_rollback_journal_then_returns_to_wal(
        sqlite_store: Store) -> None:
    assert _file_mode(_db_path(sqlite_store)) == "wal"
    with sqlite_store.transaction(direct=True) as tx:
        assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "delete"
        tx.append_event(actor="t", kind="test.direct", subject="kept", detail={})
    assert _file_mode(_db_path(sqlite_store)) == "wal"
    assert _kinds(sqlite_store) == ["kept"]
    with sqlite_store.transaction() as tx:  # the pooled connection is in WAL mode again
        assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    assert sqlite_store.integrity_check() == []


def test_a_failed_direct_transaction_leaves_nothing_and_the_wal(sqlite_store: Store) -> None:
    with pytest.raises(RuntimeError), sqlite_store.transaction(direct=True) as tx:
        tx.append_event(actor="t", kind="test.direct", subject="lost", detail={})
        raise RuntimeError("the load failed")
    assert _kinds(sqlite_store) == []
    assert _file_mode(_db_path(sqlite_store)) == "wal"
    assert sqlite_store.integrity_check() == []


def test_another_open_connection_keeps_the_wal(sqlite_store: Store) -> None:
    other = Store.open(str(sqlite_store.engine.url))
    try:
        with other.transaction(write=False) as tx:  # its connection stays open, pooled
            assert tx.counts()["records"] == 0
        with sqlite_store.transaction(direct=True) as tx:
            assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            tx.append_event(actor="t", kind="test.direct", subject="via-wal", detail={})
        with other.transaction(write=False) as tx:
            assert [e["subject"] for e in tx.events(kind="test.direct")] == ["via-wal"]
    finally:
        other.close()
    assert _file_mode(_db_path(sqlite_store)) == "wal"


def test_a_connection_opened_during_a_direct_transaction_reads_and_then_sees_it(
        sqlite_store: Store) -> None:
    other = Store.open(str(sqlite_store.engine.url))
    try:
        with sqlite_store.transaction(direct=True) as tx:
            tx.append_event(actor="t", kind="test.direct", subject="later", detail={})
            # connecting cannot switch the file back to WAL now; it reads what was there
            with other.transaction(write=False) as seen:
                assert [e["subject"] for e in seen.events(kind="test.direct")] == []
        with other.transaction(write=False) as seen:
            assert [e["subject"] for e in seen.events(kind="test.direct")] == ["later"]
            assert seen.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        other.close()


def test_direct_changes_nothing_on_either_backend(store: Store) -> None:
    with store.transaction(direct=True) as tx:
        tx.append_event(actor="t", kind="test.direct", subject="both", detail={})
    assert _kinds(store) == ["both"]
    with store.transaction(write=False, direct=True) as tx:  # a read ignores it
        assert tx.counts()["records"] == 0


def test_a_connection_that_cannot_return_to_wal_is_dropped_and_the_next_one_does(
        sqlite_store: Store) -> None:
    from vitalstat.store.engine import _leave_wal, _return_to_wal

    path = _db_path(sqlite_store)
    conn = sqlite_store.engine.connect()
    try:
        assert _leave_wal(conn)
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()  # holds a shared lock
        conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")
        _return_to_wal(conn)  # locked out: does not raise
        assert conn.invalidated
        reader.execute("COMMIT")
        reader.close()
    finally:
        conn.close()
    assert _file_mode(path) == "delete"
    with sqlite_store.transaction() as tx:  # a new connection switches the file back
        assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    assert _file_mode(path) == "wal"
