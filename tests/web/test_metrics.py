"""The request metrics' histogram: Prometheus's cumulative buckets, whatever the order
and values of the observed durations."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from vitalstat.web.metrics import BUCKETS, Metrics

durations = st.lists(st.one_of(st.sampled_from(BUCKETS), st.floats(0, 20)), max_size=60)


@given(seconds=durations, other=durations)
def test_buckets_count_every_observation_at_or_under_their_bound(
        seconds: list[float], other: list[float]) -> None:
    m = Metrics()
    for s in seconds:
        m.observe("GET", "/records/{ssn}", 200, s)
    for s in other:
        m.observe("POST", "/match", 404, s)
    text = m.text()
    for method, route, seen in (("GET", "/records/{ssn}", seconds), ("POST", "/match", other)):
        labels = f'method="{method}",route="{route}"'
        got = dict(re.findall(rf'vitalstat_http_request_seconds_bucket{{{re.escape(labels)},'
                              r'le="([^"]+)"} (\d+)', text))
        if not seen:
            assert got == {}
            continue
        assert got == {**{str(b): str(sum(s <= b for s in seen)) for b in BUCKETS},
                       "+Inf": str(len(seen))}
        assert f"vitalstat_http_request_seconds_count{{{labels}}} {len(seen)}\n" in text
        assert f"vitalstat_http_request_seconds_sum{{{labels}}} {sum(seen):.6f}\n" in text
    assert text.count("vitalstat_http_requests_total{") == bool(seconds) + bool(other)
