"""Release build, delta and exports on a large registry, next to DuckDB alone writing the
same Parquet from the same table. See bench/README.md.

Steps (each in its own child process, so its peak memory is its own):

1. ``release 1``: the first full release (Parquet snapshot, DMF full file, signed);
2. a busy week: about 60,000 changes ingested (new deaths, changed records, withdrawals);
3. ``release 2``: the next full release with its delta (all formats, signed);
4. exports from release 2: open-tier DMF, CSV and Parquet full files, and the open-tier
   delta since release 1;
5. baselines: DuckDB writing ``records`` to Parquet, (a) from a DuckDB table already
   holding it, (b) reading the same SQLite table through the same ADBC stream.

The registry is copied (never written in place) into the work directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

PRELUDE = """
import json, resource, sys, time
from pathlib import Path
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BUILD = PRELUDE + """
from vitalstat.services.releases import build_release
from vitalstat.store import Store
t = time.perf_counter()
r = build_release(Store.open(sys.argv[1]), actor="bench", releases=Path(sys.argv[2]),
                  keys=Path(sys.argv[3]))
wall = time.perf_counter() - t
rel = r.release
print(json.dumps({"seconds": wall, "steps": r.seconds, "records": rel.record_count,
                  "adds": rel.adds, "changes": rel.changes, "deletes": rel.deletes,
                  "directory": str(rel.path), "max_rss_mib": peak()}))
"""

EXPORT = PRELUDE + """
from datetime import date
from vitalstat.services.distribution import export_release
from vitalstat.store import Store
since = int(sys.argv[5]) if sys.argv[5] != "-" else None
t = time.perf_counter()
r = export_release(Store.open(sys.argv[1]), release_id=int(sys.argv[2]), tier="open",
                   fmt=sys.argv[3], out=Path(sys.argv[4]), since=since, actor="bench",
                   today=date(2026, 12, 1))
print(json.dumps({"seconds": time.perf_counter() - t, "records": r.records,
                  "bytes": Path(sys.argv[4]).stat().st_size, "max_rss_mib": peak()}))
"""

INGEST = PRELUDE + """
from vitalstat.errors import ConflictError
from vitalstat.services.ingest import ingest_file
from vitalstat.services.sources import register_source
from vitalstat.store import Store
store = Store.open(sys.argv[1])
t = time.perf_counter()
done = []
for spec in sys.argv[2:]:
    path, kind, sid = spec.split("|")
    try:
        register_source(store, kind=kind, source_id=sid, actor="bench")
    except ConflictError:
        pass  # registered by an earlier step
    r = ingest_file(store, Path(path), source_kind=kind, source_id=sid, actor="bench")
    done.append({"file": Path(path).name, "new": r.reports_new, "created": r.records_created,
                 "changed": r.records_changed})
print(json.dumps({"seconds": time.perf_counter() - t, "files": done, "max_rss_mib": peak()}))
"""

DELTA = PRELUDE + """
from vitalstat.services.snapshot import delta_between
t = time.perf_counter()
d = delta_between(Path(sys.argv[1]), Path(sys.argv[2]))
actions = d.column("action").to_pylist()
print(json.dumps({"seconds": time.perf_counter() - t, "adds": actions.count("A"),
                  "changes": actions.count("C"), "deletes": actions.count("D"),
                  "max_rss_mib": peak()}))
"""

DELIVER = PRELUDE + """
from vitalstat.services.distribution import deliver
from vitalstat.services.subscribers import add_subscriber, list_subscribers
from vitalstat.store import Store
from datetime import date
store = Store.open(sys.argv[1])
if sys.argv[2] not in {s.name for s in list_subscribers(store)}:
    add_subscriber(store, sys.argv[2], tier="open", actor="bench")
t = time.perf_counter()
r = deliver(store, sys.argv[2], out=Path(sys.argv[3]), actor="bench", keys=Path(sys.argv[4]),
            today=date(2026, 12, 1))
print(json.dumps({"seconds": time.perf_counter() - t, "kind": r.kind, "records": r.records,
                  **r.counts, "max_rss_mib": peak()}))
"""

DUCKDB = PRELUDE + """
import duckdb
import adbc_driver_sqlite.dbapi as adbc
mode, db, out = sys.argv[1], sys.argv[2], sys.argv[3]
cols = ("ssn, last_name, suffix, first_name, middle_name, proof, date_of_death, "
        "date_of_birth, state, zip_residence, zip_payment, status, review_reasons, "
        "restricted, report_count, version, updated_at")
con = duckdb.connect()
with adbc.connect(f"file:{db}?mode=ro") as sq, sq.cursor() as cur:
    cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000"})
    t0 = time.perf_counter()
    cur.execute(f"SELECT {cols} FROM records WHERE status = 'published' ORDER BY ssn")
    stream = cur.fetch_record_batch()
    if mode == "table":
        con.execute("CREATE TABLE records AS SELECT * FROM stream")
        load = time.perf_counter() - t0
        t = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM records ORDER BY ssn) TO '{out}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
        write = time.perf_counter() - t
    else:
        load = 0.0
        t = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM stream) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
        write = time.perf_counter() - t
print(json.dumps({"seconds": write, "load_seconds": load, "max_rss_mib": peak(),
                  "bytes": Path(out).stat().st_size}))
"""


def child(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"step failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def copy_registry(source: Path, target: Path) -> None:
    if target.exists():
        target.unlink()
    t = time.perf_counter()
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst, pages=1 << 16)
    print(f"copied the registry in {time.perf_counter() - t:.0f}s", flush=True)


