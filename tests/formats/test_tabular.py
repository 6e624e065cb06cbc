"""CSV and Parquet with one declared schema: round trips, payload hashes, header errors."""

from __future__ import annotations

import dataclasses
import json
import string
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalstat.errors import InputFileError, LineProblem, ValidationError
from vitalstat.formats.rows import ReportRow, iter_rows, payload_hash
from vitalstat.formats.tabular import (
    ARROW_SCHEMA,
    COLUMNS,
    REQUIRED,
    read_csv,
    read_parquet,
    row_payload,
    write_csv,
    write_parquet,
)

GOOD = {
    "ssn": "501-23-4567",
    "last_name": "O'Brien-Smith",
    "first_name": "José",
    "date_of_death": "2015-03",
    "date_of_birth": "1931-07-04",
    "proof": "V",
    "sex": "female",
    "source_report_id": "FH-0000001",
    "reporter_name": "Ann Example",
    "reporter_relationship": "daughter",
    "reporter_contact": '555-0100, "evenings"\nor email',
}


def _items(path: Path, fmt: str, **kw: int) -> list[ReportRow | LineProblem]:
    reader = read_csv if fmt == "csv" else read_parquet
    return list(iter_rows(reader(path, **kw)))


def _strip_file(items: list[ReportRow | LineProblem]) -> list[ReportRow | LineProblem]:
    return [dataclasses.replace(i, file="") if isinstance(i, LineProblem) else i for i in items]


def _line(item: ReportRow | LineProblem) -> int:
    return item.line_no if isinstance(item, ReportRow) else item.line


def _no_line(item: ReportRow | LineProblem) -> ReportRow | LineProblem:
    if isinstance(item, ReportRow):
        return item._replace(line_no=0)
    return dataclasses.replace(item, line=0)


# ------------------------------------------------------------------- schema


def test_declared_schema() -> None:
    assert COLUMNS == (
        "action", "ssn", "last_name", "first_name", "middle_name", "suffix", "date_of_death",
        "date_of_birth", "proof", "sex", "state", "zip_residence", "zip_payment",
        "source_report_id", "reporter_name", "reporter_relationship", "reporter_contact",
    )  # fmt: skip
    assert set(REQUIRED) == {"ssn", "last_name", "date_of_death"}
    assert ARROW_SCHEMA.names == list(COLUMNS)
    assert all(field.type == pa.string() for field in ARROW_SCHEMA)


def test_payload_is_canonical_json_of_non_empty_cells() -> None:
    payload = row_payload({"ssn": "501234567", "last_name": "Zoë", "suffix": ""})
    assert payload == '{"last_name":"Zoë","ssn":"501234567"}'.encode()


# -------------------------------------------------------------- a known row


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_known_row_is_validated_with_the_domain_rules(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"in.{fmt}"
    (write_csv if fmt == "csv" else write_parquet)(path, [GOOD])
    [row] = _items(path, fmt)
    assert isinstance(row, ReportRow)
    assert row.line_no == 2
    assert (row.ssn, row.last_name, row.first_name) == ("501234567", "OBRIEN SMITH", "JOSE")
    assert (row.date_of_death, row.date_of_birth) == ("2015-03-00", "1931-07-04")
    assert (row.action, row.proof, row.sex) == ("A", "V", "F")
    assert row.reporter_contact == GOOD["reporter_contact"]
    full = {name: GOOD.get(name, "") for name in COLUMNS}
    assert row.payload_hash == payload_hash(row_payload(full))


def test_csv_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "ssn,last_name,date_of_death,reporter_contact\r\n"
        '501234567,DOE,2015,"two\r\nlines"\r\n'
        "\r\n"
        "501234568,ROE,2016,\r\n",
        encoding="utf-8",
    )
    assert [r.line_no for r in _items(path, "csv")] == [2, 5]


def test_csv_with_bom_and_header_in_any_order_and_case(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"\xef\xbb\xbf Date_Of_Death ,SSN,Last_Name\n2015-03-00,501234567,Doe\n")
    [row] = _items(path, "csv")
    assert isinstance(row, ReportRow)
    assert (row.ssn, row.last_name, row.date_of_death) == ("501234567", "DOE", "2015-03-00")
    assert row.payload_hash == payload_hash(
        b'{"date_of_death":"2015-03-00","last_name":"Doe","ssn":"501234567"}'
    )


