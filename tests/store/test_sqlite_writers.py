"""SQLite's one writer: the threads of a process queue for it in the store (not in
SQLite's polling busy handler), and a write that cannot get it in time says so."""

from __future__ import annotations

import threading
import time

import pytest

from vitalstat.errors import StoreUnavailableError
from vitalstat.store import Store


def _event(store: Store, actor: str) -> None:
    with store.transaction() as tx:
        tx.append_event(actor=actor, kind="test.write", subject="t", detail={})


def test_writers_of_one_process_wait_their_turn_and_all_land(sqlite_store: Store) -> None:
    holding = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with sqlite_store.transaction() as tx:
            tx.append_event(actor="first", kind="test.write", subject="t", detail={})
            holding.set()
            release.wait(5)
            order.append("first")

    def other(n: int) -> None:
        _event(sqlite_store, f"w{n}")
        order.append(f"w{n}")

    a = threading.Thread(target=first)
    a.start()
    assert holding.wait(5)
    others = [threading.Thread(target=other, args=(n,)) for n in range(6)]
    for t in others:
        t.start()
    time.sleep(0.3)
    assert order == []  # all wait for the first writer
    release.set()
    for t in [a, *others]:
        t.join(10)
    assert order[0] == "first" and sorted(order[1:]) == [f"w{n}" for n in range(6)]
    with sqlite_store.transaction(write=False) as tx:
        actors = {e["actor"] for e in tx.events(kind="test.write")}
    assert actors == {"first", *(f"w{n}" for n in range(6))}


def test_a_write_that_waits_too_long_is_refused_clearly(sqlite_store: Store,
                                                        monkeypatch) -> None:
    from vitalstat.store import engine

    monkeypatch.setattr(engine, "_WRITER_WAIT", 0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with sqlite_store.transaction():
            holding.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    assert holding.wait(5)
    try:
        with pytest.raises(StoreUnavailableError, match=r"busy: no write for 0\.2 s"):
            _event(sqlite_store, "late")
        with sqlite_store.transaction(write=False) as tx:  # reads never queue
            assert tx.events(kind="test.write") == []
    finally:
        release.set()
        t.join(10)
    _event(sqlite_store, "later")  # the writer is free again
