"""Legal bases as data, the floors an edit may not go below, and approval rules. Pure.

See the package docstring (``vitalstat.domain.disclosure``) for the law (DOMAIN.md
section 4).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vitalstat.errors import RefusedError, SelfApprovalError, ValidationError

__all__ = ["DEFAULT_BASES", "Approval", "ApprovalRecord", "CaseStatus", "Field", "LegalBasis",
           "Need", "Rank", "RequestState", "approval_missing", "basis_problems",
           "check_approver"]


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
        raise SelfApprovalError(f"{approver!r} recorded this request and cannot approve it: a "
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
