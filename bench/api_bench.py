"""Load on the HTTP API: a 1-million-record registry on SQLite and on PostgreSQL, a
bounded headless locust run on 127.0.0.1 (90% lookups, 9% one-row matches, 1% report
ingests), and the same locust run against a bare FastAPI endpoint (the floor).
See bench/README.md.

Each registry is built by the project's own paths (``synth`` DMF full file, ``ingest``,
a signed release as the matching reference, a certified subscriber, API tokens), then
served by ``uvicorn vitalstat.web.serve:app`` (``--workers``) in a child process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent

SETUP = """
import json, sys, time
from datetime import date
from pathlib import Path
from vitalstat.services import keys
from vitalstat.services.ingest import ingest_file
from vitalstat.services.releases import build_release
from vitalstat.services.sources import register_source
from vitalstat.services.subscribers import add_subscriber
from vitalstat.services.tokens import create_token
from vitalstat.store import Store
url, dmf, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = Store.open(url); store.migrate()
register_source(store, kind="legacy-dmf", source_id="bench", actor="bench")
register_source(store, kind="funeral-home", source_id="bench-fh", actor="bench",
                surge_ceiling=1_000_000)  # the load test's ingests come from it
t = time.perf_counter()
r = ingest_file(store, dmf, source_kind="legacy-dmf", source_id="bench", actor="bench")
ingest_s = time.perf_counter() - t
keys.generate_key(store, work / "keys", actor="bench")
t = time.perf_counter()
build_release(store, actor="bench", releases=work / "releases", keys=work / "keys")
release_s = time.perf_counter() - t
add_subscriber(store, "bench-bank", tier="certified", actor="bench",
               certified_until=date(2099, 12, 31))
sub, _ = create_token(store, "bench-bank-app", role="subscriber", subscriber="bench-bank",
                      actor="bench")
reg, _ = create_token(store, "bench-registrar", role="registrar", actor="bench")
print(json.dumps({"records": r.records_created, "ingest_s": ingest_s, "release_s": release_s,
                  "subscriber_token": sub, "registrar_token": reg}))
"""


# PostgreSQL: the same registry copied table by table from the SQLite one just built
# (COPY), because `ingest` of a 1M-line file into PostgreSQL spends many minutes in its
# set-based records insert on this cluster (see bench/README.md).
SETUP_PG = """
import json, sqlite3, sys, time
from datetime import date
from pathlib import Path
from vitalstat.services import keys
from vitalstat.services.releases import build_release
from vitalstat.services.subscribers import add_subscriber
from vitalstat.services.tokens import create_token
from vitalstat.store import Store
from vitalstat.store.schema import batches, events, records, reports, sources
url, lite, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
store = Store.open(url); store.migrate()
src = sqlite3.connect(lite)
t = time.perf_counter()
raw = store.engine.raw_connection()
try:
    cur = raw.cursor()
    for table in (sources, batches, reports, records, events):
        cols = [c.name for c in table.columns]
        names = ", ".join(cols)
        rows = src.execute(f"SELECT {names} FROM {table.name}")
        with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            while chunk := rows.fetchmany(50_000):
                for row in chunk:
                    copy.write_row(row)
        if "id" in cols:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table.name}))")
    raw.commit()
    # a registry in service has been vacuumed: without this, autovacuum works through the
    # freshly copied tables (and the first reads set their hint bits) during the load run
    raw.driver_connection.autocommit = True
    raw.driver_connection.execute("VACUUM (ANALYZE)")
    raw.driver_connection.autocommit = False  # back to the pool as it came
finally:
    raw.close()
copy_s = time.perf_counter() - t
n = src.execute("SELECT count(*) FROM records").fetchone()[0]
keys.generate_key(store, work / "keys", actor="bench")
t = time.perf_counter()
build_release(store, actor="bench", releases=work / "releases", keys=work / "keys")
release_s = time.perf_counter() - t
add_subscriber(store, "bench-bank", tier="certified", actor="bench",
               certified_until=date(2099, 12, 31))
sub, _ = create_token(store, "bench-bank-app", role="subscriber", subscriber="bench-bank",
                      actor="bench")
