"""The store's contract: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from vitalstat.domain.consolidate import sole_report_record
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.integrity import IntegrityRules, lone_report_screen
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import ProofLevel, Source, SourceKind
from vitalstat.errors import (
    AppendOnlyViolation,
    ConflictError,
    SchemaOutOfDateError,
    StoreError,
)
from vitalstat.formats.rows import ReportRow, build_row
from vitalstat.store import Store
from vitalstat.store.repo import RECORD_ARROW_SCHEMA
from vitalstat.store.schema import metadata

SRC = Source(SourceKind.FUNERAL_HOME, "fh-1")
NOW_TEXT = "2026-11-01T00:00:00+00:00"


def row(line: int, ssn: str, *, last: str = "SMITH", dod: str = "2020-05-17",
        action: str = "A", dob: str = "1930-01-02", proof: str = "V") -> ReportRow:
    built = build_row(file="t", line_no=line,
                      payload=f"{line}{ssn}{last}{dod}{action}{dob}{proof}".encode(),
                      action=action, ssn=ssn, last_name=last, first_name="Ann",
                      proof=proof, date_of_death=dod, date_of_birth=dob,
                      reporter_name="R. Director", reporter_contact="555-0100")
    assert isinstance(built, ReportRow)
    return built


def new_batch(store: Store, rows: list[ReportRow], source: Source = SRC,
              sha: str = "f" * 64) -> tuple[int, int]:
    with store.transaction() as tx:
        found = tx.source_row(source)
        spk = int(found["id"]) if found else tx.insert_source(
            source, actor="tester", at="2026-11-01T00:00:00+00:00", surge_ceiling=None, note="")
        batch = tx.insert_batch(source_pk=spk, file_name="t.csv", file_sha256=sha, fmt="csv",
                                received_at="2026-11-01T00:00:00+00:00", actor="tester")
        return batch, tx.insert_reports(batch, spk, rows)


def test_migrated_schema_matches_the_declared_tables(store: Store) -> None:
    store.check_schema()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrate_is_idempotent_and_unmigrated_store_is_refused(store: Store,
                                                               store_url: str) -> None:
    assert store.migrate() == store.head_revision()
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    with pytest.raises(SchemaOutOfDateError, match="vitalstat init"):
        store.check_schema()


def test_events_are_append_only(store: Store) -> None:
    with store.transaction() as tx:
        tx.append_event(actor="a", kind="test", subject="s", detail={"x": 1})
    for statement in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises(AppendOnlyViolation), store.transaction() as tx:
            tx.conn.execute(text(statement))
    with store.transaction(write=False) as tx:
        assert [e["actor"] for e in tx.events()] == ["a"]


def test_a_source_is_registered_once_with_its_ceiling(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.source_row(SRC) is None
        pk = tx.insert_source(SRC, actor="alice", at="2026-11-01T00:00:00+00:00",
                              surge_ceiling=7, note="a state office")
        row = tx.source_row(SRC)
        assert row is not None and row["id"] == pk and row["surge_ceiling"] == 7
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.insert_source(SRC, actor="bob", at="2026-11-02T00:00:00+00:00",
                         surge_ceiling=None, note="")
    with store.transaction(write=False) as tx:
        assert [r["registered_by"] for r in tx.source_rows()] == ["alice"]


@pytest.mark.parametrize("direct_rows", [1000, 0])
def test_reports_are_deduplicated_per_source_by_payload_hash(
        store: Store, direct_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """On each path (PostgreSQL: one INSERT for a small batch, else a temporary table
    filled by COPY): duplicates skipped, within the batch too, and ids in line order."""
    monkeypatch.setattr("vitalstat.store.repo._PG_DIRECT_ROWS", direct_rows)
    rows = [row(1, "123456789"), row(2, "223456789")]
    _, new = new_batch(store, [*rows, rows[0]._replace(line_no=9)])
    assert new == 2  # the repeated line is the same report
    _, again = new_batch(store, [*rows, row(3, "423456789"), row(4, "323456789")],
                         sha="e" * 64)
    assert again == 2
    with store.transaction(write=False) as tx:
        got = tx.conn.execute(text("SELECT line_no, ssn FROM reports ORDER BY id")).all()
        assert [tuple(r) for r in got] == [(1, "123456789"), (2, "223456789"),
                                           (3, "423456789"), (4, "323456789")]
    other = Source(SourceKind.FAMILY, "fam-1")
    _, elsewhere = new_batch(store, rows, source=other, sha="d" * 64)
    assert elsewhere == 2  # the same words from another source are another report
    with store.transaction(write=False) as tx:
        reps = tx.reports_for_ssn("123456789")
    assert [str(r.source) for r in reps] == [str(SRC), str(other)]
    assert reps[0].reporter.name == "R. Director" and reps[0].proof is ProofLevel.VERIFIED


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        spk = tx.insert_source(SRC, actor="t", at="2026-01-01T00:00:00+00:00",
                               surge_ceiling=None, note="")
        batch = tx.insert_batch(source_pk=spk, file_name="x", file_sha256="a" * 64, fmt="dmf",
                                received_at="2026-01-01T00:00:00+00:00", actor="t")
        tx.insert_reports(batch, spk, [row(1, "123456789")])
        raise RuntimeError("crash mid-way")
    with store.transaction(write=False) as tx:
        assert tx.counts()["reports"] == 0 and tx.counts()["sources"] == 0
        assert tx.events() == []


def test_record_round_trip(store: Store) -> None:
    rec = DeathRecord(ssn="123456789", name=PersonName("O BRIEN", "JOSE", "M", "JR"),
                      date_of_death=PartialDate(2001, 3), date_of_birth=None,
                      proof=ProofLevel.PROVEN, status=RecordStatus.HELD,
                      review_reasons=(ReviewReason.CONFLICTING_NAME,
                                      ReviewReason.CONFLICTING_DATE_OF_DEATH),
                      restricted=True, report_count=2, state="OH", version=3)
    with store.transaction() as tx:
        tx.save_record(rec, now="2026-01-01T00:00:00+00:00", existed=False)
    with store.transaction(write=False) as tx:
        assert tx.get_record("123456789") == rec
        assert tx.get_record("223456789") is None


SCREEN = lone_report_screen(SourceKind.FUNERAL_HOME, date(2026, 12, 1), IntegrityRules())


@pytest.mark.parametrize("batch_reports", [None, 3, 2000])
def test_bulk_record_path_equals_the_domain_rule(store: Store, batch_reports) -> None:
    """The set-based insert makes exactly the record domain.sole_report_record makes,
    by each of its paths (PostgreSQL: directly for a small batch, else by a temporary
    table)."""
    rows = [row(1, "123456789"), row(2, "223456789", dod="1999-00-00"),
            row(3, "323456789", action="D", dod="")]
    batch, _ = new_batch(store, rows)
    with store.transaction() as tx:
        assert tx.batch_ssns_needing_consolidation(batch, 0, SCREEN) == ["323456789"]
        status, restricted = RecordStatus.PUBLISHED, False
        made = tx.create_records_from_sole_reports(batch, 0, status=status, restricted=restricted,
                                                   screen=SCREEN,
                                                   now="2026-01-01T00:00:00+00:00",
                                                   batch_reports=batch_reports)
        assert made == 2
    with store.transaction(write=False) as tx:
        for ssn in ("123456789", "223456789"):
            (only,) = tx.reports_for_ssn(ssn)
            assert tx.get_record(ssn) == sole_report_record(only)
        assert tx.get_record("323456789") is None


def test_the_sql_screen_routes_exactly_what_the_domain_screen_does_not_clear(
        store: Store) -> None:
    grid = [(dod, dob, proof)
            for dod in ("2026-11-30", "2026-12-00", "2026-12-01", "2026-12-02", "2027-00-00",
                        "2000-06-15")
            for dob in (None, "1885-00-00", "1884-06-01", "1982-00-00", "1981-06-15",
                        "2000-07-01", "2001-01-01")
            for proof in ("", "V")]
    rows = [row(i + 1, f"{100 + i:03d}456789", dod=dod, dob=dob or "", proof=proof)
            for i, (dod, dob, proof) in enumerate(grid)]
    batch, _ = new_batch(store, rows)
    with store.transaction() as tx:
        routed = set(tx.batch_ssns_needing_consolidation(batch, 0, SCREEN))
        made = tx.create_records_from_sole_reports(
            batch, 0, status=RecordStatus.PUBLISHED, restricted=False, screen=SCREEN,
            now="2026-01-01T00:00:00+00:00")
    expected = {r.ssn for r in rows
                if not SCREEN.clears(r.date_of_death or "", r.date_of_birth, r.proof)}
    assert routed == expected and 0 < len(expected) < len(rows)
    assert made == len(rows) - len(expected)


class _Rollback(Exception):
    pass


def _consolidate_sets(store: Store, batch: int, *, first_load: bool,
                      repeated: list[str] | None = None) -> tuple[list[str], dict]:
    """What the two set-based steps route and make, rolled back afterwards."""
    out: tuple[list[str], dict] = ([], {})
    with pytest.raises(_Rollback), store.transaction() as tx:
        routed = tx.batch_ssns_needing_consolidation(batch, 0, SCREEN, first_load=first_load,
                                                     repeated=repeated)
        tx.create_records_from_sole_reports(
            batch, 0, status=RecordStatus.PUBLISHED, restricted=False, screen=SCREEN,
            now="2026-01-01T00:00:00+00:00", first_load=first_load)
        made = tx.conn.execute(text("SELECT * FROM records ORDER BY ssn")).all()
        out = (routed, {r[0]: tuple(r) for r in made})
        raise _Rollback
    return out


def test_first_load_takes_the_same_decisions_without_probes(store: Store) -> None:
    """A first load finds repeated SSNs by one scan (or is told them) instead of probing
    per row; it must route and make exactly what the probing path does."""
    rows = [row(1, "123456789"), row(2, "223456789"), row(3, "223456789", last="SMYTH"),
            row(4, "323456789", action="D", dod=""), row(5, "423456789", dod="2027-00-00"),
            row(6, "523456789", dob="2021-00-00"), row(7, "623456789", proof=""),
            row(8, "723456789", dob="")]
    with store.transaction() as tx:
        assert tx.first_load(0) is (store.dialect == "sqlite")
    batch, _ = new_batch(store, rows)
    probing = _consolidate_sets(store, batch, first_load=False)
    assert probing[0] == ["223456789", "323456789", "423456789", "523456789", "623456789"]
    assert sorted(probing[1]) == ["123456789", "723456789"]
    assert _consolidate_sets(store, batch, first_load=True) == probing
    # the repeated SSNs as the file told them (SsnOrder), instead of the scan
    assert _consolidate_sets(store, batch, first_load=True, repeated=["223456789"]) == probing
    # more than the repeated ones: those only go through the domain instead
    routed, made = _consolidate_sets(store, batch, first_load=True,
                                     repeated=["123456789", "223456789", "999999999"])
    assert routed == sorted([*probing[0], "123456789"])
    assert made == {k: v for k, v in probing[1].items() if k != "123456789"}
    with store.transaction() as tx:
        assert not tx.first_load(tx.last_report_id())  # reports before the next batch
        tx.save_record(sole_report_record(tx.reports_for_ssn("123456789")[0]),
                       now="2026-01-01T00:00:00+00:00", existed=False)
        assert not tx.first_load(0)  # a record


def test_driver_errors_are_translated(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(StoreError):
        store.migrate()
    bad = Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError):
        bad.check_schema()


def test_record_batches_are_the_records_in_ssn_order(store: Store) -> None:
    now = "2026-11-01T00:00:00+00:00"
    wanted = []
    with store.transaction() as tx:
        for i, (ssn, status) in enumerate([("123456789", RecordStatus.PUBLISHED),
                                           ("012345678", RecordStatus.HELD),
                                           ("234567890", RecordStatus.PUBLISHED)]):
            rec = DeathRecord(ssn=ssn, name=PersonName("SMITH", f"ANN{i}", "", ""),
                              date_of_death=PartialDate.parse("2020-05-00"),
                              date_of_birth=None, proof=ProofLevel("V"), state="",
                              zip_residence="", zip_payment="", status=status,
                              review_reasons=(), restricted=i == 2, report_count=1, version=1)
            tx.save_record(rec, now=now, existed=False)
            wanted.append(rec)
    with store.transaction(write=False) as tx:
        every = [r for b in tx.record_batches(batch_rows=2) for r in b.to_pylist()]
        published = [r for b in tx.record_batches(statuses=[RecordStatus.PUBLISHED])
                     for r in b.to_pylist()]
    assert [r["ssn"] for r in every] == ["012345678", "123456789", "234567890"]
    assert [r["ssn"] for r in published] == ["123456789", "234567890"]
    assert every[2]["restricted"] is True and every[1]["restricted"] is False
    assert every[0]["date_of_death"] == "2020-05-00" and every[0]["date_of_birth"] is None
    assert every[0]["status"] == "held" and every[0]["version"] == 1


def test_record_batches_are_the_same_through_either_reader(sqlite_store: Store) -> None:
    """On SQLite a read-only transaction reads columnar (ADBC); a write one, the cursor."""
    now = "2026-11-01T00:00:00+00:00"
    with sqlite_store.transaction() as tx:
        for i in range(25):
            rec = DeathRecord(ssn=f"1234567{i:02d}", name=PersonName("SMITH", f"ANN{i}", "", ""),
                              date_of_death=PartialDate.parse("2020-05-00") if i % 3 else None,
                              date_of_birth=None if i % 2 else PartialDate(1930, 1, 2),
                              proof=ProofLevel("V"), status=RecordStatus.PUBLISHED,
                              restricted=i % 4 == 0, report_count=1, version=1 + i % 3)
            tx.save_record(rec, now=now, existed=False)
        cursor = [b for b in tx.record_batches(batch_rows=4)]
    with sqlite_store.transaction(write=False) as tx:
        columnar = [b for b in tx.record_batches(batch_rows=4)]
    assert pa.Table.from_batches(cursor).equals(pa.Table.from_batches(columnar))
    assert pa.Table.from_batches(columnar).schema == RECORD_ARROW_SCHEMA


def test_a_sources_daily_count_adds_up_per_source_and_day(store: Store) -> None:
    """The surge ceiling's count: each batch adds its new reports to its source's day and
    gets the day's total back; other days and other sources are counted apart; a rolled
    back batch counts nothing."""
    other = Source(SourceKind.FAMILY, "fam-1")
    with store.transaction() as tx:
        a = tx.insert_source(SRC, actor="t", at=NOW_TEXT, surge_ceiling=None, note="")
        b = tx.insert_source(other, actor="t", at=NOW_TEXT, surge_ceiling=None, note="")
        assert tx.count_reports_received(a, "2026-11-01", 3) == 3
        assert tx.count_reports_received(a, "2026-11-01", 0) == 3
        assert tx.count_reports_received(a, "2026-11-01", 4) == 7
        assert tx.count_reports_received(a, "2026-11-02", 1) == 1
        assert tx.count_reports_received(b, "2026-11-01", 2) == 2
    with pytest.raises(RuntimeError), store.transaction() as tx:
        assert tx.count_reports_received(a, "2026-11-01", 100) == 107
        raise RuntimeError("the batch fails")
    with store.transaction() as tx:
        assert tx.count_reports_received(a, "2026-11-01", 1) == 8


def _at_revision(store_url: str, revision: str) -> Store:
    """A registry migrated only up to ``revision``, with one funeral home (source 1)."""
    from alembic import command

    from vitalstat.store.engine import _alembic_config

    store = Store.open(store_url)
    with store.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
        conn.execute(text("INSERT INTO sources (id, kind, source_id, registered_at, "
                          "registered_by, note) VALUES (1, 'funeral-home', 'fh-1', "
                          "'2026-11-01T00:00:00+00:00', 't', '')"))
    return store


def test_migration_0010_counts_the_batches_so_far(store_url: str) -> None:
    """Upgrading a registry that has batches fills each source's days from them."""
    store = _at_revision(store_url, "0009")
    try:
        with store.engine.begin() as conn:
            for n, (at, new) in enumerate([("2026-11-01T08:00:00+00:00", 2),
                                           ("2026-11-01T23:59:59.999999+00:00", 5),
                                           ("2026-11-02T00:00:00+00:00", 1)], start=1):
                conn.execute(text(
                    "INSERT INTO batches (id, source_pk, file_name, file_sha256, format, "
                    "received_at, actor, lines, reports_new, reports_duplicate, "
                    "lines_quarantined) VALUES (:n, 1, 'f', :sha, 'csv', :at, 't', 1, :new, "
                    "0, 0)"), {"n": n, "sha": f"{n:064d}", "at": at, "new": new})
        assert store.migrate() == store.head_revision()
        with store.transaction() as tx:
            rows = tx.conn.execute(text(
                "SELECT day, reports_new FROM source_days ORDER BY day")).all()
            assert [tuple(r) for r in rows] == [("2026-11-01", 7), ("2026-11-02", 1)]
            assert tx.count_reports_received(1, "2026-11-01", 1) == 8
    finally:
        store.close()