def busy_week(db: Path, work: Path, changes: int, seed: int) -> list[str]:
    """Files for ``changes`` changes: 1/3 new deaths, 1/2 second reports, 1/6 withdrawals."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n_new, n_withdraw = changes // 3, changes // 6
    n_change = changes - n_new - n_withdraw
    wanted = n_change + n_withdraw
    rows = con.execute(
        "SELECT ssn, last_name, first_name, middle_name, suffix, date_of_death, date_of_birth "
        "FROM records WHERE status = 'published' AND abs(random()) % 200 < 1 LIMIT ?",
        (wanted,)).fetchall()
    existing = {r[0] for r in rows}
    rng.shuffle(rows)
    changed, withdrawn = rows[:n_change], rows[n_change:]
    con.close()
    week = work / "week"
    week.mkdir(exist_ok=True)
    header = ("action,ssn,last_name,first_name,middle_name,suffix,date_of_death,"
              "date_of_birth\n")
    with (week / "second-reports.csv").open("w") as fh:  # agree with the record: a C
        fh.write(header)
        for r in changed:
            fh.write("A," + ",".join(x or "" for x in r) + "\n")
    with (week / "new-deaths.csv").open("w") as fh:
        fh.write(header)
        made = 0
        while made < n_new:
            ssn = f"{rng.randint(1, 665):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
            if ssn in existing:
                continue
            existing.add(ssn)
            fh.write(f"A,{ssn},NEWNAME,ANN,,,2026-11-{rng.randint(1, 28):02d},1940-01-01\n")
            made += 1
    # withdrawals: the only source retracts (D), so the record is withdrawn
    from vitalstat.domain.identity import PartialDate
    from vitalstat.formats.dmf import DmfEntry, write_dmf

    write_dmf(week / "retractions.dmf",
              (DmfEntry("D", r[0], r[1], r[4], r[2], r[3], "",
                        PartialDate.parse(r[5]) if r[5] else None,
                        PartialDate.parse(r[6]) if r[6] else None) for r in
               sorted(withdrawn)), update=True)
    return [f"{week / 'second-reports.csv'}|funeral-home|bench-week",
            f"{week / 'new-deaths.csv'}|funeral-home|bench-week-new",
            f"{week / 'retractions.dmf'}|legacy-dmf|bench-legacy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", type=Path,
                        default=Path("/work/bench-data/registry-10m.db"),
                        help="a SQLite registry to copy (never written)")
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/release-bench"))
    parser.add_argument("--changes", type=int, default=60_000)
    parser.add_argument("--deliver", action="store_true",
                        help="also time a first (full) delivery and a second (update) one")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the copied registry and release 1 from an earlier run")
    args = parser.parse_args()

    work = args.work
    db = work / "registry.db"
    url = f"sqlite:///{db}"
    keys, releases = work / "keys", work / "releases"
    results: dict[str, dict] = {}
    if not args.reuse:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        copy_registry(args.registry, db)
        from vitalstat.services.keys import generate_key
        from vitalstat.store import Store

        store = Store.open(url)
        store.migrate()
        generate_key(store, keys, actor="bench")
        store.close()
        results["release 1 (full)"] = child(BUILD, url, str(releases), str(keys))
        print("release 1:", json.dumps(results["release 1 (full)"]), flush=True)
        specs = busy_week(db, work, args.changes, seed=1)
        results["ingest the week"] = child(INGEST, url, *specs)
        print("week:", json.dumps(results["ingest the week"]), flush=True)
    results["release 2 (full + delta)"] = child(BUILD, url, str(releases), str(keys))
    r2 = results["release 2 (full + delta)"]
    print("release 2:", json.dumps(r2), flush=True)
    rid = Path(r2["directory"]).name.split("-")[1].lstrip("0")
    name = "delta alone (two snapshots, columnar)"
    previous = Path(r2["directory"]).with_name(f"release-{int(rid) - 1:06d}")
    results[name] = child(DELTA, str(previous / "records.parquet"),
                          str(Path(r2["directory"]) / "records.parquet"))
    print(f"{name}:", json.dumps(results[name]), flush=True)
    exports = work / "exports"
    exports.mkdir(exist_ok=True)
    for fmt in ("dmf", "csv", "parquet"):
        name = f"export open {fmt} (full)"
        results[name] = child(EXPORT, url, rid, fmt, str(exports / f"open.{fmt}"), "-")
        print(f"{name}:", json.dumps(results[name]), flush=True)
    name = "export open dmf (since previous)"
    results[name] = child(EXPORT, url, rid, "dmf", str(exports / "open-delta.dmf"),
                          str(int(rid) - 1))
    print(f"{name}:", json.dumps(results[name]), flush=True)
    if args.deliver:
        for n in (1, 2):
            name = f"deliver to an open subscriber ({'first' if n == 1 else 'second'})"
            results[name] = child(DELIVER, url, "bench-open", str(work / "deliveries"),
                                  str(keys))
            print(f"{name}:", json.dumps(results[name]), flush=True)
    for mode in ("table", "stream"):
        name = f"DuckDB: Parquet from {'a DuckDB table' if mode == 'table' else 'ADBC stream'}"
        results[name] = child(DUCKDB, mode, str(db), str(work / f"duckdb-{mode}.parquet"))
        print(f"{name}:", json.dumps(results[name]), flush=True)

    print()
    print(f"{'step':42s} {'wall s':>8s} {'peak MiB':>9s}  detail")
    for name, r in results.items():
        detail = ""
        if "steps" in r:
            detail = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["steps"].items()))
        if r.get("load_seconds"):
            detail = f"(+ {r['load_seconds']:.1f}s loading the table into DuckDB)"
        print(f"{name:42s} {r['seconds']:8.1f} {r['max_rss_mib']:9.0f}  {detail}")
    out = HERE / "results" / "release.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"benchmark": "release", "results": results,
                               "machine": {"python": platform.python_version(),
                                           "cpus": os.cpu_count()}}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
