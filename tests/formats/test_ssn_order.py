"""SsnSpan / SsnOrder: a file's rows, chunk by chunk (packed runs and plain rows mixed),
tell whether they came in SSN order and, if so, exactly which SSNs repeat."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.formats.rows import (
    PACKED_AT,
    PACKED_WIDTH,
    REPORT_ROW_FIELDS,
    Chunk,
    PackedRows,
    ReportRow,
    SsnOrder,
    SsnSpan,
)

SSN_AT = PACKED_AT["ssn"]
SSNS = [f"{100 + n:03d}45678{n % 10}" for n in range(6)]  # few values: repeats are common


def _row(line: int, ssn: str) -> ReportRow:
    values: dict[str, object] = dict.fromkeys(REPORT_ROW_FIELDS, "")
    values |= {"line_no": line, "ssn": ssn, "date_of_death": None, "date_of_birth": None}
    return ReportRow(**values)  # type: ignore[arg-type]


def _packed(first_line: int, ssns: list[str]) -> PackedRows:
    fields = np.full((len(ssns), PACKED_WIDTH), 32, np.uint8)
    for i, ssn in enumerate(ssns):
        fields[i, SSN_AT : SSN_AT + 9] = np.frombuffer(ssn.encode(), np.uint8)
    return PackedRows.pack(first_line, fields)


def _cut(draw: st.DrawFn, n: int) -> list[tuple[int, int]]:
    """``range(n)`` cut into consecutive slices (empty ones too) at drawn points."""
    cuts = [0, *sorted(draw(st.lists(st.integers(0, n), max_size=5))), n]
    return list(pairwise(cuts))


@st.composite
def chunked_files(draw: st.DrawFn) -> tuple[list[str], list[Chunk]]:
    ssns = draw(st.lists(st.sampled_from(SSNS), max_size=40))
    if draw(st.booleans()):
        ssns.sort()
    chunks = []
    for start, stop in _cut(draw, len(ssns)):
        chunk = Chunk()
        for a, b in _cut(draw, stop - start):  # packed runs and plain rows, in line order
            if a == b:
                continue
            first = start + a + 1  # line numbers from 1
            piece = ssns[start + a : start + b]
            if draw(st.booleans()):
                chunk.packed.append(_packed(first, piece))
            else:
                chunk.rows.extend(_row(first + i, ssn) for i, ssn in enumerate(piece))
        chunks.append(chunk)
    return ssns, chunks


@given(chunked_files())
def test_the_order_tells_the_repeated_ssns_of_a_sorted_file_and_nothing_else(
        drawn: tuple[list[str], list[Chunk]]) -> None:
    ssns, chunks = drawn
    assert [r.ssn for chunk in chunks for r in chunk.all_rows()] == ssns
    order = SsnOrder()
    for chunk in chunks:
        order.add(SsnSpan.of(chunk))
    if ssns == sorted(ssns):
        assert order.repeated() == sorted(s for s, n in Counter(ssns).items() if n > 1)
    else:
        assert order.repeated() is None


def test_a_span_reads_packed_and_plain_rows_in_line_order() -> None:
    chunk = Chunk(rows=[_row(1, SSNS[0]), _row(4, SSNS[3])],
                  packed=[_packed(2, [SSNS[1], SSNS[1]])])
    span = SsnSpan.of(chunk)
    assert (span.first, span.last, span.ascending) == (SSNS[0], SSNS[3], True)
    assert span.repeated == {SSNS[1]}
    assert SsnSpan.of(Chunk()) == SsnSpan(None, None, True, frozenset())
    descending = SsnSpan.of(Chunk(rows=[_row(1, SSNS[2]), _row(2, SSNS[1])]))
    assert not descending.ascending
