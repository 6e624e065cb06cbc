"""Disclosure requests: parsing a request file's contents, the minimum identifier sets,
and every reason to refuse a request (named). Pure.

DOMAIN.md section 4: a valid request is in writing, names the subject (first and last
name, SSN, DOB; without SSN: name, DOB and one more identifier), the exact records wanted
and why they are relevant, and is signed by a supervisor not below section chief;
401.155(b) refuses suspects; bulk matching needs an agreement approved by a Data
Integrity Board, effective 30-40 days after notice, lasting 18 months (+12 once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from vitalstat.domain.disclosure.bases import CaseStatus, Field, LegalBasis, Need, Rank
from vitalstat.domain.identity import PartialDate, PersonName, normalize_name, normalize_ssn
from vitalstat.errors import ValidationError, VitalstatError

__all__ = ["NOTICE_DAYS", "REQUEST_KEYS", "SUBJECT_KEYS", "DisclosureRequest",
           "MatchingAgreement", "Subject", "agreement_problems", "parse_request",
           "parse_subject", "parse_subject_spec", "request_problems"]


@dataclass(frozen=True, slots=True)
class Subject:
    """A person a request names, normalised the registry's way (``domain.identity``)."""

    ssn: str | None
    name: PersonName | None
    date_of_birth: PartialDate | None
    state: str = ""
    zip: str = ""
    case_status: CaseStatus | None = None

    def extra_identifiers(self) -> list[str]:
        """Identifiers beyond name, SSN and date of birth (for a subject without an SSN)."""
        extra = []
        if self.name is not None and self.name.middle:
            extra.append("middle_name")
        if self.state:
            extra.append("state")
        if self.zip:
            extra.append("zip")
        return extra


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """A request as received. Text elements are ``""`` when the request leaves them out."""

    agency: str
    agency_address: str
    signer: str
    signer_rank: Rank | None
    basis: str
    purpose: str
    relevance: str
    letter_reference: str  # the signed written request (its reference number)
    fields: tuple[Field, ...]
    subjects: tuple[Subject, ...]
    court_order: str = ""
    agreement: str = ""


#: Keys a request file may have (``subjects_file`` is read by the service).
REQUEST_KEYS = ("agency", "agency_address", "signer", "signer_rank", "basis", "purpose",
                "relevance", "letter_reference", "fields", "subjects", "court_order",
                "agreement", "subjects_file")
SUBJECT_KEYS = ("ssn", "first_name", "middle_name", "last_name", "suffix", "date_of_birth",
                "state", "zip", "case_status")


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise ValidationError(f"{where}{key} must be text", field=key)
    return str(value).strip()


def parse_subject(data: Mapping[str, Any], n: int, problems: list[str]) -> Subject:
    """One subject from a mapping; problems with its values go into ``problems``."""
    where = f"subject {n}: "
    unknown = sorted(set(data) - set(SUBJECT_KEYS))
    if unknown:
        raise ValidationError(f"{where}unknown key(s) {', '.join(unknown)}; allowed: "
                              f"{', '.join(SUBJECT_KEYS)}", field="subjects")
    ssn: str | None = None
    if raw_ssn := _text(data, "ssn", where):
        try:
            ssn = normalize_ssn(raw_ssn)
        except VitalstatError as exc:
            problems.append(f"{where}ssn: {exc}")
    name = None
    first, last = _text(data, "first_name", where), _text(data, "last_name", where)
    if last:
        try:
            name = PersonName.parse(last=last, first=first,
                                    middle=_text(data, "middle_name", where),
                                    suffix=_text(data, "suffix", where))
        except VitalstatError as exc:
            problems.append(f"{where}{exc}")
    dob = None
    if raw_dob := _text(data, "date_of_birth", where):
        try:
            dob = PartialDate.parse(raw_dob)
        except VitalstatError as exc:
            problems.append(f"{where}date_of_birth: {exc}")
    status = None
    if raw_status := _text(data, "case_status", where):
        try:
            status = CaseStatus(raw_status.lower())
        except ValueError:
            problems.append(f"{where}case_status {raw_status!r} is not one of: "
                            + ", ".join(s.value for s in CaseStatus))
    return Subject(ssn=ssn, name=name, date_of_birth=dob,
                   state=normalize_name(_text(data, "state", where))[:2],
                   zip=_text(data, "zip", where), case_status=status)