# ------------------------------------------------------------ header errors


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("names", "field", "reason"),
    [
        (["ssn", "last_name", "date_of_death", "nickname", "age"], "nickname, age",
         "unknown column(s): nickname, age"),
        (["ssn", "first_name"], "last_name, date_of_death",
         "missing required column(s): last_name, date_of_death"),
    ],
)  # fmt: skip
def test_header_problems_are_refused_before_any_row(
    tmp_path: Path, fmt: str, names: list[str], field: str, reason: str
) -> None:
    path = tmp_path / f"bad.{fmt}"
    if fmt == "csv":
        path.write_text(",".join(names) + "\n" + ",".join("x" for _ in names) + "\n")
    else:
        pq.write_table(pa.table({n: ["x"] for n in names}), path)
    reader = read_csv(path) if fmt == "csv" else read_parquet(path)
    with pytest.raises(InputFileError) as info:
        next(reader)
    problem = info.value.problem
    assert (problem.file, problem.line, problem.field) == (str(path), 1, field)
    assert problem.reason.startswith(reason)


def test_csv_duplicate_and_empty_header(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("ssn,last_name,date_of_death,ssn\n")
    with pytest.raises(InputFileError, match="duplicate column"):
        next(read_csv(path))
    path.write_text("")
    with pytest.raises(InputFileError, match="empty"):
        next(read_csv(path))


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("ssn,last_name\n")
    with pytest.raises(InputFileError) as info:
        next(read_parquet(path))
    assert info.value.problem.field == "file"


# --------------------------------------------------------------- row errors


def test_csv_row_problems_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"ssn,last_name,date_of_death,date_of_birth,sex\n"
        b"501234567,DOE,2015-03-00,,F\n"  # 2 ok
        b"501234567,DOE,2015-03-00\n"  # 3 too few fields
        b"000123456,DOE,2015,,\n"  # 4 bad SSN
        b"501234567,,2015,,\n"  # 5 no last name
        b"501234567,DOE,2015-02-30,,\n"  # 6 bad date
        b"501234567,DOE,,,\n"  # 7 no date of death
        b"501234567,DOE,2015,1931-13,\n"  # 8 bad date of birth
        b"501234567,DOE,2015,,X\n"  # 9 bad sex
        b"501234567,D\xffE,2015,,\n"  # 10 not UTF-8
        b'501234567,"DO"E,2015,,\n'  # 11 bad quoting
        b"501234567,DOE,2015,,,extra\n"  # 12 too many fields
        b"501234567,DOE,2015,,M\n"  # 13 ok
    )
    items = _items(path, "csv")
    rows = [i for i in items if isinstance(i, ReportRow)]
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert [r.line_no for r in rows] == [2, 13]
    assert all(p.file == str(path) for p in problems)
    assert [(p.line, p.field) for p in problems] == [
        (3, "line"),
        (4, "ssn"),
        (5, "last_name"),
        (6, "date_of_death"),
        (7, "date_of_death"),
        (8, "date_of_birth"),
        (9, "sex"),
        (10, "line"),
        (11, "line"),
        (12, "line"),
    ]
    assert problems[0].reason == "has 3 fields, expected 5 (as in the header)"
    assert problems[1].reason == "area number 000 is never issued"
    assert problems[7].reason == "is not valid UTF-8"


def test_parquet_row_problems_name_the_row_as_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    rows = [GOOD, {**GOOD, "ssn": "666123456"}, {**GOOD, "date_of_death": ""}]
    write_parquet(path, rows)
    items = _items(path, "parquet")
    assert isinstance(items[0], ReportRow)
    assert items[1:] == [
        LineProblem(str(path), 3, "ssn", "area number 666 is never issued"),
        LineProblem(str(path), 4, "date_of_death",
                    "is required (at least the year); dates are never invented"),
    ]  # fmt: skip


def test_parquet_non_string_columns_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    table = pa.table(
        {
            "ssn": pa.array([501234567], pa.int64()),
            "last_name": ["Doe"],
            "date_of_death": ["2015"],
            "zip_residence": pa.array([None], pa.string()),
        }
    )
    pq.write_table(table, path)
    [row] = _items(path, "parquet")
    assert isinstance(row, ReportRow)
    assert (row.ssn, row.zip_residence) == ("501234567", "")


# ---------------------------------------------------------- writers, chunks


