"""The 100-byte DMF layout: round trips, the strict line parser and the file reader."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmf_strategies import dmf_lines, entries, ssns
from vitalstat.domain.identity import PartialDate, ssn_problem
from vitalstat.errors import LineProblem, ValidationError
from vitalstat.formats import _dmf_fast, dmf
from vitalstat.formats.dmf import (
    LAYOUT,
    DmfEntry,
    _read,
    format_line,
    parse_line,
    parse_row,
    read_dmf,
    write_dmf,
)
from vitalstat.formats.rows import ReportRow, iter_rows

P = PartialDate
GOOD = DmfEntry(" ", "501234567", "DOE", "", "JANE", "Q", "P", P(2015, 3, 0), P(1931, 7, 4))
GOOD_LINE = format_line(GOOD)

@given(ssns)
def test_synthetic_ssns_are_valid(ssn: str) -> None:
    assert ssn_problem(ssn) is None


# ------------------------------------------------------------------- layout


def test_layout_matches_domain_section_2() -> None:
    assert [(f.name, f.start, f.length) for f in LAYOUT] == [
        ("action", 1, 1),
        ("ssn", 2, 9),
        ("last_name", 11, 20),
        ("suffix", 31, 4),
        ("first_name", 35, 15),
        ("middle_name", 50, 15),
        ("proof", 65, 1),
        ("date_of_death", 66, 8),
        ("date_of_birth", 74, 8),
        ("state", 82, 2),
        ("zip_residence", 84, 5),
        ("zip_payment", 89, 5),
        ("blank", 94, 7),
    ]
    assert dmf.RECORD_LENGTH == 100


@given(entries)
def test_format_then_parse_round_trips(entry: DmfEntry) -> None:
    line = format_line(entry)
    assert len(line) == 100
    assert line.isascii() and line == line.upper()
    assert parse_line(line) == entry


@given(entries)
def test_each_field_sits_at_its_declared_offsets(entry: DmfEntry) -> None:
    line = format_line(entry)
    for f in LAYOUT:
        value = line[f.span]
        assert len(value) == f.length
        if f.name in ("date_of_death", "date_of_birth"):
            date = getattr(entry, f.name)
            assert value == (date.mmddccyy() if date else "00000000")
        elif f.name == "blank":
            assert value == " " * 7
        else:
            assert value == (getattr(entry, f.name) or " ").ljust(f.length)


# ------------------------------------------------------------ format_line


def test_format_upper_cases_and_truncates_names() -> None:
    entry = DmfEntry(" ", "501234567", "van der berg-" + "x" * 20, "jr", "maximilianus-johannes",
                     "q", "V", P(2001, 2, 3))  # fmt: skip
    line = format_line(entry)
    assert line[10:30] == "VAN DER BERG-XXXXXXX"
    assert line[30:34] == "JR  "
    assert line[34:49] == "MAXIMILIANUS-JO"
    assert line[64] == "V"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"action": "X"}, "action"),
        ({"ssn": "12345678"}, "ssn"),
        ({"ssn": "12345678a"}, "ssn"),
        ({"ssn": "１２３４５６７８９"}, "ssn"),
        ({"proof": "Q"}, "proof"),
        ({"first_name": "JOSÉ"}, "first_name"),
        ({"last_name": "DOE\nX"}, "last_name"),
        ({"middle_name": "A" * 20 + "É"}, "middle_name"),  # checked even where truncated
        ({"state": "OHI"}, "state"),
        ({"zip_residence": "432150"}, "zip_residence"),
        ({"zip_payment": "1234567"}, "zip_payment"),
    ],
)
def test_format_line_rejects_what_does_not_fit(changes: dict[str, str], field: str) -> None:
    entry = DmfEntry(**{**_fields(GOOD), **changes})
    with pytest.raises(ValidationError) as info:
        format_line(entry)
    assert info.value.field == field


def _fields(entry: DmfEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in DmfEntry.__dataclass_fields__}


# -------------------------------------------------------------- parse_line


def _with(line: str, field: str, value: str) -> str:
    f = next(f for f in LAYOUT if f.name == field)
    assert len(value) == f.length
    return line[: f.start - 1] + value + line[f.start - 1 + f.length :]


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (GOOD_LINE[:98], "line", "is 98 characters long, expected 100"),
        (GOOD_LINE + " ", "line", "is 101 characters long, expected 100"),
        (_with(GOOD_LINE, "action", "X"), "action", "'X' is not A, C, D or blank"),
        (_with(GOOD_LINE, "ssn", "50123456 "), "ssn", "must be 9 digits"),
        (_with(GOOD_LINE, "proof", "Q"), "proof", "'Q' is not P, V, N or blank"),
        (_with(GOOD_LINE, "date_of_death", "02302015"), "date_of_death",
         "day 30 does not exist in 2015-02"),
        (_with(GOOD_LINE, "date_of_birth", "13011950"), "date_of_birth",
         "month 13 does not exist"),
        (_with(GOOD_LINE, "date_of_birth", "0101    "), "date_of_birth",
         "'0101    ' is not MMDDCCYY"),
        (_with(GOOD_LINE, "blank", "      X"), "blank", "columns 94-100 must be blank"),
        (_with(GOOD_LINE, "first_name", "JOS\u00c9" + " " * 11), "first_name",
         "contains a non-ASCII character (0xc9) at column 38"),
        (_with(GOOD_LINE, "middle_name", "A\tB" + " " * 12), "middle_name",
         "contains a control character (0x09) at column 51"),
    ],
)  # fmt: skip
def test_parse_line_names_the_field(line: str, field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_line(line)
    assert (info.value.field, info.value.reason) == (field, reason)


def test_parse_line_never_splits_on_spaces() -> None:
    line = _with(GOOD_LINE, "middle_name", " " * 15)
    line = _with(line, "proof", "V")
    entry = parse_line(line)
    assert entry.middle_name == ""
    assert entry.proof == "V"
    assert entry.date_of_death == P(2015, 3)


# ------------------------------------------------------------- write_dmf


def test_full_file_refuses_update_actions_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "full.dmf"
    bad = DmfEntry(**{**_fields(GOOD), "action": "A"})
    with pytest.raises(ValidationError) as info:
        write_dmf(out, [GOOD, bad])
    assert info.value.field == "action"
    assert "record 2" in info.value.reason
    assert list(tmp_path.iterdir()) == []


def test_update_file_refuses_blank_actions(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        write_dmf(tmp_path / "u.dmf", [GOOD], update=True)
    assert info.value.field == "action"


def test_write_dmf_consumes_a_generator(tmp_path: Path) -> None:
    out = tmp_path / "gen.dmf"
    count = write_dmf(out, (GOOD for _ in range(5)))
    assert count == 5
    assert out.read_bytes() == (GOOD_LINE + "\n").encode() * 5


# --------------------------------------------------------------- read_dmf


def _problems(path: Path, **kw: int) -> list[LineProblem]:
    return [p for chunk in read_dmf(path, **kw) for p in chunk.problems]


def _rows(path: Path, **kw: int) -> list[ReportRow]:
    return [r for chunk in read_dmf(path, **kw) for r in chunk.rows]


def _write(tmp_path: Path, lines: list[str], end: str = "\n", name: str = "in.dmf") -> Path:
    path = tmp_path / name
    path.write_bytes(end.join(lines).encode("utf-8") + end.encode())
    return path


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (GOOD_LINE[:98], "line", "is 98 characters long, expected 100"),
        ("", "line", "is 0 characters long, expected 100"),
        (_with(GOOD_LINE, "first_name", "JOSÉ" + " " * 11), "first_name",
         "contains a non-ASCII byte (0xc3) at column 38; DMF files are ASCII"),
        (_with(GOOD_LINE, "date_of_death", "60006200"), "date_of_death",
         "year 6200 is outside 1800-2199"),
        (_with(GOOD_LINE, "date_of_death", "00000000"), "date_of_death",
         "is required (at least the year); dates are never invented"),
        (_with(GOOD_LINE, "date_of_birth", "02292100"), "date_of_birth",
         "day 29 does not exist in 2100-02"),
        (_with(GOOD_LINE, "ssn", "000123456"), "ssn", "area number 000 is never issued"),
        (_with(GOOD_LINE, "ssn", "666123456"), "ssn", "area number 666 is never issued"),
        (_with(GOOD_LINE, "ssn", "50123 567"), "ssn", "must be 9 digits"),
        (_with(GOOD_LINE, "last_name", "'" + " " * 19), "last_name",
         "must contain at least one letter"),
        (_with(GOOD_LINE, "action", "a"), "action", "'a' is not A, C, D or blank"),
        (_with(GOOD_LINE, "proof", "p"), "proof", "'p' is not P, V, N or blank"),
    ],
)  # fmt: skip
def test_bad_line_names_file_line_and_field(
    tmp_path: Path, bad: str, field: str, reason: str
) -> None:
    path = _write(tmp_path, [GOOD_LINE, bad, GOOD_LINE])
    for fast in (True, False):
        chunks = list(_read(path, chunk_lines=50_000, fast=fast))
        problems = [p for c in chunks for p in c.problems]
        assert problems == [LineProblem(str(path), 2, field, reason)]
        assert [r.line_no for c in chunks for r in c.rows] == [1, 3]


def test_crlf_no_final_newline_and_trailing_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "crlf.dmf"
    path.write_bytes(f"{GOOD_LINE}\r\n{GOOD_LINE}\r\n\r\n   \r\n\n".encode())
    assert [r.line_no for r in _rows(path)] == [1, 2]
    assert _problems(path) == []
    path.write_bytes(f"{GOOD_LINE}\n{GOOD_LINE}".encode())
    rows = _rows(path)
    assert [r.line_no for r in rows] == [1, 2]
    assert rows[0] == rows[1]._replace(line_no=1)


def test_blank_lines_are_bad_unless_trailing(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD_LINE, "", "  ", GOOD_LINE, "", ""])
    for chunk_lines in (1, 2, 3, 50):
        problems = _problems(path, chunk_lines=chunk_lines)
        assert [(p.line, p.field) for p in problems] == [(2, "line"), (3, "line")]
        assert problems[1].reason == "is 2 characters long, expected 100"
        assert [r.line_no for r in _rows(path, chunk_lines=chunk_lines)] == [1, 4]


def test_chunks_are_bounded_and_account_for_every_byte(tmp_path: Path) -> None:
    lines = [GOOD_LINE] * 10 + ["short"] + [GOOD_LINE] * 9
    path = _write(tmp_path, lines, end="\r\n")
    chunks = list(read_dmf(path, chunk_lines=3))
    assert all(0 < c.lines <= 3 for c in chunks)
    assert all(c.lines == len(c.rows) + len(c.problems) for c in chunks)
    assert sum(c.lines for c in chunks) == 20
    assert sum(c.nbytes for c in chunks) == path.stat().st_size
    assert [p.line for c in chunks for p in c.problems] == [11]


def test_a_huge_line_is_skipped_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dmf, "MAX_LINE_BYTES", 5_000)
    path = tmp_path / "huge.dmf"
    path.write_bytes(f"{GOOD_LINE}\n{'X' * 123_456}\n{GOOD_LINE}\n".encode())
    chunks = list(read_dmf(path, chunk_lines=1))
    assert [p for c in chunks for p in c.problems] == [
        LineProblem(str(path), 2, "line", "is 123456 characters long, expected 100")
    ]
    assert [r.line_no for c in chunks for r in c.rows] == [1, 3]
    assert sum(c.nbytes for c in chunks) == path.stat().st_size


def test_chunk_lines_must_be_positive(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD_LINE])
    with pytest.raises(ValidationError):
        list(read_dmf(path, chunk_lines=0))


def test_parse_row_is_build_row_of_parse_line() -> None:
    row = parse_row(GOOD_LINE.encode(), file="f", line_no=7)
    assert isinstance(row, ReportRow)
    assert (row.line_no, row.action, row.ssn, row.middle_name, row.proof) == (
        7, "A", "501234567", "Q", "P",
    )  # fmt: skip
    assert row.date_of_death == "2015-03-00"


# ---------------------------------------- the fast path equals the reference

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(dmf_lines(), max_size=25),
    newline=st.sampled_from([b"\n", b"\r\n"]),
    mixed=st.booleans(),
    final_newline=st.booleans(),
    trailing_blank=st.integers(0, 2),
    chunk_lines=st.integers(1, 12),
)
def test_fast_path_equals_reference_path(
    lines: list[bytes],
    newline: bytes,
    mixed: bool,
    final_newline: bool,
    trailing_blank: int,
    chunk_lines: int,
) -> None:
    data = b""
    for n, line in enumerate(lines):
        data += line + (b"\r\n" if mixed and n % 3 == 1 else newline)
    data += newline * trailing_blank
    if not final_newline and data.endswith(newline):
        data = data[: -len(newline)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.dmf"
        path.write_bytes(data)
        fast = [
            (c.rows, c.problems, c.lines, c.nbytes)
            for c in _read(path, chunk_lines=chunk_lines, fast=True)
        ]
        ref = [
            (c.rows, c.problems, c.lines, c.nbytes)
            for c in _read(path, chunk_lines=chunk_lines, fast=False)
        ]
        packed = list(_read(path, chunk_lines=chunk_lines, fast=True, packed=True))
    assert fast == ref
    assert sum(c[3] for c in fast) == len(data)
    # packed runs (a bulk load's form) hold the same rows, in the same line order
    assert [(c.all_rows(), c.problems, c.lines, c.nbytes) for c in packed] == ref
    assert all(c.valid == len(rows) for c, (rows, *_) in zip(packed, ref, strict=True))
    # and the reference is parse_row applied line by line
    flat = [x for rows, problems, _, _ in ref for x in (*rows, *problems)]
    assert sorted(r.line_no if isinstance(r, ReportRow) else r.line for r in flat) == list(
        range(1, len(flat) + 1)
    )


def test_fast_path_equals_reference_on_a_large_clean_block(tmp_path: Path) -> None:
    rows = [
        DmfEntry(" ", f"{100 + i % 500:03d}{1 + i % 98:02d}{1 + i:04d}",
                 ["SMITH", "DE LA CRUZ", "GARCIA JR", "LEE"][i % 4], ["", "SR", ""][i % 3],
                 "JANE", ["", "Q"][i % 2], "PVN "[i % 4].strip(), P(1990 + i % 30, i % 13, 0),
                 None if i % 5 == 0 else P(1930, 1 + i % 12, 1 + i % 28))
        for i in range(2_000)
    ]  # fmt: skip
    path = tmp_path / "block.dmf"
    write_dmf(path, rows)
    fast = list(iter_rows(_read(path, chunk_lines=700, fast=True)))
    assert fast == list(iter_rows(_read(path, chunk_lines=700, fast=False)))
    assert all(isinstance(r, ReportRow) for r in fast)
    assert fast[2].last_name == "GARCIA" and fast[2].suffix == "JR"
    assert fast[10].last_name == "GARCIA" and fast[10].suffix == "SR"


def test_clean_lines_never_reach_the_reference_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counting(raw: bytes, *, file: str, line_no: int) -> ReportRow | LineProblem:
        calls.append(line_no)
        return parse_row(raw, file=file, line_no=line_no)

    monkeypatch.setattr(_dmf_fast, "parse_row", counting)
    entries = [
        DmfEntry(" ", "501234567", "DE LA CRUZ", "", "JOSE", "", "V", P(2010), None),
        DmfEntry(" ", "501234568", "GARCIA JR", "", "ANA", "B", "N", P(2011, 2, 28), P(1950)),
        DmfEntry(" ", "501234569", "LEE", "III", "KIM", "", "", P(2012, 2, 29), None),
    ]
    path = tmp_path / "clean.dmf"
    write_dmf(path, entries * 10)
    rows = _rows(path, chunk_lines=7)
    assert len(rows) == 30 and calls == []
    packed = list(read_dmf(path, chunk_lines=7, packed=True))  # a bulk load's form
    assert [c.rows for c in packed] == [[]] * 5 and [c.valid for c in packed] == [7] * 4 + [2]
    assert [r for c in packed for r in c.all_rows()] == rows and calls == []
    assert (rows[1].last_name, rows[1].suffix, rows[1].date_of_birth) == (
        "GARCIA",
        "JR",
        "1950-00-00",
    )
    path.write_bytes(path.read_bytes().replace(b"ANA", b"Ana"))
    assert len(_rows(path, chunk_lines=7)) == 30 and len(calls) == 10
