"""Correction cases ("resurrection"): a state machine over immutable values. Pure.

::

    open ──evidence──▶ open ──decide──▶ decided (reinstate | reject)
                                 │            │ (one person may decide)
                                 └──▶ awaiting-approval ──approve (another user)──▶ decided
                                                         └─refuse-approval──▶ open
    reinstated ──every recipient notified──▶ closed          rejected: final

- Opening a case holds the record at once (``ReviewReason.OPEN_CASE``); the services
  apply that. The person, a representative, a subscriber or staff may open one.
- Reinstating an erroneous death needs evidence other than ``other`` (an identity
  document, evidence of life or the vital-records office's retraction). A
  wrong-details case cannot reinstate: its record is a death, corrected by a source's
  ``C`` report; it is rejected or closed when that arrives.
- Two-person rule (``integrity.needs_second_person``): rejecting releases the case's hold,
  and reinstating a record supported by state vital records changes a vital record: both
  wait for a second, different user. The proposer can never approve.
- Every step appends to the case's timeline, from which correction times are reported.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from vitalstat.domain.identity import normalize_ssn
from vitalstat.domain.integrity import check_second_person, needs_second_person
from vitalstat.errors import ConflictError, RefusedError, ValidationError

__all__ = [
    "Case",
    "CaseKind",
    "CaseState",
    "CaseStep",
    "EvidenceType",
    "OpenedBy",
    "Outcome",
    "add_evidence",
    "approve",
    "decide",
    "mark_notified",
    "open_case",
    "refuse_approval",
]


class CaseKind(enum.StrEnum):
    ERRONEOUS_DEATH = "erroneous-death"
    WRONG_DETAILS = "wrong-details"


class OpenedBy(enum.StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"
    SUBSCRIBER = "subscriber"
    STAFF = "staff"


class EvidenceType(enum.StrEnum):
    IDENTITY_DOCUMENT = "identity-document"
    EVIDENCE_OF_LIFE = "evidence-of-life"
    VITAL_RECORD_RETRACTION = "vital-record-retraction"
    OTHER = "other"


#: Evidence that can support reinstating an erroneous death.
SUPPORTING_EVIDENCE = frozenset(EvidenceType) - {EvidenceType.OTHER}


class CaseState(enum.StrEnum):
    OPEN = "open"
    AWAITING_APPROVAL = "awaiting-approval"
    REINSTATED = "reinstated"
    REJECTED = "rejected"
    CLOSED = "closed"  # reinstated and every earlier recipient notified


class Outcome(enum.StrEnum):
    REINSTATE = "reinstate"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One entry of a case's timeline."""

    at: datetime
    actor: str
    what: str  # opened, evidence, proposed, decided, approval-refused, notified
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    number: str
    ssn: str
    kind: CaseKind
    opened_by: OpenedBy
    contact: str
    state: CaseState
    record_restricted: bool  # the record is supported by state vital records
    evidence: tuple[EvidenceType, ...] = ()
    proposed: Outcome | None = None
    proposed_by: str = ""
    reason: str = ""
    timeline: tuple[CaseStep, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        """While true, the record stays on hold (no ``match`` results)."""
        return self.state in (CaseState.OPEN, CaseState.AWAITING_APPROVAL)


def _step(case: Case, at: datetime, actor: str, what: str, detail: str = "") -> Case:
    return replace(case, timeline=(*case.timeline, CaseStep(at, actor, what, detail)))


def _require(case: Case, *states: CaseState) -> None:
    if case.state not in states:
        wanted = " or ".join(s.value for s in states)
        raise ConflictError(f"case {case.number} is {case.state.value}, not {wanted}")


def open_case(*, number: str, ssn: str, kind: CaseKind, opened_by: OpenedBy, contact: str,
              record_restricted: bool, actor: str, at: datetime) -> Case:
    """A new open case. A contact is required: the person must hear the outcome."""
    if not contact.strip():
        raise ValidationError("is required: the person must hear the outcome", field="contact")
    case = Case(number=number, ssn=normalize_ssn(ssn), kind=kind, opened_by=opened_by,
                contact=contact.strip(), state=CaseState.OPEN,
                record_restricted=record_restricted)
    return _step(case, at, actor, "opened", f"{kind.value} by {opened_by.value}")


def add_evidence(case: Case, evidence: EvidenceType, *, actor: str, at: datetime,
                 note: str = "") -> Case:
    _require(case, CaseState.OPEN)
    case = replace(case, evidence=(*case.evidence, evidence))
    return _step(case, at, actor, "evidence", f"{evidence.value} {note}".strip())


def _apply(case: Case, outcome: Outcome, actor: str, at: datetime) -> Case:
    state = CaseState.REINSTATED if outcome is Outcome.REINSTATE else CaseState.REJECTED
    case = replace(case, state=state, proposed=outcome)
    return _step(case, at, actor, "decided", f"{outcome.value}: {case.reason}")


def decide(case: Case, outcome: Outcome, *, reason: str, actor: str, at: datetime) -> Case:
    """Decide, or propose when the two-person rule applies (then :func:`approve`)."""
    _require(case, CaseState.OPEN)
    if not reason.strip():
        raise ValidationError("is required: say why, for the person and the auditors",
                              field="reason")
    if outcome is Outcome.REINSTATE:
        if case.kind is CaseKind.WRONG_DETAILS:
            raise RefusedError(
                f"case {case.number} is about wrong details, not a wrongful listing: the "
                "record is corrected by a source's change report, so reject or wait")
        if not SUPPORTING_EVIDENCE.intersection(case.evidence):
            kinds = ", ".join(sorted(e.value for e in SUPPORTING_EVIDENCE))
            raise RefusedError(f"case {case.number} has no evidence to reinstate on "
                               f"(needs one of: {kinds})")
    case = replace(case, reason=reason.strip(), proposed=outcome, proposed_by=actor)
    second = needs_second_person(
        releases_hold=outcome is Outcome.REJECT,
        record_restricted=outcome is Outcome.REINSTATE and case.record_restricted)
    if second:
        case = replace(case, state=CaseState.AWAITING_APPROVAL)
        rules = ", ".join(a.value for a in second)
        return _step(case, at, actor, "proposed",
                     f"{outcome.value}: {case.reason} (needs a second user: {rules})")
    return _apply(case, outcome, actor, at)


def approve(case: Case, *, actor: str, at: datetime) -> Case:
    """A second, different user approves the proposed outcome."""
    _require(case, CaseState.AWAITING_APPROVAL)
    check_second_person(case.proposed_by, actor)
    assert case.proposed is not None
    return _apply(case, case.proposed, actor, at)


def refuse_approval(case: Case, *, actor: str, at: datetime, reason: str) -> Case:
    """The second user disagrees: the case goes back to open, still on hold."""
    _require(case, CaseState.AWAITING_APPROVAL)
    check_second_person(case.proposed_by, actor)
    case = replace(case, state=CaseState.OPEN, proposed=None, proposed_by="")
    return _step(case, at, actor, "approval-refused", reason.strip())


def mark_notified(case: Case, *, recipients: int, actor: str, at: datetime) -> Case:
    """Every earlier recipient has been sent the correction: the case closes."""
    _require(case, CaseState.REINSTATED)
    case = replace(case, state=CaseState.CLOSED)
    return _step(case, at, actor, "notified", f"{recipients} recipients")
