"""The caseworker / approver pages without a browser: who may see and do what (deny by
default), CSRF, bad input named in the page, and what each action changes in the store
(SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure_helpers import disclosure_request
from staff_helpers import AGED, BEFORE, VITAL_HELD, add_held_records
from vitalstat.domain.access import POLICY, Role
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import DeathRecord, RecordStatus
from vitalstat.domain.reports import DeathReport, ProofLevel, Source, SourceKind
from vitalstat.errors import ValidationError
from vitalstat.services import cases as case_svc
from vitalstat.services.disclosure import submit_request
from vitalstat.services.review import (
    describe_event,
    differences,
    parse_batch,
    parse_record_ref,
    record_ref,
    record_refs,
)
from vitalstat.web.ui.base import CSRF_COOKIE, page_permissions
from vitalstat.web.ui.formats import masked_ssn, waited
from web_helpers import ANN, OLD, World


def sign_in(world: World, who: str) -> str:
    """Sign the test client in as ``who`` (a token key); returns the CSRF value."""
    c = world.client
    c.get("/ui/sign-in")
    csrf = c.cookies[CSRF_COOKIE]
    r = c.post("/ui/sign-in", data={"token": world.tokens[who], "csrf": csrf},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf


def post(world: World, path: str, csrf: str, **data: str) -> Any:
    return world.client.post(path, data={"csrf": csrf, **data}, follow_redirects=False)


def ref_of(world: World, ssn: str) -> str:
    return record_refs(world.store, [ssn])[ssn]


def record(world: World, ssn: str) -> DeathRecord:
    with world.store.transaction(write=False) as tx:
        rec = tx.get_record(ssn)
    assert rec is not None
    return rec


def events(world: World, subject: str) -> list[tuple[str, str]]:
    with world.store.transaction(write=False) as tx:
        return [(e["kind"], e["actor"]) for e in tx.events(subject=subject)]


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.text)


# ---------------------------------------------------------------- access

_FILL = {"ref": "R-000001", "number": "C-000001", "sha256": "0" * 64}


def _staff_pages(world: World) -> list[tuple[str, str, Any]]:
    found = []
    for method, path, permission in page_permissions(world.app):
        if not path.startswith("/ui/staff"):
            continue
        number = ("B-000001" if "/bulk/" in path else
                  "D-000001" if "/disclosures/" in path else "C-000001")
        concrete = path.format(**{**_FILL, "number": number})
        found.append((method, concrete, permission))
    return found


def test_every_staff_page_denies_by_default(sqlite_world: World) -> None:
    pages = _staff_pages(sqlite_world)
    assert len(pages) >= 20
    c = sqlite_world.client
    for method, path, _perm in pages:  # nobody signed in: sent to sign in
        r = c.request(method, path, follow_redirects=False)
        assert r.status_code == 303, (method, path)
        assert r.headers["location"].startswith("/ui/sign-in")
    for role in (Role.SUBSCRIBER, Role.AGENCY, Role.REGISTRAR, Role.AUDITOR,
                 Role.CASEWORKER):
        csrf = sign_in(sqlite_world, role.value)
        for method, path, perm in pages:
            r = c.request(method, path, data={"csrf": csrf} if method == "POST" else None,
                          follow_redirects=False)
            if role in POLICY[perm]:
                assert r.status_code != 403, (role, method, path, r.text)
            else:
                assert r.status_code == 403, (role, method, path)
                assert "this page needs another role" in r.text


def test_the_header_links_follow_the_role(sqlite_world: World) -> None:
    sign_in(sqlite_world, "caseworker")
    page = sqlite_world.client.get("/ui/").text
    assert 'href="/ui/staff/holds"' in page and 'href="/ui/staff/cases"' in page
    assert 'href="/ui/staff/disclosures"' not in page  # a caseworker does not decide them
    sign_in(sqlite_world, "approver")
    assert 'href="/ui/staff/disclosures"' in sqlite_world.client.get("/ui/").text


def test_a_post_without_the_csrf_value_changes_nothing(sqlite_world: World) -> None:
    add_held_records(sqlite_world.store, sqlite_world.tmp)
    sign_in(sqlite_world, "caseworker")
    ref = ref_of(sqlite_world, AGED)
    r = sqlite_world.client.post(f"/ui/staff/records/{ref}/release",
                                 data={"reason": "looks fine"}, follow_redirects=False)
    assert r.status_code == 403 and "expired or came from another site" in r.text
    assert events(sqlite_world, f"record:{AGED}") == []
    with sqlite_world.store.transaction(write=False) as tx:
        assert tx.proposed_hold_decision(AGED) is None


# --------------------------------------------------------------- bad input


@pytest.mark.parametrize(("path", "status", "named"), [
    ("/ui/staff/holds?batch=abc", 422, "batch"),
    ("/ui/staff/holds?reason=bogus", 422, "reason"),
    ("/ui/staff/holds?source_kind=psychic", 422, "source_kind"),
    ("/ui/staff/records/xyz", 422, "record"),
    ("/ui/staff/records/R-999999", 404, "no record R-999999"),
    ("/ui/staff/cases?state=lost", 422, "state"),
    ("/ui/staff/cases/C-000404", 404, "no case C-000404"),
    ("/ui/staff/bulk/nonsense", 422, "bulk"),
    ("/ui/staff/disclosures?state=lost", 422, "state"),
])
def test_bad_input_gives_a_page_naming_what_is_wrong(sqlite_world: World, path: str,
                                                      status: int, named: str) -> None:
    sign_in(sqlite_world, "admin")
    r = sqlite_world.client.get(path)
    assert r.status_code == status
    assert "text/html" in r.headers["content-type"]
    assert named in r.text and "What to do next" in r.text


def test_a_decision_without_a_reason_is_refused_naming_the_field(sqlite_world: World) -> None:
    add_held_records(sqlite_world.store, sqlite_world.tmp)
    csrf = sign_in(sqlite_world, "caseworker")
    r = post(sqlite_world, f"/ui/staff/records/{ref_of(sqlite_world, AGED)}/release", csrf,
             reason="   ")
    assert r.status_code == 422 and "reason: is required" in r.text
    assert events(sqlite_world, f"record:{AGED}") == []


# ------------------------------------------------------------ queue, record


def test_the_queue_filters_and_never_shows_an_ssn_in_full(world: World) -> None:
    sqlite_world = world  # the filters are new store queries: both backends
    batches = add_held_records(sqlite_world.store, sqlite_world.tmp)
    sign_in(sqlite_world, "caseworker")
    c = sqlite_world.client
    everything = text(c.get("/ui/staff/holds"))
    assert "4 records waiting" in everything
    for ssn in (AGED, BEFORE, VITAL_HELD, ANN):
        assert ssn not in everything and f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}" not in everything
        assert f'href="/ui/staff/records/{ref_of(sqlite_world, ssn)}"' in everything
    family = text(c.get("/ui/staff/holds?source_kind=family"))
    assert "1 record waiting (filtered)" in family and "ED PO" in family
    by_batch = text(c.get(f"/ui/staff/holds?batch={batches['fh-1']}"))
    assert "DI OH" in by_batch and "ED PO" not in by_batch
    vital = text(c.get("/ui/staff/holds?reason=death-in-future&source_kind=state-vital-records"))
    assert "FAY QUILL" in vital and "1 record waiting" in vital
    fragment = c.get("/ui/staff/holds?reason=age-over-limit", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="queue"' in fragment.text and "DI OH" in fragment.text


def test_the_record_page_shows_each_report_and_what_it_says_differently(
        world: World) -> None:
    sqlite_world = world
    add_held_records(sqlite_world.store, sqlite_world.tmp)
    sign_in(sqlite_world, "approver")
    page = text(sqlite_world.client.get(f"/ui/staff/records/{ref_of(sqlite_world, ANN)}"))
    assert "Report 1: funeral-home" in page and "Report 2: funeral-home" in page
    assert "funeral-home/fh-9" in page and "funeral-home/fh-2" in page
    assert "K. Poe" in page and "J. Doe" in page
    # the record took fh-2's ANNE: fh-9's ANN is the one report that says otherwise
    assert "Record R-000001: ANNE MARIE SMITH" in page
    assert page.count('class="differs"') == 1
    assert '<dd class="differs">ANN <strong class="differs-tag">differs</strong>' in page
    assert "conflicting-name" in page and "sources disagree on the name" in page


# ------------------------------------------------------ two-person holds


def test_releasing_a_hold_takes_two_people_and_writes_both_names(world: World) -> None:
    add_held_records(world.store, world.tmp)
    ref = ref_of(world, AGED)
    csrf = sign_in(world, "caseworker")
    r = post(world, f"/ui/staff/records/{ref}/release", csrf, reason="keying error")
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/staff/records/{ref}?done=release-proposed"
    page = text(world.client.get(r.headers["location"]))
    assert "caseworker-1</strong> proposed to <strong>release" in page
    assert "disabled" in page and "You proposed this release" in page
    assert record(world, AGED).status is RecordStatus.HELD

    again = post(world, f"/ui/staff/records/{ref}/release", csrf, reason="really")
    assert again.status_code == 422
    assert "cannot also approve it" in again.text and "self-approval" in again.text
    assert record(world, AGED).status is RecordStatus.HELD

    csrf = sign_in(world, "approver")
    waiting = text(world.client.get("/ui/staff/holds?proposed=1"))
    assert "1 record waiting (filtered)" in waiting and "DI OH" in waiting
    assert "release proposed by caseworker-1: waiting for a second person" in waiting
    page = text(world.client.get(f"/ui/staff/records/{ref}"))
    assert "Approve the release" in page and "You proposed" not in page
    done = post(world, f"/ui/staff/records/{ref}/release", csrf, reason="certificate seen")
    assert done.headers["location"].endswith("?done=release-applied")
    assert record(world, AGED).status is RecordStatus.PUBLISHED
    assert events(world, f"record:{AGED}") == [
        ("hold.release-proposed", "caseworker-1"), ("attempt.refused", "caseworker-1"),
        ("record.published", "approver-1")]
    page = text(world.client.get(f"/ui/staff/records/{ref}"))
    assert "approver-1</strong> released the hold, proposed by caseworker-1" in page


def test_rejecting_is_one_persons_act_unless_state_vital_records_back_the_record(
        world: World) -> None:
    add_held_records(world.store, world.tmp)
    csrf = sign_in(world, "caseworker")
    r = post(world, f"/ui/staff/records/{ref_of(world, BEFORE)}/reject", csrf,
             reason="the family withdrew it")
    assert r.headers["location"].endswith("?done=reject-applied")
    assert record(world, BEFORE).status is RecordStatus.WITHDRAWN

    vital = ref_of(world, VITAL_HELD)
    assert "Propose rejecting the record" in world.client.get(f"/ui/staff/records/{vital}").text
    r = post(world, f"/ui/staff/records/{vital}/reject", csrf, reason="a test line")
    assert r.headers["location"].endswith("?done=reject-proposed")
    assert record(world, VITAL_HELD).status is RecordStatus.HELD
    csrf = sign_in(world, "approver-2")
    r = post(world, f"/ui/staff/records/{vital}/reject", csrf, reason="agreed")
    assert r.headers["location"].endswith("?done=reject-applied")
    assert record(world, VITAL_HELD).status is RecordStatus.WITHDRAWN


def test_a_role_that_may_read_but_not_decide_sees_no_decision_form(
        sqlite_world: World) -> None:
    add_held_records(sqlite_world.store, sqlite_world.tmp)
    sign_in(sqlite_world, "auditor")
    page = text(sqlite_world.client.get(f"/ui/staff/records/{ref_of(sqlite_world, AGED)}"))
    assert "may read this record but not decide holds" in page
    assert "/release" not in page


# ------------------------------------------------------------ bulk actions


def test_a_bulk_action_is_proposed_by_one_person_and_approved_by_another(
        world: World) -> None:
    batches = add_held_records(world.store, world.tmp)
    csrf = sign_in(world, "caseworker")
    r = post(world, "/ui/staff/bulk", csrf, action="release", batch=str(batches["fh-1"]),
             code="", reason="the home's catch-up file")
    assert r.headers["location"] == "/ui/staff/bulk/B-000001?done=proposed"
    page = text(world.client.get("/ui/staff/bulk/B-000001"))
    assert "Proposed by <strong>caseworker-1</strong>" in page and "batch" in page
    assert "***-**-6789" in page and AGED not in page
    assert "You proposed this" in page
    refused = post(world, "/ui/staff/bulk/B-000001/approve", csrf)
    assert refused.status_code == 422 and "cannot also approve it" in refused.text
    assert record(world, AGED).status is RecordStatus.HELD

    csrf = sign_in(world, "approver")
    r = post(world, "/ui/staff/bulk/B-000001/approve", csrf)
    assert r.headers["location"].endswith("?done=applied")
    assert record(world, AGED).status is RecordStatus.PUBLISHED
    assert [k for k, _ in events(world, "bulk:B-000001")] == ["bulk.proposed",
                                                               "attempt.refused",
                                                               "bulk.applied"]
    listing = text(world.client.get("/ui/staff/bulk?state=applied"))
    assert "B-000001" in listing and "applied by approver-1" in listing

    bad = post(world, "/ui/staff/bulk", csrf, action="release", batch="", code="",
               reason="everything")
    assert bad.status_code == 422 and "selection" in bad.text
    csrf = sign_in(world, "caseworker")
    post(world, "/ui/staff/bulk", csrf, action="reject", code="death-before-birth",
         reason="a forged feed")
    r = post(world, "/ui/staff/bulk/B-000002/refuse", csrf, reason="withdrawn by me")
    assert r.headers["location"].endswith("?done=refused")
    assert record(world, BEFORE).status is RecordStatus.HELD


# ------------------------------------------------------------------ cases


def _case(world: World) -> str:
    case = case_svc.open_case(world.store, ssn=OLD, kind="erroneous-death", opened_by="person",
                              contact="bob@example.org", actor="caseworker-1",
                              rules=world.config.rules)
    return case.number


def test_a_case_decision_waits_for_a_second_person(world: World) -> None:
    number = _case(world)
    csrf = sign_in(world, "caseworker")
    r = world.client.post(f"/ui/staff/cases/{number}/evidence",
                          data={"csrf": csrf, "type": "identity-document", "alive_on": ""},
                          files={"file": ("passport.txt", b"synthetic passport\n")},
                          follow_redirects=False)
    assert r.headers["location"] == f"/ui/staff/cases/{number}?done=evidence"
    page = world.client.get(f"/ui/staff/cases/{number}").text
    (sha,) = re.findall(rf"/ui/staff/cases/{number}/evidence/([0-9a-f]{{64}})", page)
    got = world.client.get(f"/ui/staff/cases/{number}/evidence/{sha}")
    assert got.content == b"synthetic passport\n"
    assert "attachment" in got.headers["content-disposition"]
    assert got.headers["content-type"] == "application/octet-stream"
    assert world.client.get(f"/ui/staff/cases/{number}/evidence/{'1' * 64}").status_code == 404

    no_file = post(world, f"/ui/staff/cases/{number}/evidence", csrf, type="other")
    assert no_file.status_code == 422 and "file" in no_file.text
    assert "text/html" in no_file.headers["content-type"]
    missing = post(world, f"/ui/staff/cases/{number}/decision", csrf, outcome="",
                   reason="x")
    assert missing.status_code == 422 and "outcome" in missing.text
    r = post(world, f"/ui/staff/cases/{number}/decision", csrf, outcome="reject",
             reason="the passport is a namesake's")
    assert r.headers["location"].endswith("?done=awaiting-approval")
    page = text(world.client.get(f"/ui/staff/cases/{number}"))
    assert "Decided by <strong>caseworker-1</strong>: reject" in page
    assert "Waiting for a second person" in page

    csrf = sign_in(world, "approver")
    r = post(world, f"/ui/staff/cases/{number}/approve", csrf)
    assert r.headers["location"].endswith("?done=rejected")
    view = case_svc.show_case(world.store, number)
    assert view.case.state.value == "rejected"
    assert [(s.actor, s.what) for s in view.case.timeline][-2:] == [
        ("caseworker-1", "proposed"), ("approver-1", "decided")]


def test_reinstating_withdraws_the_record_and_shows_the_letters_code(
        sqlite_world: World) -> None:
    number = _case(sqlite_world)
    csrf = sign_in(sqlite_world, "caseworker")
    early = post(sqlite_world, f"/ui/staff/cases/{number}/decision", csrf,
                 outcome="reinstate", reason="seen in person")
    assert early.status_code == 422 and "no evidence to reinstate on" in early.text
    sqlite_world.client.post(f"/ui/staff/cases/{number}/evidence",
                             data={"csrf": csrf, "type": "evidence-of-life",
                                   "alive_on": "2026-06-01"},
                             files={"file": ("payslip.txt", b"synthetic payslip\n")})
    r = post(sqlite_world, f"/ui/staff/cases/{number}/decision", csrf, outcome="reinstate",
             reason="seen in person with her passport")
    assert r.headers["location"].endswith("?done=closed")  # nobody had received it
    assert record(sqlite_world, OLD).status is RecordStatus.WITHDRAWN
    view = case_svc.show_case(sqlite_world.store, number)
    assert view.letter_code
    page = text(sqlite_world.client.get(f"/ui/staff/cases/{number}"))
    assert f"verification code <code>{view.letter_code}</code>" in page
    assert "nothing left to decide" in page


def test_a_case_cannot_be_approved_by_the_person_who_decided_it(sqlite_world: World) -> None:
    number = _case(sqlite_world)
    csrf = sign_in(sqlite_world, "admin")  # admin holds both permissions
    post(sqlite_world, f"/ui/staff/cases/{number}/decision", csrf, outcome="reject",
         reason="namesake")
    assert "You decided this case" in sqlite_world.client.get(f"/ui/staff/cases/{number}").text
    r = post(sqlite_world, f"/ui/staff/cases/{number}/approve", csrf)
    assert r.status_code == 422 and "cannot also approve it" in r.text
    assert case_svc.show_case(sqlite_world.store, number).case.state.value == \
        "awaiting-approval"
    csrf = sign_in(sqlite_world, "approver")
    r = post(sqlite_world, f"/ui/staff/cases/{number}/refuse", csrf, reason="look again")
    assert r.headers["location"].endswith("?done=open")


# ----------------------------------------------------------- disclosures


def _request(world: World, actor: str = "agency-1") -> str:
    return submit_request(world.store, disclosure_request("routine-use"), actor=actor,
                          today=datetime.now(UTC).date()).number


def test_a_disclosure_request_is_approved_or_denied_by_an_approver(world: World) -> None:
    first, second = _request(world), _request(world)
    csrf = sign_in(world, "approver")
    listing = text(world.client.get("/ui/staff/disclosures?state=pending"))
    assert first in listing and second in listing
    page = text(world.client.get(f"/ui/staff/disclosures/{first}"))
    assert "routine-use" in page and "Office of the Inspector General" in page
    assert "name, date_of_death, status" in page and "***-**-6789" in page
    assert "123-45-6789" not in page and ANN not in page
    assert "Still waiting for: a second person (anyone but agency-1)" in page
    r = post(world, f"/ui/staff/disclosures/{first}/approve", csrf)
    assert r.headers["location"].endswith("?done=approved")
    r = post(world, f"/ui/staff/disclosures/{second}/deny", csrf, reason="")
    assert r.status_code == 422 and "reason" in r.text
    r = post(world, f"/ui/staff/disclosures/{second}/deny", csrf, reason="no court order")
    assert r.headers["location"].endswith("?done=denied")
    assert events(world, f"disclosure:{first}") == [
        ("disclosure.requested", "agency-1"), ("disclosure.approval", "approver-1"),
        ("disclosure.approved", "approver-1")]
    denied = text(world.client.get(f"/ui/staff/disclosures/{second}"))
    assert "Why it was denied" in denied and "no court order" in denied


def test_a_national_security_request_also_waits_for_the_privacy_officer(
        sqlite_world: World) -> None:
    number = submit_request(sqlite_world.store, disclosure_request("national-security"),
                            actor="agency-1", today=datetime.now(UTC).date()).number
    csrf = sign_in(sqlite_world, "approver")
    post(sqlite_world, f"/ui/staff/disclosures/{number}/approve", csrf)
    page = text(sqlite_world.client.get(f"/ui/staff/disclosures/{number}"))
    assert "pending" in page and "Still waiting for: the Privacy Officer" in page
    assert "You have already approved it" in page
    again = post(sqlite_world, f"/ui/staff/disclosures/{number}/approve", csrf)
    assert again.status_code == 422 and "already approved" in again.text
    csrf = sign_in(sqlite_world, "privacy-officer")
    r = post(sqlite_world, f"/ui/staff/disclosures/{number}/approve", csrf)
    assert r.headers["location"].endswith("?done=approved")
    page = text(sqlite_world.client.get(f"/ui/staff/disclosures/{number}"))
    assert "approver-1</strong> (approver)" in page
    assert "privacy-officer-1</strong> (privacy-officer)" in page


def test_an_agency_sees_only_the_requests_it_recorded(sqlite_world: World) -> None:
    mine, theirs = _request(sqlite_world), _request(sqlite_world, actor="other-agency")
    sign_in(sqlite_world, "agency")
    listing = sqlite_world.client.get("/ui/staff/disclosures").text
    assert mine in listing and theirs not in listing
    assert sqlite_world.client.get(f"/ui/staff/disclosures/{theirs}").status_code == 404
    assert sqlite_world.client.get(f"/ui/staff/disclosures/{mine}").status_code == 200
    api = sqlite_world.client.get("/disclosures", headers=sqlite_world.auth("agency")).json()
    assert [r["number"] for r in api] == [mine]


# ----------------------------------------------------- parsers and views


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_a_record_reference_reads_back(n: int) -> None:
    assert parse_record_ref(record_ref(n)) == n
    assert parse_record_ref(record_ref(n).lower().replace("-", "")) == n


@given(st.text(max_size=24))
def test_a_batch_filter_is_digits_or_an_error_naming_the_batch(raw: str) -> None:
    stripped = raw.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 18:
        assert parse_batch(raw) == int(stripped)
    else:
        with pytest.raises(ValidationError) as err:
            parse_batch(raw)
        assert err.value.field == "batch"


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_masked_ssn_shows_only_its_last_four_digits(ssn: str) -> None:
    shown = masked_ssn(ssn)
    assert shown == f"***-**-{ssn[-4:]}" and ssn[:5] not in shown.replace("*", "")


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@given(st.sampled_from(["record.published", "hold.release-proposed", "attempt.refused",
                        "bulk.applied", "disclosure.approval", "case.open", "x"]),
       st.dictionaries(st.sampled_from(["note", "reason", "bulk", "hold_decision",
                                        "outcomes", "missing", "records", "case", "other"]),
                       _json, max_size=5))
def test_any_event_detail_reads_as_a_sentence(kind: str, detail: dict[str, Any]) -> None:
    line = describe_event(kind, json.loads(json.dumps(detail)))
    assert isinstance(line, str) and line


_NAMES = st.sampled_from(["SMITH", "SMYTH", "", "ANN", "ANNE"])
_DATES = st.sampled_from([None, PartialDate(2020, 5, 17), PartialDate(2020, 5, 0),
                          PartialDate(1950, 4, 11)])


@given(_NAMES, _NAMES, _DATES, _DATES, st.sampled_from(list(ProofLevel)))
def test_differences_name_exactly_the_fields_a_report_states_otherwise(
        last: str, first: str, died: PartialDate | None, born: PartialDate | None,
        proof: ProofLevel) -> None:
    rec = DeathRecord(ssn="123456789", name=PersonName("SMITH", "ANN"),
                      date_of_death=PartialDate(2020, 5, 17),
                      date_of_birth=PartialDate(1950, 4, 11), proof=ProofLevel.VERIFIED,
                      status=RecordStatus.HELD)
    rep = DeathReport(ssn="123456789", name=PersonName(last or "SMITH", first),
                      date_of_death=died, date_of_birth=born,
                      source=Source(SourceKind.FAMILY, "fam-1"), payload_hash="0" * 64,
                      proof=proof)
    expected = {f for f, said, has in (
        ("last_name", last, "SMITH"), ("first_name", first, "ANN"),
        ("date_of_death", died, rec.date_of_death), ("date_of_birth", born, rec.date_of_birth),
        ("proof", proof.value, "V")) if said and said != has}
    assert differences(rec, rep) == expected
    assert differences(rec, DeathReport(ssn=rec.ssn, name=rec.name,
                                        date_of_death=rec.date_of_death,
                                        date_of_birth=rec.date_of_birth,
                                        source=Source(SourceKind.FAMILY, "f"),
                                        payload_hash="1" * 64, proof=rec.proof)) == set()


def test_waiting_time_reads_in_words() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert waited((now - timedelta(days=3, hours=2)).isoformat(), now) == "3 days"
    assert waited((now - timedelta(hours=1)).isoformat(), now) == "1 hour"
    assert waited((now - timedelta(seconds=5)).isoformat(), now) == "under a minute"
    assert waited("not a time", now) == ""
