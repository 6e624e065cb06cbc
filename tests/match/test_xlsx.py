"""The Excel reader: generated rows round-trip through openpyxl into the CSV the match
job reads, and every cell it cannot take is named by sheet, cell, row and column."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from subscriber_helpers import xlsx_bytes
from vitalstat.errors import BadLinesError, InputFileError
from vitalstat.match.files import read_input
from vitalstat.match.normalise import INPUT_COLUMNS
from vitalstat.match.xlsx import cell_text, read_xlsx, xlsx_to_csv

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                max_size=12).filter(lambda s: not ILLEGAL_CHARACTERS_RE.search(s)
                                    and not s.startswith("=") and s.strip() == s)
_cell = st.one_of(st.none(), _text, st.integers(0, 10**12),
                  st.dates(date(1900, 1, 1), date(2100, 12, 31)))


def _expected(value: object, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value).zfill(9) if column == "ssn" else str(value)
    return str(value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(INPUT_COLUMNS[1:]), unique=True, min_size=1, max_size=7),
       st.data())
def test_generated_rows_round_trip_through_openpyxl(columns: list[str], data) -> None:
    header = ["id", *columns]
    rows = data.draw(st.lists(st.lists(_cell, min_size=len(header), max_size=len(header)),
                              max_size=8))
    rows = [r for r in rows if any(v not in (None, "") for v in r)]  # empty rows: skipped
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.xlsx", Path(tmp) / "in.csv"
        src.write_bytes(xlsx_bytes([header, *rows]))
        want = [[_expected(v, c) for v, c in zip(r, header, strict=True)] for r in rows]
        assert read_xlsx(src) == (header, want)
        assert xlsx_to_csv(src, dst) == len(rows)
        if rows:  # what the match job reads: the same text, column by column
            table = read_input(dst)
            got = [[table.column(c)[i].as_py() for c in header] for i in range(len(rows))]
            assert got == want


@pytest.mark.parametrize(("value", "why"), [
    (12.5, "12.5 is a decimal number"), (True, "TRUE/FALSE"),
    (datetime(1950, 4, 11, 13, 5), "a date with a time of day"),
    ("two\nlines", "a line break inside the cell")])
def test_a_bad_cell_is_named_by_sheet_cell_row_and_column(tmp_path: Path, value, why) -> None:
    src = tmp_path / "people.xlsx"
    src.write_bytes(xlsx_bytes([["id", "first_name", "dob"], ["a", "Ann", "1950-04-11"],
                                ["b", "Bo", value]]))
    with pytest.raises(BadLinesError) as caught:
        read_xlsx(src)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == ("people.xlsx", 3,
                                                           "sheet 'Sheet' cell C3 (dob)")
    assert why in problem.reason


def test_a_value_under_no_column_name_and_a_bad_header_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "p.xlsx"
    src.write_bytes(xlsx_bytes([["id", "ssn"], ["a", "123456789", "stray"]]))
    with pytest.raises(BadLinesError, match="cell C2: a value in a column with no name"):
        read_xlsx(src)
    src.write_bytes(xlsx_bytes([["id", "colour"], ["a", "red"]]))
    with pytest.raises(InputFileError, match="unknown column"):
        read_xlsx(src)
    src.write_bytes(b"not a zip at all")
    with pytest.raises(InputFileError, match=r"not a readable \.xlsx workbook"):
        read_xlsx(src)


def test_cell_text_rules() -> None:
    assert cell_text(12345678, column="ssn") == ("012345678", None)  # Excel dropped a 0
    assert cell_text(12345678, column="id") == ("12345678", None)
    assert cell_text(1.0e3, column="id") == ("1000", None)
    assert cell_text(datetime(1950, 4, 11), column="dob") == ("1950-04-11", None)
    assert cell_text("#N/A", column="dob", data_type="e")[1] is not None