reg, _ = create_token(store, "bench-registrar", role="registrar", actor="bench")
print(json.dumps({"records": n, "ingest_s": copy_s, "release_s": release_s,
                  "subscriber_token": sub, "registrar_token": reg, "built_by": "copy"}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def samples(dmf: Path, n: int, seed: int) -> dict[str, list]:
    """SSNs to look up, rows to match (70% exact copies of records, 30% people not on the
    file) and reports to ingest (SSNs in an area the synthetic file never uses)."""
    from vitalstat.formats.dmf import parse_line

    lines = dmf.read_bytes().splitlines()
    rng = random.Random(seed)
    picked = [parse_line(lines[i].decode()) for i in rng.sample(range(len(lines)), n)]
    lookup = [r.ssn for r in picked]
    rows = []
    for r in picked[: n // 2]:
        if rng.random() < 0.7 and r.date_of_birth is not None:
            rows.append({"ssn": r.ssn, "first_name": r.first_name, "last_name": r.last_name,
                         "middle_name": r.middle_name or None, "dob": r.date_of_birth.iso()})
        else:
            rows.append({"ssn": f"{rng.randint(1, 665):03d}{rng.randint(1, 99):02d}"
                                f"{rng.randint(1, 9999):04d}",
                         "first_name": rng.choice(["Alice", "Bruno", "Chen", "Dana"]),
                         "last_name": rng.choice(["Quill", "Varga", "Okafor", "Lind"]),
                         "dob": f"{rng.randint(1940, 2000)}-0{rng.randint(1, 9)}-1"
                                f"{rng.randint(0, 9)}"})
    reports = [{"ssn": f"899{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}",
                "last_name": "Bench", "first_name": "Ivy", "date_of_death": "2026-11-20",
                "date_of_birth": "1941-03-04", "proof": "P", "reporter_name": "Bench FH"}
               for _ in range(2000)]
    return {"lookup_ssns": lookup, "match_rows": rows, "reports": reports}


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its children (the workers)."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return total


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (everything: servers, PostgreSQL,
    locust)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _TICK


def locust(host: str, mode: str, plan: Path, out: Path, users: int, seconds: int,
           rate: float = 0.0, server: int | None = None) -> dict:
    """One headless run: flat out (``rate`` 0), or paced at ``rate`` requests a second
    per user (an offered load below saturation, where latency means service time).
    With ``server`` (its pid), also its CPU time a request, and the whole machine's."""
    assert host.startswith("http://127.0.0.1:")
    prefix = out / (mode + ("-paced" if rate else ""))
    env = {**os.environ, "BENCH_PLAN": str(plan), "BENCH_MODE": mode, "BENCH_RATE": str(rate)}
    load_before = os.getloadavg()
    cpu_before = tree_cpu(server) if server else 0.0
    busy_before = machine_busy()
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f",
                    str(HERE / "api_locust.py"), "--headless", "-u", str(users), "-r",
                    str(users), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
                    "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0"],
                   env=env, check=True, capture_output=True, text=True)
    load_after = os.getloadavg()
    cpu = tree_cpu(server) - cpu_before if server else None
    busy = machine_busy() - busy_before
    stats = {}
    with open(f"{prefix}_stats.csv") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]), "p99_ms": float(row["99%"]),
                "max_ms": round(float(row["Max Response Time"]), 1)}
    n = max(stats.get("Aggregated", {}).get("requests", 0), 1)
    return {"stats": stats, "loadavg_before": load_before, "loadavg_after": load_after,
            "server_cpu_us_per_request": round(cpu / n * 1e6) if cpu is not None else None,
            "machine_busy_us_per_request": round(busy / n * 1e6)}


def serve(app: str, port: int, env: dict[str, str], log: Path, workers: int,
          app_dir: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--workers", str(workers),
         "--app-dir", str(app_dir)],
        env={**os.environ, **env}, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


def runs(host: str, mode: str, plan: Path, out: Path, args: argparse.Namespace,
         server: int) -> dict:
    """The flat-out run (throughput) and the paced run (latency at a fixed offered load)."""
    print(f"  locust: {args.users} users flat out, {args.seconds} s", flush=True)
    result = locust(host, mode, plan, out, args.users, args.seconds, server=server)
    rate = args.paced_rps / args.users
    print(f"  locust: {args.users} users paced to {args.paced_rps:g} req/s, "
          f"{args.seconds} s", flush=True)
    result["paced"] = locust(host, mode, plan, out, args.users, args.seconds, rate=rate,
                             server=server)
    return result


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def backend(name: str, url: str, dmf: Path, work: Path, args: argparse.Namespace,
            copy_from: Path | None = None) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] building the registry ({args.records:,} records"
          f"{', copied from ' + copy_from.name if copy_from else ''})", flush=True)
    script, source = (SETUP_PG, str(copy_from)) if copy_from else (SETUP, str(dmf))
    setup = subprocess.run([sys.executable, "-c", script, url, source, str(work)],
                           capture_output=True, text=True)
    if setup.returncode != 0:
        raise SystemExit(f"[{name}] building the registry failed:\n{setup.stderr[-3000:]}")
    built = json.loads(setup.stdout.strip().splitlines()[-1])
    print(f"[{name}] {built.get('built_by', 'ingest')} {built['ingest_s']:.1f} s, "
          f"release {built['release_s']:.1f} s", flush=True)
    plan = work / "plan.json"
    plan.write_text(json.dumps({**samples(dmf, 20_000, seed=7),
                                "subscriber_token": built["subscriber_token"],
                                "registrar_token": built["registrar_token"]}))
    port = free_port()
    proc = serve("vitalstat.web.serve:app", port, {
        "VITALSTAT_DB": url, "VITALSTAT_RELEASES": str(work / "releases"),
        "VITALSTAT_KEYS": str(work / "keys"), "VITALSTAT_JOBS_DIR": str(work / "jobs"),
        "VITALSTAT_CASES_DIR": str(work / "cases")}, work / "server.log", args.workers)
    try:
        wait_up(f"http://127.0.0.1:{port}/health")
        time.sleep(5)  # every worker indexes the release for one-row matches first
        print(f"[{name}] {args.workers} worker(s)", flush=True)
        result = runs(f"http://127.0.0.1:{port}", "mix", plan, work, args, proc.pid)
    finally:
        stop(proc)
    return {"records": built["records"], "built_by": built.get("built_by", "ingest"),
            "build_s": round(built["ingest_s"], 1),
            "release_s": round(built["release_s"], 1), **result}


