"""A child process ingesting is killed with SIGKILL at random points.

Afterwards every file it acknowledged is present in full, nothing half-loaded is
visible, re-running every file creates no duplicates, and SQLite's integrity check passes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registered import ensure_source
from vitalstat.formats import file_sha256
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store

CHILD = """
import sys
from pathlib import Path
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store
store = Store.open(sys.argv[1])
for name in sys.argv[2:]:
    ingest_file(store, Path(name), source_kind="funeral-home", source_id="fh-crash",
                actor="crash-test", chunk_lines=97)
    print("ACK", name, flush=True)
"""

FILES, LINES = 30, 400


def make_files(tmp_path: Path) -> list[Path]:
    paths = []
    for f in range(FILES):
        path = tmp_path / f"reports-{f:02d}.csv"
        with path.open("w") as out:
            out.write("ssn,last_name,first_name,date_of_death\n")
            for i in range(LINES):
                n = f * LINES + i
                out.write(f"{100 + n // 9000:03d}{10 + (n // 100) % 90:02d}{1000 + n % 9000:04d},"
                          f"Name{n % 97},First{n % 13},20{10 + n % 15}-0{1 + n % 9}-1{n % 9}\n")
        paths.append(path)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("round_no", range(3))
def test_sigkill_loses_no_acknowledged_report(tmp_path: Path, round_no: int) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    store = Store.open(url)
    store.migrate()
    ensure_source(store, "funeral-home", "fh-crash")
    files = make_files(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, *map(str, files)],
                             stdout=subprocess.PIPE, text=True, env=env)
    kill_after = rng.uniform(0.5, 4.0)
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    output, _ = child.communicate()
    acked = [Path(line.split(" ", 1)[1]) for line in output.splitlines() if line.startswith("ACK")]
    note = f"seed={seed} killed after {kill_after:.2f}s with {len(acked)} acknowledged"

    assert store.integrity_check() == [], note
    with store.transaction(write=False) as tx:
        batches = {b for b in (tx.conn.exec_driver_sql(
            "SELECT file_sha256, reports_new FROM batches").all())}
        counts = tx.counts()
    by_sha = dict(batches)
    for path in acked:
        assert by_sha.get(file_sha256(path)) == LINES, note
    # nothing half-loaded: every visible batch is complete
    assert counts["reports"] == LINES * len(by_sha), note
    assert counts["records"] == counts["reports"], note

    for path in files:
        result = ingest_file(store, path, source_kind="funeral-home", source_id="fh-crash",
                             actor="crash-test")
        if path in acked:
            assert result.already_ingested, note
    with store.transaction(write=False) as tx:
        final = tx.counts()
        dupes = tx.conn.exec_driver_sql(
            "SELECT count(*) FROM (SELECT ssn FROM reports GROUP BY ssn HAVING count(*) > 1) d"
        ).scalar_one()
    assert final["reports"] == FILES * LINES and final["records"] == FILES * LINES, note
    assert dupes == 0, note
    assert store.integrity_check() == [], note
    store.close()


DIRECT_CHILD = """
import sys
from pathlib import Path
from vitalstat.services.ingest import ingest_file
from vitalstat.store import Store
store = Store.open(sys.argv[1])
journal = Path(sys.argv[1].removeprefix("sqlite:///") + "-journal")
ingest_file(store, Path(sys.argv[2]), source_kind="legacy-dmf", source_id="dmf-crash",
            actor="crash-test", chunk_lines=5_000, direct_min_bytes=0,
            progress=lambda done, total: print("CHUNK", journal.exists(), flush=True))
print("ACK", flush=True)
"""
DIRECT_LINES = 300_000


@pytest.mark.slow
@pytest.mark.parametrize("round_no", range(3))
def test_sigkill_during_a_direct_first_load_loses_nothing_acknowledged(
        tmp_path: Path, round_no: int) -> None:
    """The first load into an empty SQLite registry writes under a rollback journal, not
    the WAL: killed in the middle, it leaves the registry empty, in WAL mode again once
    opened, and loadable; killed after its acknowledgement, everything is there."""
    from vitalstat.synth import write_dmf_full_file

    seed = random.randrange(1 << 30)
    url = f"sqlite:///{tmp_path / 'direct.db'}"
    store = Store.open(url)
    store.migrate()
    ensure_source(store, "legacy-dmf", "dmf-crash")
    store.close()  # the child must be the database's only connection to go direct
    dmf = tmp_path / "full.dmf"
    write_dmf_full_file(dmf, DIRECT_LINES, seed=seed % 1000)
    child = subprocess.Popen([sys.executable, "-c", DIRECT_CHILD, url, str(dmf)],
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    kill_after = random.Random(seed).uniform(0.6, 2.6)
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    output, _ = child.communicate()
    chunks = [line.split()[1] for line in output.splitlines() if line.startswith("CHUNK")]
    acked = "ACK" in output.split()
    note = f"seed={seed} killed after {kill_after:.2f}s, {len(chunks)} chunks, acked={acked}"
    assert set(chunks) <= {"True"}, note  # every chunk was written under the journal

    store = Store.open(url)
    try:
        assert store.integrity_check() == [], note
        with store.transaction(write=False) as tx:
            assert tx.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            counts = tx.counts()
        assert counts["reports"] == (DIRECT_LINES if acked else 0), note
        assert counts["records"] == counts["reports"], note
        result = ingest_file(store, dmf, source_kind="legacy-dmf", source_id="dmf-crash",
                             actor="crash-test", direct_min_bytes=0)
        assert result.already_ingested is acked, note
        with store.transaction(write=False) as tx:
            assert tx.counts()["records"] == DIRECT_LINES, note
        assert store.integrity_check() == [], note
    finally:
        store.close()
