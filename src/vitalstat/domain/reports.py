"""Death reports: who said that whom died, when, and on what evidence. Pure.

A report is never anonymous: it always comes from a :class:`Source` (a kind and an
identity), and sources that are people or businesses name a reporter where they can.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.errors import AnonymousReportError, ValidationError

__all__ = [
    "RESTRICTED_KINDS",
    "VITAL_KINDS",
    "Action",
    "DeathReport",
    "ProofLevel",
    "Reporter",
    "Source",
    "SourceKind",
]


class SourceKind(enum.StrEnum):
    STATE_VITAL_RECORDS = "state-vital-records"
    FUNERAL_HOME = "funeral-home"
    FAMILY = "family"
    FEDERAL_AGENCY = "federal-agency"
    FINANCIAL_INSTITUTION = "financial-institution"
    LEGACY_DMF = "legacy-dmf"

    @classmethod
    def parse(cls, text: str) -> SourceKind:
        try:
            return cls(text.strip().lower())
        except ValueError:
            kinds = ", ".join(k.value for k in cls)
            raise ValidationError(f"unknown source kind {text!r}; one of: {kinds}",
                                  field="source_kind") from None


#: Kinds whose reports rest on a death certificate or an official registration.
VITAL_KINDS: frozenset[SourceKind] = frozenset({SourceKind.STATE_VITAL_RECORDS})

#: Kinds whose records may not go to the open tier (Social Security Act s.205(r)).
RESTRICTED_KINDS: frozenset[SourceKind] = frozenset({SourceKind.STATE_VITAL_RECORDS})


class ProofLevel(enum.StrEnum):
    """The DMF's verification code. Order of strength: PROVEN > VERIFIED > UNKNOWN."""

    PROVEN = "P"
    VERIFIED = "V"
    UNKNOWN = ""

    @property
    def strength(self) -> int:
        return {"P": 2, "V": 1, "": 0}[self.value]

    @classmethod
    def parse(cls, text: str) -> ProofLevel:
        """``P``, ``V``; blank or the legacy ``N`` mean unknown."""
        code = text.strip().upper()
        if code in ("", "N"):
            return cls.UNKNOWN
        if code in ("P", "V"):
            return cls(code)
        raise ValidationError(f"{text!r} is not a proof code (P, V, N or blank)", field="proof")

    @staticmethod
    def strongest(levels: list[ProofLevel]) -> ProofLevel:
        return max(levels, key=lambda p: p.strength, default=ProofLevel.UNKNOWN)


class Action(enum.StrEnum):
    """What a report asks: add or change (upsert by SSN), or delete this source's report."""

    ADD = "A"
    CHANGE = "C"
    DELETE = "D"


@dataclass(frozen=True, slots=True)
class Source:
    """Who sent a report: a kind and an identity, e.g. ``state-vital-records/OH``."""

    kind: SourceKind
    source_id: str

    def __post_init__(self) -> None:
        if not self.source_id or not self.source_id.strip():
            raise AnonymousReportError(
                "a death report needs a source identity (--source-id); anonymous reports "
                "are refused"
            )

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.source_id}"


@dataclass(frozen=True, slots=True)
class Reporter:
    """The person who made the report, where the source names one."""

    name: str = ""
    relationship: str = ""
    contact: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.relationship or self.contact)


@dataclass(frozen=True, slots=True)
class DeathReport:
    """One source's statement that the person with ``ssn`` died.

    ``payload_hash`` is the SHA-256 (hex) of the payload exactly as received (for a DMF
    line, the 100 bytes; for tabular rows, the canonical JSON of the row), so the same
    statement from the same source is recognised when sent again.
    """

    ssn: str
    name: PersonName
    date_of_death: PartialDate | None
    date_of_birth: PartialDate | None
    source: Source
    payload_hash: str
    action: Action = Action.ADD
    proof: ProofLevel = ProofLevel.UNKNOWN
    state: str = ""
    zip_residence: str = ""
    zip_payment: str = ""
    sex: str = ""
    reporter: Reporter = field(default_factory=Reporter)
    source_report_id: str = ""
    received_at: datetime | None = None
    report_id: int | None = None

    @property
    def restricted(self) -> bool:
        return self.source.kind in RESTRICTED_KINDS
