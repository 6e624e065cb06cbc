"""read_dmf streams: memory stays bounded by the chunk size, not the file size."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from vitalstat.domain.identity import ssn_problem
from vitalstat.formats.dmf import read_dmf

LINES = 300_000


_NAMES = [f"SYN {a}{b}{c}".encode() for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
          for b in "AEIOUY" for c in "BDFGKLMNPRST"]  # fmt: skip


def _lines() -> Iterator[bytes]:
    """Synthetic lines, made on the fly (the file is never built in memory)."""
    template = b" %03d%02d%04d%-20s    PERSON         ROW            P%02d%02d201501011950%19s\n"
    for n in range(LINES):
        ssn = (100 + n % 500, 1 + n % 99, 1 + n % 9999)
        yield template % (*ssn, _NAMES[n % len(_NAMES)], 1 + n % 12, n % 28, b"")


def test_lines_are_valid() -> None:
    for line in itertools.islice(_lines(), 1000):
        assert len(line) == 101
        assert ssn_problem(line[1:10].decode()) is None


def test_peak_memory_is_far_below_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "big.dmf"
    with path.open("wb") as fh:
        fh.writelines(_lines())
    size = path.stat().st_size
    assert size == LINES * 101

    rows = problems = nbytes = 0
    last_line = 0
    tracemalloc.start()
    try:
        for chunk in read_dmf(path, chunk_lines=1_000):
            rows += len(chunk.rows)
            problems += len(chunk.problems)
            nbytes += chunk.nbytes
            last_line = chunk.rows[-1].line_no
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (rows, problems, nbytes, last_line) == (LINES, 0, size, LINES)
    # One chunk's rows plus one read block, whatever the file size (30 MB here).
    assert peak < size / 10, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
