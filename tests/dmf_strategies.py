"""Hypothesis strategies for DMF lines, shared by the format and store tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from vitalstat.domain.identity import PartialDate
from vitalstat.formats.dmf import LAYOUT, DmfEntry, format_line

ssns = st.builds(
    lambda a, g, s: f"{a:03d}{g:02d}{s:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
)


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    year = draw(st.integers(1800, 2199))
    month = draw(st.integers(0, 12))
    if month == 0:
        return PartialDate(year)
    last = {2: 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28}.get(
        month, 30 if month in (4, 6, 9, 11) else 31
    )
    return PartialDate(year, month, draw(st.integers(0, last)))


# Characters that upper() leaves alone: a formatted line parses back to the same text.
UPPER_ASCII = string.ascii_uppercase + string.digits + string.punctuation + " "


def texts(width: int, alphabet: str = UPPER_ASCII) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=width).map(str.rstrip)


entries = st.builds(
    DmfEntry,
    action=st.sampled_from([" ", "A", "C", "D"]),
    ssn=ssns,
    last_name=texts(20),
    suffix=texts(4),
    first_name=texts(15),
    middle_name=texts(15),
    proof=st.sampled_from(["", "P", "V", "N"]),
    date_of_death=st.none() | partial_dates(),
    date_of_birth=st.none() | partial_dates(),
    state=texts(2, string.ascii_uppercase + " "),
    zip_residence=texts(5, string.digits + " "),
    zip_payment=texts(5, string.digits + " "),
)


# Field values that sit on every edge of the fast path's "clean" test.
EDGES: dict[str, list[str]] = {
    "action": [" ", "A", "C", "D", "a", "X", "\t"],
    "ssn": ["501234567", "000123456", "666123456", "900123456", "899123456", "501004567",
            "501230000", "50123456 ", " 50123456", "5012-4567", "123456789"],
    "last_name": ["SMITH", "SMITH JR", "SMITH  JR", " SMITH", "V", "VAN V", "DE LA CRUZ",
                  "O'BRIEN", "smith", "SMITH-JONES", "", "'", "A" * 20, "GARCIA III",
                  "LEE ESQ", "LEE ESQX", "MD MD"],
    "suffix": ["", "JR", "III", "J R", " JR", "jr", "X1"],
    "first_name": ["", "JANE", "MARY ANN", "MARY  ANN", " JANE", "JANE'", "Q" * 15],
    "middle_name": ["", "Q", "V", "ANN LEE", " Q", "ann"],
    "proof": [" ", "P", "V", "N", "p", "X"],
    "date_of_death": ["03002015", "00002010", "02292000", "02292100", "02292016", "12311800",
                      "01012199", "01011799", "01012200", "13012000", "00152000", "00000000",
                      "        ", "0101    ", "04312001", "60006200"],
    "date_of_birth": ["07041931", "00000000", "        ", "02301950", "00001900", "0000    ",
                      "12319999"],
    "state": ["  ", "OH", "oh", " O", "O ", "1A"],
    "zip_residence": ["     ", "43215", "4321 ", " 4321", "4321A"],
    "zip_payment": ["     ", "43216", "ABCDE"],
    "blank": [" " * 7, "      X", "\t      "],
}  # fmt: skip


@st.composite
def dmf_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["clean", "clean", "edge", "edge", "bytes", "blank"]))
    if kind == "blank":
        return b" " * draw(st.integers(0, 3))
    base = format_line(draw(entries))
    if kind == "clean":
        return base.encode()
    if kind == "bytes":
        raw = bytearray(base.encode())
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, 99))
            raw[at : at + 1] = draw(st.sampled_from([b"\xc3\xa9", b"\xff", b"", b"\r", b"a", b"0"]))
        return bytes(raw)
    line = base
    for f in draw(st.lists(st.sampled_from(LAYOUT), min_size=1, max_size=3)):
        line = (
            line[: f.start - 1]
            + draw(st.sampled_from(EDGES[f.name])).ljust(f.length)[: f.length]
            + line[f.start - 1 + f.length :]
        )
    return line.encode()


