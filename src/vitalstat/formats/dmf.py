"""The public Death Master File record: 100 bytes, fixed width (DOMAIN.md section 2).

Every offset below comes from the one declared table :data:`LAYOUT`. Lines are parsed by
offsets only, never by splitting on spaces (a known public parser does that and moves
the ``V`` proof code into the middle name).

Three layers:

* :func:`format_line` / :func:`parse_line`: one :class:`DmfEntry` <-> one 100-character
  line, raw (no domain rules beyond what the layout itself says). They round-trip.
* :func:`parse_row`: the reference per-line reader, ``build_row(parse_line(line))``:
  one line's bytes become a :class:`~vitalstat.formats.rows.ReportRow` validated by the
  domain rules, or a :class:`~vitalstat.errors.LineProblem` naming file, line and field.
* :func:`read_dmf` / :func:`write_dmf`: whole files, streamed in bounded memory.
  :func:`read_dmf` runs a vectorised (numpy) fast path for lines that are already clean
  (upper-case ASCII names, valid SSN and dates, ...) and sends every other line through
  :func:`parse_row`; a property test checks both give exactly the same rows and problems.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import numpy as np

from vitalstat.domain.identity import PartialDate
from vitalstat.errors import InvalidDate, LineProblem, ValidationError
from vitalstat.formats.rows import Chunk, ReportRow, build_row

__all__ = [
    "LAYOUT",
    "RECORD_LENGTH",
    "DmfEntry",
    "DmfField",
    "format_line",
    "parse_line",
    "parse_row",
    "read_dmf",
    "write_dmf",
]


class DmfField(NamedTuple):
    """One field of the record: its name, 1-based start column and length."""

    name: str
    start: int
    length: int

    @property
    def span(self) -> slice:
        return slice(self.start - 1, self.start - 1 + self.length)


#: The record layout (NTIS), 1-based columns. Everything else derives from this table.
LAYOUT: tuple[DmfField, ...] = (
    DmfField("action", 1, 1),
    DmfField("ssn", 2, 9),
    DmfField("last_name", 11, 20),
    DmfField("suffix", 31, 4),
    DmfField("first_name", 35, 15),
    DmfField("middle_name", 50, 15),
    DmfField("proof", 65, 1),
    DmfField("date_of_death", 66, 8),  # MMDDCCYY, 00 for an unknown month or day
    DmfField("date_of_birth", 74, 8),  # MMDDCCYY
    DmfField("state", 82, 2),
    DmfField("zip_residence", 84, 5),
    DmfField("zip_payment", 89, 5),
    DmfField("blank", 94, 7),
)

RECORD_LENGTH: int = sum(f.length for f in LAYOUT)
FIELDS: dict[str, DmfField] = {f.name: f for f in LAYOUT}


def _check_layout() -> None:
    column = 1
    for f in LAYOUT:
        if f.start != column:
            raise AssertionError(f"DMF layout: {f.name} starts at {f.start}, expected {column}")
        column += f.length
    if RECORD_LENGTH != 100:
        raise AssertionError(f"DMF layout is {RECORD_LENGTH} bytes, expected 100")


_check_layout()

#: The field name at each 0-based column, for error messages.
_FIELD_AT: tuple[str, ...] = tuple(f.name for f in LAYOUT for _ in range(f.length))
_S = {f.name: f.span for f in LAYOUT}
_ACTIONS = (" ", "A", "C", "D")
_PROOFS = {" ": "", "P": "P", "V": "V", "N": "N"}
_BLANK = " " * FIELDS["blank"].length
_BAD_CHAR = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True, slots=True)
class DmfEntry:
    """One DMF record, fields as in the file (right-trimmed), dates parsed.

    ``action`` is ``" "`` in a full file and ``"A"``, ``"C"`` or ``"D"`` in an update
    file; ``proof`` is ``"P"``, ``"V"``, ``"N"`` or ``""``; an unknown date is ``None``.
    """

    action: str
    ssn: str
    last_name: str
    suffix: str = ""
    first_name: str = ""
    middle_name: str = ""
    proof: str = ""
    date_of_death: PartialDate | None = None
    date_of_birth: PartialDate | None = None
    state: str = ""
    zip_residence: str = ""
    zip_payment: str = ""


# --------------------------------------------------------------------- one line


_WIDTHS = tuple(f.length for f in LAYOUT)
_WIDTH = {f.name: f.length for f in LAYOUT}
_FITTED = ("state", "zip_residence", "zip_payment")  # must fit; names are truncated


def _date_text(value: PartialDate | None) -> str:
    return "00000000" if value is None else value.mmddccyy()


def format_line(entry: DmfEntry) -> str:
    """The 100-character line (no newline) for ``entry``: upper-case ASCII.

    Names longer than their field are truncated, as the DMF itself does (its last name
    holds 20 characters, first and middle names 15). Any other field that does not fit,
    and any character that is not printable ASCII, raises :class:`ValidationError`
    naming the field. An unknown date is ``00000000``; a partial date keeps ``00`` in
    its unknown parts.
    """
    action = entry.action or " "
    if action not in _ACTIONS:
        raise ValidationError(f"{entry.action!r} is not A, C, D or blank", field="action")
    if len(entry.ssn) != 9 or not (entry.ssn.isascii() and entry.ssn.isdigit()):
        raise ValidationError("must be 9 digits", field="ssn")
    proof = entry.proof or " "
    if proof not in _PROOFS:
        raise ValidationError(f"{entry.proof!r} is not P, V, N or blank", field="proof")
    e = entry
    values = (action, e.ssn, e.last_name, e.suffix, e.first_name, e.middle_name, proof,
              _date_text(e.date_of_death), _date_text(e.date_of_birth), e.state,
              e.zip_residence, e.zip_payment, "")  # fmt: skip  # LAYOUT order
    joined = "".join(values)
    if not (joined.isascii() and joined.isprintable()):
        for f, value in zip(LAYOUT, values, strict=True):
            bad = _BAD_CHAR.search(value)
            if bad is not None:
                raise ValidationError(
                    f"{bad.group()!r} is not printable ASCII (the DMF is ASCII)", field=f.name
                )
    for field in _FITTED:
        value = getattr(entry, field)
        if len(value) > _WIDTH[field]:
            raise ValidationError(
                f"{value!r} is longer than {_WIDTH[field]} characters", field=field
            )
    line = "".join([v[:w].ljust(w) for v, w in zip(values, _WIDTHS, strict=True)])
    return line.upper()


def _parse_date(text: str, field: str) -> PartialDate | None:
    try:
        return PartialDate.from_mmddccyy(text)
    except InvalidDate as exc:
        raise InvalidDate(exc.reason, field=field) from None


def parse_line(text: str) -> DmfEntry:
    """Parse one line (exactly 100 characters, without its newline) by offsets.

    Strict about the layout: printable ASCII only, action blank/A/C/D, SSN nine digits,
    proof code P/V/N/blank, dates ``MMDDCCYY`` (all zeros or blank = unknown), the
    trailing filler blank. Text fields are right-trimmed but otherwise kept as written;
    the domain rules (name normalisation, SSN issuance) are :func:`parse_row`'s job.
    Raises :class:`ValidationError` whose ``field`` names the field (``"line"`` for the
    length).
    """
    bad = _BAD_CHAR.search(text)
    if bad is not None:
        col = bad.start()
        kind = "a non-ASCII" if ord(bad.group()) > 0x7F else "a control"
        raise ValidationError(
            f"contains {kind} character ({ord(bad.group()):#04x}) at column {col + 1}",
            field=_FIELD_AT[col] if col < RECORD_LENGTH else "line",
        )
    if len(text) != RECORD_LENGTH:
        raise ValidationError(
            f"is {len(text)} characters long, expected {RECORD_LENGTH}", field="line"
        )
    action = text[0]
    if action not in _ACTIONS:
        raise ValidationError(f"{action!r} is not A, C, D or blank", field="action")
    ssn = text[_S["ssn"]]
    if not ssn.isdigit():
        raise ValidationError("must be 9 digits", field="ssn")
    proof = _PROOFS.get(text[_S["proof"]])
    if proof is None:
        raise ValidationError(f"{text[_S['proof']]!r} is not P, V, N or blank", field="proof")
    dod = _parse_date(text[_S["date_of_death"]], "date_of_death")
    dob = _parse_date(text[_S["date_of_birth"]], "date_of_birth")
    if text[_S["blank"]] != _BLANK:
        raise ValidationError("columns 94-100 must be blank", field="blank")
    return DmfEntry(
        action=action,
        ssn=ssn,
        last_name=text[_S["last_name"]].rstrip(),
        suffix=text[_S["suffix"]].rstrip(),
        first_name=text[_S["first_name"]].rstrip(),
        middle_name=text[_S["middle_name"]].rstrip(),
        proof=proof,
        date_of_death=dod,
        date_of_birth=dob,
        state=text[_S["state"]].rstrip(),
        zip_residence=text[_S["zip_residence"]].rstrip(),
        zip_payment=text[_S["zip_payment"]].rstrip(),
    )


def parse_row(raw: bytes, *, file: str, line_no: int) -> ReportRow | LineProblem:
    """The reference reader for one line's bytes (without its newline).

    ``build_row(parse_line(...))``: the layout is checked first, then the domain rules;
    the first problem found is returned. The payload is ``raw`` (the 100 bytes).
    """
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        col = exc.start
        return LineProblem(
            file,
            line_no,
            _FIELD_AT[col] if col < RECORD_LENGTH else "line",
            f"contains a non-ASCII byte ({raw[col]:#04x}) at column {col + 1}; DMF files are ASCII",
        )
    try:
        e = parse_line(text)
    except ValidationError as exc:
        return LineProblem(file, line_no, exc.field or "line", exc.reason)
    return build_row(
        file=file,
        line_no=line_no,
        payload=raw,
        action=e.action,
        ssn=e.ssn,
        last_name=e.last_name,
        first_name=e.first_name,
        middle_name=e.middle_name,
        suffix=e.suffix,
        proof=e.proof,
        date_of_death=e.date_of_death,
        date_of_birth=e.date_of_birth,
        state=e.state,
        zip_residence=e.zip_residence,
        zip_payment=e.zip_payment,
    )


# ------------------------------------------------------------------------ write


def write_dmf(
    path: str | os.PathLike[str], entries: Iterable[DmfEntry], *, update: bool = False
) -> int:
    """Write ``entries`` as a DMF file, one line each ending in ``\\n``; return the count.

    A full file (``update=False``) needs a blank action on every entry; an update file
    needs ``A``, ``C`` or ``D``. Lines are written as they come (nothing is held whole)
    into ``<path>.part``, renamed to ``path`` only when every entry was written: on an
    error no partial file is left behind.
    """
    allowed = ("A", "C", "D") if update else (" ",)
    kind = "an update file needs A, C or D" if update else "a full file needs a blank"
    target = os.fspath(path)
    part = target + ".part"
    count = 0
    try:
        with open(part, "wb") as fh:
            for count, entry in enumerate(entries, start=1):
                if entry.action not in allowed:
                    raise ValidationError(
                        f"record {count}: {kind} action, got {entry.action!r}", field="action"
                    )
                fh.write(format_line(entry).encode("ascii") + b"\n")
        os.replace(part, target)
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    return count


# ------------------------------------------------------------------------- read

_NL = 10
_CR = 13
_SPACE = 32
#: A line longer than this is not read into memory; it is skipped and reported.
MAX_LINE_BYTES = 1 << 20


def read_dmf(path: str | os.PathLike[str], *, chunk_lines: int = 50_000,
             packed: bool = False) -> Iterator[Chunk]:
    """Stream a DMF file as :class:`Chunk` s of at most ``chunk_lines`` lines.

    The file is read in binary blocks of about ``chunk_lines`` lines, so memory stays
    bounded whatever the file size. Line numbers are 1-based; ``\\n`` and ``\\r\\n`` both
    end a line; a last line without a newline is read; blank (empty or all-space) lines
    at the end of the file are ignored (elsewhere they are bad lines). Each line becomes
    a :class:`ReportRow` (payload = its 100 bytes) or a :class:`LineProblem`.
    ``Chunk.lines`` counts the rows and problems in the chunk; the ``nbytes`` of all
    chunks add up to the file size. With ``packed``, runs of clean lines stay packed
    (``Chunk.packed``, see :class:`~vitalstat.formats.rows.PackedRows`) for a bulk load.
    """
    return _read(path, chunk_lines=chunk_lines, fast=True, packed=packed)


def _read(path: str | os.PathLike[str], *, chunk_lines: int, fast: bool,
          packed: bool = False) -> Iterator[Chunk]:
    if chunk_lines < 1:
        raise ValidationError("must be at least 1", field="chunk_lines")
    file = os.fspath(path)
    with open(path, "rb") as fh:
        yield from _Reader(file, fh, chunk_lines, fast, packed).chunks()


class _Reader:
    """The block loop of :func:`read_dmf`: line bookkeeping, trailing blank lines."""

    def __init__(self, file: str, fh: BinaryIO, chunk_lines: int, fast: bool,
                 packed: bool) -> None:
        self.file = file
        self.packed = packed
        self.fh = fh
        self.chunk_lines = chunk_lines
        self.block = chunk_lines * (RECORD_LENGTH + 1)
        if fast:
            # Imported here: the fast path itself builds on this module's layout and
            # reference parser.
            from vitalstat.formats._dmf_fast import process_fast

            self.process = process_fast
        else:
            self.process = _process_reference
        self.next_line = 1
        # Blank lines not yet known to be trailing, run-length coded: [length, count].
        self.pending: list[list[int]] = []

    def chunks(self) -> Iterator[Chunk]:
        rest = b""
        while True:
            data = self.fh.read(max(self.block - len(rest), 1 << 16))
            eof = not data
            buf = rest + data if rest else data
            if not buf:
                return
            view = np.frombuffer(buf, np.uint8)
            ends = np.flatnonzero(view == _NL)
            if len(ends) == 0 and not eof:
                rest = buf
                if len(buf) > MAX_LINE_BYTES:
                    yield from self._skip_long_line(len(buf))
                    rest = b""
                continue
            used = int(ends[-1]) + 1 if len(ends) else 0
            if eof and used < len(buf):
                ends = np.append(ends, len(buf))
                used = len(buf)
            rest = buf[used:]
            for i in range(0, len(ends), self.chunk_lines):
                yield from self._chunk(buf, view, ends, i, min(i + self.chunk_lines, len(ends)))
            if eof:
                return

    def _chunk(
        self, buf: bytes, view: np.ndarray, newlines: np.ndarray, i: int, j: int
    ) -> Iterator[Chunk]:
        ends = newlines[i:j].copy()
        starts = np.empty_like(ends)
        starts[0] = newlines[i - 1] + 1 if i else 0
        starts[1:] = ends[:-1] + 1
        nbytes = min(int(ends[-1]) + 1, len(buf)) - int(starts[0])
        nonempty = np.flatnonzero(ends > starts)
        ends[nonempty[view[ends[nonempty] - 1] == _CR]] -= 1  # "\r\n" line ends
        n = j - i
        # Blank lines at the end of the block are bad only if something follows them.
        k = n
        while k and not buf[int(starts[k - 1]) : int(ends[k - 1])].strip(b" "):
            k -= 1
        first_line = self.next_line
        self.next_line += n
        if k and self.pending:
            yield from self._flush_pending(first_line)
        chunk = Chunk(nbytes=nbytes)
        if k:
            self.process(chunk, buf, starts[:k], ends[:k], first_line, self.file)
        for length in (ends[k:] - starts[k:]).tolist():
            if self.pending and self.pending[-1][0] == length:
                self.pending[-1][1] += 1
            else:
                self.pending.append([length, 1])
        if not self.packed:
            chunk.unpack()
        chunk.lines = chunk.valid + len(chunk.problems)
        yield chunk

    def _flush_pending(self, before: int) -> Iterator[Chunk]:
        """Report the blank lines just before line ``before``: they were not trailing."""
        line_no = before - sum(count for _, count in self.pending)
        chunk = Chunk()
        for length, count in self.pending:
            for _ in range(count):
                chunk.add(parse_row(b" " * length, file=self.file, line_no=line_no))
                line_no += 1
                if chunk.lines == self.chunk_lines:
                    yield chunk
                    chunk = Chunk()
        self.pending.clear()
        if chunk.lines:
            yield chunk

    def _skip_long_line(self, have: int) -> Iterator[Chunk]:
        """Skip a line too long to hold in memory; report it by its length."""
        length = nbytes = have
        while data := self.fh.read(1 << 20):
            at = data.find(b"\n")
            if at < 0:
                length += len(data)
                nbytes += len(data)
                continue
            length += at - (at > 0 and data[at - 1] == _CR)
            nbytes += at + 1
            self.fh.seek(at + 1 - len(data), os.SEEK_CUR)
            break
        line_no = self.next_line
        self.next_line += 1
        if self.pending:
            yield from self._flush_pending(line_no)
        chunk = Chunk(nbytes=nbytes)
        problem = f"is {length} characters long, expected {RECORD_LENGTH}"
        chunk.add(LineProblem(self.file, line_no, "line", problem))
        yield chunk


def _process_reference(
    chunk: Chunk, buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> None:
    """Every line through :func:`parse_row` (the reference the fast path must equal)."""
    for n, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        chunk.add(parse_row(buf[s:e], file=file, line_no=first_line + n))
