"""Accountable disclosure: legal bases, request validation, approvals, minimal answers,
accounting visibility and retention. Pure: standard library and dataclasses only.

The rules come from DOMAIN.md section 4 ("Disclosure to other agencies"):

* Privacy Act 5 U.S.C. 552a(b)(7): a civil or criminal law-enforcement activity
  authorised by law, on a *written* request from the head of the agency naming the
  records wanted and the activity.
* SSA's stricter 20 CFR 401.155 (POMS GN 03312.001-.110): (b) serious or violent crime
  where the subject is indicted or convicted (**suspects: no**); (c) fraud or abuse in
  income or health programmes; national-security requests go to the **Privacy
  Officer**. A valid request is in writing, names the subject (first and last name, SSN
  and DOB; without an SSN: name, DOB and one more identifier), the exact records wanted
  and why they are relevant, and is signed by a supervisor not below section chief.
  Name + SSN that match more than one record: no disclosure. Never reveal the true
  holder of an SSN that belongs to someone else.
* Accounting of disclosures, 552a(c): date, nature, purpose, recipient name and address
  of every disclosure, kept at least 5 years or the life of the record, whichever is
  longer; shown to the individual on request except (b)(7) law-enforcement entries.
* Computer matching (CMPPA 1988, 552a(o),(p),(u)): bulk matching needs a written
  agreement approved by a Data Integrity Board, effective 30-40 days after notice,
  lasting 18 months (+12 once); no adverse action on a match until it is independently
  verified and the person has had notice and 30 days to contest.

Legal bases are *data* (:class:`LegalBasis`, seeded from :data:`DEFAULT_BASES` and
editable by an admin), but an edit may not go below the floors the law sets
(:func:`basis_problems`): every basis needs a second user's approval, bulk needs a
matching agreement and its Data Integrity Board, 401.155(b) needs an indictment or
conviction, national security the Privacy Officer.

Deny by default: a request is ``pending`` until every approval its basis lists is in,
and only an ``approved`` request is ever answered.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vitalstat.domain.identity import PartialDate, PersonName, normalize_name, normalize_ssn
from vitalstat.domain.policy import _years_later  # the one calendar-years rule (29 Feb)
from vitalstat.errors import RefusedError, ValidationError, VitalstatError

__all__ = [
    "ACCOUNTING_YEARS",
    "DEFAULT_BASES",
    "MATCHING_NOTICE",
    "NOTICE_DAYS",
    "REQUEST_KEYS",
    "SUBJECT_KEYS",
    "AccountingEntry",
    "Approval",
    "ApprovalRecord",
    "CaseStatus",
    "DisclosureRequest",
    "Field",
    "LegalBasis",
    "MatchingAgreement",
    "Need",
    "PersonView",
    "Rank",
    "RecordView",
    "RequestState",
    "Resolution",
    "Subject",
    "agreement_problems",
    "approval_missing",
    "basis_problems",
    "check_approver",
    "may_purge",
    "minimise",
    "parse_request",
    "parse_subject",
    "person_view",
    "request_problems",
    "resolve_subject",
    "retention_ends",
]


def _parse_enum(cls: type[enum.StrEnum], text: str, what: str) -> Any:
    try:
        return cls(str(text).strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in cls)
        raise ValidationError(f"unknown {what} {text!r}; one of: {names}",
                              field=what.replace(" ", "_")) from None


class Field(enum.StrEnum):
    """What an answer may contain, one record at a time."""

    SSN = "ssn"
    NAME = "name"  # first, middle, last name and suffix
    DATE_OF_BIRTH = "date_of_birth"
    DATE_OF_DEATH = "date_of_death"
    STATUS = "status"  # published, pending, held
    PROOF = "proof"  # P proven, V verified
    LAST_RESIDENCE = "last_residence"  # state and ZIP of last residence
    ZIP_PAYMENT = "zip_payment"
    SOURCES = "sources"  # kind and identity of each reporting source
    REPORTERS = "reporters"  # name, relationship and contact of each reporter

    @classmethod
    def parse(cls, text: str) -> Field:
        return _parse_enum(cls, text, "field")  # type: ignore[no-any-return]


class Rank(enum.StrEnum):
    """Signer ranks, lowest first (401.155: "not below section chief")."""

    STAFF = "staff"
    SUPERVISOR = "supervisor"
    SECTION_CHIEF = "section-chief"
    DIVISION_CHIEF = "division-chief"
    DEPUTY_HEAD = "deputy-head"
    AGENCY_HEAD = "agency-head"
    JUDGE = "judge"  # signs a court order: ranks with an agency head

    @property
    def level(self) -> int:
        return 5 if self is Rank.JUDGE else list(Rank).index(self)

    @classmethod
    def parse(cls, text: str) -> Rank:
        return _parse_enum(cls, text, "signer rank")  # type: ignore[no-any-return]


class Approval(enum.StrEnum):
    """Who must approve before an answer may go out."""

    SECOND_USER = "second-user"  # any user other than the one who recorded the request
    PRIVACY_OFFICER = "privacy-officer"  # a user holding the Privacy Officer role
    DATA_INTEGRITY_BOARD = "data-integrity-board"  # on the matching agreement, on file

    @classmethod
    def parse(cls, text: str) -> Approval:
        return _parse_enum(cls, text, "approval")  # type: ignore[no-any-return]


class Need(enum.StrEnum):
    """Elements a basis needs beyond the ones every request needs."""

    INDICTMENT = "indictment"  # every subject indicted or convicted (401.155(b))
    COURT_ORDER = "court-order"  # the order's reference
    AGREEMENT = "agreement"  # an active, approved computer matching agreement

    @classmethod
    def parse(cls, text: str) -> Need:
        return _parse_enum(cls, text, "need")  # type: ignore[no-any-return]


class CaseStatus(enum.StrEnum):
    SUSPECT = "suspect"
    INDICTED = "indicted"
    CONVICTED = "convicted"


class RequestState(enum.StrEnum):
    REFUSED = "refused"  # failed validation: never answered
    PENDING = "pending"  # valid, waiting for approvals (deny by default)
    APPROVED = "approved"  # every approval in: may be answered once
    DENIED = "denied"  # a user denied it: never answered
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """One legal basis: what it may release, who must approve, what a request needs.

    ``max_subjects`` ``None`` means bulk (any number of subjects): only with a matching
    agreement. ``hidden_from_subject``: entries made under it are left out of the
    person's accounting (552a(c)(3): (b)(7) law-enforcement disclosures).
    """

    code: str
    title: str
    citation: str
    fields: frozenset[Field]
    approvals: tuple[Approval, ...] = (Approval.SECOND_USER,)
    needs: frozenset[Need] = frozenset()
    min_signer_rank: Rank | None = Rank.SECTION_CHIEF
    max_subjects: int | None = 20
    hidden_from_subject: bool = False

    @property
    def bulk(self) -> bool:
        return self.max_subjects is None


_IDENTITY = frozenset({Field.SSN, Field.NAME, Field.DATE_OF_BIRTH, Field.DATE_OF_DEATH,
                       Field.STATUS})

#: The bases the registry ships with (the migration seeds them; an admin edits them).
DEFAULT_BASES: tuple[LegalBasis, ...] = (
    LegalBasis("routine-use", "Routine use: confirm a death on file",
               "5 U.S.C. 552a(b)(3); published routine use",
               _IDENTITY | {Field.PROOF}, min_signer_rank=Rank.SUPERVISOR),
    LegalBasis("law-enforcement-b7", "Written request for a law-enforcement activity",
               "5 U.S.C. 552a(b)(7)", _IDENTITY | {Field.PROOF, Field.LAST_RESIDENCE},
               min_signer_rank=Rank.AGENCY_HEAD, hidden_from_subject=True),
    LegalBasis("serious-crime", "Serious or violent crime: subject indicted or convicted",
               "20 CFR 401.155(b)",
               _IDENTITY | {Field.PROOF, Field.LAST_RESIDENCE, Field.REPORTERS},
               needs=frozenset({Need.INDICTMENT}), hidden_from_subject=True),
    LegalBasis("program-fraud", "Fraud or abuse in an income or health programme",
               "20 CFR 401.155(c)",
               _IDENTITY | {Field.PROOF, Field.ZIP_PAYMENT, Field.SOURCES},
               hidden_from_subject=True),
    LegalBasis("national-security", "National security (decided by the Privacy Officer)",
               "20 CFR 401.155; POMS GN 03312.001-.110",
               _IDENTITY | {Field.LAST_RESIDENCE},
               approvals=(Approval.SECOND_USER, Approval.PRIVACY_OFFICER),
               hidden_from_subject=True),
    LegalBasis("court-order", "Order of a court of competent jurisdiction",
               "5 U.S.C. 552a(b)(11)",
               _IDENTITY | {Field.PROOF, Field.LAST_RESIDENCE, Field.ZIP_PAYMENT,
                            Field.SOURCES, Field.REPORTERS},
               needs=frozenset({Need.COURT_ORDER}), min_signer_rank=Rank.JUDGE),
    LegalBasis("matching-agreement", "Computer matching agreement (bulk)",
               "5 U.S.C. 552a(o),(p),(u) (CMPPA 1988); Social Security Act 205(r)",
               _IDENTITY, approvals=(Approval.SECOND_USER, Approval.DATA_INTEGRITY_BOARD),
               needs=frozenset({Need.AGREEMENT}), max_subjects=None),
)

#: Floors an admin's edit may not go below, by basis code (the law, not a preference).
_FLOORS: dict[str, tuple[frozenset[Need], frozenset[Approval], Rank | None]] = {
    "serious-crime": (frozenset({Need.INDICTMENT}), frozenset(), Rank.SECTION_CHIEF),
    "program-fraud": (frozenset(), frozenset(), Rank.SECTION_CHIEF),
    "national-security": (frozenset(), frozenset({Approval.PRIVACY_OFFICER}),
                          Rank.SECTION_CHIEF),
    "law-enforcement-b7": (frozenset(), frozenset(), Rank.AGENCY_HEAD),
    "court-order": (frozenset({Need.COURT_ORDER}), frozenset(), None),
    "matching-agreement": (frozenset({Need.AGREEMENT}), frozenset(), None),
}


def basis_problems(basis: LegalBasis) -> list[str]:
    """Why ``basis`` may not be stored (empty: it may). Checked on every admin edit."""
    problems = []
    if not basis.code.strip() or basis.code != basis.code.strip().lower():
        problems.append("a basis code is lower-case and not blank")
    if not basis.title.strip() or not basis.citation.strip():
        problems.append("a basis needs a title and the legal citation it rests on")
    if Approval.SECOND_USER not in basis.approvals:
        problems.append("every basis needs a second user's approval (deny by default)")
    if len(set(basis.approvals)) != len(basis.approvals):
        problems.append("an approval is listed twice")
    if basis.bulk and Need.AGREEMENT not in basis.needs:
        problems.append("bulk (no subject limit) only under a computer matching agreement")
    if (Need.AGREEMENT in basis.needs) != (Approval.DATA_INTEGRITY_BOARD in basis.approvals):
        problems.append("a matching agreement and its Data Integrity Board approval go "
                        "together (5 U.S.C. 552a(u))")
    if basis.max_subjects is not None and basis.max_subjects < 1:
        problems.append("max subjects must be at least 1 (or none: bulk)")
    if not basis.fields:
        problems.append("a basis releases at least one field")
    floor = _FLOORS.get(basis.code)
    if floor is not None:
        needs, approvals, rank = floor
        for need in sorted(needs - basis.needs):
            problems.append(f"{basis.code} must keep need {need.value!r}")
        for approval in sorted(approvals - set(basis.approvals)):
            problems.append(f"{basis.code} must keep approval {approval.value!r}")
        if rank is not None and (basis.min_signer_rank is None
                                 or basis.min_signer_rank.level < rank.level):
            problems.append(f"{basis.code}: the signer may not rank below {rank.value}")
    return problems


# ------------------------------------------------------------------- requests


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


# ------------------------------------------------------------------ approvals


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    approver: str
    roles: frozenset[str]


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def check_approver(requester: str, approver: str, earlier: Sequence[ApprovalRecord]) -> None:
    """Refuse an approval by whoever recorded the request, or a second one by one user."""
    if not approver.strip():
        raise RefusedError("an approval must name the approving user")
    if _same(requester, approver):
        raise RefusedError(f"{approver!r} recorded this request and cannot approve it: a "
                           "second, different user must")
    if any(_same(a.approver, approver) for a in earlier):
        raise RefusedError(f"{approver!r} has already approved this request; another user "
                           "must give the remaining approval")


def approval_missing(basis: LegalBasis, requester: str,
                     approvals: Sequence[ApprovalRecord]) -> list[Approval]:
    """The user approvals still missing (empty: approved). Each approval is given by a
    distinct user other than the requester; the Privacy Officer's approval must come from
    a user holding the ``privacy-officer`` role. The Data Integrity Board approval is on
    the matching agreement, checked when the request is recorded."""
    people = [a for a in approvals if not _same(a.approver, requester)]
    people = list({a.approver.strip().casefold(): a for a in people}.values())
    missing = []
    if Approval.PRIVACY_OFFICER in basis.approvals:
        officer = next((a for a in people if Approval.PRIVACY_OFFICER.value in a.roles), None)
        if officer is None:
            missing.append(Approval.PRIVACY_OFFICER)
        else:
            people.remove(officer)
    if Approval.SECOND_USER in basis.approvals and not people:
        missing.append(Approval.SECOND_USER)
    return missing


# -------------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class RecordView:
    """What the registry holds about one record, as an answer could show it."""

    ssn: str
    name: PersonName
    date_of_birth: PartialDate | None
    date_of_death: PartialDate | None
    status: str
    proof: str = ""
    state: str = ""
    zip_residence: str = ""
    zip_payment: str = ""
    sources: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()

    def value(self, f: Field) -> Any:
        if f is Field.SSN:
            return self.ssn
        if f is Field.NAME:
            n = self.name
            return {"first": n.first, "middle": n.middle, "last": n.last, "suffix": n.suffix}
        if f is Field.DATE_OF_BIRTH:
            return str(self.date_of_birth) if self.date_of_birth else None
        if f is Field.DATE_OF_DEATH:
            return str(self.date_of_death) if self.date_of_death else None
        if f is Field.STATUS:
            return self.status
        if f is Field.PROOF:
            return self.proof
        if f is Field.LAST_RESIDENCE:
            return {"state": self.state, "zip": self.zip_residence}
        if f is Field.ZIP_PAYMENT:
            return self.zip_payment
        if f is Field.SOURCES:
            return list(self.sources)
        return list(self.reporters)


class Resolution(enum.StrEnum):
    FOUND = "found"
    NO_RECORD = "no-record"  # also: the SSN is on file under someone else
    AMBIGUOUS = "ambiguous"  # the identifiers fit more than one record: no disclosure


def _agrees(subject: Subject, record: RecordView) -> bool:
    """Name, date of birth and any extra identifier the subject gives agree with ``record``."""
    name, dob = subject.name, subject.date_of_birth
    if name is None or dob is None or record.date_of_birth is None:
        return False
    if (name.last, name.first) != (record.name.last, record.name.first):
        return False
    if dob != record.date_of_birth:
        return False
    if name.middle and record.name.middle and name.middle[0] != record.name.middle[0]:
        return False
    if subject.state and record.state and subject.state != record.state:
        return False
    return not (subject.zip and record.zip_residence and subject.zip != record.zip_residence)


def resolve_subject(subject: Subject, candidates: Iterable[RecordView]
                    ) -> tuple[Resolution, RecordView | None]:
    """Which record (if any) a subject names. ``candidates``: the record with the
    subject's SSN and every record with its last name, first name and date of birth.

    With an SSN, the record must carry that SSN *and* agree on name and date of birth;
    an SSN on file under another person answers exactly as "no record" (never reveal the
    true holder). Name + SSN fitting more than one record (another record with the same
    name and date of birth, under a different SSN): no disclosure. Without an SSN, name,
    date of birth and the extra identifiers must fit exactly one record. A withdrawn
    record (a person listed in error) is no death on file: "no record".
    """
    live = [c for c in candidates if c.status != "withdrawn"]
    fitting = {c.ssn: c for c in live if _agrees(subject, c)}
    if subject.ssn is not None:
        if subject.ssn not in fitting:
            return Resolution.NO_RECORD, None
        if len(fitting) > 1:
            return Resolution.AMBIGUOUS, None
        return Resolution.FOUND, fitting[subject.ssn]
    if not fitting:
        return Resolution.NO_RECORD, None
    if len(fitting) > 1:
        return Resolution.AMBIGUOUS, None
    return Resolution.FOUND, next(iter(fitting.values()))


def minimise(record: RecordView, requested: Iterable[Field], basis: LegalBasis
             ) -> dict[str, Any]:
    """Only the fields both requested and allowed by ``basis`` now (the basis may have
    been narrowed since the request was approved), in a fixed order."""
    wanted = set(requested) & basis.fields
    return {f.value: record.value(f) for f in Field if f in wanted}


#: Carried by every answer under a matching agreement (5 U.S.C. 552a(p)).
MATCHING_NOTICE = ("No adverse action may be taken against any person on the basis of this "
                   "match until it has been independently verified and the person has been "
                   "given notice of the findings and 30 days to contest them "
                   "(5 U.S.C. 552a(p)).")


# ----------------------------------------------------------------- accounting


ACCOUNTING_YEARS = 5


@dataclass(frozen=True, slots=True)
class AccountingEntry:
    """One disclosure of one person's record (552a(c)(1))."""

    disclosed_at: str
    nature: str
    purpose: str
    recipient: str
    recipient_address: str
    basis: str
    hidden_from_subject: bool = False
    reference: str = ""  # request number or delivery


@dataclass(frozen=True, slots=True)
class PersonView:
    """What the person may see of their accounting, and how many entries are withheld."""

    entries: tuple[AccountingEntry, ...]
    withheld: int = 0
    all_entries: tuple[AccountingEntry, ...] = field(default=(), repr=False)


def person_view(entries: Iterable[AccountingEntry]) -> PersonView:
    """552a(c)(3): the accounting is shown to the person, except entries made under
    (b)(7) law-enforcement bases (``hidden_from_subject``), which are withheld but still
    counted (in the staff view and the transparency report)."""
    every = tuple(entries)
    shown = tuple(e for e in every if not e.hidden_from_subject)
    return PersonView(shown, len(every) - len(shown), every)


def retention_ends(disclosed_on: date, record_exists: bool) -> date | None:
    """The first day an accounting entry may be purged: 5 years after the disclosure, or
    the life of the record, whichever is longer (552a(c)(2)). ``None``: the record still
    exists, so the entry must be kept."""
    if record_exists:
        return None
    return _years_later(disclosed_on, ACCOUNTING_YEARS)


def may_purge(disclosed_on: date, record_exists: bool, today: date) -> bool:
    ends = retention_ends(disclosed_on, record_exists)
    return ends is not None and today >= ends

