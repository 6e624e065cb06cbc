"""In-process micro-benchmark of a subscriber's record lookup (``GET /records/{ssn}``):
the whole ASGI app driven without a socket, and each piece on its own (token check,
record read, an empty read transaction). See bench/README.md.

    .venv/bin/python bench/lookup_bench.py [--records N] [--work DIR] [--db URL]

Builds a registry (a synthetic DMF full file, ingested; a certified subscriber and its
token) under ``--work`` (a temporary folder by default; a folder built before is reused),
or on ``--db`` (an empty PostgreSQL database, e.g. the test cluster's). Prints CPU
microseconds per call, best of ``--repeat`` timings, and writes them to
``bench/results/lookup.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any


def build(url: str, work: Path, n: int) -> tuple[Any, str, list[str]]:
    from vitalstat.services.ingest import ingest_file
    from vitalstat.services.sources import register_source
    from vitalstat.services.subscribers import add_subscriber
    from vitalstat.services.tokens import create_token
    from vitalstat.store import Store
    from vitalstat.synth.fastdmf import write_dmf_full_file

    dmf, saved = work / "full.dmf", work / "built.json"
    if saved.is_file() and json.loads(saved.read_text())["url"] == url:  # built before
        built = json.loads(saved.read_text())
        return Store.open(url), built["token"], built["ssns"]
    write_dmf_full_file(dmf, n, seed=7)
    store = Store.open(url)
    store.migrate()
    register_source(store, kind="legacy-dmf", source_id="bench", actor="bench")
    ingest_file(store, dmf, source_kind="legacy-dmf", source_id="bench", actor="bench")
    add_subscriber(store, "bench-bank", tier="certified", actor="bench",
                   certified_until=date(2099, 12, 31))
    token, _ = create_token(store, "bench-bank-app", role="subscriber",
                            subscriber="bench-bank", actor="bench")
    lines = dmf.read_bytes().splitlines()
    ssns = [lines[i][1:10].decode() for i in random.Random(1).sample(range(len(lines)),
                                                                      min(n, 20_000))]
    saved.write_text(json.dumps({"url": url, "token": token, "ssns": ssns}))
    return store, token, ssns


class Asgi:
    """Drives one GET through the app's ASGI callable, as uvicorn would (no socket)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [(b"host", b"127.0.0.1:8766"), (b"user-agent", b"bench"),
                        (b"authorization", f"Bearer {token}".encode())]
        self.loop = asyncio.new_event_loop()
        self.status = 0
        self.body = b""

    async def _one(self, path: str) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
                 "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": self.headers,
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8766),
                 "state": {}}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.body = message.get("body", b"")

        await self.app(scope, receive, send)

    def get(self, path: str) -> tuple[int, bytes]:
        self.loop.run_until_complete(self._one(path))
        return self.status, self.body


def per_call(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Best of ``repeat`` timings of ``number`` calls, in microseconds of this process's
    CPU per call (CPU time, not wall time: other work on the machine counts less)."""
    timer = timeit.Timer(fn, timer=time.process_time)
    return min(timer.repeat(number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--db", default=None, help="an empty PostgreSQL database URL")
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from vitalstat.services.registry import record_for_subscriber
    from vitalstat.web.app import ServerConfig, create_app

    with tempfile.TemporaryDirectory(prefix="lookup-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url = args.db or f"sqlite:///{work / 'registry.db'}"
        store, token, ssns = build(url, work, args.records)
        app = create_app(store, ServerConfig(releases=work / "releases", keys=work / "keys",
                                             cases_dir=work / "cases", jobs_dir=work / "jobs"))
        verifier = app.state.verifier
        rule = app.state.config.embargo
        pick = iter(ssns * (args.number * args.repeat * 4 // len(ssns) + 1)).__next__
        client = Asgi(app, token)
        status, body = client.get(f"/records/{ssns[0]}")
        assert status == 200, (status, body)
        who = verifier.authenticate(token)

        def empty() -> None:
            with store.transaction(write=False):
                pass

        figures = {
            "asgi GET /records/{ssn}": per_call(lambda: client.get(f"/records/{pick()}"),
                                                args.number, args.repeat),
            "TokenVerifier.authenticate": per_call(lambda: verifier.authenticate(token),
                                                   args.number, args.repeat),
            "record_for_subscriber": per_call(
                lambda: record_for_subscriber(store, pick(), who.subscriber or "",
                                              today=datetime.now(UTC).date(), rule=rule),
                args.number, args.repeat),
            "empty read transaction": per_call(empty, args.number, args.repeat),
        }
        for name, us in figures.items():
            print(f"{name:30} {us:7.1f} us")
        result = {"benchmark": "lookup", "dialect": store.dialect, "records": args.records,
                  "us_per_call": {k: round(v, 1) for k, v in figures.items()}}
        out = Path(__file__).parent / "results" / "lookup.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result))
        store.close()


if __name__ == "__main__":
    main()
