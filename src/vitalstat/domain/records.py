"""Death records: the registry's consolidated view of one person's death. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.reports import ProofLevel

__all__ = ["DeathRecord", "RecordStatus", "ReviewReason"]


class RecordStatus(enum.StrEnum):
    PENDING = "pending"  # known, not yet publishable (later: grace periods)
    PUBLISHED = "published"  # on the file
    HELD = "held"  # needs a person to review it before it may publish
    WITHDRAWN = "withdrawn"  # taken off the file (every supporting report retracted, or a case)


class ReviewReason(enum.StrEnum):
    """Stable codes for why a record waits for a person. Each has a readable text."""

    CONFLICTING_DATE_OF_DEATH = "conflicting-date-of-death"
    CONFLICTING_DATE_OF_BIRTH = "conflicting-date-of-birth"
    CONFLICTING_NAME = "conflicting-name"
    # Integrity rules (domain/integrity.py)
    DEATH_IN_FUTURE = "death-in-future"
    DEATH_BEFORE_BIRTH = "death-before-birth"
    AGE_OVER_LIMIT = "age-over-limit"
    MINOR_NON_VITAL = "minor-non-vital"
    SINGLE_UNVERIFIED = "single-unverified"
    EVIDENCE_OF_LIFE = "evidence-of-life"
    PREVIOUSLY_ERRONEOUS = "previously-erroneous"
    OPEN_CASE = "open-case"
    SOURCE_SURGE = "source-surge"
    BATCH_FLAGGED = "batch-flagged"

    @property
    def text(self) -> str:
        return _REASON_TEXT[self]


_REASON_TEXT = {
    ReviewReason.CONFLICTING_DATE_OF_DEATH: "sources disagree on the date of death",
    ReviewReason.CONFLICTING_DATE_OF_BIRTH: "sources disagree on the date of birth",
    ReviewReason.CONFLICTING_NAME: "sources disagree on the name",
    ReviewReason.DEATH_IN_FUTURE: "the date of death is in the future",
    ReviewReason.DEATH_BEFORE_BIRTH: "the date of death is before the date of birth",
    ReviewReason.AGE_OVER_LIMIT: ("the person could have been older than the age limit "
                                  "(default 115) at death"),
    ReviewReason.MINOR_NON_VITAL: "a possible minor, reported by a source other than "
                                  "state vital records",
    ReviewReason.SINGLE_UNVERIFIED: "one unverified report from a non-vital source, "
                                    "waiting out the grace period for corroboration",
    ReviewReason.EVIDENCE_OF_LIFE: "there is evidence the person was alive after the "
                                   "date of death",
    ReviewReason.PREVIOUSLY_ERRONEOUS: "this SSN was withdrawn as erroneous before; only "
                                       "a state vital-records report may list it again",
    ReviewReason.OPEN_CASE: "a correction case is open for this person",
    ReviewReason.SOURCE_SURGE: "the source reported more deaths in one day than its "
                               "ceiling",
    ReviewReason.BATCH_FLAGGED: "too many people in the same batch tripped other rules",
}


@dataclass(frozen=True, slots=True)
class DeathRecord:
    """One person on (or once on) the file, consolidated from its reports."""

    ssn: str
    name: PersonName
    date_of_death: PartialDate | None
    date_of_birth: PartialDate | None
    proof: ProofLevel
    status: RecordStatus
    review_reasons: tuple[ReviewReason, ...] = ()
    restricted: bool = False  # supported by a restricted (state) source
    report_count: int = 0
    state: str = ""
    zip_residence: str = ""
    zip_payment: str = ""
    version: int = 1
