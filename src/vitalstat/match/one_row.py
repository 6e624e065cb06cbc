"""One row against a handful of death records, decided in Python: the API's one-row match.

The same steps as :func:`vitalstat.match.engine.match_rows` with the ``sql`` engine, for
one row: the exact pre-pass; the blocking rules; each comparison's level; the model's
weights, floor and best two candidates; the decision and its safety rules; the reasons.
Each condition comes from the one declaration in ``match.comparisons`` (its Python
form beside its SQL), and the columns from ``match.features``. A property test holds
this module to the engine, decision for decision, over generated rows and records
(``tests/match/test_one_row.py``).

Built for the API: a scored row takes well under a millisecond against the few hundred
records a ``ReferenceIndex`` narrows a release to, where a DuckDB run takes ~30 ms of
statement planning and execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from vitalstat.match.comparisons import BLOCKS, COMPARISONS, Features
from vitalstat.match.decide import Candidate, Profile, decide
from vitalstat.match.engine import SCORE_FLOOR, RowResult, reasons
from vitalstat.match.features import features
from vitalstat.match.model import Model

__all__ = ["decide_row", "prepass_levels"]

_RECORD_COLUMNS = ("ssn", "first_name", "middle_name", "last_name", "date_of_birth",
                   "status", "date_of_death")


def decide_row(row: Mapping[str, Any], problems: list[str], records: pa.Table, *,
               held_now: frozenset[str], model: Model, profile: Profile) -> RowResult:
    """Decide one cleaned row (``normalise.CLEAN_SCHEMA`` values) against ``records``
    (``RECORD_ARROW_SCHEMA`` columns; a superset of the ones it could pair with is fine:
    the blocking rules pick)."""
    have = set(records.column_names)
    recs = records.select([c for c in _RECORD_COLUMNS if c in have]).to_pylist()
    pre = _prepass(row, recs)
    if pre is None:
        cands = _scored(row, recs, model, held_now)
    else:
        cands = [_candidate(pre[0], pre[1], None, model, held_now)]
    cands.sort(key=lambda c: (-c.weight, c.ssn))
    # (the engine's rule across rows, one record claimed by rows that look like different
    # people, has nothing to compare with one row)
    outcome = decide(cands[0] if cands else None, cands[1] if len(cands) > 1 else None,
                     profile, row_has_ssn=row["ssn"] is not None)
    return RowResult(outcome.decision, outcome.candidate, reasons(outcome, problems),
                     outcome.rules, problems)


def _candidate(rec: dict[str, Any], levels: dict[str, str], weight: float | None,
               model: Model, held_now: frozenset[str]) -> Candidate:
    if weight is None:  # the pre-pass: the model's weight for its levels, as the engine
        weight = model.prior_weight + sum(model.weight(c.name, levels[c.name])
                                          for c in COMPARISONS)
    held = rec.get("status") != "published" or rec["ssn"] in held_now
    return Candidate(rec["ssn"], float(weight), levels, held, rec.get("date_of_death"))


def _prepass(row: Mapping[str, Any], recs: list[dict[str, Any]]
             ) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The engine's ``_PREPASS``: same SSN, first name, surname and full date of birth,
    no disagreeing middle name. (record, levels) or None."""
    ssn, dob = row["ssn"], row["dob"]
    if ssn is None or dob is None or dob[5:7] == "00" or dob[8:10] == "00":
        return None
    mine = row["middle_name"]
    for rec in recs:
        if (rec["ssn"] != ssn or row["first_name"] is None
                or rec["first_name"] != row["first_name"]
                or row["last_name"] is None or rec["last_name"] != row["last_name"]
                or rec["date_of_birth"] != dob):
            continue
        levels = prepass_levels(mine, rec.get("middle_name") or None)
        if levels is not None:
            return rec, levels
    return None


def prepass_levels(mine: str | None, theirs: str | None) -> dict[str, str] | None:
    """The levels of a pre-pass pair (everything exact but the middle name), given the
    row's and the record's middle names; None when the middle names disagree."""
    if mine is None or theirs is None:
        middle = "missing"
    elif mine == theirs:
        middle = "exact"
    elif (len(mine) == 1 or len(theirs) == 1) and mine[0] == theirs[0]:
        middle = "initial"
    else:
        return None
    return {c.name: middle if c.name == "middle" else "exact" for c in COMPARISONS}


def _record_features(rec: dict[str, Any]) -> Features:
    return features(rec["ssn"], ssn=rec["ssn"], first=rec["first_name"] or None,
                    middle=rec.get("middle_name") or None, last=rec["last_name"] or None,
                    dob=rec["date_of_birth"], sex=None)


def _scored(row: Mapping[str, Any], recs: list[dict[str, Any]], model: Model,
            held_now: frozenset[str]) -> list[Candidate]:
    """Every blocked pair scored; the best two at or above the floor (the engine's
    ``_score_sql`` ... ``QUALIFY row_number() <= 2``)."""
    mine = features("0", ssn=row["ssn"], first=row["first_name"],
                    middle=row["middle_name"], last=row["last_name"], dob=row["dob"],
                    sex=row.get("sex"))
    weights = {c.name: {lv.key: model.weight(c.name, lv.key) for lv in c.levels}
               for c in COMPARISONS}
    # the blocks that can pair this row at all, with the row's side of each worked out
    live = [test for block in BLOCKS if (test := block.pairs_with(mine)) is not None]
    found = []
    for rec in recs:
        theirs = _record_features(rec)
        if not any(pairs(theirs) for pairs in live):
            continue
        levels = {c.name: c.level_of(mine, theirs) for c in COMPARISONS}
        weight = model.prior_weight
        for c in COMPARISONS:  # summed in the SQL's order
            weight += weights[c.name].get(levels[c.name], 0.0)
        if weight >= SCORE_FLOOR:
            found.append(_candidate(rec, levels, weight, model, held_now))
    found.sort(key=lambda c: (-c.weight, c.ssn))
    return found[:2]