def test_writers_reject_unknown_keys(tmp_path: Path) -> None:
    for writer in (write_csv, write_parquet):
        with pytest.raises(ValidationError) as info:
            writer(tmp_path / "x", [{**GOOD, "nickname": "Bob"}])
        assert info.value.field == "nickname"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_chunks_are_bounded_and_add_up_to_the_file_size(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"many.{fmt}"
    rows = [{**GOOD, "ssn": f"501{n:02d}{n:04d}", "reporter_contact": ""} for n in range(1, 26)]
    assert (write_csv if fmt == "csv" else write_parquet)(path, rows) == 25
    reader = read_csv(path, chunk_lines=7) if fmt == "csv" else read_parquet(path, chunk_rows=7)
    chunks = list(reader)
    assert [c.lines for c in chunks if c.lines] == [7, 7, 7, 4]
    assert sum(c.nbytes for c in chunks) == path.stat().st_size
    assert [r.line_no for c in chunks for r in c.rows] == list(range(2, 27))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_empty_files_have_no_rows(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    assert (write_csv if fmt == "csv" else write_parquet)(path, []) == 0
    assert _items(path, fmt) == []


# ------------------------------------------------------ property round trips

# Any text a spreadsheet might hold, including separators, quotes and line breaks.
cells = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(',"\r\n '),
    max_size=12,
)
ssns = st.builds(
    lambda a, g, s: f"{a:03d}-{g:02d}-{s:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)
dates = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1800, 2199),
    st.integers(1, 12),
    st.integers(1, 28),
) | st.sampled_from(["", "2015", "2015-03", "2015-00-00", "2015-02-30", "20150101"])
names = st.text(string.ascii_letters + " '-", max_size=25)


valid_dates = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1800, 2199),
    st.integers(0, 12),
    st.integers(0, 28),
).map(lambda d: d[:8] + "00" if d[5:7] == "00" else d) | st.sampled_from(["2015", "2015-03"])


@st.composite
def tabular_rows(draw: st.DrawFn) -> dict[str, str]:
    row = {name: draw(cells) for name in draw(st.sets(st.sampled_from(COLUMNS)))}
    if draw(st.booleans()):  # a row the registry accepts
        row.update(
            ssn=draw(ssns),
            last_name="X" + draw(names),
            date_of_death=draw(valid_dates),
            date_of_birth=draw(valid_dates | st.just("")),
            sex=draw(st.sampled_from(["", "M", "f", "Female", "U"])),
            action=draw(st.sampled_from(["", "A", "C", "D", "d"])),
            proof=draw(st.sampled_from(["", "P", "V", "n"])),
        )
        return row
    row.update(
        ssn=draw(ssns | cells),
        last_name=draw(names | cells),
        first_name=draw(names),
        date_of_death=draw(dates),
        date_of_birth=draw(dates),
        sex=draw(st.sampled_from(["", "M", "f", "Female", "U", "X"])),
        action=draw(st.sampled_from(["", "A", "C", "D", "d", "Q"])),
        proof=draw(st.sampled_from(["", "P", "V", "n", "Z"])),
    )
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(tabular_rows(), max_size=8), chunk=st.integers(1, 5))
def test_csv_and_parquet_round_trip_to_the_same_rows(
    rows: list[dict[str, str]], chunk: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, pq_path = Path(tmp) / "r.csv", Path(tmp) / "r.parquet"
        write_csv(csv_path, rows)
        write_parquet(pq_path, rows)
        via_csv = _strip_file(_items(csv_path, "csv", chunk_lines=chunk))
        via_parquet = _strip_file(_items(pq_path, "parquet", chunk_rows=chunk))
        table = pq.read_table(pq_path)
    assert [_no_line(i) for i in via_csv] == [_no_line(i) for i in via_parquet]
    assert len(via_csv) == len(rows)
    # Parquet numbers rows from 2; CSV gives the physical line where a row starts
    assert [_line(i) for i in via_parquet] == list(range(2, len(rows) + 2))
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += 1 + sum(v.count("\n") for v in row.values())
    assert [_line(i) for i in via_csv] == starts
    # what was written is what is stored: the declared schema, missing keys as ""
    assert table.schema == ARROW_SCHEMA
    assert table.to_pylist() == [{n: r.get(n, "") for n in COLUMNS} for r in rows]
    for item, row in zip(via_csv, rows, strict=True):
        if isinstance(item, ReportRow):
            full = {n: row.get(n, "") for n in COLUMNS}
            assert item.payload_hash == payload_hash(row_payload(full))
            assert json.loads(row_payload(full)) == {k: v for k, v in full.items() if v}