def parse_subject_spec(text: str) -> dict[str, str]:
    """A subject given on the command line: ``key=value`` pairs separated by commas
    (``ssn=123-45-6789,first_name=Ann,last_name=Smith,date_of_birth=1950-04-11``)."""
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in SUBJECT_KEYS:
            raise ValidationError(f"{part!r} is not KEY=VALUE with KEY one of: "
                                  f"{', '.join(SUBJECT_KEYS)}", field="subject")
        if key in found:
            raise ValidationError(f"{key} is given twice", field="subject")
        found[key] = value.strip()
    if not found:
        raise ValidationError("an empty subject", field="subject")
    return found


def parse_request(data: Mapping[str, Any]) -> tuple[DisclosureRequest, list[str]]:
    """A request from a decoded JSON/TOML mapping, and the problems with its values.

    A malformed *shape* (a key nobody knows, subjects that are not a list) raises
    :class:`ValidationError`; a missing or bad *value* is a problem in the list, so the
    request can be recorded as refused with every reason named.
    """
    unknown = sorted(set(data) - set(REQUEST_KEYS))
    if unknown:
        raise ValidationError(f"unknown key(s) {', '.join(unknown)}; allowed: "
                              f"{', '.join(REQUEST_KEYS)}", field="request")
    problems: list[str] = []
    rank = None
    if raw_rank := _text(data, "signer_rank", ""):
        try:
            rank = Rank.parse(raw_rank)
        except ValidationError as exc:
            problems.append(str(exc))
    raw_fields = data.get("fields", [])
    if isinstance(raw_fields, str):
        raw_fields = [f for f in raw_fields.replace(",", " ").split() if f]
    if not isinstance(raw_fields, list):
        raise ValidationError("fields must be a list of field names", field="fields")
    fields = []
    for raw in raw_fields:
        try:
            fields.append(Field.parse(str(raw)))
        except ValidationError as exc:
            problems.append(str(exc))
    raw_subjects = data.get("subjects", [])
    if not isinstance(raw_subjects, list) or not all(isinstance(s, Mapping)
                                                     for s in raw_subjects):
        raise ValidationError("subjects must be a list of tables/objects", field="subjects")
    subjects = tuple(parse_subject(s, n, problems) for n, s in enumerate(raw_subjects, 1))
    request = DisclosureRequest(
        agency=_text(data, "agency", ""), agency_address=_text(data, "agency_address", ""),
        signer=_text(data, "signer", ""), signer_rank=rank, basis=_text(data, "basis", ""),
        purpose=_text(data, "purpose", ""), relevance=_text(data, "relevance", ""),
        letter_reference=_text(data, "letter_reference", ""),
        fields=tuple(dict.fromkeys(fields)), subjects=subjects,
        court_order=_text(data, "court_order", ""), agreement=_text(data, "agreement", ""))
    return request, problems


@dataclass(frozen=True, slots=True)
class MatchingAgreement:
    """A computer matching agreement: the dates and party from the subscriber on file
    (``subscribers``, tier ``benefits-agency``), the Board's approval and the notice from
    the agreement record."""

    agreement_id: str
    party: str  # the subscriber the agreement is with
    start: date
    end: date
    board_approved_on: date | None = None
    notice_on: date | None = None
    renewed: bool = False
    suspended: bool = False  # the party (subscriber) is suspended: it receives nothing


NOTICE_DAYS = 30  # CMPPA: effective no sooner than 30 days after notice
_AGREEMENT_MONTHS = 18  # + 12 once, on renewal


