"""Correction cases and two-person hold decisions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from registered import ensure_source
from vitalstat.domain.cases import CaseState
from vitalstat.domain.integrity import IntegrityRules
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.errors import ConflictError, NotFoundError, RefusedError
from vitalstat.services import cases as svc
from vitalstat.services.holds import decide_hold
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

HEADER = "ssn,last_name,first_name,date_of_death,date_of_birth,proof,reporter_name\n"
RULES = IntegrityRules()
R = ReviewReason
SSN = "123456789"


def ingest(store: Store, tmp: Path, name: str, line: str, kind: str = "funeral-home") -> None:
    path = tmp / name
    path.write_text(HEADER + line + "\n", encoding="utf-8")
    ensure_source(store, kind, f"{kind}-1")
    ingest_file(store, path, source_kind=kind, source_id=f"{kind}-1", actor="clerk")


def record(store: Store, ssn: str = SSN):
    with store.transaction(write=False) as tx:
        rec = tx.get_record(ssn)
    assert rec is not None
    return rec


def evidence_file(tmp: Path) -> Path:
    path = tmp / "passport-scan.txt"
    path.write_text("synthetic identity document\n")
    return path


def test_a_wrongly_listed_person_is_reinstated_and_gets_a_checkable_letter(
        store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path, "fh.csv", f"{SSN},Smith,Ann,2026-03-02,1950-01-01,V,J. Doe")
    assert record(store).status is RecordStatus.PUBLISHED
    case = svc.open_case(store, ssn=SSN, kind="erroneous-death", opened_by="person",
                         contact="ann@example.org", actor="ann", rules=RULES)
    assert case.number == "C-000001" and case.state is CaseState.OPEN
    assert record(store).status is RecordStatus.HELD
    assert record(store).review_reasons == (R.OPEN_CASE,)
    with pytest.raises(RefusedError, match="no evidence"):
        svc.decide_case(store, case.number, "reinstate", reason="she is alive",
                        actor="cw1", cases_dir=tmp_path, rules=RULES)
    svc.add_evidence(store, case.number, evidence_file(tmp_path),
                     evidence_type="identity-document", actor="ann", cases_dir=tmp_path,
                     rules=RULES)
    view = svc.decide_case(store, case.number, "reinstate", reason="ID seen in person",
                           actor="cw1", cases_dir=tmp_path, rules=RULES)
    # nobody had received the listing yet, so every recipient (none) is notified at once
    assert view.case.state is CaseState.CLOSED and view.letter is not None
    assert record(store).status is RecordStatus.WITHDRAWN
    letter = view.letter.read_text()
    assert "C-000001" in letter and "XXX-XX-6789" in letter and SSN not in letter
    code = letter.split('class="code">')[1].split("<")[0]
    check = svc.verify_letter(store, code, view.letter)
    assert check.number == "C-000001" and check.file_matches is True
    view.letter.write_text(letter.replace("ANN", "EVE"))
    assert svc.verify_letter(store, code, view.letter).file_matches is False
    with pytest.raises(NotFoundError):
        svc.verify_letter(store, "0000-0000-0000-0000")
    (stored,) = view.evidence
    kept = (tmp_path / "evidence" / stored["sha256"]).read_bytes()
    assert kept == b"synthetic identity document\n"
    # a later report from another (non-vital) source cannot list the person again
    ingest(store, tmp_path, "fam.csv", f"{SSN},Smith,Ann,2026-03-02,1950-01-01,V,Son",
           kind="family")
    rec = record(store)
    assert rec.status is RecordStatus.HELD and R.PREVIOUSLY_ERRONEOUS in rec.review_reasons
    steps = [s.what for s in svc.show_case(store, case.number).case.timeline]
    assert steps == ["opened", "evidence", "decided", "notified"]
    with store.transaction(write=False) as tx:
        kinds = [e["kind"] for e in tx.events() if e["subject"] == "case:C-000001"]
    # the decision tried before any evidence was refused, and that is on the log too
    assert kinds == ["case.opened", "attempt.refused", "case.evidence", "case.reinstated",
                     "case.closed"]
    stats = svc.correction_stats(store)
    assert stats.closed == 1 and stats.recipients == {"C-000001": 0}
    assert stats.median_days is not None and stats.median_days < 1


def test_reinstating_a_state_record_needs_a_second_user(store: Store, tmp_path: Path) -> None:
    ingest(store, tmp_path, "st.csv", f"{SSN},Smith,Ann,2026-03-02,1950-01-01,P,Registrar",
           kind="state-vital-records")
    case = svc.open_case(store, ssn=SSN, kind="erroneous-death", opened_by="representative",
                         contact="lawyer@example.org", actor="cw1", rules=RULES)
    svc.add_evidence(store, case.number, evidence_file(tmp_path),
                     evidence_type="vital-record-retraction", actor="cw1",
                     cases_dir=tmp_path, rules=RULES)
    view = svc.decide_case(store, case.number, "reinstate", reason="state retracted",
                           actor="cw1", cases_dir=tmp_path, rules=RULES)
    assert view.case.state is CaseState.AWAITING_APPROVAL
    assert record(store).status is RecordStatus.HELD
    with pytest.raises(RefusedError, match="second, different user"):
        svc.approve_case(store, case.number, actor="cw1", cases_dir=tmp_path, rules=RULES)
    done = svc.approve_case(store, case.number, actor="cw2", cases_dir=tmp_path, rules=RULES)
    assert done.case.state is CaseState.CLOSED and done.letter is not None
    assert record(store).status is RecordStatus.WITHDRAWN


def test_a_rejected_case_releases_its_hold_after_a_second_user(store: Store,
                                                             tmp_path: Path) -> None:
    ingest(store, tmp_path, "fh.csv", f"{SSN},Smith,Ann,2026-03-02,1950-01-01,V,J. Doe")
    case = svc.open_case(store, ssn=SSN, kind="wrong-details", opened_by="subscriber",
                         contact="bank@example.org", actor="bank", rules=RULES)
    view = svc.decide_case(store, case.number, "reject", reason="details match the report",
                           actor="cw1", cases_dir=tmp_path, rules=RULES)
    assert view.case.state is CaseState.AWAITING_APPROVAL
    back = svc.refuse_case(store, case.number, actor="cw2", reason="call the family first",
                           cases_dir=tmp_path, rules=RULES)
    assert back.case.state is CaseState.OPEN and record(store).status is RecordStatus.HELD
    svc.decide_case(store, case.number, "reject", reason="family confirmed",
                    actor="cw1", cases_dir=tmp_path, rules=RULES)
    svc.approve_case(store, case.number, actor="cw2", cases_dir=tmp_path, rules=RULES)
    assert record(store).status is RecordStatus.PUBLISHED
    assert [c.case.state for c in svc.list_cases(store, ssn=SSN)] == [CaseState.REJECTED]


def test_evidence_of_life_after_the_death_keeps_the_record_held(store: Store,
                                                               tmp_path: Path) -> None:
    ingest(store, tmp_path, "fh.csv", f"{SSN},Smith,Ann,2026-03-02,1950-01-01,V,J. Doe")
    case = svc.open_case(store, ssn=SSN, kind="erroneous-death", opened_by="person",
                         contact="ann@example.org", actor="ann", rules=RULES)
    svc.add_evidence(store, case.number, evidence_file(tmp_path),
                     evidence_type="evidence-of-life", alive_on=date(2026, 6, 1),
                     actor="ann", cases_dir=tmp_path, rules=RULES)
    assert set(record(store).review_reasons) == {R.OPEN_CASE, R.EVIDENCE_OF_LIFE}


def test_hold_release_needs_two_users_and_reject_takes_the_record_off(
        store: Store, tmp_path: Path) -> None:
    future = f"{datetime.now(UTC).year + 1}-01-01"
    ingest(store, tmp_path, "a.csv", f"{SSN},Smith,Ann,2020-01-01,1900-01-01,V,J. Doe")
    ingest(store, tmp_path, "b.csv", f"223456789,Lee,Bo,{future},,V,J. Doe")
    assert record(store).review_reasons == (R.AGE_OVER_LIMIT,)
    today = datetime.now(UTC).date()
    first = decide_hold(store, SSN, "release", actor="cw1", note="birth certificate seen",
                        today=today, rules=RULES)
    assert first.outcome == "proposed" and first.needs == ("release-hold",)
    with pytest.raises(RefusedError, match="second, different user"):
        decide_hold(store, SSN, "release", actor="cw1", note="again", today=today, rules=RULES)
    with pytest.raises(ConflictError, match="already proposed"):
        decide_hold(store, SSN, "reject", actor="cw2", note="no", today=today, rules=RULES)
    done = decide_hold(store, SSN, "release", actor="cw2", note="agreed", today=today,
                       rules=RULES)
    assert done.outcome == "applied" and done.record.status is RecordStatus.PUBLISHED
    assert record(store).status is RecordStatus.PUBLISHED
    gone = decide_hold(store, "223456789", "reject", actor="cw1", note="a date in the future",
                       today=today, rules=RULES)
    assert gone.outcome == "applied" and gone.record.status is RecordStatus.WITHDRAWN
    with pytest.raises(ConflictError, match="not held"):
        decide_hold(store, "223456789", "release", actor="cw2", note="x", today=today,
                    rules=RULES)
