"""Answers and their accounting: which record a subject names, minimised answers, the
matching notice, the person's view of the accounting, and retention. Pure.

DOMAIN.md section 4: name + SSN that match more than one record, no disclosure; never
reveal the true holder of an SSN that belongs to someone else; the accounting
(552a(c)) is kept at least 5 years or the life of the record and shown to the person
except (b)(7) law-enforcement entries; no adverse action on a match before independent
verification and 30 days' notice (552a(p)).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vitalstat.domain.disclosure.bases import Field, LegalBasis
from vitalstat.domain.disclosure.requests import Subject
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.policy import _years_later  # the one calendar-years rule (29 Feb)

__all__ = ["ACCOUNTING_YEARS", "MATCHING_NOTICE", "AccountingEntry", "PersonView",
           "RecordView", "Resolution", "may_purge", "minimise", "person_view",
           "resolve_subject", "retention_ends"]


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
