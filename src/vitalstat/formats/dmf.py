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

import gc
import hashlib
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from operator import itemgetter, methodcaller
from typing import BinaryIO, NamedTuple

import numpy as np

from vitalstat.domain.identity import SUFFIXES, PartialDate, split_suffix
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


def read_dmf(path: str | os.PathLike[str], *, chunk_lines: int = 50_000) -> Iterator[Chunk]:
    """Stream a DMF file as :class:`Chunk` s of at most ``chunk_lines`` lines.

    The file is read in binary blocks of about ``chunk_lines`` lines, so memory stays
    bounded whatever the file size. Line numbers are 1-based; ``\\n`` and ``\\r\\n`` both
    end a line; a last line without a newline is read; blank (empty or all-space) lines
    at the end of the file are ignored (elsewhere they are bad lines). Each line becomes
    a :class:`ReportRow` (payload = its 100 bytes) or a :class:`LineProblem`.
    ``Chunk.lines`` counts the rows and problems in the chunk; the ``nbytes`` of all
    chunks add up to the file size.
    """
    return _read(path, chunk_lines=chunk_lines, fast=True)


def _read(path: str | os.PathLike[str], *, chunk_lines: int, fast: bool) -> Iterator[Chunk]:
    if chunk_lines < 1:
        raise ValidationError("must be at least 1", field="chunk_lines")
    file = os.fspath(path)
    with open(path, "rb") as fh:
        yield from _Reader(file, fh, chunk_lines, fast).chunks()


class _Reader:
    """The block loop of :func:`read_dmf`: line bookkeeping, trailing blank lines."""

    def __init__(self, file: str, fh: BinaryIO, chunk_lines: int, fast: bool) -> None:
        self.file = file
        self.fh = fh
        self.chunk_lines = chunk_lines
        self.block = chunk_lines * (RECORD_LENGTH + 1)
        self.process = _process_fast if fast else _process_reference
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
        chunk.lines = len(chunk.rows) + len(chunk.problems)
        yield chunk

    def _flush_pending(self, before: int) -> Iterator[Chunk]:
        """Report the blank lines just before line ``before``: they were not trailing."""
        line_no = before - sum(count for _, count in self.pending)
        chunk = Chunk()
        for length, count in self.pending:
            for _ in range(count):
                _add(chunk, parse_row(b" " * length, file=self.file, line_no=line_no))
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
        _add(chunk, LineProblem(self.file, line_no, "line", problem))
        yield chunk


def _add(chunk: Chunk, item: ReportRow | LineProblem) -> None:
    if isinstance(item, LineProblem):
        chunk.problems.append(item)
    else:
        chunk.rows.append(item)
    chunk.lines += 1


def _process_reference(
    chunk: Chunk, buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> None:
    """Every line through :func:`parse_row` (the reference the fast path must equal)."""
    for n, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        _add(chunk, parse_row(buf[s:e], file=file, line_no=first_line + n))


# ------------------------------------------------------------ vectorised path
#
# The fast path works on a chunk transposed to (100, lines): each check is then an
# element-wise operation over all lines at once. It only *accepts* lines that the
# reference path would accept unchanged; anything else is left to parse_row.

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_new_row = partial(tuple.__new__, ReportRow)
try:  # CPython's own SHA-256 costs less per call than OpenSSL's for 100-byte inputs
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found]  # 3.12+
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _sha256 = hashlib.sha256
_hexdigest = methodcaller("hexdigest")
_SUFFIX_ENDINGS = tuple(" " + word for word in SUFFIXES)
_all = partial(np.logical_and.reduce, axis=0)
_any = partial(np.logical_or.reduce, axis=0)


