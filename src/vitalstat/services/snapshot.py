"""One pass over the published records: Parquet snapshot, DMF full file, columnar delta.

The records stream in SSN order as Arrow batches. Each batch is appended to
``records.parquet`` and ``full.dmf`` (hashed as it is written) and classified against
the previous release's keys: an SSN the previous release lacks is an ``A``; one whose
``version`` differs is a ``C`` (a record's version increases whenever it changes, and
only then: ``domain.consolidate``; deliveries compare versions the same way). SSNs of
the previous release that no batch matched are the ``D`` s, read back from the previous
snapshot (a withdrawn record's ``D`` carries what subscribers last received). Only the
previous release's SSNs and versions and the changed rows are held in memory.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vitalstat.formats.dmf_columnar import dmf_lines
from vitalstat.store.repo import RECORD_ARROW_SCHEMA

__all__ = [
    "DELTA_SCHEMA",
    "Snapshot",
    "SnapshotWriter",
    "delta_between",
    "rows_at",
    "ssn_numbers",
    "write_delta",
]

#: ``records.parquet`` columns with the action in front.
DELTA_SCHEMA = pa.schema([pa.field("action", pa.string(), nullable=False),
                          *RECORD_ARROW_SCHEMA])
#: zstd level 1; dictionaries for every column but the (unique) SSN; min/max statistics
#: only for the SSN (row groups can be skipped by SSN; the others cost 40% of the write).
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd", "compression_level": 1,
    "use_dictionary": [n for n in DELTA_SCHEMA.names if n != "ssn"],
    "write_statistics": ["ssn"],
}
#: Rows per Parquet row group, whatever size the batches come in: the file's bytes must
#: not depend on how the records were read.
ROW_GROUP_ROWS = 100_000
#: Columns read dictionary-encoded when rows are picked out of a snapshot.
_DICTIONARY_READ = [f.name for f in RECORD_ARROW_SCHEMA if f.type == pa.string()
                    and f.name != "ssn"]


class _RowGroups:
    """Feeds a ParquetWriter row groups of exactly ``ROW_GROUP_ROWS`` (the last: the rest)."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self.writer = writer
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.rows += batch.num_rows
        if self.rows >= ROW_GROUP_ROWS:
            table = pa.Table.from_batches(self.pending)
            whole = (self.rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
            self.writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
            rest = table.slice(whole)
            self.pending = rest.to_batches() if rest.num_rows else []
            self.rows = rest.num_rows

    def close(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_batches(self.pending),
                                    row_group_size=ROW_GROUP_ROWS)
        self.writer.close()


def ssn_numbers(ssn: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Nine-digit SSN text as int64 (same order as the text)."""
    return np.asarray(pc.cast(ssn, pa.int64()).to_numpy(zero_copy_only=False))


@dataclass
class _Previous:
    path: Path
    ssn: np.ndarray
    version: np.ndarray
    matched: np.ndarray

    @classmethod
    def load(cls, path: Path) -> _Previous:
        table = pq.read_table(path, columns=["ssn", "version"])
        ssn = ssn_numbers(table.column("ssn"))
        if len(ssn) > 1 and not bool(np.all(ssn[1:] > ssn[:-1])):
            raise ValueError(f"{path}: SSNs are not in ascending order")
        return cls(path, ssn, table.column("version").to_numpy(), np.zeros(len(ssn), bool))


class _Withdrawn:
    """Collects the previous release's rows that the new one lacks (the ``D`` s), on a
    worker thread, while the stream is still running.

    Both the previous snapshot and the stream are in ascending SSN order, so once the
    stream has passed a previous row group's last SSN, that group's unmatched rows are
    final: the worker reads the group (dictionary-encoded, cheap to take from) and keeps
    them. Decoding the previous snapshot thus overlaps with reading and writing the new.
    """

    def __init__(self, prev: _Previous) -> None:
        self.prev = prev
        self.file = pq.ParquetFile(prev.path, read_dictionary=_DICTIONARY_READ)
        sizes = [self.file.metadata.row_group(i).num_rows
                 for i in range(self.file.num_row_groups)]
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self.passed = -1  # highest SSN number the stream has fully handled
        self.finished = False
        self.aborted = False
        self.parts: list[pa.Table] = []
        self.error: BaseException | None = None
        self.cond = threading.Condition()
        self.worker = threading.Thread(target=self._run, name="vitalstat-withdrawn",
                                       daemon=True)
        self.worker.start()

    def advance(self, last_ssn: int) -> None:
        with self.cond:
            self.passed = last_ssn
            self.cond.notify()

    def _run(self) -> None:
        try:
            for g in range(self.file.num_row_groups):
                lo, hi = int(self.starts[g]), int(self.starts[g + 1])
                if hi == lo:
                    continue
                last = int(self.prev.ssn[hi - 1])
                with self.cond:
                    self.cond.wait_for(lambda last=last: self.passed >= last or self.finished)
                if self.aborted:
                    return
                gone = np.flatnonzero(~self.prev.matched[lo:hi])
                if len(gone):
                    group = self.file.read_row_group(g)
                    self.parts.append(group.take(pa.array(gone)).cast(RECORD_ARROW_SCHEMA))
        except BaseException as exc:  # re-raised by finish()
            self.error = exc

    def abort(self) -> None:
        with self.cond:
            self.finished = self.aborted = True
            self.cond.notify()
        self.worker.join()

    def finish(self) -> pa.Table | None:
        with self.cond:
            self.finished = True
            self.cond.notify()
        self.worker.join()
        if self.error is not None:
            raise self.error
        return pa.concat_tables(self.parts) if self.parts else None


@dataclass
class Snapshot:
    """What one pass wrote: counts, the DMF file's SHA-256, the delta and step timings."""

    records: int = 0
    dmf_sha256: str = ""
    delta: pa.Table | None = None
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def counts(self) -> dict[str, int]:
        if self.delta is None:
            return {"adds": 0, "changes": 0, "deletes": 0}
        actions = self.delta.column("action").to_pylist()
        return {"adds": actions.count("A"), "changes": actions.count("C"),
                "deletes": actions.count("D")}


class SnapshotWriter:
    """Writes ``records.parquet`` and ``full.dmf`` into ``directory``; see the module doc."""

    def __init__(self, directory: Path, previous: Path | None) -> None:
        self.directory = directory
        self.result = Snapshot()
        t = time.perf_counter()
        self.previous = _Previous.load(previous) if previous is not None else None
        self._withdrawn = _Withdrawn(self.previous) if self.previous is not None else None
        self.result.seconds["delta"] += time.perf_counter() - t
        self._changed: list[pa.Table] = []
        self._last = -1

    def write(self, batches: Iterable[pa.RecordBatch]) -> Snapshot:
        seconds = self.result.seconds
        digest = hashlib.sha256()
        parquet = _RowGroups(pq.ParquetWriter(self.directory / "records.parquet",
                                              RECORD_ARROW_SCHEMA, **PARQUET_OPTIONS))
        try:
            with (self.directory / "full.dmf").open("wb") as dmf:
                t = time.perf_counter()
                for batch in batches:
                    t1 = time.perf_counter()
                    seconds["read"] += t1 - t
                    parquet.add(batch)
                    t2 = time.perf_counter()
                    lines = dmf_lines(batch)
                    digest.update(lines)
                    dmf.write(lines)
                    t3 = time.perf_counter()
                    if self.previous is not None:
                        self._classify(batch)
                    t = time.perf_counter()
                    seconds["parquet"] += t2 - t1
                    seconds["dmf"] += t3 - t2
                    seconds["delta"] += t - t3
                    self.result.records += batch.num_rows
        except BaseException:
            if self._withdrawn is not None:
                self._withdrawn.abort()
            raise
        finally:
            t = time.perf_counter()
            parquet.close()
            seconds["parquet"] += time.perf_counter() - t
        self.result.dmf_sha256 = digest.hexdigest()
        if self.previous is not None:
            t = time.perf_counter()
            self.result.delta = self._finish_delta()
            seconds["delta"] += time.perf_counter() - t
        return self.result

    def _classify(self, batch: pa.RecordBatch) -> None:
        prev = self.previous
        assert prev is not None
        ssn = ssn_numbers(batch.column("ssn"))
        if len(ssn) == 0:
            return
        if ssn[0] <= self._last or (len(ssn) > 1 and not bool(np.all(ssn[1:] > ssn[:-1]))):
            raise ValueError("records must stream in strictly ascending SSN order")
        self._last = int(ssn[-1])
        at = np.searchsorted(prev.ssn, ssn)
        inside = at < len(prev.ssn)
        found = np.zeros(len(ssn), bool)
        found[inside] = prev.ssn[at[inside]] == ssn[inside]
        prev.matched[at[found]] = True
        changed = np.zeros(len(ssn), bool)
        if found.any():
            versions = batch.column("version").to_numpy(zero_copy_only=False)
            changed[found] = prev.version[at[found]] != versions[found]
        keep = ~found | changed
        if keep.any():
            rows = pa.Table.from_batches([batch]).filter(pa.array(keep))
            actions = np.where(found[keep], "C", "A")
            self._changed.append(rows.add_column(0, DELTA_SCHEMA.field("action"),
                                                 pa.array(actions.tolist(), pa.string())))
        if self._withdrawn is not None:
            self._withdrawn.advance(self._last)

    def _finish_delta(self) -> pa.Table:
        assert self._withdrawn is not None
        parts = list(self._changed)
        rows = self._withdrawn.finish()
        if rows is not None:
            parts.append(rows.add_column(0, DELTA_SCHEMA.field("action"),
                                         pa.array(["D"] * rows.num_rows, pa.string())))
        if not parts:
            return DELTA_SCHEMA.empty_table()
        table = pa.concat_tables([p.cast(DELTA_SCHEMA) for p in parts])
        return table.sort_by([("ssn", "ascending")])


def delta_between(previous: Path, current: Path) -> pa.Table:
    """The delta (``DELTA_SCHEMA``) from one ``records.parquet`` to another, as a build
    computes it, reading only ``current``'s row groups and ``previous``'s keys."""
    writer = SnapshotWriter.__new__(SnapshotWriter)
    writer.result = Snapshot()
    writer.previous = _Previous.load(previous)
    writer._withdrawn = _Withdrawn(writer.previous)
    writer._changed = []
    writer._last = -1
    file = pq.ParquetFile(current, read_dictionary=_DICTIONARY_READ)
    for g in range(file.num_row_groups):
        for batch in file.read_row_group(g).to_batches():
            writer._classify(batch)
    return writer._finish_delta()


def rows_at(path: Path, indices: np.ndarray) -> pa.Table:
    """Rows ``indices`` (sorted) of a Parquet file, reading only the row groups they are in."""
    file = pq.ParquetFile(path, read_dictionary=_DICTIONARY_READ)
    sizes = [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    groups = np.searchsorted(starts, indices, side="right") - 1
    parts = []
    for g in np.unique(groups):
        local = indices[groups == g] - starts[g]
        parts.append(file.read_row_group(int(g)).take(pa.array(local)))
    return pa.concat_tables(parts).cast(RECORD_ARROW_SCHEMA)


def write_delta(directory: Path, delta: pa.Table) -> tuple[Path, Path]:
    """``delta.parquet`` and ``delta.dmf`` (an update file: A, C, D) from ``delta``."""
    parquet, dmf = directory / "delta.parquet", directory / "delta.dmf"
    pq.write_table(delta, parquet, **PARQUET_OPTIONS)
    actions = np.asarray(delta.column("action").to_pylist(), dtype="S1")
    dmf.write_bytes(dmf_lines(delta, actions))
    return parquet, dmf
