"""Request metrics in the Prometheus text format (no personal data: route templates only).

A pure ASGI middleware counts requests by method, route template (``/records/{ssn}``,
never the SSN) and status, and keeps a latency histogram per route; it also writes the
one access-log line per request, with the same template instead of the path.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_left
from collections import defaultdict
from itertools import accumulate
from typing import Any

__all__ = ["BUCKETS", "Metrics"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
access = logging.getLogger("vitalstat.web.access")


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = {}
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.started = time.time()
        metrics = self

        class Middleware:
            def __init__(self, app: Any) -> None:
                self.app = app

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] != "http":
                    await self.app(scope, receive, send)
                    return
                start = time.perf_counter()
                status = 500

                async def sending(message: Any) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = int(message["status"])
                    await send(message)

                try:
                    await self.app(scope, receive, sending)
                finally:
                    route = getattr(scope.get("route"), "path", "unmatched")
                    metrics.observe(scope["method"], route, status,
                                    time.perf_counter() - start)

        self.middleware = Middleware

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            # one count per bucket (the first bound >= seconds; past the last: +Inf),
            # summed into Prometheus's cumulative counts only when the text is read
            counts = self.buckets.setdefault((method, route), [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self.sums[(method, route)] += seconds
        access.info("%s %s %d %.1f ms", method, route, status, seconds * 1000)

    def text(self) -> str:
        lines = ["# HELP vitalstat_http_requests_total HTTP requests by route template "
                 "and status.", "# TYPE vitalstat_http_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'vitalstat_http_requests_total{{method="{method}",'
                             f'route="{route}",status="{status}"}} {n}')
            lines += ["# HELP vitalstat_http_request_seconds Request latency by route "
                      "template.", "# TYPE vitalstat_http_request_seconds histogram"]
            for (method, route), counts in sorted(self.buckets.items()):
                labels = f'method="{method}",route="{route}"'
                cumulative = list(accumulate(counts))
                for bound, n in zip(BUCKETS, cumulative, strict=False):
                    lines.append(f'vitalstat_http_request_seconds_bucket{{{labels},'
                                 f'le="{bound}"}} {n}')
                lines.append(f'vitalstat_http_request_seconds_bucket{{{labels},le="+Inf"}} '
                             f"{cumulative[-1]}")
                lines.append(f"vitalstat_http_request_seconds_sum{{{labels}}} "
                             f"{self.sums[(method, route)]:.6f}")
                lines.append(f"vitalstat_http_request_seconds_count{{{labels}}} "
                             f"{cumulative[-1]}")
        lines += ["# HELP vitalstat_process_start_time_seconds When the server started.",
                  "# TYPE vitalstat_process_start_time_seconds gauge",
                  f"vitalstat_process_start_time_seconds {self.started:.3f}"]
        return "\n".join(lines) + "\n"
