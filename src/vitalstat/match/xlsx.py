"""Excel subscriber files: the first sheet of an ``.xlsx`` read as the CSV path reads a CSV.

Row 1 holds the column names (the same as a CSV header: ``id`` and any of ``ssn``,
``first_name``, ``middle_name``, ``last_name``, ``dob``, ``sex``, ``state``); every
other non-empty row is one subscriber row. Cells become text:

- text as typed; a whole number as its digits (an ``ssn`` of fewer than 9 digits is
  zero-padded, because Excel drops the leading zeros of a number); a date as
  ``YYYY-MM-DD``; an empty cell as empty text;
- refused, naming the sheet, cell, row and column: a decimal number, TRUE/FALSE, a
  date with a time of day, a time, a cell showing an error (``#N/A``), a line break in
  a cell, and a value in a column with no name in row 1.

A file with refused cells is refused whole (:class:`BadLinesError`, every cell named up to
50), before anything is matched; a value that is text but not a valid SSN or date is not
refused here: the match job reports it on its row, as for a CSV.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from vitalstat.errors import BadLinesError, ConfigError, InputFileError, LineProblem
from vitalstat.match.files import check_columns

__all__ = ["MAX_PROBLEMS", "cell_text", "read_xlsx", "xlsx_to_csv"]

MAX_PROBLEMS = 50


def _openpyxl() -> Any:
    try:
        import openpyxl
        import openpyxl.utils.exceptions
    except ImportError:  # pragma: no cover - part of the server extra
        raise ConfigError("reading .xlsx files needs openpyxl: pip install "
                          "'vitalstat[server]'") from None
    return openpyxl


def cell_text(value: object, *, column: str, data_type: str = "") -> tuple[str, str | None]:
    """The text a cell stands for, or ``("", why)`` when the cell cannot be read as one."""
    if value is None:
        return "", None
    if data_type == "e":
        return "", f"the cell shows the error {value}; type the value instead"
    if isinstance(value, bool):
        return "", "TRUE/FALSE is not a value of this column"
    if isinstance(value, float):
        if not value.is_integer():
            return "", f"{value!r} is a decimal number; type the value as text"
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        if column == "ssn" and value >= 0 and len(text) < 9:
            text = text.zfill(9)
        return text, None
    if isinstance(value, datetime):
        if value.time() != time(0):
            return "", "a date with a time of day; type the date alone (YYYY-MM-DD)"
        return value.date().isoformat(), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            return "", "a line break inside the cell; keep each value on one line"
        return value, None
    return "", f"a {type(value).__name__} cell; type the value as text"


def _cell_name(row: int, col: int) -> str:
    letters = ""
    n = col
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def read_xlsx(path: Path, *, name: str | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the first sheet, every cell as text (see module docstring)."""
    shown = name or path.name
    openpyxl = _openpyxl()
    invalid = openpyxl.utils.exceptions.InvalidFileException
    try:  # a file object: openpyxl would refuse a path not ending in .xlsx
        with path.open("rb") as fh:
            data = io.BytesIO(fh.read())
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, invalid) as exc:
        raise InputFileError(LineProblem(shown, 0, "file", "not a readable .xlsx workbook ("
                                         + (str(exc).splitlines() or [type(exc).__name__])[0]
                                         + ")")) from None
    try:
        sheet = book.worksheets[0]
        where = f"sheet {sheet.title!r}"
        rows = sheet.iter_rows()
        first = next(rows, ())
        header: list[str] = []
        problems: list[LineProblem] = []
        for c, cell in enumerate(first, start=1):
            if cell.value is None:
                header.append("")
            elif isinstance(cell.value, str):
                header.append(cell.value.strip())
            else:
                problems.append(LineProblem(shown, 1, f"{where} cell {_cell_name(1, c)}",
                                            "a column name must be text"))
                header.append("")
        while header and not header[-1]:
            header.pop()
        if not problems:
            check_columns(f"{shown} ({where})", [h for h in header if h])
        width = len(header)
        out: list[list[str]] = []
        total = len(problems)
        for r, cells in enumerate(rows, start=2):
            values = [""] * width
            empty = True
            for c, cell in enumerate(cells, start=1):
                value = getattr(cell, "value", None)
                if value is None:
                    continue
                empty = False
                column = header[c - 1] if c <= width else ""
                if not column:
                    text, why = "", "a value in a column with no name in row 1"
                else:
                    text, why = cell_text(value, column=column,
                                          data_type=getattr(cell, "data_type", ""))
                if why is not None:
                    total += 1
                    if len(problems) < MAX_PROBLEMS:
                        label = f"{where} cell {_cell_name(r, c)}"
                        problems.append(LineProblem(
                            shown, r, f"{label} ({column})" if column else label, why))
                elif c <= width:
                    values[c - 1] = text
            if not empty:
                out.append(values)
    finally:
        book.close()
    if problems:
        raise BadLinesError(problems, total)
    return header, out


def xlsx_to_csv(src: Path, dst: Path, *, name: str | None = None) -> int:
    """Write the first sheet of ``src`` as the CSV a subscriber would have sent; the
    number of rows written."""
    header, rows = read_xlsx(src, name=name)
    keep = [i for i, h in enumerate(header) if h]
    with dst.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([header[i] for i in keep])
        for row in rows:
            writer.writerow([row[i] for i in keep])
    return len(rows)