def _between(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return (x >= lo) & (x <= hi)


def _name_ok(f: np.ndarray, *, required: bool) -> np.ndarray:
    """Upper-case letters and single spaces, no leading space: ``normalize_name`` is a no-op."""
    letter = _between(f, 65, 90)
    space = f == _SPACE
    after_space = letter[1:] & space[:-1]  # a letter right after a space
    ok = _all(letter | space) & ~after_space[0]  # ... and not " A" (leading space)
    ok &= ~_any(after_space[1:] & space[:-2])  # nor "A  B" (double space)
    return ok & letter[0] if required else ok


def _number(digits: np.ndarray) -> np.ndarray:
    value = np.zeros(digits.shape[1], dtype=np.int32)
    for row in digits:
        value = value * 10 + row.astype(np.int32) - 48
    return value


def _date_ok(f: np.ndarray) -> np.ndarray:
    """``MMDDCCYY`` that ``PartialDate.from_mmddccyy`` accepts and that has a year."""
    month, day, year = _number(f[0:2]), _number(f[2:4]), _number(f[4:8])
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    ok = _all(_between(f, 48, 57)) & _between(year, 1800, 2199)
    return ok & _between(month, 0, 12) & (day >= 0) & (day <= days)


def _blank(f: np.ndarray, fill: int = _SPACE) -> np.ndarray:
    return _all(f == fill)


def _clean(t: np.ndarray) -> np.ndarray:
    """Lines (columns of ``t``) that :func:`parse_row` accepts with nothing to normalise."""
    act = t[0]
    ok = (act == _SPACE) | (act == 65) | (act == 67) | (act == 68)
    ssn = t[_S["ssn"]]
    ok &= _all(_between(ssn, 48, 57))
    area, group, serial = _number(ssn[0:3]), _number(ssn[3:5]), _number(ssn[5:9])
    ok &= (area > 0) & (area != 666) & (area < 900) & (group > 0) & (serial > 0)
    ok &= _name_ok(t[_S["last_name"]], required=True)
    for field in ("suffix", "first_name", "middle_name"):
        ok &= _name_ok(t[_S[field]], required=False)
    proof = t[_S["proof"]][0]
    ok &= (proof == 80) | (proof == 86) | (proof == 78) | (proof == _SPACE)
    ok &= _date_ok(t[_S["date_of_death"]])
    dob = t[_S["date_of_birth"]]
    ok &= _date_ok(dob) | _blank(dob, 48) | _blank(dob)
    state = t[_S["state"]]
    ok &= _all(_between(state, 65, 90)) | _blank(state)
    for field in ("zip_residence", "zip_payment"):
        z = t[_S[field]]
        ok &= _all(_between(z, 48, 57)) | _blank(z)
    return ok & _blank(t[_S["blank"]])


def _strings(c: np.ndarray, field: str, *, rstrip: bool = True) -> list[str]:
    """One field of every line (``c``: one line per row) as ``str``."""
    f = c[:, _S[field]]
    if rstrip and bool((f == _SPACE).all()):  # e.g. state and ZIPs, blank since 2011
        return [""] * len(f)
    wide = f.astype(np.uint32)
    text = wide.view(np.dtype(("U", wide.shape[1]))).ravel()
    return (np.strings.rstrip(text, " ") if rstrip else text).tolist()


def _iso(c: np.ndarray, field: str) -> np.ndarray:
    """A ``MMDDCCYY`` field of every line -> ``CCYY-MM-DD`` code points, one row per line."""
    f = c[:, _S[field]]
    out = np.empty((len(c), 10), dtype=np.uint32)
    out[:, 0:4] = f[:, 4:8]
    out[:, 5:7] = f[:, 0:2]
    out[:, 8:10] = f[:, 2:4]
    out[:, 4] = out[:, 7] = ord("-")
    return out


#: Lines per vectorised step: small enough for the CPU cache, large enough to amortise.
BLOCK_LINES = 8192


def _process_fast(
    chunk: Chunk, buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> None:
    """Vectorised reading of clean lines; every other line goes through :func:`parse_row`."""
    for i in range(0, len(starts), BLOCK_LINES):
        j = i + BLOCK_LINES
        rows, problems = _fast_block(buf, starts[i:j], ends[i:j], first_line + i, file)
        chunk.rows.extend(rows)
        chunk.problems.extend(problems)


def _fast_block(
    buf: bytes, starts: np.ndarray, ends: np.ndarray, first_line: int, file: str
) -> tuple[list[ReportRow], list[LineProblem]]:
    rows: list[ReportRow] = []
    problems: list[LineProblem] = []
    n = len(starts)
    good_idx = np.flatnonzero(ends - starts == RECORD_LENGTH)
    m = len(good_idx)
    clean_idx = good_idx[:0]
    if m:
        gs = starts[good_idx]
        stride = int(gs[1] - gs[0]) if m > 1 else RECORD_LENGTH + 1
        if bool((np.diff(gs) == stride).all()):
            arr = np.ndarray((m, RECORD_LENGTH), np.uint8, buf, int(gs[0]), (stride, 1))
        else:
            joined = b"".join([buf[x : x + RECORD_LENGTH] for x in gs.tolist()])
            arr = np.frombuffer(joined, np.uint8).reshape(m, RECORD_LENGTH)
        t = np.ascontiguousarray(arr.T)
        ok = _clean(t)
        clean_idx = good_idx[ok]
        if len(clean_idx):
            dob, last = t[_S["date_of_birth"]], t[_S["last_name"]]
            unknown_dob = (_blank(dob, 48) | _blank(dob))[ok]
            compound = _any((last[1:] != _SPACE) & (last[:-1] == _SPACE))[ok]
            made = _fast_rows(arr[ok], (clean_idx + first_line).tolist(), unknown_dob, compound)
            # Building many small tuples at once triggers the cyclic GC for nothing
            # (they only hold str, int and None); pause it for this one statement.
            enabled = gc.isenabled()
            gc.disable()
            try:
                rows = list(made)
            finally:
                if enabled:
                    gc.enable()
    if len(clean_idx) == n:
        return rows, problems
    slow = np.ones(n, dtype=bool)
    slow[clean_idx] = False
    slow_rows: list[ReportRow] = []
    for i in np.flatnonzero(slow).tolist():
        s, e = int(starts[i]), int(ends[i])
        item = parse_row(buf[s:e], file=file, line_no=first_line + i)
        if isinstance(item, LineProblem):
            problems.append(item)
        else:
            slow_rows.append(item)
    if slow_rows:
        rows = sorted(rows + slow_rows, key=itemgetter(0))
    return rows, problems


def _fast_rows(
    c: np.ndarray, line_nos: list[int], unknown_dob: np.ndarray, compound: np.ndarray
) -> Iterator[ReportRow]:
    """Rows for clean lines ``c`` (one 100-byte line per row), as ``parse_row`` makes them."""
    act = c[:, 0:1].astype(np.uint32)
    act[act == _SPACE] = ord("A")
    proof = c[:, _S["proof"]].astype(np.uint32)
    proof[(proof == _SPACE) | (proof == ord("N"))] = 0  # blank and legacy N: unknown
    dob_iso = _iso(c, "date_of_birth")
    dob_iso[unknown_dob] = 0
    dobs: list[str | None] = dob_iso.view(np.dtype(("U", 10))).ravel().tolist()
    for i in np.flatnonzero(unknown_dob).tolist():
        dobs[i] = None
    last, suffix = _strings(c, "last_name"), _strings(c, "suffix")
    # The domain splits a suffix word off a compound last name ("SMITH JR").
    for i in np.flatnonzero(compound).tolist():
        if last[i].endswith(_SUFFIX_ENDINGS):
            head, word = split_suffix(last[i])
            last[i], suffix[i] = head, suffix[i] or word
    payloads = c.view(np.dtype(("S", RECORD_LENGTH))).ravel().tolist()
    columns = (
        line_nos,
        act.view(np.dtype(("U", 1))).ravel().tolist(),
        _strings(c, "ssn", rstrip=False),
        last,
        suffix,
        _strings(c, "first_name"),
        _strings(c, "middle_name"),
        proof.view(np.dtype(("U", 1))).ravel().tolist(),
        _iso(c, "date_of_death").view(np.dtype(("U", 10))).ravel().tolist(),
        dobs,
        _strings(c, "state"),
        _strings(c, "zip_residence"),
        _strings(c, "zip_payment"),
        *itertools.repeat(itertools.repeat(""), 5),  # sex, reporter x3, source_report_id
        list(map(_hexdigest, map(_sha256, payloads))),
    )
    return map(_new_row, zip(*columns))  # noqa: B905 - repeat() is endless
