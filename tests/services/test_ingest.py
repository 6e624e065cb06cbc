"""Ingestion end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registered import ensure_source
from vitalstat.domain.consolidate import consolidate, effective_reports
from vitalstat.domain.integrity import Evidence, apply_holds, record_holds
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.errors import AnonymousReportError, BadLinesError, ValidationError
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

HEADER = "ssn,last_name,first_name,date_of_death,date_of_birth,proof,reporter_name\n"


def csv(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def ingest(store: Store, path: Path, kind: str = "funeral-home", sid: str = "fh-1", **kw):
    ensure_source(store, kind, sid)
    return ingest_file(store, path, source_kind=kind, source_id=sid, actor="tester", **kw)


def snapshot(store: Store) -> dict:
    with store.transaction(write=False) as tx:
        return {"counts": tx.counts(), "records": list(tx.all_records()),
                "events": len(tx.events())}


def test_ingest_creates_reports_records_and_one_event(store: Store, tmp_path: Path) -> None:
    path = csv(tmp_path, "fh.csv", "123-45-6789,Smith,Ann,2020-05-17,1930-01-02,V,J. Doe",
               "223456789,O'Brien,José,2021-03,,,J. Doe")
    result = ingest(store, path)
    assert (result.lines, result.reports_new, result.records_created) == (2, 2, 2)
    with store.transaction(write=False) as tx:
        rec = tx.get_record("223456789")
        assert rec is not None and rec.name.last == "OBRIEN" and rec.name.first == "JOSE"
        assert str(rec.date_of_death) == "2021-03"
        # one unverified report from a funeral home waits out the grace period
        assert rec.status is RecordStatus.PENDING
        assert rec.review_reasons == (ReviewReason.SINGLE_UNVERIFIED,)
        verified = tx.get_record("123456789")
        assert verified is not None and verified.status is RecordStatus.PUBLISHED
        (event,) = [e for e in tx.events() if e["kind"] == "reports.ingested"]
        assert event["actor"] == "tester" and '"reports_new":2' in event["detail"]
        (rep,) = tx.reports_for_ssn("123456789")
        assert rep.reporter.name == "J. Doe" and rep.received_at is not None
        assert len(rep.payload_hash) == 64


def test_the_same_file_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = csv(tmp_path, "fh.csv", "123456789,Smith,Ann,2020-05-17,,,")
    first = ingest(store, path)
    before = snapshot(store)
    again = ingest(store, path)
    assert again.already_ingested and again.batch_id == first.batch_id
    assert snapshot(store) == before


def test_overlapping_file_loads_only_new_reports(store: Store, tmp_path: Path) -> None:
    ingest(store, csv(tmp_path, "a.csv", "123456789,Smith,Ann,2020-05-17,,,"))
    result = ingest(store, csv(tmp_path, "b.csv", "123456789,Smith,Ann,2020-05-17,,,",
                               "223456789,Jones,Bo,2020-05-17,,,"))
    assert (result.reports_new, result.reports_duplicate, result.records_created) == (1, 1, 1)


def test_one_bad_line_loads_nothing_and_names_file_line_field(store: Store,
                                                               tmp_path: Path) -> None:
    ingest(store, csv(tmp_path, "ok.csv", "323456789,Lee,Kim,2019-01-01,,,"))
    before = snapshot(store)
    path = csv(tmp_path, "bad.csv", "123456789,Smith,Ann,2020-05-17,,,",
               "666456789,Jones,Bo,2020-05-17,,,", "223456789,Jones,Bo,2020-02-30,,,")
    with pytest.raises(BadLinesError) as info:
        ingest(store, path)
    message = info.value.args[0]
    assert f"{path}:3: ssn: area number 666" in message
    assert f"{path}:4: date_of_death: day 30 does not exist" in message
    assert info.value.total == 2
    assert snapshot(store) == before


def test_quarantine_writes_bad_lines_aside_and_loads_the_rest(store: Store,
                                                              tmp_path: Path) -> None:
    path = csv(tmp_path, "mixed.csv", "123456789,Smith,Ann,2020-05-17,,,",
               "12345678X,Jones,Bo,2020-05-17,,,")
    aside = tmp_path / "aside" / "bad.csv"
    result = ingest(store, path, quarantine=aside)
    assert (result.reports_new, result.lines_quarantined) == (1, 1)
    assert aside.read_text().splitlines() == [HEADER.strip(), "12345678X,Jones,Bo,2020-05-17,,,"]
    assert "mixed.csv:3: ssn: must be 9 digits" in (tmp_path / "aside" / "bad.csv.errors.txt"
                                                     ).read_text()


def test_anonymous_and_unknown_sources_are_refused(store: Store, tmp_path: Path) -> None:
    path = csv(tmp_path, "a.csv", "123456789,Smith,Ann,2020-05-17,,,")
    with pytest.raises(AnonymousReportError):
        ingest(store, path, sid="  ")
    with pytest.raises(ValidationError, match="unknown source kind"):
        ingest(store, path, kind="rumour")
    assert snapshot(store)["counts"]["reports"] == 0


def test_sources_disagreeing_put_the_record_on_hold(store: Store, tmp_path: Path) -> None:
    ingest(store, csv(tmp_path, "fh.csv", "123456789,Smith,Ann,2020-05-17,,,"))
    result = ingest(store, csv(tmp_path, "oh.csv", "123456789,Smith,Ann,2020-06-17,,P,"),
                    kind="state-vital-records", sid="OH")
    assert result.records_held == ["123456789"] and result.records_changed == 1
    with store.transaction(write=False) as tx:
        rec = tx.get_record("123456789")
        assert rec is not None and rec.status is RecordStatus.HELD and rec.restricted
        assert rec.review_reasons == (ReviewReason.CONFLICTING_DATE_OF_DEATH,)
        assert [e["kind"] for e in tx.events(subject="record:123456789")] == ["record.held"]


def test_dmf_delete_withdraws(store: Store, tmp_path: Path) -> None:
    from vitalstat.domain.identity import PartialDate
    from vitalstat.formats.dmf import DmfEntry, write_dmf

    entry = DmfEntry(" ", "123456789", "SMITH", "", "ANN", "", "P", PartialDate(2020, 5, 17),
                     PartialDate(1930, 1, 2), "", "", "")
    full, upd = tmp_path / "full.dmf", tmp_path / "upd.dmf"
    write_dmf(full, [entry])
    write_dmf(upd, [replace(entry, action="D")], update=True)
    ingest(store, full, kind="legacy-dmf", sid="ntis")
    ingest(store, upd, kind="legacy-dmf", sid="ntis")
    with store.transaction(write=False) as tx:
        rec = tx.get_record("123456789")
        assert rec is not None and rec.status is RecordStatus.WITHDRAWN and rec.version == 2


ssns = st.sampled_from(["123456789", "223456789", "323456789", "423456789"])
lines = st.tuples(ssns, st.sampled_from(["Smith", "Smyth"]),
                  st.sampled_from(["2020-05-17", "2020-05", "2020-06-01", "2021", "2099-01"]),
                  st.sampled_from(["", "1900-01-01", "2015-02-03", "1950"]),
                  st.sampled_from(["", "P", "V"]))
batches = st.lists(st.tuples(st.sampled_from(["funeral-home", "family", "state-vital-records"]),
                             st.lists(lines, min_size=1, max_size=4)), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches)
def test_every_stored_record_is_what_the_domain_says(sqlite_store: Store, tmp_path: Path,
                                                      plan: list) -> None:
    """Bulk and per-SSN paths together always agree with the pure domain: consolidation,
    then the integrity rules."""
    with sqlite_store.engine.begin() as conn:  # fresh registry per example
        for table in ("records", "reports", "batches", "source_days", "sources"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    for i, (kind, rows) in enumerate(plan):
        body = [f"{ssn},{last},Ann,{dod},{dob},{proof}," for ssn, last, dod, dob, proof in rows]
        ingest(sqlite_store, csv(tmp_path, f"b{i}.csv", *body), kind=kind, sid=kind[:3])
    with sqlite_store.transaction(write=False) as tx:
        for rec in tx.all_records():
            reports = tx.reports_for_ssn(rec.ssn)
            record = consolidate(reports)
            assert record is not None
            standing = effective_reports(reports)
            today = datetime.now(UTC).date()
            evidence = Evidence(today=today, first_reported=min(
                (r.received_at.date() for r in standing), default=None))
            expected = apply_holds(record, record_holds(record, standing, evidence))
            assert replace(rec, version=1) == replace(expected, version=1)


def test_quarantine_of_a_parquet_file_keeps_its_bad_rows_as_parquet(store: Store,
                                                                     tmp_path: Path) -> None:
    from vitalstat.formats.tabular import read_parquet, write_parquet

    path = tmp_path / "agency.parquet"
    write_parquet(path, [
        {"ssn": "123456789", "last_name": "Smith", "date_of_death": "2020-05-17"},
        {"ssn": "000456789", "last_name": "Jones", "date_of_death": "2020-05-17"},
        {"ssn": "223456789", "last_name": "Lee", "date_of_death": "2020-02-31"},
    ])
    aside = tmp_path / "bad.parquet"
    result = ingest(store, path, kind="federal-agency", sid="va", quarantine=aside)
    assert (result.reports_new, result.lines_quarantined) == (1, 2)
    problems = [p for chunk in read_parquet(aside) for p in chunk.problems]
    assert [p.field for p in problems] == ["ssn", "date_of_death"]


def _first_load_lines() -> list[str]:
    """Unique, repeated (agreeing) and conflicting SSNs, some deaths too recent to publish."""
    lines = []
    for n in range(300):
        ssn = f"{123 + n % 7:03d}{10 + n % 80:02d}{1000 + n:04d}"
        lines.append(f"{ssn},Name{n % 31},First{n % 11},20{10 + n % 12}-0{1 + n % 9}-1{n % 9},"
                     f"19{30 + n % 50}-01-02,{'V' if n % 3 else ''},Reporter {n % 5}")
        if n % 10 == 0:  # the same person again, agreeing
            lines.append(lines[-1].replace(f"Reporter {n % 5}", "Second reporter"))
        if n % 25 == 0:  # again, with another date of death
            lines.append(f"{ssn},Name{n % 31},First{n % 11},2009-12-31,,V,Third reporter")
    return [*lines, "523456789,Old,Person,2020-01-01,1850-01-01,V,Reporter 1"]  # aged 170


def _outcome(store: Store) -> tuple:
    with store.transaction(write=False) as tx:
        records = sorted((r.ssn, r.status.value, r.review_reasons, str(r.date_of_death),
                          r.report_count) for r in tx.all_records())
        counts = tx.counts()
    return counts, records


def _journal_while_loading(store: Store, path: Path, journal: Path, **kw) -> list[bool]:
    """Ingest ``path``; whether a rollback journal existed after each chunk."""
    seen: list[bool] = []
    ingest(store, path, progress=lambda _done, _total: seen.append(journal.exists()), **kw)
    return seen


def test_a_direct_first_load_decides_what_the_wal_path_decides(tmp_path: Path) -> None:
    """SQLite: a first load past ``direct_min_bytes`` writes without the WAL (a rollback
    journal appears while it runs); the next load, into a registry that has reports, goes
    through the WAL; both end as the same registry as the WAL path all along."""
    from vitalstat.synth import write_dmf_full_file

    first = csv(tmp_path, "first.csv", *_first_load_lines())
    dmf = tmp_path / "later.dmf"
    write_dmf_full_file(dmf, 500, seed=3)
    outcomes = []
    for direct in (True, False):
        db = tmp_path / f"{'direct' if direct else 'wal'}.db"
        store = Store.open(f"sqlite:///{db}")
        store.migrate()
        journal = Path(f"{db}-journal")
        try:
            seen = _journal_while_loading(store, first, journal,
                                          direct_min_bytes=0 if direct else 1 << 40)
            assert seen and all(seen) is direct and any(seen) is direct
            seen = _journal_while_loading(store, dmf, journal, kind="legacy-dmf",
                                          sid="ntis", direct_min_bytes=0)
            assert seen and not any(seen)  # the registry had reports: the WAL path
            assert store.integrity_check() == []
            outcomes.append(_outcome(store))
        finally:
            store.close()
    assert outcomes[0] == outcomes[1]
    counts, records = outcomes[0]
    assert counts["records"] == 801 and counts["reports"] == 843
    assert {r[1] for r in records} == {"published", "pending", "held"}


def test_a_first_load_in_ssn_order_is_told_its_repeats_and_decides_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file sorted by SSN (as DMF files are) tells the first load its repeated SSNs
    (``SsnOrder``) instead of a scan of the stored reports: same registry either way."""
    from vitalstat.formats.rows import SsnOrder

    lines = sorted(_first_load_lines())  # sorted by SSN, repeats next to each other
    path = csv(tmp_path, "sorted.csv", *lines)
    told = SsnOrder.repeated
    answers: list[list[str] | None] = []
    outcomes = []
    for scan in (False, True):
        monkeypatch.setattr(SsnOrder, "repeated",
                            (lambda self: None) if scan else
                            (lambda self: answers.append(told(self)) or answers[-1]))
        store = Store.open(f"sqlite:///{tmp_path / f'{scan}.db'}")
        store.migrate()
        try:
            ingest(store, path)
            outcomes.append(_outcome(store))
        finally:
            store.close()
    assert answers and answers[0] is not None and len(answers[0]) == 36  # n % 10, n % 25
    assert outcomes[0] == outcomes[1]
