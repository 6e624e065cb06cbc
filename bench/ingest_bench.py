"""Bulk-load a synthetic DMF full file: Vitalstat vs. the DuckDB floor. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from vitalstat.synth import write_dmf_full_file

HERE = Path(__file__).parent

CHILD = """
import json, resource, sys, time
from pathlib import Path
from vitalstat.services.ingest import ingest_file
from vitalstat.services.sources import register_source
from vitalstat.store import Store
store = Store.open(sys.argv[1]); store.migrate()
register_source(store, kind="legacy-dmf", source_id="bench", actor="bench")
t = time.perf_counter()
r = ingest_file(store, Path(sys.argv[2]), source_kind="legacy-dmf", source_id="bench",
                actor="bench")
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "reports": r.reports_new,
                  "records": r.records_created,
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def duckdb_floor(path: Path) -> float:
    """DuckDB reads the file and cuts every line into the DMF's fields, into a table."""
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(
        f"""CREATE TABLE dmf AS SELECT
          substr(line, 1, 1) AS action, substr(line, 2, 9) AS ssn,
          rtrim(substr(line, 11, 20)) AS last_name, rtrim(substr(line, 31, 4)) AS suffix,
          rtrim(substr(line, 35, 15)) AS first_name, rtrim(substr(line, 50, 15)) AS middle_name,
          substr(line, 65, 1) AS proof, substr(line, 66, 8) AS dod, substr(line, 74, 8) AS dob,
          substr(line, 82, 2) AS state, substr(line, 84, 5) AS zip_res,
          substr(line, 89, 5) AS zip_pay
        FROM read_csv('{path}', columns={{'line': 'VARCHAR'}}, header=false, delim='\\x01',
                      quote='', escape='', auto_detect=false)"""
    )
    elapsed = time.perf_counter() - t
    rows = con.execute("SELECT count(*) FROM dmf").fetchall()[0][0]
    con.close()
    assert rows > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    data = HERE / "data" / f"full-{args.lines}.dmf"
    data.parent.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        t = time.perf_counter()
        write_dmf_full_file(data, args.lines, seed=1)
        print(f"generated {data} in {time.perf_counter() - t:.1f}s", flush=True)
    size_mib = data.stat().st_size / 2**20

    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        proc = subprocess.run([sys.executable, "-c", CHILD, url, str(data)],
                              capture_output=True, text=True, check=True)
        ours = json.loads(proc.stdout.strip().splitlines()[-1])
        db_mib = (Path(tmp) / "bench.db").stat().st_size / 2**20
    rate = ours["reports"] / ours["seconds"]
    # The floor runs second: a child started while DuckDB held the table in this process
    # would inherit that high-water mark in its max RSS (Linux keeps it across exec).
    floor_s = duckdb_floor(data)
    print(f"floor (DuckDB parse into a table): {args.lines / floor_s:,.0f} lines/s "
          f"({floor_s:.1f}s)", flush=True)
    print(f"vitalstat ingest into SQLite:      {rate:,.0f} records/s ({ours['seconds']:.1f}s), "
          f"peak RSS {ours['max_rss_mib']:,.0f} MiB, database {db_mib:,.0f} MiB")
    print(f"vitalstat / floor: {rate / (args.lines / floor_s):.1%}; "
          f"target 250,000 records/s: {'met' if rate >= 250_000 else 'NOT met'}")

    result = {
        "benchmark": "ingest",
        "lines": args.lines,
        "file_mib": round(size_mib, 1),
        "floor_duckdb_lines_per_s": round(args.lines / floor_s),
        "floor_seconds": round(floor_s, 2),
        "vitalstat_records_per_s": round(rate),
        "vitalstat_seconds": round(ours["seconds"], 2),
        "vitalstat_peak_rss_mib": round(ours["max_rss_mib"]),
        "database_mib": round(db_mib),
        "target_records_per_s": 250_000,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }
    out = HERE / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