def floor(work: Path, args: argparse.Namespace) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = serve("api_floor:app", port, {}, work / "floor.log", args.workers, app_dir=HERE)
    try:
        wait_up(f"http://127.0.0.1:{port}/floor")
        print(f"[floor] {args.workers} worker(s)", flush=True)
        return runs(f"http://127.0.0.1:{port}", "floor", work / "none.json", work, args,
                    proc.pid)
    finally:
        stop(proc)


def _line(label: str, r: dict, floor_rps: float | None) -> None:
    agg = r["stats"]["Aggregated"]
    share = f" ({agg['rps'] / floor_rps:.0%} of floor)" if floor_rps else ""
    print(f"{label:>17}: {agg['rps']:8.1f} req/s{share}, p50 {agg['p50_ms']:.0f} ms, "
          f"p99 {agg['p99_ms']:.0f} ms, {agg['failures']} errors; server CPU "
          f"{r.get('server_cpu_us_per_request')} us/req, machine "
          f"{r.get('machine_busy_us_per_request')} us/req; "
          + "; ".join(f"{k} {v['requests']} req p50 {v['p50_ms']:.0f} ms p99 "
                      f"{v['p99_ms']:.0f} ms" for k, v in r["stats"].items()
                      if k != "Aggregated"), flush=True)


def report(name: str, r: dict, floor_rps: float) -> dict:
    """Throughput from the flat-out run; the lookup latency target from the paced one
    (flat out, latency is queueing: 50 users over N req/s wait 50/N s on average, the
    floor's own included)."""
    agg = r["stats"]["Aggregated"]
    paced = r["paced"]["stats"]
    look = paced.get("lookup", paced["Aggregated"])
    errors = agg["failures"] + paced["Aggregated"]["failures"]
    share = agg["rps"] / floor_rps if floor_rps else 0.0
    _line(f"{name} flat out", r, floor_rps)
    _line(f"{name} paced", r["paced"], None)
    return {"zero_errors": errors == 0, "lookup_p99_under_25ms": look["p99_ms"] < 25,
            "paced_lookup_p99_ms": look["p99_ms"],
            "at_least_40pct_of_floor": share >= 0.4, "share_of_floor": round(share, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2,
                        help="uvicorn workers, the same for the floor and the registry")
    parser.add_argument("--paced-rps", type=float, default=200.0,
                        help="the offered load of the paced (latency) runs, all users together")
    parser.add_argument("--pg-url", default=os.environ.get("VITALSTAT_BENCH_PG_URL")
                        or os.environ.get("VITALSTAT_TEST_PG_URL"),
                        help="a PostgreSQL server URL (a database vs_api_bench is made)")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()

    from vitalstat.synth import write_dmf_full_file

    dmf = HERE / "data" / f"full-{args.records}.dmf"
    dmf.parent.mkdir(parents=True, exist_ok=True)
    if not dmf.exists():
        write_dmf_full_file(dmf, args.records, seed=1)
    work = HERE / "data" / "api-bench"
    shutil.rmtree(work, ignore_errors=True)
    results: dict = {"benchmark": "api", "records": args.records, "users": args.users,
                     "seconds": args.seconds, "workers": args.workers,
                     "paced_rps": args.paced_rps,
                     "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                 "loadavg_at_start": os.getloadavg()}}
    results["floor"] = floor(work / "floor", args)
    results["sqlite"] = backend("sqlite", f"sqlite:///{work / 'sqlite' / 'registry.db'}", dmf,
                                work / "sqlite", args)
    if args.pg_url and not args.skip_pg:
        from sqlalchemy import create_engine, text

        from vitalstat.config import db_url

        admin = create_engine(db_url(args.pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS vs_api_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE vs_api_bench"))
        admin.dispose()
        pg = db_url(args.pg_url).rsplit("/", 1)[0] + "/vs_api_bench"
        results["postgresql"] = backend("postgresql", pg, dmf, work / "postgresql", args,
                                        copy_from=work / "sqlite" / "registry.db")
    floor_rps = results["floor"]["stats"]["Aggregated"]["rps"]
    report("floor", results["floor"], floor_rps)
    for name in ("sqlite", "postgresql"):
        if name in results:
            results[name]["targets"] = report(name, results[name], floor_rps)
    out = HERE / "results" / "api.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
