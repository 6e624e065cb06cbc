"""The validated, flat form of one incoming report line, shared by every input format.

Readers (``dmf``, ``tabular``) turn each input line into either a :class:`ReportRow`
(normalised strings, ready for the store) or a :class:`~vitalstat.errors.LineProblem`
(file, line, field, reason). Validation itself calls the domain rules in
``vitalstat.domain.identity``; nothing here re-states them.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from vitalstat.domain.identity import PartialDate, PersonName, normalize_ssn
from vitalstat.domain.reports import Action, ProofLevel
from vitalstat.errors import LineProblem, ValidationError

__all__ = [
    "PACKED_AT",
    "PACKED_BYTES",
    "PACKED_FIELDS",
    "PACKED_WIDTH",
    "REPORT_ROW_FIELDS",
    "Chunk",
    "PackedRows",
    "ReportRow",
    "SsnOrder",
    "SsnSpan",
    "build_row",
    "iter_rows",
    "payload_hash",
]


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


#: The packed form of a run of rows (:class:`PackedRows`): each row one fixed-width
#: record of these fields, in this order. Text fields are space-padded ASCII: a value is
#: its text with trailing spaces removed, and a date left all blank is None. The payload
#: hash is its 32 bytes (a row's ``payload_hash`` is their hex). The row fields not
#: listed here (sex, reporter, source report id) are empty.
PACKED_FIELDS: tuple[tuple[str, int], ...] = (
    ("action", 1), ("ssn", 9), ("last_name", 20), ("suffix", 4), ("first_name", 15),
    ("middle_name", 15), ("proof", 1), ("date_of_death", 10), ("date_of_birth", 10),
    ("state", 2), ("zip_residence", 5), ("zip_payment", 5), ("payload_hash", 32),
)
PACKED_WIDTH = sum(width for _, width in PACKED_FIELDS)
#: Where each packed field starts in its record (0-based).
PACKED_AT: dict[str, int] = {name: sum(w for _, w in PACKED_FIELDS[:i])
                             for i, (name, _) in enumerate(PACKED_FIELDS)}
PACKED_BYTES = frozenset({"payload_hash"})  # raw bytes, never trimmed
_PACKED_DATES = frozenset({"date_of_death", "date_of_birth"})
_SPACE_BYTE = 32
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint8).reshape(256, 2)


@dataclass(frozen=True, slots=True)
class PackedRows:
    """Valid rows of consecutive lines, ``first_line`` on, packed (see :data:`PACKED_FIELDS`).

    A reader that validates whole blocks at once (the DMF fast path) hands them over this
    way, so a bulk load never makes a Python object per row: SQLite cuts the fields out of
    ``data`` in one statement. :meth:`rows` gives the same rows as :class:`ReportRow` s.
    ``blank``: fields all spaces in every row; ``padded``: fields with trailing spaces in
    at least one row (the others need no trimming).
    """

    first_line: int
    count: int
    data: bytes
    blank: frozenset[str]
    padded: frozenset[str]

    @classmethod
    def pack(cls, first_line: int, fields: np.ndarray) -> PackedRows:
        """``fields``: ``(rows, PACKED_WIDTH)`` uint8, one packed record per row."""
        if fields.ndim != 2 or fields.shape[1] != PACKED_WIDTH or len(fields) == 0:
            raise ValueError(f"expected (rows > 0, {PACKED_WIDTH}) bytes, got {fields.shape}")
        blank, padded = set(), set()
        for name, width in PACKED_FIELDS:
            if name in PACKED_BYTES:
                continue
            column = fields[:, PACKED_AT[name] : PACKED_AT[name] + width]
            if bool((column[:, -1] == _SPACE_BYTE).any()):
                padded.add(name)
                if bool((column == _SPACE_BYTE).all()):
                    blank.add(name)
        return cls(first_line, len(fields), np.ascontiguousarray(fields).tobytes(),
                   frozenset(blank), frozenset(padded))

    def rows(self) -> list[ReportRow]:
        """The same rows as :class:`ReportRow` s, in line order."""
        fields = np.frombuffer(self.data, np.uint8).reshape(self.count, PACKED_WIDTH)
        columns: dict[str, list[str | None]] = {}
        for name, width in PACKED_FIELDS:
            column = fields[:, PACKED_AT[name] : PACKED_AT[name] + width]
            if name in PACKED_BYTES:
                hex_digits = np.ascontiguousarray(_HEX[column].reshape(self.count, 2 * width))
                columns[name] = hex_digits.view(np.dtype(("S", 2 * width))).ravel().astype(
                    np.dtype(("U", 2 * width))).tolist()
                continue
            if name in self.blank:
                columns[name] = [None if name in _PACKED_DATES else ""] * self.count
                continue
            text = column.astype(np.uint32).view(np.dtype(("U", width))).ravel()
            values: list[str | None] = (np.strings.rstrip(text, " ") if name in self.padded
                                        else text).tolist()
            if name in _PACKED_DATES and name in self.padded:
                values = [v or None for v in values]
            columns[name] = values
        empty = [""] * self.count
        lines = range(self.first_line, self.first_line + self.count)
        return [ReportRow._make(values) for values in zip(
            lines, *(columns.get(name, empty) for name in REPORT_ROW_FIELDS[1:]), strict=True)]


@dataclass(slots=True)
class Chunk:
    """A slice of an input file: valid rows and problems, in line order.

    Valid rows are in ``rows``, or (from a reader asked for them) partly in ``packed``
    runs; :meth:`all_rows` and :meth:`segments` put both back in line order.
    """

    rows: list[ReportRow] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    lines: int = 0  # lines consumed (valid + bad)
    nbytes: int = 0  # bytes consumed, for progress bars
    packed: list[PackedRows] = field(default_factory=list)

    def add(self, item: ReportRow | LineProblem) -> None:
        """Count one consumed line, as a row or as a problem."""
        if isinstance(item, LineProblem):
            self.problems.append(item)
        else:
            self.rows.append(item)
        self.lines += 1

    @property
    def valid(self) -> int:
        """How many valid rows, packed or not."""
        return len(self.rows) + sum(p.count for p in self.packed)

    def segments(self) -> Iterator[PackedRows | list[ReportRow]]:
        """The valid rows in line order: packed runs, and lists of rows between them."""
        done = 0
        lines = [r.line_no for r in self.rows] if self.packed else []
        for run in sorted(self.packed, key=lambda p: p.first_line):
            before = bisect.bisect_left(lines, run.first_line, lo=done)
            if before > done:
                yield self.rows[done:before]
            done = before
            yield run
        if done < len(self.rows):
            yield self.rows[done:]

    def all_rows(self) -> list[ReportRow]:
        """Every valid row as a :class:`ReportRow`, in line order."""
        if not self.packed:
            return self.rows
        return [row for part in self.segments()
                for row in (part.rows() if isinstance(part, PackedRows) else part)]

    def unpack(self) -> None:
        """Turn the packed runs into :class:`ReportRow` s in ``rows``."""
        if self.packed:
            self.rows = self.all_rows()
            self.packed = []


@dataclass(frozen=True, slots=True)
class SsnSpan:
    """The SSNs of one chunk's valid rows, in line order, in brief: the first and last,
    whether they never decrease, and those equal to the one just before (which, when
    they never decrease, are all the SSNs the chunk repeats)."""

    first: str | None
    last: str | None
    ascending: bool
    repeated: frozenset[str]

    @classmethod
    def of(cls, chunk: Chunk) -> SsnSpan:
        parts, at = [], PACKED_AT["ssn"]
        for part in chunk.segments():  # never an empty one
            if isinstance(part, PackedRows):
                fields = np.frombuffer(part.data, np.uint8).reshape(part.count, PACKED_WIDTH)
                parts.append(np.ascontiguousarray(fields[:, at : at + 9]).view("S9").ravel())
            else:
                parts.append(np.array([row.ssn.encode() for row in part], dtype="S9"))
        if not parts:
            return cls(None, None, True, frozenset())
        ssns = np.concatenate(parts)
        after, before = ssns[1:], ssns[:-1]
        return cls(ssns[0].decode(), ssns[-1].decode(), bool((after >= before).all()),
                   frozenset(s.decode() for s in np.unique(after[after == before])))


@dataclass(slots=True)
class SsnOrder:
    """Whether the rows of a file, span by span (:class:`SsnSpan`), came in SSN order so
    far and, while they did, which SSNs repeat: a file sorted by SSN (as DMF files are)
    tells its repeats without a pass over the stored reports."""

    ascending: bool = True
    last: str | None = None
    seen: set[str] = field(default_factory=set)

    def add(self, span: SsnSpan) -> None:
        if span.first is None or not self.ascending:
            return
        if self.last is not None and span.first < self.last:
            self.ascending = False
            return
        if span.first == self.last:
            self.seen.add(span.first)
        self.ascending = span.ascending
        self.seen |= span.repeated
        self.last = span.last

    def repeated(self) -> list[str] | None:
        """The repeated SSNs, sorted; None when the rows were not in SSN order."""
        return sorted(self.seen) if self.ascending else None


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
        merged: list[ReportRow | LineProblem] = [*chunk.all_rows(), *chunk.problems]
        merged.sort(key=lambda r: r.line_no if isinstance(r, ReportRow) else r.line)
        yield from merged
