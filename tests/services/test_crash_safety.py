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
