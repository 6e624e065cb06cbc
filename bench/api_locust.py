"""Locust users for ``api_bench.py`` (headless; 127.0.0.1 only). ``BENCH_PLAN`` names a
JSON file with the tokens and the samples; ``BENCH_MODE`` is ``mix`` or ``floor``;
``BENCH_RATE`` (requests a second per user) paces the users, else they send flat out.

Paced users wait a random, exponentially distributed time between requests (mean
1/rate): together they offer a Poisson stream, as independent clients do. Waiting a fixed
time instead (locust's ``constant_throughput``) keeps the 50 users in step, started
together, so they arrive in bursts of 50 at once and even a bare constant endpoint then
shows a p99 of 40-60 ms of pure queueing at 200 req/s (measured on this machine; with 5
users at the same rate it was 5 ms)."""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, constant, events, task

_PLAN_FILE = Path(os.environ.get("BENCH_PLAN", ""))
PLAN = json.loads(_PLAN_FILE.read_text()) if _PLAN_FILE.is_file() else {}
MODE = os.environ.get("BENCH_MODE", "mix")
RATE = float(os.environ.get("BENCH_RATE", "0"))


def _poisson(_user: object) -> float:
    return random.expovariate(RATE)


WAIT = _poisson if RATE > 0 else constant(0)


@events.test_start.add_listener
def _only_localhost(environment, **_kwargs) -> None:
    host = environment.host or ""
    if not host.startswith("http://127.0.0.1:"):
        raise SystemExit(f"refusing to load anything but 127.0.0.1 (got {host!r})")


class Floor(FastHttpUser):
    wait_time = WAIT
    weight = 1 if MODE == "floor" else 0

    @task
    def constant(self) -> None:
        self.client.get("/floor", name="floor")


class Mixed(FastHttpUser):
    """90% lookups, 9% one-row matches, 1% single-report ingests."""

    wait_time = WAIT
    weight = 1 if MODE == "mix" else 0

    def on_start(self) -> None:
        self.sub = {"Authorization": f"Bearer {PLAN['subscriber_token']}"}
        self.reg = {"Authorization": f"Bearer {PLAN['registrar_token']}"}

    @task(90)
    def lookup(self) -> None:
        ssn = random.choice(PLAN["lookup_ssns"])
        self.client.get(f"/records/{ssn}", headers=self.sub, name="lookup")

    @task(9)
    def match(self) -> None:
        row = random.choice(PLAN["match_rows"])
        self.client.post("/match", json=row, headers=self.sub, name="match")

    @task(1)
    def ingest(self) -> None:
        report = random.choice(PLAN["reports"])
        body = {"source_kind": "funeral-home", "source_id": "bench-fh",
                "reports": [{**report, "source_report_id": uuid.uuid4().hex}]}
        self.client.post("/reports", json=body, name="ingest",
                         headers={**self.reg, "Idempotency-Key": uuid.uuid4().hex})