def test_migration_0011_keeps_each_payload_hash_as_its_bytes(store_url: str) -> None:
    """Upgrading a registry with reports turns each hex hash into the same 32 bytes: the
    reports read back unchanged, and one sent again is still recognised."""
    report = row(1, "123456789")
    store = _at_revision(store_url, "0010")
    try:
        with store.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO batches (id, source_pk, file_name, file_sha256, format, "
                "received_at, actor, lines, reports_new, reports_duplicate, "
                "lines_quarantined) VALUES (1, 1, 'f', :sha, 'csv', "
                "'2026-11-01T00:00:00+00:00', 't', 1, 1, 0, 0)"), {"sha": "f" * 64})
            cols = ", ".join(report._fields)
            conn.execute(text(f"INSERT INTO reports (batch_id, source_pk, {cols}) VALUES "
                              f"(1, 1, {', '.join(':' + f for f in report._fields)})"),
                         report._asdict())
        assert store.migrate() == store.head_revision()
        store.check_schema()
        with store.transaction() as tx:
            stored = tx.conn.execute(text("SELECT payload_hash FROM reports")).scalar_one()
            assert bytes(stored) == bytes.fromhex(report.payload_hash)
            (back,) = tx.reports_for_ssn("123456789")
            assert back.payload_hash == report.payload_hash
            assert tx.insert_reports(1, 1, [report]) == 0  # the same report again
            assert tx.insert_reports(1, 1, [row(2, "123456789", last="SMYTH")]) == 1
    finally:
        store.close()
