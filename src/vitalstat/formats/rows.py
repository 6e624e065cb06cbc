"""The validated, flat form of one incoming report line, shared by every input format.

Readers (``dmf``, ``tabular``) turn each input line into either a :class:`ReportRow`
(normalised strings, ready for the store) or a :class:`~vitalstat.errors.LineProblem`
(file, line, field, reason). Validation itself calls the domain rules in
``vitalstat.domain.identity``; nothing here re-states them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from vitalstat.domain.identity import PartialDate, PersonName, normalize_ssn
from vitalstat.domain.reports import Action, ProofLevel
from vitalstat.errors import LineProblem, ValidationError

__all__ = ["REPORT_ROW_FIELDS", "Chunk", "ReportRow", "build_row", "iter_rows", "payload_hash"]


class ReportRow(NamedTuple):
    """One valid report line. Dates are ``YYYY-MM-DD`` with ``00`` for unknown, or None."""

    line_no: int
    action: str  # "A", "C" or "D"
    ssn: str
    last_name: str
    suffix: str
    first_name: str
    middle_name: str
    proof: str  # "P", "V" or ""
    date_of_death: str | None
    date_of_birth: str | None
    state: str
    zip_residence: str
    zip_payment: str
    sex: str
    reporter_name: str
    reporter_relationship: str
    reporter_contact: str
    source_report_id: str
    payload_hash: str


REPORT_ROW_FIELDS: tuple[str, ...] = ReportRow._fields


@dataclass(slots=True)
class Chunk:
    """A slice of an input file: valid rows and problems, in line order."""

    rows: list[ReportRow] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    lines: int = 0  # lines consumed (valid + bad)
    nbytes: int = 0  # bytes consumed, for progress bars

    def add(self, item: ReportRow | LineProblem) -> None:
        """Count one consumed line, as a row or as a problem."""
        if isinstance(item, LineProblem):
            self.problems.append(item)
        else:
            self.rows.append(item)
        self.lines += 1


def payload_hash(payload: bytes) -> str:
    """SHA-256 hex of a report's payload exactly as received."""
    return hashlib.sha256(payload).hexdigest()


_SEX = {"": "", "M": "M", "F": "F", "U": "", "MALE": "M", "FEMALE": "F"}


def build_row(
    *,
    file: str,
    line_no: int,
    payload: bytes,
    action: str = "A",
    ssn: str,
    last_name: str,
    first_name: str = "",
    middle_name: str = "",
    suffix: str = "",
    proof: str = "",
    date_of_death: PartialDate | str | None,
    date_of_birth: PartialDate | str | None = None,
    state: str = "",
    zip_residence: str = "",
    zip_payment: str = "",
    sex: str = "",
    reporter_name: str = "",
    reporter_relationship: str = "",
    reporter_contact: str = "",
    source_report_id: str = "",
) -> ReportRow | LineProblem:
    """Validate one line's fields with the domain rules.

    Dates may be given already parsed (a ``PartialDate`` or None) or as ISO text. A
    report that adds or changes a death must carry a date of death (at least its year):
    the registry never invents one. Returns the first problem found, naming the field.
    """
    current = "action"
    try:
        act = Action((action.strip() or "A").upper())
        current = "ssn"
        norm_ssn = normalize_ssn(ssn)
        current = "last_name"
        name = PersonName.parse(
            last=last_name, first=first_name, middle=middle_name, suffix=suffix
        )
        current = "proof"
        norm_proof = ProofLevel.parse(proof).value
        current = "date_of_death"
        dod = PartialDate.parse(date_of_death) if isinstance(date_of_death, str) else date_of_death
        if dod is None and act is not Action.DELETE:
            raise ValidationError("is required (at least the year); dates are never invented")
        current = "date_of_birth"
        dob = PartialDate.parse(date_of_birth) if isinstance(date_of_birth, str) else date_of_birth
        current = "sex"
        norm_sex = _SEX.get(sex.strip().upper())
        if norm_sex is None:
            raise ValidationError(f"{sex!r} is not M, F or blank")
    except ValueError:  # Action(...) on an unknown code
        return LineProblem(file, line_no, current, f"{action!r} is not A, C, D or blank")
    except ValidationError as exc:
        return LineProblem(file, line_no, exc.field or current, exc.reason)
    return ReportRow(
        line_no,
        act.value,
        norm_ssn,
        name.last,
        name.suffix,
        name.first,
        name.middle,
        norm_proof,
        dod.iso() if dod else None,
        dob.iso() if dob else None,
        state.strip().upper(),
        zip_residence.strip(),
        zip_payment.strip(),
        norm_sex,
        reporter_name.strip(),
        reporter_relationship.strip(),
        reporter_contact.strip(),
        source_report_id.strip(),
        payload_hash(payload),
    )


def iter_rows(chunks: Iterator[Chunk]) -> Iterator[ReportRow | LineProblem]:
    """Flatten chunks into rows and problems in line order (for small files and tests)."""
    for chunk in chunks:
        merged: list[ReportRow | LineProblem] = [*chunk.rows, *chunk.problems]
        merged.sort(key=lambda r: r.line_no if isinstance(r, ReportRow) else r.line)
        yield from merged
