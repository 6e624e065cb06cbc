"""Retrain the model on a registry: m from labelled pairs, u from random pairs (Splink).

The labelled rows come from ``synth.linkage`` (perturbed copies of the registry's own
records plus invented living people), so training needs no real subscriber data. Half
of the rows train; the other half checks calibration: predicted probability of the best
candidate against how often it was the right record.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import pyarrow as pa

from vitalstat.match.engine import Reference, connect, match_rows, prepare
from vitalstat.match.features import feature_select
from vitalstat.match.model import Model
from vitalstat.match.splink_model import SOURCE_RECORDS, SOURCE_ROWS, linker, trained_m_u

__all__ = ["CalibrationBin", "TrainReport", "train_model"]

_BINS = (0.0, 0.5, 0.9, 0.99, 0.999, 1.0001)


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    low: float
    high: float
    rows: int
    mean_predicted: float
    observed: float  # share whose best candidate was the true record


@dataclass(slots=True)
class TrainReport:
    model: Model
    train_rows: int
    labelled_pairs: int
    calibration: list[CalibrationBin] = field(default_factory=list)


def train_model(table: pa.Table, truth: list[str | None], ref: Reference, *,
                prior: float = 1e-8, u_pairs: int = 2_000_000, seed: int = 0,
                sample_records: int = 50_000) -> TrainReport:
    """Train on the even rows of ``table`` (``truth[i]``: the row's death record's SSN)."""
    logging.getLogger("splink").setLevel(logging.WARNING)
    n = table.num_rows
    train_idx = list(range(0, n, 2))
    check_idx = list(range(1, n, 2))
    train = table.take(train_idx)
    con = connect()
    try:
        prepare(con, train, ref, {}, prepass=False)
        # u needs random pairs: add a random sample of the file to the pruned records.
        con.execute("CREATE TEMP TABLE extra AS " + feature_select(
            "(SELECT * FROM ref_raw USING SAMPLE "
            f"{int(sample_records)} ROWS (reservoir, {int(seed)})) r",
            uid="r.ssn", ssn="r.ssn", first="NULLIF(r.first_name, '')",
            middle="NULLIF(r.middle_name, '')", last="NULLIF(r.last_name, '')",
            dob="r.date_of_birth", sex="CAST(NULL AS VARCHAR)"))
        con.execute("INSERT INTO ref SELECT * FROM extra WHERE unique_id NOT IN "
                    "(SELECT unique_id FROM ref)")
        labels = [(str(j), truth[i]) for j, i in enumerate(train_idx) if truth[i]]
        con.register("labels_arrow", pa.table({
            "source_dataset_l": [SOURCE_ROWS] * len(labels),
            "unique_id_l": [a for a, _ in labels],
            "source_dataset_r": [SOURCE_RECORDS] * len(labels),
            "unique_id_r": [b for _, b in labels],
        }))
        con.execute("CREATE TABLE labels AS SELECT * FROM labels_arrow "
                    "WHERE unique_id_r IN (SELECT unique_id FROM ref)")
        from splink import DuckDBAPI

        db_api = DuckDBAPI(con)
        link = linker(db_api, "rest", "ref", None, prior=prior)
        link.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        link.training.estimate_m_from_pairwise_labels(db_api.register("labels"))
        m_u = trained_m_u(link)
        labelled = int(con.execute("SELECT count(*) FROM labels").fetchall()[0][0])
    finally:
        con.close()
    model = Model(prior, _smoothed(m_u), {
        "how": "m from labelled pairs, u from random pairs (Splink 5)",
        "rows": len(train_idx), "labelled_pairs": labelled, "u_pairs": u_pairs,
        "reference": ref.label, "seed": seed})
    report = TrainReport(model, len(train_idx), labelled)
    report.calibration = _calibration(table.take(check_idx), [truth[i] for i in check_idx],
                                      ref, model)
    return report


def _smoothed(m_u: dict[str, dict[str, tuple[float, float]]]
              ) -> dict[str, dict[str, tuple[float, float]]]:
    """No level may be impossible: floors keep weights finite for levels the synthetic
    errors never produce (real files have errors nobody modelled: m at least 0.2%)."""
    return {c: {k: (max(m, 2e-3), max(u, 1e-9)) for k, (m, u) in levels.items()}
            for c, levels in m_u.items()}


def _calibration(table: pa.Table, truth: list[str | None], ref: Reference, model: Model
                 ) -> list[CalibrationBin]:
    from vitalstat.match.decide import PROFILES
    from vitalstat.match.engine import probability

    run = match_rows(table, ref, model=model, profile=PROFILES["insurer"])
    points = [(probability(r.candidate.weight), r.candidate.ssn == t)
              for r, t in zip(run.rows, truth, strict=True) if r.candidate is not None]
    bins = []
    for lo, hi in itertools.pairwise(_BINS):
        inside = [(p, ok) for p, ok in points if lo <= p < hi]
        if inside:
            bins.append(CalibrationBin(lo, min(hi, 1.0), len(inside),
                                       sum(p for p, _ in inside) / len(inside),
                                       sum(ok for _, ok in inside) / len(inside)))
    return bins
