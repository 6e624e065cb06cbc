"""PostgreSQL's connection pool: enough connections kept for the server's threads, and a
connection the server dropped while it sat idle replaced before a transaction meets it,
without a ping per transaction for connections in steady use."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import create_engine, text

import vitalstat.store.engine as store_engine
from vitalstat.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    store = Store.open(postgres_url)
    store.migrate()
    yield store
    store.close()


def _terminate_others(url: str) -> int:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return sum(bool(x) for x in conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars())
    finally:
        admin.dispose()


def _backend_pids(store: Store, n: int) -> set[int]:
    """The backends of ``n`` transactions held open together (so n pooled connections)."""
    barrier = Barrier(n)

    def one(_: int) -> int:
        with store.transaction(write=False) as tx:
            pid = int(tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            barrier.wait(timeout=30)
            return pid

    with ThreadPoolExecutor(max_workers=n) as pool:
        return set(pool.map(one, range(n)))


def test_the_servers_threads_keep_their_connections(pg_store: Store) -> None:
    # 10 at once (8 threads, the event loop, a job worker): more than SQLAlchemy's
    # default 5 kept, which reopened the extra ones on every burst
    first = _backend_pids(pg_store, 10)
    again = _backend_pids(pg_store, 10)
    assert len(first) == 10 and again == first


def test_a_connection_dropped_while_idle_is_replaced(pg_store: Store, postgres_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with pg_store.transaction() as tx:
        tx.append_event(actor="a", kind="test.one", subject="s", detail={})
    assert _terminate_others(postgres_url) >= 1  # the pool's idle connection, at least
    monkeypatch.setattr(store_engine, "_PING_IDLE", 0.0)  # as if it had sat idle a while
    with pg_store.transaction() as tx:  # pinged, found dead, replaced: no error
        tx.append_event(actor="a", kind="test.two", subject="s", detail={})
    with pg_store.transaction(write=False) as tx:
        assert [e["kind"] for e in tx.events()][-2:] == ["test.one", "test.two"]


def test_a_connection_in_steady_use_is_not_pinged(pg_store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []
    real = pg_store.engine.dialect.do_ping
    monkeypatch.setattr(pg_store.engine.dialect, "do_ping",
                        lambda conn: pings.append(conn) or real(conn))
    for _ in range(5):
        with pg_store.transaction(write=False) as tx:
            tx.conn.exec_driver_sql("SELECT 1")
    assert pings == []  # reused at once each time
    monkeypatch.setattr(store_engine, "_PING_IDLE", 0.0)
    with pg_store.transaction(write=False) as tx:
        tx.conn.exec_driver_sql("SELECT 1")
    assert len(pings) == 1  # idle (by the shortened clock): pinged once before use
