"""The disclosure policy (domain.disclosure): properties first, then the rules by example."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.domain import disclosure as d
from vitalstat.domain.disclosure import (
    DEFAULT_BASES,
    AccountingEntry,
    Approval,
    ApprovalRecord,
    Field,
    LegalBasis,
    MatchingAgreement,
    Need,
    Rank,
    RecordView,
    Resolution,
)
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.errors import RefusedError, ValidationError

BASES = {b.code: b for b in DEFAULT_BASES}
TODAY = date(2026, 12, 1)
ANN = {"ssn": "123-45-6789", "first_name": "Ann", "last_name": "Smith",
       "date_of_birth": "1950-04-11"}


def valid(basis: str = "program-fraud", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "agency": "Office of the Inspector General", "agency_address": "1 Example Plaza",
        "signer": "Dana Reyes", "signer_rank": "section-chief", "basis": basis,
        "purpose": "fraud case 17", "relevance": "benefits paid after death",
        "letter_reference": "OIG-17", "fields": ["name", "date_of_death"],
        "subjects": [dict(ANN)]}
    data.update(changes)
    return data


def problems(data: dict[str, Any], agreement: MatchingAgreement | None = None) -> list[str]:
    request, parse = d.parse_request(data)
    return parse + d.request_problems(request, BASES.get(request.basis), agreement=agreement,
                                      today=TODAY)


def record(ssn: str = "123456789", last: str = "SMITH", first: str = "ANN",
           dob: str = "1950-04-11", status: str = "published") -> RecordView:
    return RecordView(ssn, PersonName(last, first, "MARIE"), PartialDate.parse(dob),
                      PartialDate(2025, 10, 2), status, "P", "OH", "43004", "43004",
                      ("funeral-home/fh-9",), ("J. Doe, director",))


# ------------------------------------------------------------------ properties

field_lists = st.lists(st.sampled_from(list(Field)), max_size=len(Field), unique=True)
ranks = st.sampled_from([r.value for r in Rank])
text = st.text(alphabet="abcxyz ", max_size=6)
subjects = st.fixed_dictionaries(
    {}, optional={"ssn": st.sampled_from(["123456789", "223-45-6789", "12345678x"]),
                  "first_name": st.sampled_from(["Ann", "Bob", ""]),
                  "last_name": st.sampled_from(["Smith", "Jones", ""]),
                  "middle_name": st.sampled_from(["Marie", ""]),
                  "date_of_birth": st.sampled_from(["1950-04-11", "1950", "1950-02-30"]),
                  "state": st.sampled_from(["OH", ""]),
                  "case_status": st.sampled_from(["suspect", "indicted", "convicted", "x"])})
requests = st.fixed_dictionaries(
    {"basis": st.sampled_from([*BASES, "made-up", ""])},
    optional={"agency": text, "agency_address": text, "signer": text, "signer_rank": ranks,
              "purpose": text, "relevance": text, "letter_reference": text,
              "court_order": text, "agreement": text,
              "fields": field_lists.map(lambda fs: [f.value for f in fs]),
              "subjects": st.lists(subjects, max_size=4)})


@settings(max_examples=300)
@given(requests, st.sampled_from(DEFAULT_BASES), field_lists)
def test_no_request_ever_gets_a_field_its_basis_does_not_allow(
        data: dict[str, Any], narrowed: LegalBasis, kept: list[Field]) -> None:
    request, parse = d.parse_request(data)
    basis = BASES.get(request.basis)
    found = parse + d.request_problems(request, basis, agreement=None, today=TODAY)
    if not found:
        assert basis is not None and set(request.fields) <= basis.fields
    if basis is not None:
        answer = d.minimise(record(), request.fields, basis)
        assert set(answer) <= {f.value for f in basis.fields}
        assert set(answer) <= {f.value for f in request.fields}
        # the basis narrowed after approval: the answer narrows with it
        tighter = replace(basis, fields=frozenset(kept) & basis.fields)
        assert set(d.minimise(record(), request.fields, tighter)) <= {
            f.value for f in tighter.fields}


@given(requests)
def test_requests_missing_an_element_are_refused_naming_it(data: dict[str, Any]) -> None:
    found = problems(data)
    for element in ("agency", "agency_address", "signer", "purpose", "relevance",
                    "letter_reference"):
        if not str(data.get(element, "")).strip():
            assert f"missing {element}" in found
    if data["basis"] == "":
        assert "missing basis" in found


@settings(max_examples=300)
@given(st.sampled_from(DEFAULT_BASES), st.text(alphabet="ab", min_size=1, max_size=2),
       st.lists(st.tuples(st.text(alphabet="abAB", min_size=1, max_size=2),
                          st.sets(st.sampled_from(["privacy-officer", "admin"]))),
                max_size=5))
def test_approval_is_never_by_the_requester(basis: LegalBasis, requester: str,
                                            attempts: list[tuple[str, set[str]]]) -> None:
    given_: list[ApprovalRecord] = []
    for who, roles in attempts:
        try:
            d.check_approver(requester, who, given_)
        except RefusedError:
            assert who.casefold() == requester.casefold() or any(
                a.approver.casefold() == who.casefold() for a in given_)
            continue
        given_.append(ApprovalRecord(who, frozenset(roles)))
    missing = d.approval_missing(basis, requester, given_)
    others = {a.approver.casefold() for a in given_} - {requester.casefold()}
    if not missing:
        assert others  # somebody other than the requester approved
        if Approval.PRIVACY_OFFICER in basis.approvals:
            assert any("privacy-officer" in a.roles for a in given_)
            assert len(others) >= 2  # the officer and a second user
    # the requester approving alone never completes a request, whatever their roles
    alone = [ApprovalRecord(requester, frozenset({"privacy-officer", "admin"}))]
    assert d.approval_missing(basis, requester, alone)


@given(st.sampled_from(DEFAULT_BASES), st.data())
def test_edits_never_go_below_the_legal_floor(basis: LegalBasis, data: st.DataObject) -> None:
    assert d.basis_problems(basis) == []
    approvals = data.draw(st.lists(st.sampled_from(list(Approval)), unique=True))
    needs = data.draw(st.sets(st.sampled_from(list(Need))))
    edited = replace(basis, approvals=tuple(approvals), needs=frozenset(needs),
                     max_subjects=data.draw(st.sampled_from([None, 1, 20])))
    if not d.basis_problems(edited):
        assert Approval.SECOND_USER in edited.approvals
        assert not edited.bulk or Need.AGREEMENT in edited.needs
        if basis.code == "serious-crime":
            assert Need.INDICTMENT in edited.needs
        if basis.code == "national-security":
            assert Approval.PRIVACY_OFFICER in edited.approvals


@given(st.sampled_from(["123456789", None]), st.booleans(), st.booleans())
def test_an_ssn_held_by_someone_else_answers_like_no_record(
        ssn: str | None, other_holder: bool, namesake: bool) -> None:
    subject, _ = d.parse_request(valid(subjects=[{**ANN, "ssn": ssn or "",
                                                  "state": "OH"}]))
    (s,) = subject.subjects
    candidates = []
    if other_holder:  # the SSN is on file under another person
        candidates.append(record(last="JONES", first="ROBERT"))
    if namesake:  # the same name and date of birth under another SSN
        candidates.append(record(ssn="223456789"))
    outcome, found = d.resolve_subject(s, candidates)
    if ssn is not None:
        # never the other holder, and no sign that the SSN exists at all
        assert outcome is Resolution.NO_RECORD and found is None
        assert d.resolve_subject(s, [c for c in candidates if c.ssn != ssn]) == (
            outcome, found)
    elif namesake:
        assert outcome is Resolution.FOUND and found is not None and found.ssn == "223456789"


@given(st.lists(st.booleans(), max_size=8))
def test_law_enforcement_entries_are_withheld_from_the_person_but_counted(
        hidden: list[bool]) -> None:
    entries = [AccountingEntry(f"2026-0{i + 1}-01", "n", "p", "r", "a", "b", h)
               for i, h in enumerate(hidden)]
    view = d.person_view(entries)
    assert not any(e.hidden_from_subject for e in view.entries)
    assert view.withheld == sum(hidden) and len(view.all_entries) == len(hidden)
    assert len(view.entries) + view.withheld == len(hidden)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.booleans())
def test_retention_is_five_years_or_the_life_of_the_record(
        disclosed: date, today: date, record_exists: bool) -> None:
    if d.may_purge(disclosed, record_exists, today):
        assert not record_exists
        assert (today.year, today.month, today.day) >= (
            disclosed.year + 5, disclosed.month, disclosed.day)
    if not record_exists and today.year >= disclosed.year + 6:
        assert d.may_purge(disclosed, record_exists, today)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3), max_leaves=8)


@given(st.dictionaries(st.sampled_from([*d.REQUEST_KEYS, "other"]), json_values, max_size=6))
def test_parsing_any_decoded_file_gives_a_request_or_a_validation_error(
        data: dict[str, Any]) -> None:
    try:
        request, found = d.parse_request(data)
    except ValidationError as exc:
        assert exc.field is not None  # names what is wrong
        return
    assert all(isinstance(p, str) and p for p in found)
    assert all(isinstance(f, Field) for f in request.fields)
    assert d.request_problems(request, BASES.get(request.basis), agreement=None,
                              today=TODAY) is not None


spec_values = st.text(alphabet=st.characters(blacklist_characters=",=",
                                            blacklist_categories=("Cs", "Zs", "Cc")),
                     min_size=0, max_size=8)


@given(st.dictionaries(st.sampled_from(d.SUBJECT_KEYS), spec_values, min_size=1))
def test_subject_specs_round_trip(subject: dict[str, str]) -> None:
    spec = ",".join(f"{k}={v}" for k, v in subject.items())
    assert d.parse_subject_spec(spec) == subject


@pytest.mark.parametrize("bad", ["", "ssn", "nickname=Al", "ssn=1,ssn=2"])
def test_bad_subject_specs_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        d.parse_subject_spec(bad)


# ------------------------------------------------------------------- examples


def test_a_complete_request_passes() -> None:
    assert problems(valid()) == []


def test_suspects_only_under_401_155_b_is_refused() -> None:
    suspect = {**ANN, "case_status": "suspect"}
    found = problems(valid("serious-crime", subjects=[suspect]))
    assert any("suspects-only" in p for p in found)
    assert problems(valid("serious-crime", subjects=[{**ANN, "case_status": "indicted"}])) == []
    mixed = problems(valid("serious-crime", subjects=[suspect, {**ANN, "case_status":
                                                                "convicted"}]))
    assert any("subject 1: is a suspect only" in p for p in mixed)
    assert not any("suspects-only" in p for p in mixed)


def test_minimum_identifier_sets() -> None:
    no_ssn = {k: v for k, v in ANN.items() if k != "ssn"}
    assert any("one more identifier" in p for p in problems(valid(subjects=[no_ssn])))
    assert problems(valid(subjects=[{**no_ssn, "middle_name": "Marie"}])) == []
    assert any("full date of birth" in p
               for p in problems(valid(subjects=[{**ANN, "date_of_birth": "1950"}])))
    assert any("first and last name" in p
               for p in problems(valid(subjects=[{**ANN, "first_name": ""}])))


def test_signer_rank_fields_and_bulk() -> None:
    assert any("below section-chief" in p for p in problems(valid(signer_rank="supervisor")))
    assert any("does not allow field(s) reporters" in p
               for p in problems(valid(fields=["name", "reporters"])))
    many = [dict(ANN) for _ in range(21)]
    assert any("computer matching agreement" in p for p in problems(valid(subjects=many)))
    assert any("missing court_order" in p
               for p in problems(valid("court-order", signer_rank="judge")))


def test_bulk_needs_an_active_approved_agreement_inside_its_dates() -> None:
    good = MatchingAgreement("CMA-1", "Benefits Agency", date(2026, 3, 1), date(2027, 8, 31),
                             board_approved_on=date(2026, 1, 10), notice_on=date(2026, 1, 15))
    bulk = valid("matching-agreement", agency="Benefits Agency", agreement="CMA-1",
                 subjects=[dict(ANN) for _ in range(50)])
    assert problems(bulk, good) == []
    assert any("no computer matching agreement" in p for p in problems(bulk, None))
    assert any("Data Integrity Board" in p
               for p in problems(bulk, replace(good, board_approved_on=None)))
    assert any("less than 30 days" in p
               for p in problems(bulk, replace(good, notice_on=date(2026, 2, 15))))
    assert any("in force only" in p
               for p in problems(bulk, replace(good, end=date(2026, 11, 30))))
    assert any("past 18 months" in p
               for p in problems(bulk, replace(good, end=date(2027, 9, 30))))
    assert problems(bulk, replace(good, end=date(2027, 9, 30), renewed=True)) == []
    assert any("is suspended" in p
               for p in problems(bulk, replace(good, suspended=True)))
    assert any("not with the requesting agency" in p
               for p in problems({**bulk, "agency": "Someone Else"}, good))


def test_malformed_shapes_are_errors() -> None:
    with pytest.raises(ValidationError, match="unknown key"):
        d.parse_request({"agencyy": "x"})
    with pytest.raises(ValidationError, match="subjects must be a list"):
        d.parse_request({"subjects": "Ann"})
    with pytest.raises(ValidationError, match="unknown key"):
        d.parse_request({"subjects": [{"ssn_number": "1"}]})


def test_name_and_ssn_fitting_two_records_are_not_disclosed() -> None:
    request, _ = d.parse_request(valid())
    (s,) = request.subjects
    assert d.resolve_subject(s, [record()])[0] is Resolution.FOUND
    assert d.resolve_subject(s, [record(), record(ssn="223456789")]) == (
        Resolution.AMBIGUOUS, None)
    assert d.resolve_subject(s, [record(status="withdrawn")]) == (Resolution.NO_RECORD, None)


def test_matching_answers_carry_the_notice_text() -> None:
    assert "independently verified" in d.MATCHING_NOTICE and "30 days" in d.MATCHING_NOTICE


def test_retention_examples() -> None:
    assert d.retention_ends(date(2020, 2, 29), record_exists=False) == date(2025, 3, 1)
    assert d.retention_ends(date(2001, 1, 1), record_exists=True) is None
    assert not d.may_purge(date(2001, 1, 1), True, date(2040, 1, 1))
