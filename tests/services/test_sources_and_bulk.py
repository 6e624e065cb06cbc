"""Registered sources only, per-source surge ceilings, and two-person bulk actions;
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from release_helpers import ssn

from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.errors import (
    AnonymousReportError,
    ConflictError,
    NotFoundError,
    RefusedError,
    SelfApprovalError,
    UnregisteredSourceError,
    ValidationError,
)
from vitalstat.services import bulk
from vitalstat.services.holds import decide_hold
from vitalstat.services.ingest import ingest_file
from vitalstat.services.refusals import REFUSED_EVENT
from vitalstat.services.sources import list_sources, register_source, update_source
from vitalstat.store import Store

HEADER = "ssn,last_name,first_name,date_of_death,date_of_birth,proof\n"
RULES = IntegrityRules()
TODAY = datetime.now(UTC).date()


def write(tmp: Path, name: str, people: range) -> Path:
    path = tmp / name
    path.write_text(HEADER + "".join(f"{ssn(n)},Name{n},First,2025-0{1 + n % 9}-1{n % 9},"
                                     f"1940-01-01,V\n" for n in people))
    return path


def ingest(store: Store, path: Path, kind: str = "funeral-home", sid: str = "fh-1"):
    return ingest_file(store, path, source_kind=kind, source_id=sid, actor="loader",
                       rules=RULES)


def refusals(store: Store) -> list[dict]:
    with store.transaction(write=False) as tx:
        return [json.loads(e["detail"]) for e in tx.events(kind=REFUSED_EVENT)]


def statuses(store: Store, people: range) -> set[RecordStatus]:
    with store.transaction(write=False) as tx:
        return {rec.status for n in people if (rec := tx.get_record(ssn(n))) is not None}


def test_reports_from_an_unregistered_source_are_refused_audited_and_load_nothing(
        store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "fh.csv", range(3))
    with pytest.raises(UnregisteredSourceError, match="source register funeral-home fh-1"):
        ingest(store, path)
    with pytest.raises(ValidationError, match="unknown source kind"):
        ingest(store, path, kind="psychic")
    with pytest.raises(AnonymousReportError):
        ingest(store, path, sid="  ")
    with store.transaction(write=False) as tx:
        counts = tx.counts()
    assert counts["reports"] == 0 and counts["records"] == 0 and counts["batches"] == 0
    assert [(r["attempt"], r["code"], r["file"]) for r in refusals(store)] == [
        ("ingest", "unregistered-source", "fh.csv"), ("ingest", "invalid", "fh.csv"),
        ("ingest", "anonymous-report", "fh.csv")]
    register_source(store, kind="funeral-home", source_id="fh-1", actor="registrar",
                    note="licensed home")
    with pytest.raises(ConflictError, match="already registered"):
        register_source(store, kind="funeral-home", source_id="fh-1", actor="someone")
    assert ingest(store, path).reports_new == 3
    (info,) = list_sources(store)
    assert (str(info.source), info.reports, info.batches, info.registered_by) == (
        "funeral-home/fh-1", 3, 1, "registrar")


def test_each_source_has_its_own_daily_surge_ceiling(store: Store, tmp_path: Path) -> None:
    register_source(store, kind="funeral-home", source_id="small", actor="r", surge_ceiling=2)
    register_source(store, kind="funeral-home", source_id="big", actor="r")
    small = ingest(store, write(tmp_path, "a.csv", range(0, 3)), sid="small")
    assert small.batch_reasons == [ReviewReason.SOURCE_SURGE.value]
    assert statuses(store, range(0, 3)) == {RecordStatus.HELD}
    big = ingest(store, write(tmp_path, "b.csv", range(10, 13)), sid="big")
    assert big.batch_reasons == [] and statuses(store, range(10, 13)) == {
        RecordStatus.PUBLISHED}
    # raising the small source's ceiling lets its next batch through
    update_source(store, kind="funeral-home", source_id="small", actor="r", surge_ceiling=100)
    assert ingest(store, write(tmp_path, "c.csv", range(20, 23)), sid="small").batch_reasons == []
    back = update_source(store, kind="funeral-home", source_id="small", actor="r",
                         surge_ceiling=None)
    assert back.surge_ceiling is None
    with pytest.raises(ValidationError):
        update_source(store, kind="funeral-home", source_id="small", actor="r", surge_ceiling=-1)
    with pytest.raises(NotFoundError):
        update_source(store, kind="family", source_id="nobody", actor="r", surge_ceiling=1)


def test_a_bulk_release_needs_a_second_user_and_applies_to_the_frozen_selection(
        store: Store, tmp_path: Path) -> None:
    register_source(store, kind="funeral-home", source_id="fh-1", actor="r", surge_ceiling=3)
    held = ingest(store, write(tmp_path, "surge.csv", range(5)))
    assert held.batch_reasons == ["source-surge"]
    proposal = bulk.propose_bulk(store, "release", actor="cw1", note="the home's year-end file",
                                 batch=held.batch_id)
    assert proposal.number == "B-000001" and proposal.size == 5
    assert set(proposal.outcomes.values()) == {None}
    # one record is rejected on its own before the approval: the bulk action skips it
    decide_hold(store, ssn(0), "reject", actor="cw3", note="family says no", today=TODAY,
                rules=RULES)
    with pytest.raises(SelfApprovalError):
        bulk.approve_bulk(store, "B-000001", actor="CW1 ", today=TODAY, rules=RULES)
    assert [(r["attempt"], r["code"]) for r in refusals(store)] == [
        ("bulk-approve", "self-approval")]
    assert statuses(store, range(1, 5)) == {RecordStatus.HELD}  # nothing changed
    done = bulk.approve_bulk(store, "b-000001", actor="cw2", today=TODAY, rules=RULES)
    assert done.state == "applied" and done.decided_by == "cw2"
    assert done.outcomes == {ssn(0): "skipped", **{ssn(n): "published" for n in range(1, 5)}}
    assert statuses(store, range(1, 5)) == {RecordStatus.PUBLISHED}
    with pytest.raises(ConflictError, match="applied, not proposed"):
        bulk.approve_bulk(store, "B-000001", actor="cw4", today=TODAY, rules=RULES)
    with store.transaction(write=False) as tx:
        published = tx.events(subject=f"record:{ssn(1)}", kind="record.published")
        (applied,) = tx.events(kind="bulk.applied")
    assert json.loads(published[0]["detail"])["bulk"] == "B-000001"
    assert published[0]["actor"] == "cw2"
    assert json.loads(applied["detail"])["outcomes"] == {"published": 4, "skipped": 1}
    assert [b.number for b in bulk.list_bulk(store, state="applied")] == ["B-000001"]


def test_bulk_reject_by_reason_refusal_and_what_cannot_be_released(store: Store,
                                                                   tmp_path: Path) -> None:
    register_source(store, kind="funeral-home", source_id="fh-1", actor="r", surge_ceiling=2)
    ingest(store, write(tmp_path, "surge.csv", range(3)))
    with pytest.raises(RefusedError, match="open-case"):
        bulk.propose_bulk(store, "release", actor="cw1", note="x", code="open-case")
    with pytest.raises(NotFoundError):
        bulk.propose_bulk(store, "reject", actor="cw1", note="x", code="age-over-limit")
    with pytest.raises(ValidationError):
        bulk.propose_bulk(store, "reject", actor="cw1", note="x")
    with pytest.raises(ValidationError):
        bulk.propose_bulk(store, "reject", actor="cw1", note=" ", code="source-surge")
    first = bulk.propose_bulk(store, "reject", actor="cw1", note="a flood", code="source-surge")
    refused = bulk.refuse_bulk(store, first.number, actor="cw2", note="they are real")
    assert refused.state == "refused" and statuses(store, range(3)) == {RecordStatus.HELD}
    second = bulk.propose_bulk(store, "reject", actor="cw1", note="a flood, confirmed",
                               code="source-surge")
    done = bulk.approve_bulk(store, second.number, actor="cw2", today=TODAY, rules=RULES)
    assert done.tally() == {"withdrawn": 3}
    assert statuses(store, range(3)) == {RecordStatus.WITHDRAWN}
    assert bulk.show_bulk(store, "B-000002").decided_by == "cw2"
    with pytest.raises(NotFoundError):
        bulk.show_bulk(store, "B-000009")


SOURCES = [("funeral-home", "fh-a"), ("family", "fam-b"), ("federal-agency", "fed-c"),
           ("financial-institution", "bank-d")]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registered=st.sets(st.sampled_from(range(len(SOURCES)))),
       sends=st.lists(st.tuples(st.sampled_from(range(len(SOURCES))), st.integers(0, 30)),
                      min_size=1, max_size=6))
def test_no_record_comes_from_an_unregistered_source(registered: set[int],
                                                     sends: list[tuple[int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/r.db")
        store.migrate()
        for i in sorted(registered):
            register_source(store, kind=SOURCES[i][0], source_id=SOURCES[i][1], actor="r")
        refused = 0
        for k, (i, person) in enumerate(sends):
            path = write(Path(tmp), f"f{k}.csv", range(person, person + 2))
            try:
                ingest(store, path, kind=SOURCES[i][0], sid=SOURCES[i][1])
            except UnregisteredSourceError:
                refused += 1
        with store.transaction(write=False) as tx:
            senders = {row[0] for row in tx.conn.exec_driver_sql(
                "SELECT s.source_id FROM reports r JOIN sources s ON s.id = r.source_pk")}
            ssns = {row[0] for row in tx.conn.exec_driver_sql("SELECT ssn FROM records")}
            reported = {row[0] for row in tx.conn.exec_driver_sql("SELECT ssn FROM reports")}
        store.close()
    assert senders <= {SOURCES[i][1] for i in registered}
    assert ssns <= reported
    assert refused == sum(i not in registered for i, _ in sends)
