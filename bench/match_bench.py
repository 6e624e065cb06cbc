"""Matching benchmark: naive SSN join vs. Splink as documented vs. ``vitalstat match``.

See bench/README.md. Data (git-ignored) goes under ``--data`` (default
/work/bench-data/match): the registry exported once to Parquet (as a release would be),
subscriber files with ground truth built from its records by ``synth.linkage``.
Every method runs in a child process on the same files, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
REGISTRY = Path("/work/bench-data/registry-10m.db")
RECORD_COLUMNS = ("ssn", "first_name", "middle_name", "last_name", "date_of_birth",
                  "date_of_death", "status")


# ------------------------------------------------------------------------------ data


def export_registry(db: Path, out: Path) -> float:
    """The registry's records as Parquet (read-only on the SQLite file)."""
    t = time.perf_counter()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    cur = con.execute(f"SELECT {', '.join(RECORD_COLUMNS)} FROM records "
                      "WHERE status IN ('published', 'held')")
    schema = pa.schema([(c, pa.string()) for c in RECORD_COLUMNS])
    with pq.ParquetWriter(out, schema) as writer:
        while rows := cur.fetchmany(500_000):
            cols = list(zip(*rows, strict=True))
            writer.write_table(pa.table([pa.array(c, pa.string()) for c in cols],
                                        schema=schema))
    con.close()
    return time.perf_counter() - t


def subscriber_file(registry: Path, rows: int, out: Path, truth: Path, *, seed: int) -> None:
    from vitalstat.synth.linkage import SUBSCRIBER_COLUMNS, TRUTH_COLUMNS, subscriber_rows

    con = duckdb.connect()
    sample = con.sql(
        f"SELECT ssn, first_name, middle_name, last_name, date_of_birth FROM "
        f"read_parquet('{registry}') USING SAMPLE {int(rows * 0.5)} ROWS (reservoir, {seed})"
    ).to_arrow_table().to_pylist()
    table, answers = subscriber_rows(sample, rows, seed=seed)
    for path, header, body in ((out, SUBSCRIBER_COLUMNS, table),
                               (truth, TRUTH_COLUMNS, answers)):
        with path.open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)


def small_registry(big: Path, truth: Path, records: int, out: Path) -> None:
    """A registry of ``records`` that still holds every record the subscribers point at."""
    con = duckdb.connect()
    con.execute(f"""COPY (
        WITH t AS (SELECT DISTINCT dmf_ssn AS ssn FROM read_csv('{truth}', all_varchar=true)
                   WHERE dmf_ssn <> ''),
        keep AS (SELECT * FROM read_parquet('{big}') WHERE ssn IN (SELECT ssn FROM t)),
        more AS (SELECT * FROM read_parquet('{big}') WHERE ssn NOT IN (SELECT ssn FROM t)
                 USING SAMPLE {records} ROWS (reservoir, 1))
        SELECT * FROM keep UNION ALL
        SELECT * FROM (SELECT * FROM more LIMIT {records} - (SELECT count(*) FROM keep))
    ) TO '{out}' (FORMAT parquet)""")


# --------------------------------------------------------------------------- methods

CHILD = r"""
import json, resource, sys, time
method, registry, subscriber, out = sys.argv[1:5]
t = time.perf_counter()
extra = {}
if method == "naive":
    import duckdb
    con = duckdb.connect()
    con.execute(f'''COPY (SELECT s.id, CASE WHEN r.ssn IS NULL THEN 'none' ELSE 'match' END
        AS decision, coalesce(r.ssn, '') AS dmf_ssn
        FROM read_csv('{subscriber}', all_varchar=true) s
        LEFT JOIN read_parquet('{registry}') r ON r.ssn = replace(replace(s.ssn, '-', ''), ' ', ''))
        TO '{out}' (FORMAT parquet)''')
elif method == "splink":
    sys.path.insert(0, sys.argv[5])
    from splink_docs import run_splink
    extra = run_splink(registry, subscriber, out)
else:
    import pyarrow.parquet as pq
    import pyarrow as pa
    from pathlib import Path
    from vitalstat.match import PROFILES, Reference, load_model, match_rows, read_input
    table = read_input(Path(subscriber))
    run = match_rows(table, Reference("bench", parquet=Path(registry)), model=load_model(),
                     profile=PROFILES[method.split(":")[1]])
    pq.write_table(pa.table({
        "id": table.column("id"),
        "decision": [r.decision.label for r in run.rows],
        "dmf_ssn": [r.candidate.ssn if r.candidate and r.decision.label != "none" else ""
                    for r in run.rows]}), out)
    extra = {"timings": run.timings, "pairs_scored": run.pairs_scored,
             "candidate_records": run.reference_records}
print(json.dumps({"seconds": time.perf_counter() - t,
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **extra}))
"""


