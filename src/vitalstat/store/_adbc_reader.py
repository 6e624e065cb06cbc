"""Read the ``records`` table of a SQLite file through the ADBC SQLite driver, in a child
process, as an Arrow IPC stream.

Why a child process: the ADBC driver links its own copy of SQLite. Two copies of SQLite
in one process do not see each other's POSIX locks, and closing a file in one copy drops
the locks the other holds on it, which lets another process checkpoint and delete a WAL
that this process still writes to ("How To Corrupt An SQLite Database File", 2.2.1).
Locks are per process, so a child with its own copy is as safe as any other reader.

Run as ``python -m vitalstat.store._adbc_reader DB_PATH BATCH_ROWS [STATUS ...]``; the
parent reads the stream with :func:`record_batches`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc

from vitalstat.errors import StoreError
from vitalstat.store.repo import RECORD_ARROW_SCHEMA

__all__ = ["record_batches"]

_NULLABLE_TEXT = frozenset(f.name for f in RECORD_ARROW_SCHEMA
                           if f.nullable and f.type == pa.string())


def record_batches(path: str, statuses: list[str] | None,
                   batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The records (``RECORD_ARROW_SCHEMA``, SSN order) read by a child process."""
    args = [sys.executable, "-m", "vitalstat.store._adbc_reader", path, str(batch_rows),
            *(statuses or [])]
    if statuses is None:
        args.append("--all")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    finished = False
    try:
        try:
            reader = pa.ipc.open_stream(proc.stdout)
            yield from reader
        except pa.ArrowInvalid:
            pass  # the child failed before writing a stream: reported below
        finished = True
    finally:
        if not finished:  # the consumer stopped early
            proc.kill()
        proc.stdout.close()
        problem = proc.stderr.read().decode(errors="replace").strip()
        proc.stderr.close()
        code = proc.wait()
    if code != 0:
        raise StoreError(f"reading records from {path} failed: "
                         f"{problem.splitlines()[-1] if problem else f'exit {code}'}")


def _read(path: str, statuses: list[str] | None, batch_rows: int
          ) -> Iterator[pa.RecordBatch]:
    """In the child. Nullable dates are read as ``''`` (ADBC infers a column's type from
    its first rows, and an all-null first batch would not be text), then made null."""
    import adbc_driver_sqlite.dbapi as adbc

    picked = ", ".join(f"coalesce({n}, '') AS {n}" if n in _NULLABLE_TEXT else n
                       for n in RECORD_ARROW_SCHEMA.names)
    where = ""
    if statuses is not None:
        where = " WHERE status IN (" + ", ".join("'" + s.replace("'", "''") + "'"
                                               for s in statuses) + ")"
    sql = f"SELECT {picked} FROM records{where} ORDER BY ssn"
    with adbc.connect(f"file:{quote(path)}?mode=ro") as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cur.execute(sql)
        for batch in cur.fetch_record_batch():
            if batch.num_rows == 0:
                continue
            arrays = []
            for field in RECORD_ARROW_SCHEMA:
                column = batch.column(field.name)
                if field.name in _NULLABLE_TEXT:
                    column = pc.if_else(pc.equal(column, ""), None, column)
                arrays.append(column.cast(field.type))
            yield pa.RecordBatch.from_arrays(arrays, schema=RECORD_ARROW_SCHEMA)


def _main(argv: list[str]) -> int:
    path, batch_rows, *rest = argv
    statuses = None if rest == ["--all"] else rest
    sink = pa.output_stream(sys.stdout.buffer)
    with pa.ipc.new_stream(sink, RECORD_ARROW_SCHEMA) as writer:
        for batch in _read(path, statuses, int(batch_rows)):
            writer.write_batch(batch)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
