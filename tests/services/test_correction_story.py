"""The story issue 5 is about, end to end on both backends: a living person wrongly
reported dead by a funeral home is matched by a bank, opens a case, is reinstated, and
the bank's next delivery carries the deletion and a correction notice."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from registered import ensure_source
from vitalstat.domain.cases import CaseState
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.records import RecordStatus
from vitalstat.formats.dmf import parse_line
from vitalstat.services import cases, keys
from vitalstat.services.distribution import deliver
from vitalstat.services.ingest import ingest_file
from vitalstat.services.matching import run_match
from vitalstat.services.releases import build_release, verify_release
from vitalstat.services.subscribers import add_subscriber
from vitalstat.store import Store

RULES = IntegrityRules()
TODAY = date(2026, 12, 1)
ANN = "123456789"  # alive, reported dead by mistake


def test_wrongly_listed_matched_reinstated_and_the_bank_is_told(store: Store,
                                                                tmp_path: Path) -> None:
    keys.generate_key(store, tmp_path / "keys", actor="keeper")
    reports = tmp_path / "funeral-home.csv"
    reports.write_text(
        "ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof,reporter_name\n"
        f"{ANN},Smith,Ann,Marie,2025-10-02,1950-04-11,V,J. Doe\n"
        "223456789,Jones,Robert,Lee,2025-09-14,1938-02-20,P,J. Doe\n")
    ensure_source(store, "funeral-home", "fh-9")
    ingest_file(store, reports, source_kind="funeral-home", source_id="fh-9", actor="clerk")

    def release() -> int:
        built = build_release(store, actor="builder", releases=tmp_path / "releases",
                              keys=tmp_path / "keys")
        verify_release(built.release.path, keys=tmp_path / "keys")
        return built.release.id

    def delivery() -> tuple[Path, list[tuple[str, str]]]:
        sent = deliver(store, "first-bank", out=tmp_path / "out", actor="clerk",
                       keys=tmp_path / "keys", today=TODAY)
        verify_release(sent.directory, keys=tmp_path / "keys")
        lines = (sent.directory / f"{sent.kind}.dmf").read_text().splitlines()
        return sent.directory, [(line[0], parse_line(line).ssn) for line in lines]

    assert release() == 1
    add_subscriber(store, "first-bank", tier="certified", actor="clerk",
                   certified_until=date(2027, 6, 30))
    _, first = delivery()
    assert (" ", ANN) in first  # inside the embargo: a certified bank receives it

    customers = tmp_path / "customers.csv"
    customers.write_text("id,ssn,first_name,last_name,dob\n"
                         "c1,123-45-6789,Ann,Smith,1950-04-11\n")

    def decision() -> str:
        run_match(store, customers, tmp_path / "decisions.csv", actor="bank")
        with (tmp_path / "decisions.csv").open() as fh:
            (row,) = list(csv.DictReader(fh))
        return row["decision"]

    assert decision() == "match"  # the bank now believes its customer is dead

    case = cases.open_case(store, ssn=ANN, kind="erroneous-death", opened_by="person",
                           contact="ann.smith@example.org", actor="ann", rules=RULES)
    assert decision() == "review"  # an open case: never `match` again while it is open
    proof = tmp_path / "id-document.txt"
    proof.write_text("synthetic identity document for the test\n")
    cases.add_evidence(store, case.number, proof, evidence_type="identity-document",
                       actor="caseworker", cases_dir=tmp_path / "cases", rules=RULES)
    view = cases.decide_case(store, case.number, "reinstate", reason="identity seen",
                             actor="caseworker", cases_dir=tmp_path / "cases", rules=RULES)
    assert view.case.state is CaseState.REINSTATED  # the bank still holds the listing
    with store.transaction(write=False) as tx:
        assert (rec := tx.get_record(ANN)) is not None and rec.status is RecordStatus.WITHDRAWN

    assert release() == 2
    folder, update = delivery()
    assert update == [("D", ANN)]
    with (folder / "corrections.csv").open() as fh:
        notice = list(csv.DictReader(fh))
    assert [(n["ssn"], n["case"]) for n in notice] == [(ANN, case.number)]
    assert "552a(c)(4)" in notice[0]["notice"]
    closed = cases.show_case(store, case.number)
    assert closed.case.state is CaseState.CLOSED
    assert [s.what for s in closed.case.timeline][-1] == "notified"
    stats = cases.correction_stats(store)
    assert stats.closed == 1 and stats.recipients == {case.number: 1}
    assert decision() == "none"  # gone from the file
