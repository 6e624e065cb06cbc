"""Death reports as CSV or Parquet, with one declared schema for both.

Every column is a string; an empty cell is ``""``. Dates are ISO: ``YYYY-MM-DD``,
``YYYY-MM`` or ``YYYY``, with ``00`` allowed for unknown parts. A file may hold any
subset of :data:`COLUMNS` as long as it has the :data:`REQUIRED` ones; a header with
unknown or missing columns is refused before any row is read.

Line numbers: for CSV, the physical line where the row starts (the header is line 1, so
a quoted field spanning lines moves the next row's number on). For Parquet, the 1-based
row number plus one, so the first data row is "line 2" in both formats.

The payload of a row (hashed to recognise a report sent again) is the canonical JSON of
its non-empty cells, keyed by column name: the same row read from CSV or from Parquet
has the same payload hash.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from vitalstat.errors import InputFileError, LineProblem, ValidationError
from vitalstat.formats.rows import Chunk, ReportRow, build_row

__all__ = [
    "ARROW_SCHEMA",
    "COLUMNS",
    "REQUIRED",
    "read_csv",
    "read_parquet",
    "row_payload",
    "write_csv",
    "write_parquet",
]

COLUMNS: tuple[str, ...] = (
    "action",
    "ssn",
    "last_name",
    "first_name",
    "middle_name",
    "suffix",
    "date_of_death",
    "date_of_birth",
    "proof",
    "sex",
    "state",
    "zip_residence",
    "zip_payment",
    "source_report_id",
    "reporter_name",
    "reporter_relationship",
    "reporter_contact",
)
REQUIRED: tuple[str, ...] = ("ssn", "last_name", "date_of_death")
ARROW_SCHEMA: pa.Schema = pa.schema([pa.field(name, pa.string()) for name in COLUMNS])

_KNOWN = frozenset(COLUMNS)
WRITE_BATCH_ROWS = 50_000


def row_payload(values: Mapping[str, str]) -> bytes:
    """Canonical JSON of a row's non-empty cells: sorted keys, no spaces, UTF-8."""
    cells = {k: v for k, v in values.items() if v != ""}
    return json.dumps(cells, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_header(file: str, names: Sequence[str]) -> list[str]:
    """Normalised column names (trimmed, lower case), or :class:`InputFileError`."""
    header = [n.strip().lower() for n in names]
    unknown = [n for n in header if n not in _KNOWN]
    if unknown:
        raise InputFileError(
            LineProblem(
                file,
                1,
                ", ".join(unknown),
                f"unknown column(s): {', '.join(unknown)}; known: {', '.join(COLUMNS)}",
            )
        )
    duplicated = sorted({n for n in header if header.count(n) > 1})
    if duplicated:
        problem = f"duplicate column(s): {', '.join(duplicated)}"
        raise InputFileError(LineProblem(file, 1, ", ".join(duplicated), problem))
    missing = [n for n in REQUIRED if n not in header]
    if missing:
        problem = f"missing required column(s): {', '.join(missing)}"
        raise InputFileError(LineProblem(file, 1, ", ".join(missing), problem))
    return header


def _row(file: str, line_no: int, values: dict[str, str]) -> ReportRow | LineProblem:
    get = values.get
    return build_row(
        file=file,
        line_no=line_no,
        payload=row_payload(values),
        action=get("action", ""),
        ssn=get("ssn", ""),
        last_name=get("last_name", ""),
        first_name=get("first_name", ""),
        middle_name=get("middle_name", ""),
        suffix=get("suffix", ""),
        proof=get("proof", ""),
        date_of_death=get("date_of_death", ""),
        date_of_birth=get("date_of_birth", ""),
        state=get("state", ""),
        zip_residence=get("zip_residence", ""),
        zip_payment=get("zip_payment", ""),
        sex=get("sex", ""),
        reporter_name=get("reporter_name", ""),
        reporter_relationship=get("reporter_relationship", ""),
        reporter_contact=get("reporter_contact", ""),
        source_report_id=get("source_report_id", ""),
    )


# -------------------------------------------------------------------------- CSV


class _CountingLines:
    """Decoded physical lines of a binary file, counting bytes and undecodable lines."""

    def __init__(self, fh: io.BufferedReader) -> None:
        self._fh = fh
        self.nbytes = 0
        self.line_no = 0
        self.bad_utf8: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for raw in self._fh:
            self.nbytes += len(raw)
            self.line_no += 1
            if self.line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark (spreadsheet exports)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_utf8.add(self.line_no)
                yield raw.decode("utf-8", errors="replace")


def read_csv(path: str | os.PathLike[str], *, chunk_lines: int = 50_000) -> Iterator[Chunk]:
    """Stream a CSV file (UTF-8, header first) as chunks of at most ``chunk_lines`` rows.

    Raises :class:`InputFileError` for a header with unknown, duplicate or missing
    required columns. A row with the wrong number of fields, a line that is not UTF-8 or
    malformed quoting is a :class:`LineProblem` with field ``"line"``; empty lines are
    skipped. ``Chunk.nbytes`` counts the bytes consumed.
    """
    if chunk_lines < 1:
        raise ValidationError("must be at least 1", field="chunk_lines")
    file = os.fspath(path)
    with open(path, "rb") as fh:
        lines = _CountingLines(fh)
        reader = csv.reader(lines, strict=True)
        try:
            names = next(reader)
        except StopIteration:
            raise InputFileError(
                LineProblem(file, 1, "header", "the file is empty; expected a header line")
            ) from None
        except csv.Error as exc:
            raise InputFileError(LineProblem(file, 1, "header", f"is not CSV: {exc}")) from None
        header = _check_header(file, names)
        width = len(header)
        chunk, counted, end = Chunk(), 0, reader.line_num
        while True:
            start = end + 1
            problem = ""
            try:
                fields: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                fields, problem = None, f"is not valid CSV: {exc}"
            end = reader.line_num
            if fields is not None:
                if not fields:
                    continue  # an empty line
                bad = lines.bad_utf8.intersection(range(start, end + 1))
                if bad:
                    problem = "is not valid UTF-8"
                    fields = None
                elif len(fields) != width:
                    problem = f"has {len(fields)} fields, expected {width} (as in the header)"
                    fields = None
            if fields is None:
                chunk.add(LineProblem(file, start, "line", problem))
            else:
                chunk.add(_row(file, start, dict(zip(header, fields, strict=True))))
            lines.bad_utf8.difference_update(range(start, end + 1))
            if chunk.lines >= chunk_lines:
                chunk.nbytes, counted = lines.nbytes - counted, lines.nbytes
                yield chunk
                chunk = Chunk()
        chunk.nbytes = lines.nbytes - counted
        if chunk.lines or chunk.nbytes:
            yield chunk


def write_csv(path: str | os.PathLike[str], rows: Iterable[Mapping[str, str]]) -> int:
    """Write ``rows`` as CSV with every column of :data:`COLUMNS`; return the row count.

    A missing key (or ``None``) is written as ``""``; an unknown key raises
    :class:`ValidationError`. Rows are written as they come (RFC 4180, CRLF line ends,
    fields with separators, quotes or line breaks quoted).
    """
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(_cells(row))
            count += 1
    return count


def _cells(row: Mapping[str, str | None]) -> list[str]:
    unknown = set(row) - _KNOWN
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(f"unknown column; known: {', '.join(COLUMNS)}", field=name)
    return [row.get(name) or "" for name in COLUMNS]


# ---------------------------------------------------------------------- Parquet


def read_parquet(path: str | os.PathLike[str], *, chunk_rows: int = 50_000) -> Iterator[Chunk]:
    """Stream a Parquet file in batches of ``chunk_rows`` rows.

    Columns must be among :data:`COLUMNS` (strings; other types are cast to strings)
    and include :data:`REQUIRED`. Line numbers are 1-based row numbers plus one (the
    first row is "line 2", as in a CSV file with its header). ``Chunk.nbytes`` is the
    file size shared out by rows, so the chunks add up to the file size.
    """
    if chunk_rows < 1:
        raise ValidationError("must be at least 1", field="chunk_rows")
    file = os.fspath(path)
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputFileError(LineProblem(file, 1, "file", f"is not Parquet: {exc}")) from None
    with pf:
        names = pf.schema_arrow.names
        header = _check_header(file, names)
        size = os.path.getsize(path)
        total = pf.metadata.num_rows
        line_no, done, counted = 2, 0, 0
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=names):
            columns = [_strings(file, header[i], batch.column(i)) for i in range(len(header))]
            chunk = Chunk()
            for cells in zip(*columns, strict=True):
                chunk.add(_row(file, line_no, dict(zip(header, cells, strict=True))))
                line_no += 1
            done += batch.num_rows
            reached = size if done >= total else size * done // total
            chunk.nbytes, counted = reached - counted, reached
            yield chunk
        if counted < size:
            yield Chunk(nbytes=size - counted)


def _strings(file: str, name: str, column: pa.Array) -> list[str]:
    if column.type != pa.string():
        try:
            column = column.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            problem = f"column of type {column.type} cannot be read as text: {exc}"
            raise InputFileError(LineProblem(file, 1, name, problem)) from None
    return [v if v is not None else "" for v in column.to_pylist()]


def write_parquet(path: str | os.PathLike[str], rows: Iterable[Mapping[str, str]]) -> int:
    """Write ``rows`` as Parquet with :data:`ARROW_SCHEMA`, in batches; return the count.

    A missing key (or ``None``) is written as ``""``; an unknown key raises
    :class:`ValidationError`.
    """
    count = 0
    with pq.ParquetWriter(path, ARROW_SCHEMA) as writer:
        batch: list[list[str]] = [[] for _ in COLUMNS]
        for row in rows:
            for column, value in zip(batch, _cells(row), strict=True):
                column.append(value)
            count += 1
            if len(batch[0]) >= WRITE_BATCH_ROWS:
                writer.write_table(pa.table(batch, schema=ARROW_SCHEMA))
                batch = [[] for _ in COLUMNS]
        if batch[0] or count == 0:
            writer.write_table(pa.table(batch, schema=ARROW_SCHEMA))
    return count
