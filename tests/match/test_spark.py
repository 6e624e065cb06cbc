"""Both engines give the same decisions (Spark local mode; slow to start, own CI step)."""

from __future__ import annotations

import pytest

from vitalstat.match import PROFILES, load_model, match_rows

pytestmark = pytest.mark.spark


def test_spark_and_duckdb_decide_the_fixture_identically(reference, subscriber) -> None:
    pytest.importorskip("pyspark")
    model, profile = load_model(), PROFILES["insurer"]
    duck = match_rows(subscriber, reference, model=model, profile=profile, engine="duckdb")
    spark = match_rows(subscriber, reference, model=model, profile=profile, engine="spark")

    def decisions(run):
        return [(r.decision.label, r.candidate.ssn if r.candidate else None,
                 round(r.candidate.weight, 6) if r.candidate else None, r.reasons)
                for r in run.rows]

    assert decisions(spark) == decisions(duck)
    assert duck.counts["match"] > 10 and duck.counts["review"] >= 3
