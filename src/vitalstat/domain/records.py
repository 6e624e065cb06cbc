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

    @property
    def text(self) -> str:
        return _REASON_TEXT[self]


_REASON_TEXT = {
    ReviewReason.CONFLICTING_DATE_OF_DEATH: "sources disagree on the date of death",
    ReviewReason.CONFLICTING_DATE_OF_BIRTH: "sources disagree on the date of birth",
    ReviewReason.CONFLICTING_NAME: "sources disagree on the name",
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