def run_method(method: str, registry: Path, subscriber: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, method, str(registry), str(subscriber),
                           str(out), str(HERE)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{method} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def score(decisions: Path, truth: Path) -> dict:
    con = duckdb.connect()
    row = con.execute(f"""
        WITH d AS (SELECT * FROM read_parquet('{decisions}')),
             t AS (SELECT * FROM read_csv('{truth}', all_varchar=true)),
             j AS (SELECT d.decision, d.dmf_ssn AS got, coalesce(t.dmf_ssn, '') AS want,
                          t.perturbation FROM d JOIN t USING (id))
        SELECT count(*) AS rows,
          count(*) FILTER (WHERE want <> '') AS dead,
          count(*) FILTER (WHERE decision = 'match') AS matches,
          count(*) FILTER (WHERE decision = 'match' AND got = want) AS right_matches,
          count(*) FILTER (WHERE decision IN ('match', 'review') AND got = want AND want <> '')
            AS found,
          count(*) FILTER (WHERE decision = 'review') AS reviews,
          count(*) FILTER (WHERE decision = 'match' AND want = '') AS false_living
        FROM j""").fetchall()[0]
    rows, dead, matches, right, found, reviews, false_living = row
    by_case = con.execute(f"""
        WITH d AS (SELECT * FROM read_parquet('{decisions}')),
             t AS (SELECT * FROM read_csv('{truth}', all_varchar=true))
        SELECT perturbation, decision, count(*) FROM d JOIN t USING (id)
        WHERE perturbation IN ('twin', 'namesake', 'living-dead-ssn', 'near-ssn')
        GROUP BY ALL ORDER BY ALL""").fetchall()
    return {
        "rows": rows, "dead_rows": dead,
        "precision_match": right / matches if matches else None,
        "recall_match": right / dead if dead else None,
        "recall_match_review": found / dead if dead else None,
        "false_matches_living": false_living,
        "review_share": reviews / rows,
        "hard_cases": {f"{p}:{d}": n for p, d, n in by_case},
    }


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/work/bench-data/match"))
    parser.add_argument("--registry-db", type=Path, default=REGISTRY)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=100_000)
    parser.add_argument("--small-registry", type=int, default=1_000_000)
    parser.add_argument("--methods", default="naive,splink,vitalstat:insurer")
    parser.add_argument("--scaling", action="store_true", help="also 100k rows, 1M records")
    parser.add_argument("--profiles", action="store_true",
                        help="also vitalstat with the research and bank profiles")
    parser.add_argument("--name", default="match")
    args = parser.parse_args()
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    figures: dict = {"machine": {"cores": platform.machine(), "python": platform.python_version()},
                     "results": []}

    registry = data / "registry.parquet"
    if not registry.exists():
        figures["export_registry_seconds"] = round(export_registry(args.registry_db, registry), 1)
        print(f"exported registry in {figures['export_registry_seconds']} s")

    def files(rows: int) -> tuple[Path, Path]:
        sub, truth = data / f"subscriber-{rows}.csv", data / f"subscriber-{rows}-truth.csv"
        if not sub.exists():
            t = time.perf_counter()
            subscriber_file(registry, rows, sub, truth, seed=rows % 997)
            print(f"built {sub} in {time.perf_counter() - t:.0f} s")
        return sub, truth

    records = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{registry}')").fetchall()[0][0]
    jobs = [(m, args.rows, registry, records) for m in args.methods.split(",")]
    if args.profiles:
        jobs += [(f"vitalstat:{p}", args.rows, registry, records) for p in ("research", "bank")]
    if args.scaling:
        jobs.append(("vitalstat:insurer", args.small_rows, registry, records))
        sub, truth = files(args.rows)
        small = data / f"registry-{args.small_registry}.parquet"
        if not small.exists():
            small_registry(registry, truth, args.small_registry, small)
        jobs.append(("vitalstat:insurer", args.rows, small, args.small_registry))
    for method, rows, reg, n_records in jobs:
        sub, truth = files(rows)
        out = data / f"decisions-{method.replace(':', '-')}-{rows}-{n_records}.parquet"
        print(f"running {method} on {rows} rows against {n_records} records ...", flush=True)
        measured = run_method(method, reg, sub, out)
        result = {"method": method, "subscriber_rows": rows, "registry_records": n_records,
                  **measured, **score(out, truth)}
        figures["results"].append(result)
        print(json.dumps(result, indent=1), flush=True)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{args.name}.json").write_text(json.dumps(figures, indent=1))
    print(f"{'method':22} {'rows':>8} {'records':>9} {'prec':>7} {'rec(m)':>7} "
          f"{'rec(m+r)':>8} {'falseLiv':>8} {'review':>7} {'secs':>7} {'MiB':>6}")
    for r in figures["results"]:
        def pct(x):
            return f"{100 * x:6.2f}%" if x is not None else "    -  "
        print(f"{r['method']:22} {r['subscriber_rows']:>8} {r['registry_records']:>9} "
              f"{pct(r['precision_match'])} {pct(r['recall_match'])} "
              f"{pct(r['recall_match_review'])} {r['false_matches_living']:>8} "
              f"{pct(r['review_share'])} {r['seconds']:7.1f} {r['max_rss_mib']:6.0f}")
    print("\n| method | rows | records | precision | recall (match) | recall (match+review) "
          "| false match, living | review share | wall time | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in figures["results"]:
        print(f"| {r['method']} | {r['subscriber_rows']:,} | {r['registry_records']:,} | "
              f"{_pct(r['precision_match'])} | {_pct(r['recall_match'])} | "
              f"{_pct(r['recall_match_review'])} | {r['false_matches_living']:,} | "
              f"{_pct(r['review_share'])} | {r['seconds']:.1f} s | "
              f"{r['max_rss_mib'] / 1024:.2f} GiB |")


def _pct(x: float | None) -> str:
    return f"{100 * x:.2f}%" if x is not None else "-"


if __name__ == "__main__":
    main()
