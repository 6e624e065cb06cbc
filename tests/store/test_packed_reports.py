"""A chunk's packed runs are stored exactly as its rows would be (both stores).

The bulk path (``Tx.insert_chunk``) cuts each field out of a packed run in SQL on SQLite
and turns runs into rows on PostgreSQL; either way, what lands in ``reports`` must equal
what ``insert_reports`` stores for the same rows.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dmf_strategies import dmf_lines
from vitalstat.domain.identity import PartialDate as P
from vitalstat.domain.reports import Source, SourceKind
from vitalstat.formats.dmf import DmfEntry, format_line, read_dmf
from vitalstat.formats.rows import Chunk
from vitalstat.store import Store

_COLUMNS = ("line_no, action, ssn, last_name, suffix, first_name, middle_name, proof,"
            " date_of_death, date_of_birth, state, zip_residence, zip_payment, sex,"
            " reporter_name, reporter_relationship, reporter_contact, source_report_id,"
            " payload_hash")
_sources = itertools.count(1)

# Lines the fast path packs, with the features its SQL treats specially: blank and padded
# fields, an unknown date of birth, proof N, a suffix split off a compound last name.
CLEAN = [format_line(e) for e in (
    DmfEntry(" ", "501234567", "DE LA CRUZ", "", "JOSE", "", "V", P(2010, 3), None),
    DmfEntry(" ", "501234568", "GARCIA JR", "", "ANA", "B", "N", P(2011, 2, 28), P(1950),
             state="OH", zip_residence="43215"),
    DmfEntry(" ", "501234569", "LEE", "III", "KIM", "", "", P(2012, 2, 29), None,
             zip_residence="43215", zip_payment="43216"),
)]


def _load(store: Store, chunks: list[Chunk], *, packed: bool) -> tuple[int, int]:
    """Insert ``chunks`` for a new source; returns (source pk, reports new)."""
    source = Source(SourceKind.LEGACY_DMF, f"packed-{next(_sources)}")
    with store.transaction() as tx:
        spk = tx.insert_source(source, actor="tester", at="2026-11-01T00:00:00+00:00",
                               surge_ceiling=None, note="")
        batch = tx.insert_batch(source_pk=spk, file_name="t.dmf", file_sha256="e" * 64,
                                fmt="dmf", received_at="2026-11-01T00:00:00+00:00",
                                actor="tester")
        new = sum(tx.insert_chunk(batch, spk, c) if packed
                  else tx.insert_reports(batch, spk, c.rows) for c in chunks)
    return spk, new


def _stored(store: Store, spk: int) -> list[tuple[object, ...]]:
    with store.transaction(write=False) as tx:
        return [tuple(r) for r in tx.conn.execute(text(
            f"SELECT {_COLUMNS} FROM reports WHERE source_pk = :s ORDER BY id"), {"s": spk})]


def _both_ways(store: Store, data: bytes, chunk_lines: int) -> tuple[list[object], int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.dmf"
        path.write_bytes(data)
        packed = list(read_dmf(path, chunk_lines=chunk_lines, packed=True))
        rows = list(read_dmf(path, chunk_lines=chunk_lines))
    spk_packed, new_packed = _load(store, packed, packed=True)
    spk_rows, new_rows = _load(store, rows, packed=False)
    stored = _stored(store, spk_packed)
    assert stored == _stored(store, spk_rows)
    assert new_packed == new_rows == len(stored)
    return stored, sum(len(c.packed) for c in packed)


def test_packed_runs_store_what_rows_store(store: Store) -> None:
    # lower case: the reference path normalises it
    dirty = CLEAN[0].replace("501234567", "501234570").replace("JOSE", "Jose")
    data = "".join(line + "\n" for line in [*CLEAN, dirty, *CLEAN[:2], CLEAN[2]]).encode()
    # the duplicate lines (same payload, same source) are kept once, like rows are
    data = data.replace(CLEAN[2][:10].encode(), b" 501234571", 1)
    stored, runs = _both_ways(store, data, chunk_lines=50)
    assert runs == 2  # the dirty line splits the chunk's packed lines in two runs
    assert [r[0] for r in stored] == [1, 2, 3, 4, 7]  # lines 5 and 6 repeat 1 and 2
    first, garcia, lee = stored[0], stored[1], stored[2]
    assert (first[3], first[9], first[7]) == ("DE LA CRUZ", None, "V")
    assert (garcia[3], garcia[4], garcia[7], garcia[9], garcia[10]) == (
        "GARCIA", "JR", "", "1950-00-00", "OH")
    assert (lee[4], lee[6], lee[11], lee[12], lee[8]) == ("III", "", "43215", "43216",
                                                         "2012-02-29")
    assert stored[3][2:6] == ("501234570", "DE LA CRUZ", "", "JOSE")  # the dirty line


def test_packed_reports_sent_again_are_duplicates(store: Store) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.dmf"
        path.write_bytes("".join(line + "\n" for line in CLEAN).encode())
        chunks = list(read_dmf(path, packed=True))
    source = Source(SourceKind.LEGACY_DMF, "packed-again")
    with store.transaction() as tx:
        spk = tx.insert_source(source, actor="t", at="2026-11-01T00:00:00+00:00",
                               surge_ceiling=None, note="")
        counts = []
        for sha in ("a" * 64, "b" * 64):
            batch = tx.insert_batch(source_pk=spk, file_name="t.dmf", file_sha256=sha,
                                    fmt="dmf", received_at="2026-11-01T00:00:00+00:00",
                                    actor="t")
            counts.append(tx.insert_chunk(batch, spk, chunks[0]))
    assert counts == [3, 0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(dmf_lines(), min_size=1, max_size=20), chunk_lines=st.integers(1, 8))
def test_any_file_stores_the_same_packed_or_not(store: Store, lines: list[bytes],
                                                chunk_lines: int) -> None:
    data = b"".join(line + b"\n" for line in lines)
    _both_ways(store, data, chunk_lines)
