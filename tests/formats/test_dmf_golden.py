"""Golden DMF files: the writer reproduces them byte for byte, the reader pins their rows.

All people here are invented; every SSN passes ``ssn_problem`` but belongs to nobody we
know of. To regenerate after a deliberate layout change, run the tests with
``VITALSTAT_REGEN_GOLDEN=1`` and review the diff by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vitalstat.domain.identity import PartialDate, ssn_problem
from vitalstat.formats.dmf import DmfEntry, _read, read_dmf, write_dmf
from vitalstat.formats.rows import ReportRow, iter_rows, payload_hash

GOLDEN = Path(__file__).parent / "golden"
FULL = GOLDEN / "full.dmf"
UPDATE = GOLDEN / "update.dmf"

P = PartialDate

FULL_ENTRIES = [
    # apostrophe in the last name, V proof code next to a middle name, day unknown
    DmfEntry(" ", "501234567", "O'BRIEN", "", "MARY", "ANN", "V", P(2015, 3, 0), P(1931, 7, 4)),
    # compound (hyphenated) last name with a suffix, born on a leap day
    DmfEntry(
        " ", "402118830", "SMITH-JONES", "JR", "ROBERT", "", "P", P(2019, 11, 23), P(1940, 2, 29)
    ),
    # compound last name with spaces; month and day of death unknown; birth unknown
    DmfEntry(" ", "287650012", "DE LA CRUZ", "", "JOSE", "LUIS", "P", P(2010), None),
    # a suffix written into the last name field; blank proof code
    DmfEntry(
        " ", "611020304", "GARCIA III", "", "ANTONIO", "", "", P(2001, 9, 11), P(1950, 12, 31)
    ),
    # a pre-2011 record: state and ZIPs filled; legacy N proof; first name truncated
    DmfEntry(
        " ",
        "350447781",
        "WASHINGTON",
        "",
        "MAXIMILLIANUSJAMES",
        "",
        "N",
        P(2009, 6, 15),
        P(1920, 1, 1),
        "OH",
        "43215",
        "43216",
    ),
    # no middle name and a V code: naive space-splitting would read "V" as the middle name
    DmfEntry(" ", "123450001", "LEE", "", "KIM", "", "V", P(2020, 4, 1), P(1951, 5, 6)),
]

UPDATE_ENTRIES = [
    DmfEntry("A", "518220147", "NGUYEN", "", "THANH", "VAN", "P", P(2021, 1, 5), P(1944, 8, 0)),
    DmfEntry("C", "501234567", "O'BRIEN", "", "MARY", "ANN", "P", P(2015, 3, 14), P(1931, 7, 4)),
    DmfEntry("D", "123450001", "LEE", "", "KIM", "", "", None, None),
]

FULL_LINES = [
    " 501234567O'BRIEN                 MARY           ANN            V0300201507041931" + " " * 19,
    " 402118830SMITH-JONES         JR  ROBERT                        P1123201902291940" + " " * 19,
    " 287650012DE LA CRUZ              JOSE           LUIS           P0000201000000000" + " " * 19,
    " 611020304GARCIA III              ANTONIO                        0911200112311950" + " " * 19,
    " 350447781WASHINGTON              MAXIMILLIANUSJA               N0615200901011920"
    + "OH4321543216       ",
    " 123450001LEE                     KIM                           V0401202005061951" + " " * 19,
]


@pytest.fixture(scope="module", autouse=True)
def _regenerate() -> None:
    if os.environ.get("VITALSTAT_REGEN_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        write_dmf(FULL, FULL_ENTRIES)
        write_dmf(UPDATE, UPDATE_ENTRIES, update=True)


def test_fixture_ssns_are_valid_and_synthetic() -> None:
    for entry in FULL_ENTRIES + UPDATE_ENTRIES:
        assert ssn_problem(entry.ssn) is None


def test_writer_reproduces_full_golden_file(tmp_path: Path) -> None:
    out = tmp_path / "full.dmf"
    assert write_dmf(out, FULL_ENTRIES) == len(FULL_ENTRIES)
    assert out.read_bytes() == FULL.read_bytes()


def test_writer_reproduces_update_golden_file(tmp_path: Path) -> None:
    out = tmp_path / "update.dmf"
    assert write_dmf(out, UPDATE_ENTRIES, update=True) == 3
    assert out.read_bytes() == UPDATE.read_bytes()


def test_golden_full_file_bytes_by_column() -> None:
    """The golden bytes, checked against the layout by hand (1-based columns)."""
    lines = FULL.read_text("ascii").splitlines()
    assert lines == FULL_LINES
    assert all(len(line) == 100 for line in lines)
    first = lines[0]
    assert first[0] == " "  # 1: action, blank in a full file
    assert first[1:10] == "501234567"  # 2-10
    assert first[10:30] == "O'BRIEN".ljust(20)  # 11-30
    assert first[49:64] == "ANN".ljust(15)  # 50-64
    assert first[64] == "V"  # 65
    assert first[65:73] == "03002015"  # 66-73 MMDDCCYY, day unknown
    assert lines[4][81:93] == "OH4321543216"  # 82-93
    assert FULL.read_bytes().endswith(b"       \n")


def test_read_full_golden_file_rows() -> None:
    rows = list(iter_rows(read_dmf(FULL)))
    assert all(isinstance(r, ReportRow) for r in rows)
    assert [r.line_no for r in rows] == [1, 2, 3, 4, 5, 6]
    mary, robert, jose, antonio, max_, kim = rows

    assert mary.action == "A"  # blank action means add
    assert (mary.last_name, mary.first_name, mary.middle_name) == ("OBRIEN", "MARY", "ANN")
    assert mary.proof == "V"
    assert mary.date_of_death == "2015-03-00"
    assert mary.date_of_birth == "1931-07-04"
    assert mary.payload_hash == payload_hash(FULL_LINES[0].encode())

    assert (robert.last_name, robert.suffix) == ("SMITH JONES", "JR")
    assert robert.middle_name == ""
    assert robert.date_of_birth == "1940-02-29"

    assert jose.last_name == "DE LA CRUZ"
    assert jose.date_of_death == "2010-00-00"
    assert jose.date_of_birth is None

    assert (antonio.last_name, antonio.suffix, antonio.proof) == ("GARCIA", "III", "")

    assert max_.first_name == "MAXIMILLIANUSJA"
    assert max_.proof == ""  # legacy N = unknown
    assert (max_.state, max_.zip_residence, max_.zip_payment) == ("OH", "43215", "43216")

    assert kim.middle_name == ""
    assert kim.proof == "V"
    assert kim.first_name == "KIM"


def test_read_update_golden_file_rows() -> None:
    rows = list(iter_rows(read_dmf(UPDATE)))
    assert [(r.line_no, r.action, r.ssn) for r in rows] == [
        (1, "A", "518220147"),
        (2, "C", "501234567"),
        (3, "D", "123450001"),
    ]
    add, change, delete = rows
    assert add.middle_name == "VAN"
    assert add.date_of_birth == "1944-08-00"
    assert change.date_of_death == "2015-03-14"
    assert delete.date_of_death is None  # a delete needs no date


@pytest.mark.parametrize("path", [FULL, UPDATE], ids=["full", "update"])
def test_golden_fast_and_reference_paths_agree(path: Path) -> None:
    fast = list(iter_rows(_read(path, chunk_lines=4, fast=True)))
    reference = list(iter_rows(_read(path, chunk_lines=4, fast=False)))
    assert fast == reference
