"""Disclosure over the API, on both backends: an agency token records a request, staff
approve it, the agency collects a minimal answer; refused requests show their reasons;
the Privacy Officer's approval comes from that role's token; the staff and the person's
own accounting; a transparency report with counts only."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosure_helpers import disclosure_request
from vitalstat.domain.identity import normalize_name
from vitalstat.errors import NotFoundError
from vitalstat.services.accounting import NO_ACCOUNTING, accounting_for_person
from vitalstat.services.tokens import create_token
from web_helpers import ANN, OLD, World

YEAR = datetime.now(UTC).year


def request(basis: str = "routine-use", **changes: Any) -> dict[str, Any]:
    return disclosure_request(basis, **changes)


def _submit(world: World, body: dict[str, Any], who: str = "agency") -> dict[str, Any]:
    resp = world.client.post("/disclosures", json=body, headers=world.auth(who))
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _approve(world: World, number: str, who: str) -> dict[str, Any]:
    resp = world.client.post(f"/disclosures/{number}/approve", headers=world.auth(who))
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def test_the_story_agency_requests_approver_approves_agency_gets_a_minimal_answer(
        world: World) -> None:
    agency, c = world.auth("agency"), world.client
    view = _submit(world, request())
    number = view["number"]
    assert (view["state"], view["requested_by"], view["waiting_for"]) == (
        "pending", "agency-1", ["second-user"])
    early = c.post(f"/disclosures/{number}/answer", headers=agency)
    assert early.status_code == 422 and early.json()["error"]["code"] == "refused"
    approved = _approve(world, number, "approver")
    assert approved["state"] == "approved" and approved["waiting_for"] == []
    assert [a["approver"] for a in approved["approvals"]] == ["approver-1"]

    # another agency sees nothing of it, and cannot collect its answer
    world.tokens["agency-2"], _ = create_token(world.store, "agency-2", role="agency",
                                               actor="setup")
    other = world.auth("agency-2")
    assert c.get(f"/disclosures/{number}", headers=other).status_code == 404
    assert c.get("/disclosures", headers=other).json() == []
    stolen = c.post(f"/disclosures/{number}/answer", headers=other)
    assert stolen.status_code == 404
    assert c.get(f"/disclosures/{number}", headers=agency).json()["state"] == "approved"

    got = c.post(f"/disclosures/{number}/answer", headers=agency)
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["request"] == number and doc["basis"]["code"] == "routine-use"
    assert doc["fields"] == ["name", "date_of_death", "status"]
    (subject,) = doc["subjects"]
    assert subject["result"] == "found"
    assert subject["record"] == {"name": {"first": "ANN", "middle": "MARIE", "last": "SMITH",
                                          "suffix": ""},
                                 "date_of_death": "2025-10-02", "status": "published"}
    assert "ssn" not in subject["record"] and "date_of_birth" not in subject["record"]
    shown = c.get(f"/disclosures/{number}", headers=agency).json()
    assert shown["state"] == "answered" and shown["disclosed"] == 1
    assert shown["answer_sha256"] == hashlib.sha256(got.content).hexdigest()
    assert [s["outcome"] for s in shown["subjects"]] == ["found"]
    again = c.post(f"/disclosures/{number}/answer", headers=agency)
    assert again.status_code == 422  # answered once
    with world.store.transaction(write=False) as tx:
        steps = [(e["kind"], e["actor"]) for e in tx.events(subject=f"disclosure:{number}")]
    assert steps == [("disclosure.requested", "agency-1"), ("disclosure.approval", "approver-1"),
                     ("disclosure.approved", "approver-1"), ("disclosure.answered", "agency-1")]


def test_a_refused_request_names_every_reason_and_is_kept(world: World) -> None:
    body = request(basis="program-fraud", signer="", fields=["name", "reporters"])
    resp = world.client.post("/disclosures", json=body, headers=world.auth("agency"))
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "disclosure-refused"
    reasons = [p["reason"] for p in err["problems"]]
    assert "missing signer" in reasons
    assert any(r.startswith("program-fraud does not allow field(s) reporters") for r in reasons)
    number = err["message"].split()[1]
    kept = world.client.get(f"/disclosures/{number}", headers=world.auth("auditor")).json()
    assert kept["state"] == "refused" and kept["reasons"] == reasons
    # a malformed shape is not recorded: it is a malformed call
    bad = world.client.post("/disclosures", json={"subjects": "everyone"},
                            headers=world.auth("agency"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    listed = world.client.get("/disclosures?state=refused", headers=world.auth("admin")).json()
    assert [r["number"] for r in listed] == [number]


def test_the_requester_cannot_approve_and_the_privacy_officer_is_a_role(world: World) -> None:
    mine = _submit(world, request(), who="admin")["number"]
    same = world.client.post(f"/disclosures/{mine}/approve", headers=world.auth("admin"))
    assert same.status_code == 422 and same.json()["error"]["code"] == "self-approval"

    number = _submit(world, request(basis="national-security"))["number"]
    assert _approve(world, number, "approver")["waiting_for"] == ["privacy-officer"]
    twice = world.client.post(f"/disclosures/{number}/approve", headers=world.auth("approver"))
    assert twice.status_code == 422
    # a second approver is a second user, not the Privacy Officer
    assert _approve(world, number, "approver-2")["state"] == "pending"
    done = _approve(world, number, "privacy-officer")
    assert done["state"] == "approved"
    assert {a["approver"]: a["roles"] for a in done["approvals"]}["privacy-officer-1"] == [
        "privacy-officer"]
    denied = world.client.post(f"/disclosures/{number}/deny", json={"reason": "withdrawn"},
                               headers=world.auth("approver"))
    assert denied.status_code == 200 and denied.json()["state"] == "denied"
    never = world.client.post(f"/disclosures/{number}/answer", headers=world.auth("agency"))
    assert never.status_code == 422


def _answered(world: World, basis: str) -> str:
    number = _submit(world, request(basis=basis))["number"]
    _approve(world, number, "approver")
    if basis == "national-security":
        _approve(world, number, "privacy-officer")
    resp = world.client.post(f"/disclosures/{number}/answer", headers=world.auth("agency"))
    assert resp.status_code == 200, resp.text
    return number


def test_accounting_staff_view_and_the_persons_own_view(world: World) -> None:
    shown, hidden = _answered(world, "routine-use"), _answered(world, "program-fraud")
    staff = world.client.get(f"/accounting/{ANN}", headers=world.auth("privacy-officer"))
    assert staff.status_code == 200
    entries = staff.json()["entries"]
    assert [(e["reference"], e["withheld"]) for e in entries] == [(shown, False),
                                                                   (hidden, True)]
    assert staff.json()["withheld"] == 1
    assert entries[0]["recipient"] == "Office of the Inspector General"

    def person(**body: str):
        return world.client.post("/public/accounting", json={
            "ssn": "123-45-6789", "last_name": "smith", "date_of_birth": "1950-04-11", **body})

    mine = person()  # no token: the person, with the identifiers on the record
    assert mine.status_code == 200, mine.text
    assert [e["reference"] for e in mine.json()["entries"]] == [shown]
    assert set(mine.json()) == {"entries"}  # not even a count of what is withheld
    assert "withheld" not in mine.json()["entries"][0]
    misses = [person(date_of_birth="1950-04-12"), person(last_name="Smyth"),
              person(ssn=OLD, last_name="Smith"), person(ssn="823456789")]
    assert {r.status_code for r in misses} == {404}
    assert len({r.text for r in misses}) == 1  # never a hint which identifier was wrong
    assert "123456789" not in misses[0].text
    malformed = person(date_of_birth="11/04/1950")
    assert malformed.status_code == 422


def test_the_transparency_report_is_public_and_holds_counts_only(world: World) -> None:
    _answered(world, "national-security")
    world.client.post("/disclosures", json=request(signer=""), headers=world.auth("agency"))
    resp = world.client.get(f"/transparency?year={YEAR}")  # no token
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["requests"] == 2 and report["records_disclosed"] == 1
    assert {c["name"]: c["count"] for c in report["by_outcome"]} == {"answered": 1,
                                                                      "refused": 1}
    assert {c["name"] for c in report["by_basis"]} == {"national-security", "routine-use"}
    text = resp.text
    for personal in ("123456789", "123-45-6789", "SMITH", "Smith", "1950-04-11", "Dana Reyes",
                     "agency-1", "approver-1", "OIG-2026-017"):
        assert personal not in text, personal
    empty = world.client.get("/transparency?year=1999").json()
    assert empty["requests"] == 0 and empty["by_basis"] == []


def test_legal_bases_read_by_agencies_and_set_by_the_admin_only(world: World) -> None:
    listed = world.client.get("/legal-bases", headers=world.auth("agency"))
    assert listed.status_code == 200
    codes = {b["code"] for b in listed.json()}
    assert {"routine-use", "national-security", "matching-agreement"} <= codes
    ns = world.client.get("/legal-bases/national-security", headers=world.auth("agency")).json()
    assert ns["approvals"] == ["second-user", "privacy-officer"] and ns["hidden_from_subject"]
    number = _submit(world, request())["number"]  # approved before the basis narrows
    _approve(world, number, "approver")
    changed = world.client.put("/legal-bases/routine-use", json={"fields": ["ssn", "name"]},
                               headers=world.auth("admin"))
    assert changed.status_code == 200 and changed.json()["fields"] == ["name", "ssn"]
    floor = world.client.put("/legal-bases/routine-use", json={"approvals": []},
                             headers=world.auth("admin"))
    assert floor.status_code == 422 and floor.json()["error"]["code"] == "refused"
    assert world.client.put("/legal-bases/routine-use", json={},
                            headers=world.auth("approver")).status_code == 403
    assert world.client.get("/legal-bases/nope", headers=world.auth("agency")
                            ).status_code == 404
    # a field the basis no longer allows is cut from the answer
    doc = json.loads(world.client.post(f"/disclosures/{number}/answer",
                                       headers=world.auth("agency")).content)
    assert doc["fields"] == ["name"] and set(doc["subjects"][0]["record"]) == {"name"}


_NAMES = st.sampled_from(["Smith", "smith", " SMITH ", "Smíth", "Smyth", "Smith Jr", "Jones",
                          "Smit", "O'Smith"])


@given(last=_NAMES, dob=st.dates(min_value=date(1949, 1, 1), max_value=date(1951, 12, 31))
       | st.just(date(1950, 4, 11)))
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_persons_view_answers_exactly_when_surname_and_birth_date_agree(
        sqlite_world: World, last: str, dob: date) -> None:
    store = sqlite_world.store
    agrees = normalize_name(last) in ("SMITH", "SMITH JR") and dob == date(1950, 4, 11)
    try:
        accounting_for_person(store, ANN, last_name=last, date_of_birth=dob.isoformat())
    except NotFoundError as exc:
        assert not agrees, (last, dob)
        assert str(exc) == NO_ACCOUNTING
    else:
        assert agrees, (last, dob)


def test_bulk_under_a_matching_agreement_the_privacy_officer_records(world: World) -> None:
    from datetime import timedelta

    from vitalstat.services.subscribers import add_subscriber

    today = datetime.now(UTC).date()
    start = today - timedelta(days=60)
    add_subscriber(world.store, "benefits-x", tier="benefits-agency", actor="setup",
                   agreement_id="CMA-7", agreement_start=start,
                   agreement_end=start + timedelta(days=400), address="2 Agency Road")
    subject = {"ssn": ANN, "first_name": "Ann", "last_name": "Smith",
               "date_of_birth": "1950-04-11"}
    bulk = request("matching-agreement", agency="benefits-x", agreement="CMA-7",
                   agency_address="2 Agency Road", subjects=[subject] * 25,
                   fields=["ssn", "status"])
    early = world.client.post("/disclosures", json=bulk, headers=world.auth("agency"))
    assert early.status_code == 422
    assert any("Data Integrity Board" in p["reason"] for p in early.json()["error"]["problems"])
    record = {"board_approved_on": (start - timedelta(days=40)).isoformat(),
              "notice_on": (start - timedelta(days=35)).isoformat(),
              "authority": "Social Security Act 205(r)"}
    assert world.client.put("/agreements/CMA-7", json=record,
                            headers=world.auth("approver")).status_code == 403
    unknown = world.client.put("/agreements/CMA-9", json=record,
                               headers=world.auth("privacy-officer"))
    assert unknown.status_code == 404
    made = world.client.put("/agreements/CMA-7", json=record,
                            headers=world.auth("privacy-officer"))
    assert made.status_code == 200, made.text
    assert (made.json()["party"], made.json()["notice_on"]) == ("benefits-x", record["notice_on"])
    assert [a["agreement_id"] for a in world.client.get(
        "/agreements", headers=world.auth("agency")).json()] == ["CMA-7"]
    number = _submit(world, bulk)["number"]
    _approve(world, number, "approver")
    doc = world.client.post(f"/disclosures/{number}/answer", headers=world.auth("agency")).json()
    assert "independently verified" in doc["notice"]
    assert len(doc["subjects"]) == 25
    assert doc["subjects"][0]["record"] == {"ssn": ANN, "status": "published"}


def test_purging_the_accounting_is_refused_inside_its_retention(world: World) -> None:
    _answered(world, "routine-use")
    after = (datetime.now(UTC).date().replace(year=YEAR + 1)).isoformat()
    kept = world.client.post("/accounting/purge", json={"before": after},
                             headers=world.auth("admin"))
    assert kept.status_code == 422 and "Nothing was purged" in kept.json()["error"]["message"]
    assert len(world.client.get(f"/accounting/{ANN}", headers=world.auth("auditor")
                                ).json()["entries"]) == 1
    none = world.client.post("/accounting/purge", json={"before": "2000-01-01"},
                             headers=world.auth("admin"))
    assert none.status_code == 200 and none.json()["purged"] == 0
