"""The audit log on a registry with many events: checkpoint, verify, proof. See bench/README.md.

Steps, in one process on a fresh embedded SQLite registry (WAL, ``synchronous=FULL``):

1. append N events (``Tx.append_event``, 1,000 per transaction: its cost is unchanged by
   the audit log, printed for scale);
2. the first checkpoint (hashes and logs all N leaves, signs);
3. 1,000 more events, then the next checkpoint (the incremental case: every release);
4. ``audit verify`` (recomputes every leaf, root, signature, consistency proof);
5. an inclusion proof for the middle event, and a consistency proof.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from vitalstat.services import audit
from vitalstat.services import keys as signing
from vitalstat.store import Store

HERE = Path(__file__).parent
T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    results: dict[str, object] = {"events": args.events, "python": platform.python_version(),
                                  "sqlite": sqlite3.sqlite_version}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        store.migrate()
        keys = Path(tmp) / "keys"
        signing.generate_key(store, keys, actor="bench")

        def timed(name: str, fn: Callable[[], T]) -> T:
            t = time.perf_counter()
            value = fn()
            results[name] = round(time.perf_counter() - t, 3)
            print(f"{name:28s} {results[name]:8.3f} s", flush=True)
            return value

        def append(n: int) -> None:
            done = 0
            while done < n:
                with store.transaction() as tx:
                    for i in range(done, min(done + 1000, n)):
                        tx.append_event(actor="bench", kind="bench.event",
                                        subject=f"bench:{i}", detail={"i": i, "note": "x"})
                done = min(done + 1000, n)

        timed("append_events", lambda: append(args.events))
        first = timed("first_checkpoint", lambda: audit.write_checkpoint(
            store, keys=keys, actor="bench"))
        timed("append_1000_more", lambda: append(1000))
        second = timed("next_checkpoint", lambda: audit.write_checkpoint(
            store, keys=keys, actor="bench"))
        trusted = audit.trusted_keys(keys)
        timed("verify", lambda: audit.verify_audit_log(store, trusted=trusted))
        timed("prove_inclusion", lambda: audit.prove_inclusion(store, args.events // 2))
        timed("prove_consistency", lambda: audit.prove_consistency(
            store, first.signed.size, second.signed.size))
        results["append_events_per_s"] = round(args.events / float(results["append_events"]))
        results["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024)
        store.close()
    print(json.dumps(results, indent=2))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
