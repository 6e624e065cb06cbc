"""``Store.reads``: one-statement reads outside any transaction give what the same reads
inside a transaction give, see every commit at once, hold no transaction open, and
survive a dropped connection. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import ProofLevel
from vitalstat.errors import StoreError
from vitalstat.store import Store

NOW = "2026-11-01T00:00:00+00:00"
REC = DeathRecord(ssn="123456789", name=PersonName("O BRIEN", "JOSE", "M", "JR"),
                  date_of_death=PartialDate(2001, 3), date_of_birth=PartialDate(1930, 1, 2),
                  proof=ProofLevel.PROVEN, status=RecordStatus.HELD,
                  review_reasons=(ReviewReason.CONFLICTING_NAME,), restricted=True,
                  report_count=2, state="OH", version=3)
#: names a driver's parameter syntax must not trip on
ODD_NAME = "Bank 'of' %(ssn)s ? :name \"x\" ünïcode"


def _subscriber(store: Store, name: str, *, suspended: bool = False) -> None:
    with store.transaction() as tx:
        tx.insert_subscriber({"name": name, "tier": "certified",
                              "certified_until": "2099-12-31", "suspended": suspended,
                              "created_at": NOW, "updated_at": NOW})


def _token(store: Store, token_id: str, subscriber: str | None = None,
           role: str = "subscriber") -> None:
    with store.transaction() as tx:
        tx.insert_token({"id": token_id, "name": "app", "role": role,
                         "subscriber": subscriber, "secret_hash": "$argon2id$x",
                         "created_at": NOW, "created_by": "admin"})


def _in_tx(store: Store, name: str, ssn: str
           ) -> tuple[dict[str, object] | None, DeathRecord | None]:
    with store.transaction(write=False) as tx:
        return tx.subscriber_row(name), tx.get_record(ssn)


def test_token_row_is_the_transactions_and_revocation_shows_at_once(store: Store) -> None:
    assert store.reads.token_row("0123456789ab") is None
    _token(store, "0123456789ab", subscriber="bank")
    with store.transaction(write=False) as tx:
        expected = tx.token_row("0123456789ab")
    assert expected is not None and store.reads.token_row("0123456789ab") == expected
    with store.transaction() as tx:
        tx.revoke_token("0123456789ab", NOW)
    got = store.reads.token_row("0123456789ab")  # the very next read: no cache
    assert got is not None and got["revoked_at"] == NOW


def test_subscriber_and_record_in_every_combination(store: Store) -> None:
    for name, ssn in [("bank", REC.ssn), ("nobody", REC.ssn), ("bank", "999999999"),
                      ("nobody", "999999999")]:
        assert store.reads.subscriber_and_record(name, ssn) == (None, None) or name == "bank"
    _subscriber(store, "bank")
    _subscriber(store, ODD_NAME, suspended=True)
    with store.transaction() as tx:
        tx.save_record(REC, now=NOW, existed=False)
    for name in ("bank", ODD_NAME, "nobody", ""):
        for ssn in (REC.ssn, "223456789"):
            got = store.reads.subscriber_and_record(name, ssn)
            assert got == _in_tx(store, name, ssn)
            sub, rec = got
            assert (sub is not None) == (name in ("bank", ODD_NAME))
            assert (rec == REC) == (ssn == REC.ssn) and (rec is None) == (ssn != REC.ssn)
    sub, _ = store.reads.subscriber_and_record(ODD_NAME, REC.ssn)
    assert sub is not None and sub["suspended"] is True  # a bool on both backends


def test_every_commit_is_seen_by_the_next_read(store: Store) -> None:
    _subscriber(store, "bank")
    assert store.reads.subscriber_and_record("bank", REC.ssn)[0]["suspended"] is False  # type: ignore[index]
    with store.transaction() as tx:
        row = tx.subscriber_row("bank")
        assert row is not None
        tx.update_subscriber(row["id"], {"suspended": True, "tier": "open"})
        tx.save_record(REC, now=NOW, existed=False)
    sub, rec = store.reads.subscriber_and_record("bank", REC.ssn)
    assert sub is not None and sub["suspended"] is True and sub["tier"] == "open"
    assert rec == REC


def _lookup_in_tx(store: Store, token_id: str, ssn: str) -> tuple:
    with store.transaction(write=False) as tx:
        token = tx.token_row(token_id)
        name = token["subscriber"] if token is not None else None
        live = (token is not None and token["revoked_at"] is None
                and token["role"] == "subscriber")
        return (token, tx.subscriber_row(name) if name is not None else None,
                tx.get_record(ssn) if live else None)


def _lookup(store: Store, token_id: str, ssn: str) -> tuple:
    got = store.reads.token_and_lookup(token_id, ssn)
    assert got.ssn == ssn
    return got.token, got.subscriber, got.record()


def test_token_and_lookup_in_every_combination(store: Store) -> None:
    """The lookup's one statement gives the token, the subscriber the token names and,
    for a live subscriber token only, the record: what the reads in a transaction give."""
    _subscriber(store, "bank")
    _subscriber(store, ODD_NAME, suspended=True)
    with store.transaction() as tx:
        tx.save_record(REC, now=NOW, existed=False)
    _token(store, "00000000000a", subscriber="bank")
    _token(store, "00000000000b", subscriber=ODD_NAME)
    _token(store, "00000000000c", subscriber="gone")  # names no subscriber row
    _token(store, "00000000000d", role="registrar")  # staff: never the record
    _token(store, "00000000000e", subscriber="bank")
    with store.transaction() as tx:
        tx.revoke_token("00000000000e", NOW)  # revoked: never the record
    for token_id in ("00000000000a", "00000000000b", "00000000000c", "00000000000d",
                     "00000000000e", "0123456789ab", ""):
        for ssn in (REC.ssn, "223456789"):
            got = _lookup(store, token_id, ssn)
            assert got == _lookup_in_tx(store, token_id, ssn), (token_id, ssn)
            record_read = got[2] is not None
            assert record_read == (token_id in ("00000000000a", "00000000000b", "00000000000c")
                                   and ssn == REC.ssn)
    token, sub, rec = _lookup(store, "00000000000b", REC.ssn)
    assert token is not None and sub is not None and sub["name"] == ODD_NAME and rec == REC
    assert store.reads.token_and_lookup("00000000000d", REC.ssn).record_row is None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40), token_id=st.text(max_size=20),
       ssn=st.text(alphabet="0123456789-% ?'", max_size=11))
def test_any_key_reads_as_in_a_transaction(store: Store, name: str, token_id: str,
                                           ssn: str) -> None:
    name, token_id = name.replace("\x00", ""), token_id.replace("\x00", "")  # PG refuses NUL
    assert store.reads.subscriber_and_record(name, ssn) == _in_tx(store, name, ssn)
    with store.transaction(write=False) as tx:
        assert store.reads.token_row(token_id) == tx.token_row(token_id)
    assert _lookup(store, token_id, ssn) == _lookup_in_tx(store, token_id, ssn)


def test_a_read_leaves_no_transaction_open(store: Store) -> None:
    _subscriber(store, "bank")
    for _ in range(3):
        store.reads.subscriber_and_record("bank", REC.ssn)
        store.reads.token_row("0123456789ab")
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            # a reader still holding its snapshot would keep the checkpoint from the end
            with store.transaction() as tx:
                tx.save_record(REC, now=NOW, existed=False)
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            assert busy == 0
        else:
            states = conn.exec_driver_sql(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").scalars().all()
            assert states and "idle in transaction" not in states


def test_a_dropped_connection_is_replaced(store: Store, store_url: str) -> None:
    _subscriber(store, "bank")
    assert store.reads.subscriber_and_record("bank", REC.ssn)[0] is not None
    before = list(store.reads._idle)  # kept alive, so no id is reused
    if store.dialect == "sqlite":
        for conn, _cursor in store.reads._idle:  # the one way to lose a file's handle
            conn.dbapi_connection.close()
    else:
        admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            ended = conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalars()
            assert any(ended)
        admin.dispose()
    assert store.reads.subscriber_and_record("bank", REC.ssn)[0] is not None
    assert store.reads.token_row("0123456789ab") is None
    assert before and not ({id(c) for c, _ in before}
                           & {id(c) for c, _ in store.reads._idle})


def test_driver_errors_are_translated(store_url: str) -> None:
    bare = Store.open(store_url)  # never migrated: no tables
    try:
        with pytest.raises(StoreError, match="registry database"):
            bare.reads.token_row("0123456789ab")
        with pytest.raises(StoreError, match="registry database"):
            bare.reads.subscriber_and_record("bank", REC.ssn)
        with pytest.raises(StoreError, match="registry database"):
            bare.reads.token_and_lookup("0123456789ab", REC.ssn)
    finally:
        bare.close()
    gone = Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="unavailable"):
        gone.reads.token_row("0123456789ab")


def test_reads_from_many_threads_at_once(store: Store) -> None:
    for i in range(8):
        _subscriber(store, f"bank-{i}")
    with store.transaction() as tx:
        tx.save_record(REC, now=NOW, existed=False)

    def read(i: int) -> bool:
        sub, rec = store.reads.subscriber_and_record(f"bank-{i % 8}", REC.ssn)
        return sub is not None and sub["name"] == f"bank-{i % 8}" and rec == REC

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(read, range(400)))
    assert len(store.reads._idle) <= 8  # connections are reused, not piled up


def test_an_in_memory_sqlite_registry_is_read_on_its_own_connection() -> None:
    memory = Store.open("sqlite://")
    try:
        memory.migrate()
        with memory.transaction() as tx:
            tx.save_record(REC, now=NOW, existed=False)
        assert memory.reads.subscriber_and_record("bank", REC.ssn) == (None, REC)
        _subscriber(memory, "bank")  # the database is still the one the reads saw
        sub, rec = memory.reads.subscriber_and_record("bank", REC.ssn)
        assert sub is not None and rec == REC
        with memory.transaction() as tx:  # a read inside a transaction leaves it open
            tx.revoke_token("0123456789ab", NOW)
            assert memory.reads.token_row("0123456789ab") is None
            tx.append_event(actor="a", kind="test", subject="s", detail={})
        with memory.transaction(write=False) as tx:
            assert [e["kind"] for e in tx.events()][-1] == "test"
    finally:
        memory.close()


def _release(store: Store, number: int) -> None:
    with store.transaction() as tx:
        tx.insert_release({"id": number, "built_at": f"2026-11-0{number}T00:00:00+00:00",
                           "built_by": "b", "directory": f"/r/{number}",
                           "previous_id": number - 1 or None, "record_count": 1,
                           "adds": 1, "changes": 0, "deletes": 0,
                           "manifest_sha256": "0" * 64, "key_id": "k"})


def _context_in_tx(store: Store, name: str | None, ssn: str | None) -> tuple:
    with store.transaction(write=False) as tx:
        rec = tx.get_record(ssn) if ssn else None
        return (tx.latest_release_row(), tx.subscriber_row(name) if name else None, rec,
                tx.record_updated_at(ssn) if rec is not None else None)


def test_match_context_is_the_transactions_reads(store: Store) -> None:
    """The one-row match's read (latest release, subscriber, record and when it last
    changed) gives what its four reads in a transaction give, whichever exist."""
    def both(name: str | None, ssn: str | None) -> None:
        got = store.reads.match_context(name, ssn)
        assert (got.release, got.subscriber, got.record, got.updated_at) == _context_in_tx(
            store, name, ssn)

    both("bank", "123456789")  # nothing yet
    both(None, None)
    _subscriber(store, "bank")
    with store.transaction() as tx:
        tx.save_record(REC, now=NOW, existed=False)
    both("bank", "123456789")
    both("nobody", "123456789")
    both("bank", "987654321")
    _release(store, 1)
    _release(store, 2)
    got = store.reads.match_context("bank", "123456789")
    assert got.release is not None and got.release["id"] == 2  # the latest
    assert got.updated_at == NOW and got.record == REC
    both("bank", "123456789")
    both(None, "123456789")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(statuses=st.lists(st.sampled_from(list(RecordStatus)), min_size=1, max_size=45),
       extra=st.lists(st.from_regex(r"9[0-9]{8}", fullmatch=True), max_size=30))
def test_unpublished_among_is_the_work_queues_for_these_ssns(
        store: Store, statuses: list[RecordStatus], extra: list[str]) -> None:
    """Which of some SSNs are not plainly published now: the full list's answer for just
    those, however many are asked about (more than one statement's worth included),
    with SSNs that have no record and repeats among them."""
    with store.transaction() as tx:
        tx.conn.execute(text("DELETE FROM records"))
        for i, status in enumerate(statuses):
            tx.save_record(replace(REC, ssn=f"{100000000 + i}", status=status,
                                   review_reasons=()), now=NOW, existed=False)
        everything = tx.unpublished_ssns()
    asked = [f"{100000000 + i}" for i in range(len(statuses))] + extra + extra[:3]
    assert store.reads.unpublished_among(asked) == frozenset(everything)
    assert store.reads.unpublished_among(asked[::2]) == frozenset(everything & set(asked[::2]))
    assert store.reads.unpublished_among([]) == frozenset()