def _months_later(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    for d in range(day.day, 0, -1):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def agreement_problems(agreement: MatchingAgreement | None, agreement_id: str, agency: str,
                       today: date) -> list[str]:
    """Why ``agreement`` does not cover a bulk request by ``agency`` on ``today``."""
    if agreement is None:
        return [f"no computer matching agreement {agreement_id!r} is on file (a "
                "benefits-agency subscriber with that agreement)"]
    a, problems = agreement, []
    if agency and agency.casefold() != a.party.casefold():
        problems.append(f"agreement {a.agreement_id} is with {a.party!r}, not with the "
                        "requesting agency")
    if a.suspended:
        problems.append(f"agreement {a.agreement_id}: its party {a.party!r} is suspended")
    if a.board_approved_on is None:
        problems.append(f"agreement {a.agreement_id} has no Data Integrity Board approval "
                        "on file (vitalstat disclosure agreement)")
    if a.notice_on is None:
        problems.append(f"agreement {a.agreement_id} has no notice date on file")
    elif (a.start - a.notice_on).days < NOTICE_DAYS:
        problems.append(f"agreement {a.agreement_id} starts {a.start.isoformat()}, less than "
                        f"{NOTICE_DAYS} days after its notice of {a.notice_on.isoformat()}")
    months = _AGREEMENT_MONTHS + (12 if a.renewed else 0)
    if a.end > _months_later(a.start, months):
        problems.append(f"agreement {a.agreement_id} runs past {months} months "
                        f"({a.start.isoformat()} to {a.end.isoformat()})")
    if not a.start <= today <= a.end:
        problems.append(f"agreement {a.agreement_id} is in force only from "
                        f"{a.start.isoformat()} through {a.end.isoformat()}")
    return problems


def _subject_problems(subject: Subject, n: int, basis: LegalBasis) -> list[str]:
    where = f"subject {n}: "
    problems = []
    if subject.name is None or not subject.name.first:
        problems.append(f"{where}missing first and last name")
    if subject.date_of_birth is None or not subject.date_of_birth.is_complete:
        problems.append(f"{where}missing full date of birth")
    if subject.ssn is None and not subject.extra_identifiers():
        problems.append(f"{where}without an SSN, one more identifier is needed "
                        "(middle_name, state or zip)")
    if Need.INDICTMENT in basis.needs:
        if subject.case_status is None:
            problems.append(f"{where}missing case_status (indicted or convicted)")
        elif subject.case_status is CaseStatus.SUSPECT:
            problems.append(f"{where}is a suspect only: {basis.citation} allows disclosure "
                            "only about a person indicted or convicted")
    return problems


def request_problems(request: DisclosureRequest, basis: LegalBasis | None, *,
                     agreement: MatchingAgreement | None, today: date) -> list[str]:
    """Every reason to refuse ``request`` (empty: valid, it goes to approval).

    Each reason names the missing or wrong element (DOMAIN.md section 4).
    """
    problems = []
    for element, value in (("agency", request.agency),
                           ("agency_address", request.agency_address),
                           ("signer", request.signer), ("purpose", request.purpose),
                           ("relevance", request.relevance),
                           ("letter_reference", request.letter_reference)):
        if not value:
            problems.append(f"missing {element}")
    if request.signer_rank is None:
        problems.append("missing signer_rank")
    if not request.basis:
        problems.append("missing basis")
        return problems
    if basis is None:
        problems.append(f"unknown basis {request.basis!r} (vitalstat disclosure basis list)")
        return problems
    if (basis.min_signer_rank is not None and request.signer_rank is not None
            and request.signer_rank.level < basis.min_signer_rank.level):
        problems.append(f"signer rank {request.signer_rank.value} is below "
                        f"{basis.min_signer_rank.value}, which {basis.code} requires")
    if not request.fields:
        problems.append("missing fields (the exact records wanted)")
    refused_fields = [f.value for f in request.fields if f not in basis.fields]
    if refused_fields:
        problems.append(f"{basis.code} does not allow field(s) {', '.join(refused_fields)}; "
                        f"it allows: {', '.join(sorted(f.value for f in basis.fields))}")
    if not request.subjects:
        problems.append("missing subjects")
    if basis.max_subjects is not None and len(request.subjects) > basis.max_subjects:
        problems.append(f"{len(request.subjects)} subjects is more than {basis.code} allows "
                        f"({basis.max_subjects}); bulk requests need a computer matching "
                        "agreement")
    subject_problems = [p for n, s in enumerate(request.subjects, 1)
                        for p in _subject_problems(s, n, basis)]
    if Need.INDICTMENT in basis.needs and request.subjects and all(
            s.case_status is CaseStatus.SUSPECT for s in request.subjects):
        problems.append(f"suspects-only request: {basis.citation} does not allow it")
    problems.extend(subject_problems[:20])
    if len(subject_problems) > 20:
        problems.append(f"... and {len(subject_problems) - 20} more subject problems")
    if Need.COURT_ORDER in basis.needs and not request.court_order:
        problems.append("missing court_order (the order's reference)")
    if Need.AGREEMENT in basis.needs:
        if not request.agreement:
            problems.append("missing agreement (the computer matching agreement id)")
        else:
            problems.extend(agreement_problems(agreement, request.agreement, request.agency,
                                               today))
    return problems
