"""Disclosure requests, approvals, answers, the accounting and the transparency report,
on SQLite and PostgreSQL. The first test is the issue's story, end to end."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from disclosure_helpers import disclosure_request
from registered import ensure_source
from vitalstat.audit.verify import check_files
from vitalstat.errors import (
    ConflictError,
    DisclosureRefused,
    RefusedError,
    RoleRequired,
    StoreError,
)
from vitalstat.services import accounting as acc
from vitalstat.services import audit, keys
from vitalstat.services import disclosure as svc
from vitalstat.services import disclosure_bases as bases
from vitalstat.services.distribution import deliver
from vitalstat.services.ingest import ingest_file
from vitalstat.services.releases import build_release
from vitalstat.services.subscribers import add_subscriber
from vitalstat.store import Store

TODAY = date(2026, 12, 1)
ANN, BOB, LEE1, LEE2 = "123456789", "223456789", "323456789", "423456789"
PO = frozenset({"privacy-officer"})
ADMIN = frozenset({"admin"})


@pytest.fixture
def registry(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "fh.csv"
    path.write_text(
        "ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof,reporter_name\n"
        f"{ANN},Smith,Ann,Marie,2025-10-02,1950-04-11,P,J. Doe\n"
        f"{BOB},Jones,Robert,Lee,1999-09-14,1938-02-20,P,J. Doe\n"
        f"{LEE1},Kim,Lee,,2010-01-05,1941-07-07,P,J. Doe\n"
        f"{LEE2},Kim,Lee,,2012-03-09,1941-07-07,P,J. Doe\n")
    ensure_source(store, "funeral-home", "fh-9")
    ingest_file(store, path, source_kind="funeral-home", source_id="fh-9", actor="clerk")
    return store


def request(basis: str = "program-fraud", **changes: Any) -> dict[str, Any]:
    return disclosure_request(basis, **changes)


def answer(store: Store, number: str, tmp_path: Path, today: date = TODAY
           ) -> tuple[svc.AnswerResult, dict[str, Any]]:
    out = tmp_path / f"{number}.json"
    result = svc.answer_request(store, number, actor="clerk", out=out, today=today)
    return result, json.loads(out.read_text())


def kinds(store: Store, number: str) -> list[str]:
    with store.transaction(write=False) as tx:
        return [e["kind"] for e in tx.events(subject=f"disclosure:{number}")]


def test_the_story_request_approval_minimal_answer_accounting_events(
        registry: Store, tmp_path: Path) -> None:
    store = registry
    # Ann's record also went to a certified bank inside the embargo: that is a disclosure
    keys.generate_key(store, tmp_path / "keys", actor="keeper")
    build_release(store, actor="builder", releases=tmp_path / "rel", keys=tmp_path / "keys")
    add_subscriber(store, "first-bank", tier="certified", actor="clerk",
                   certified_until=date(2027, 6, 30), address="9 Bank Street, Columbus OH")
    deliver(store, "first-bank", out=tmp_path / "out", actor="clerk", keys=tmp_path / "keys",
            today=TODAY)

    view = svc.submit_request(store, request(), actor="clerk", today=TODAY)
    number = view.number
    assert view.state.value == "pending" and [m.value for m in view.missing] == ["second-user"]
    with pytest.raises(RefusedError, match="only an approved request"):  # deny by default
        svc.answer_request(store, number, actor="clerk", out=tmp_path / "x.json", today=TODAY)
    with pytest.raises(RefusedError, match="cannot approve"):
        svc.approve_request(store, number, actor="clerk", roles=PO)
    approved = svc.approve_request(store, number, actor="supervisor", roles=frozenset())
    assert approved.state.value == "approved"

    result, doc = answer(store, number, tmp_path)
    assert (result.found, result.no_record, result.ambiguous) == (1, 0, 0)
    assert doc["subjects"] == [{"subject": 1, "result": "found", "record": {
        "name": {"first": "ANN", "middle": "MARIE", "last": "SMITH", "suffix": ""},
        "date_of_death": "2025-10-02", "status": "published"}}]
    assert "notice" not in doc and "ssn" not in json.dumps(doc["subjects"])
    assert svc.show_request(store, number).state.value == "answered"
    with pytest.raises(RefusedError, match="answered"):  # answered once
        answer(store, number, tmp_path)

    person = acc.accounting_for(store, ANN)
    # the law-enforcement answer (401.155(c)) is withheld from the person, but counted
    assert person.withheld == 1
    assert [e.recipient for e in person.entries] == ["first-bank"]
    assert person.entries[0].recipient_address == "9 Bank Street, Columbus OH"
    assert "certified" in person.entries[0].purpose
    staff = [e for e in person.all_entries if e.reference == number]
    assert len(staff) == 1 and staff[0].recipient == "Office of the Inspector General"
    assert staff[0].recipient_address.startswith("1 Example Plaza")
    assert staff[0].purpose == "benefit fraud case 2026-017"
    assert "name, date_of_death, status" in staff[0].nature
    # Bob died in 1999: past the embargo, public when delivered, so not accounted
    assert acc.accounting_for(store, BOB).all_entries == ()

    assert kinds(store, number) == ["disclosure.requested", "disclosure.approval",
                                    "disclosure.approved", "disclosure.answered"]
    with store.transaction(write=False) as tx:
        (answered,) = tx.events(subject=f"disclosure:{number}", kind="disclosure.answered")
    detail = json.loads(answered["detail"])
    assert detail["sha256"] == result.sha256 and detail["counts"]["found"] == 1
    assert ANN not in answered["detail"]  # the event names counts, not people
    # ... and the answer event is a leaf of the signed audit log, provably
    audit.write_checkpoint(store, keys=tmp_path / "keys", actor="auditor")
    assert audit.verify_audit_log(store, trusted=audit.trusted_keys(tmp_path / "keys")
                                  ).first is None
    proof = tmp_path / "answered-proof.json"
    proof.write_text(json.dumps(audit.prove_inclusion(store, int(answered["id"]))))
    assert check_files(proof, [tmp_path / "keys" / "release.pub"]).startswith(
        f"ok: event {answered['id']} (disclosure.answered)")

    report = acc.transparency_report(store, TODAY.year)
    assert report.requests == 1 and report.records_disclosed == 1
    assert report.by_basis == [("program-fraud", 1)]
    assert report.by_agency == [("Office of the Inspector General", 1)]
    assert report.by_outcome == [("answered", 1)]
    assert report.deliveries_above_open == [("first-bank", "certified", 4)]


def test_invalid_requests_are_recorded_refused_with_reasons_and_never_answered(
        registry: Store, tmp_path: Path) -> None:
    bad = request("serious-crime", signer="", fields=["name", "sources"],
                  subjects=[{"ssn": ANN, "first_name": "Ann", "last_name": "Smith",
                             "date_of_birth": "1950-04-11", "case_status": "suspect"}])
    with pytest.raises(DisclosureRefused) as refused:
        svc.submit_request(registry, bad, actor="clerk", today=TODAY)
    reasons = refused.value.reasons
    assert "missing signer" in reasons
    assert any("does not allow field(s) sources" in r for r in reasons)
    assert any("suspects-only" in r for r in reasons)
    number = refused.value.number
    shown = svc.show_request(registry, number)
    assert shown.state.value == "refused" and shown.reasons == reasons
    assert kinds(registry, number) == ["disclosure.refused"]
    with pytest.raises(ConflictError):
        svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    with pytest.raises(RefusedError, match="refused"):
        answer(registry, number, tmp_path)
    assert acc.transparency_report(registry, TODAY.year).by_outcome == [("refused", 1)]


def test_an_ssn_that_belongs_to_someone_else_gets_no_hint(registry: Store,
                                                          tmp_path: Path) -> None:
    subjects = [
        # Bob's SSN with Ann's name: Bob's record must not show, nor that the SSN exists
        {"ssn": BOB, "first_name": "Ann", "last_name": "Smith", "date_of_birth": "1950-04-11"},
        # an SSN nobody holds
        {"ssn": "523456789", "first_name": "Ann", "last_name": "Smith",
         "date_of_birth": "1950-04-11"},
        # name + SSN fitting two records (Lee Kim twice, same birthday): no disclosure
        {"ssn": LEE1, "first_name": "Lee", "last_name": "Kim", "date_of_birth": "1941-07-07"},
    ]
    number = svc.submit_request(registry, request(subjects=subjects), actor="clerk",
                                today=TODAY).number
    svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    result, doc = answer(registry, number, tmp_path)
    first, second, third = doc["subjects"]
    assert {k: v for k, v in first.items() if k != "subject"} == {
        k: v for k, v in second.items() if k != "subject"} == {"result": "no record"}
    assert third["result"] == "not disclosed" and "record" not in third
    assert "JONES" not in json.dumps(doc) and "KIM" not in json.dumps(doc)
    assert (result.found, result.no_record, result.ambiguous) == (0, 2, 1)
    assert acc.accounting_for(registry, BOB).all_entries == ()
    assert acc.accounting_for(registry, LEE1).all_entries == ()


def test_national_security_needs_the_privacy_officer_and_a_second_user(
        registry: Store) -> None:
    number = svc.submit_request(registry, request("national-security"), actor="clerk",
                                today=TODAY).number
    one = svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    assert one.state.value == "pending" and [m.value for m in one.missing] == [
        "privacy-officer"]
    with pytest.raises(RefusedError, match="already approved"):
        svc.approve_request(registry, number, actor="supervisor", roles=PO)
    done = svc.approve_request(registry, number, actor="pat", roles=PO)
    assert done.state.value == "approved"
    other = svc.submit_request(registry, request("national-security"), actor="pat",
                               today=TODAY).number
    with pytest.raises(RefusedError, match="cannot approve"):  # an officer who recorded it
        svc.approve_request(registry, other, actor="pat", roles=PO)


def test_denied_requests_are_never_answered(registry: Store, tmp_path: Path) -> None:
    number = svc.submit_request(registry, request(), actor="clerk", today=TODAY).number
    svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    denied = svc.deny_request(registry, number, actor="pat", reason="no open case on file")
    assert denied.state.value == "denied" and denied.reasons == ["no open case on file"]
    with pytest.raises(RefusedError, match="denied"):
        answer(registry, number, tmp_path)
    assert acc.accounting_for(registry, ANN).all_entries == ()


def test_bulk_only_under_an_approved_agreement_inside_its_dates_with_the_notice(
        registry: Store, tmp_path: Path) -> None:
    add_subscriber(registry, "benefits-agency-x", tier="benefits-agency", actor="clerk",
                   agreement_id="CMA-7", agreement_start=date(2026, 3, 1),
                   agreement_end=date(2027, 8, 31), address="2 Agency Road")
    rows = [{"ssn": ANN, "first_name": "Ann", "last_name": "Smith",
             "date_of_birth": "1950-04-11"}] * 25
    bulk = request("matching-agreement", agency="benefits-agency-x", agreement="CMA-7",
                   agency_address="2 Agency Road", subjects=rows, fields=["ssn", "status"])
    with pytest.raises(DisclosureRefused, match="Data Integrity Board"):
        svc.submit_request(registry, bulk, actor="clerk", today=TODAY)
    with pytest.raises(DisclosureRefused, match="more than program-fraud allows"):
        svc.submit_request(registry, request(subjects=rows), actor="clerk", today=TODAY)
    with pytest.raises(RoleRequired):
        bases.record_agreement(registry, "CMA-7", actor="clerk", roles=frozenset(),
                             board_approved_on=date(2026, 1, 10), notice_on=date(2026, 1, 15),
                             authority="Social Security Act 205(r)")
    bases.record_agreement(registry, "CMA-7", actor="pat", roles=PO,
                         board_approved_on=date(2026, 1, 10), notice_on=date(2026, 1, 15),
                         authority="Social Security Act 205(r)")
    number = svc.submit_request(registry, bulk, actor="clerk", today=TODAY).number
    svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    with pytest.raises(DisclosureRefused, match="in force only"):  # after the agreement ends
        answer(registry, number, tmp_path, today=date(2027, 9, 1))
    assert svc.show_request(registry, number).state.value == "approved"
    result, doc = answer(registry, number, tmp_path)
    assert result.found == 25 and "independently verified" in doc["notice"]
    assert doc["subjects"][0]["record"] == {"ssn": ANN, "status": "published"}
    assert len(acc.accounting_for(registry, ANN).entries) == 25  # shown to the person


def test_admins_edit_bases_within_the_law_and_answers_follow_the_narrowed_basis(
        registry: Store, tmp_path: Path) -> None:
    number = svc.submit_request(registry, request(), actor="clerk", today=TODAY).number
    svc.approve_request(registry, number, actor="supervisor", roles=frozenset())
    with pytest.raises(RoleRequired):
        bases.set_basis(registry, "program-fraud", actor="clerk", roles=frozenset(),
                      fields=["name"])
    with pytest.raises(RefusedError, match="second user"):
        bases.set_basis(registry, "program-fraud", actor="root", roles=ADMIN,
                      approvals=["privacy-officer"])
    with pytest.raises(RefusedError, match="must keep need 'indictment'"):
        bases.set_basis(registry, "serious-crime", actor="root", roles=ADMIN, needs=[])
    with pytest.raises(RefusedError, match="bulk"):
        bases.set_basis(registry, "routine-use", actor="root", roles=ADMIN, bulk=True)
    narrowed = bases.set_basis(registry, "program-fraud", actor="root", roles=ADMIN,
                             fields=["name", "status", "ssn"])
    assert {f.value for f in narrowed.fields} == {"name", "status", "ssn"}
    _, doc = answer(registry, number, tmp_path)
    assert set(doc["subjects"][0]["record"]) == {"name", "status"}  # date_of_death cut
    with registry.transaction(write=False) as tx:
        (edit,) = tx.events(subject="basis:program-fraud")
    assert edit["kind"] == "disclosure.basis-set" and edit["actor"] == "root"
    detail = json.loads(edit["detail"])
    assert "date_of_death" in detail["before"]["fields"]
    assert "date_of_death" not in detail["after"]["fields"]
    assert bases.get_basis(registry, "program-fraud") == narrowed
    new = bases.set_basis(registry, "state-audit", actor="root", roles=ADMIN, title="Audit",
                        citation="5 U.S.C. 552a(b)(9)", fields=["status"], max_subjects=5)
    assert new.max_subjects == 5 and new in bases.list_bases(registry)


def test_accounting_is_purged_only_after_its_retention(registry: Store) -> None:
    number = svc.submit_request(registry, request(), actor="clerk", today=TODAY).number
    rid = svc.parse_request_number(number)
    entry = {"request_id": rid, "basis": "program-fraud", "nature": "n", "purpose": "p",
             "recipient": "r", "recipient_address": "a", "hidden_from_subject": True}
    with registry.transaction() as tx:  # an old entry about a record that is gone
        tx.insert_accounting([{**entry, "ssn": "623456789",
                               "disclosed_at": "2015-01-01T00:00:00+00:00"}])
        tx.insert_accounting([{**entry, "ssn": ANN,  # a record that still exists
                               "disclosed_at": "2016-01-01T00:00:00+00:00"}])
    with pytest.raises(RoleRequired):
        acc.purge_accounting(registry, before=date(2017, 1, 1), actor="clerk",
                             roles=frozenset(), today=TODAY)
    with pytest.raises(RefusedError, match="1 about records that still exist"):
        acc.purge_accounting(registry, before=date(2017, 1, 1), actor="root", roles=ADMIN,
                             today=TODAY)
    with registry.transaction(write=False) as tx:
        assert len(tx.accounting_rows()) == 2  # nothing purged
    with pytest.raises((ConflictError, StoreError), match="never changed"), \
            registry.transaction() as tx:  # nor rewritten by hand through the store
        tx.conn.execute(text("UPDATE disclosure_accounting SET recipient = 'nobody'"))
    with pytest.raises(RefusedError, match="less than 5 years"):
        acc.purge_accounting(registry, before=date(2016, 1, 1), actor="root", roles=ADMIN,
                             today=date(2019, 1, 1))
    done = acc.purge_accounting(registry, before=date(2016, 1, 1), actor="root", roles=ADMIN,
                                today=TODAY)
    assert done.purged == 1
    with registry.transaction(write=False) as tx:
        assert [r["ssn"] for r in tx.accounting_rows()] == [ANN]
        assert [e["kind"] for e in tx.events(subject="accounting")] == [
            "disclosure.accounting-purged"]


def test_the_readme_example_request_is_valid(registry: Store, tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Disclosure to other agencies", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "fraud-017.toml"
    path.write_text(example)
    view = svc.submit_request(registry, svc.load_request_file(path), actor="clerk",
                              today=TODAY)
    assert view.state.value == "pending" and view.row["basis"] == "program-fraud"


def test_a_subjects_file_adds_subjects(registry: Store, tmp_path: Path) -> None:
    (tmp_path / "subjects.csv").write_text(
        "ssn,first_name,last_name,date_of_birth\n"
        f"{BOB},Robert,Jones,1938-02-20\n,Lee,Kim,1941-07-07\n")
    path = tmp_path / "req.json"
    body = request(subjects_file="subjects.csv")
    path.write_text(json.dumps(body))
    data = svc.load_request_file(path)
    assert len(data["subjects"]) == 3
    with pytest.raises(DisclosureRefused, match="subject 3: without an SSN"):
        svc.submit_request(registry, data, actor="clerk", today=TODAY)
