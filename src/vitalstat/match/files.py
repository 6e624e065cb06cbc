"""Subscriber files in, decisions out (CSV or Parquet by extension), and the explain file.

Input: a column ``id`` and any of ``ssn``, ``first_name``, ``middle_name``,
``last_name``, ``dob``, ``sex``, ``state`` (all read as text). Unknown or missing
columns are refused before anything is matched, naming them.

Output: one row per input row, in input order: ``id``, ``decision``, ``dmf_ssn``,
``match_probability``, ``match_weight``, ``date_of_death``, ``reasons``. Beside it,
``OUTPUT.explain.parquet`` keeps each row's weight breakdown for ``match-explain``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from vitalstat.errors import InputFileError, LineProblem
from vitalstat.match.comparisons import COMPARISONS
from vitalstat.match.decide import Decision, Profile
from vitalstat.match.engine import RowResult, probability
from vitalstat.match.model import Model
from vitalstat.match.normalise import INPUT_COLUMNS

__all__ = ["OUTPUT_COLUMNS", "check_columns", "explain_path", "file_format", "read_explain",
           "read_input", "write_results"]

OUTPUT_COLUMNS = ("id", "decision", "dmf_ssn", "match_probability", "match_weight",
                  "date_of_death", "reasons")


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise InputFileError(LineProblem(str(path), 0, "file", "expected a .csv or .parquet file"))


def check_columns(path: Path | str, names: list[str]) -> None:
    """Refuse unknown columns, a missing ``id``, or nothing to match on."""
    unknown = [n for n in names if n not in INPUT_COLUMNS]
    problems = []
    if unknown:
        problems.append("unknown column(s): " + ", ".join(unknown))
    if "id" not in names:
        problems.append("missing column: id")
    if not set(names) & (set(INPUT_COLUMNS) - {"id"}):
        problems.append("no column to match on (need any of: "
                        + ", ".join(INPUT_COLUMNS[1:]) + ")")
    if problems:
        raise InputFileError(LineProblem(str(path), 1, "header", "; ".join(problems)
                                         + " (allowed: " + ", ".join(INPUT_COLUMNS) + ")"))


def read_input(path: Path) -> pa.Table:
    """The subscriber file as a table of text columns."""
    fmt = file_format(path)
    try:
        if fmt == "csv":
            with path.open("rb") as fh:
                header = fh.readline().decode("utf-8-sig").strip()
            names = [n.strip() for n in next(csv.reader([header]))] if header else []
            check_columns(path, names)
            table = pcsv.read_csv(path, read_options=pcsv.ReadOptions(encoding="utf-8"),
                                  convert_options=pcsv.ConvertOptions(
                                      column_types=dict.fromkeys(names, pa.string()),
                                      strings_can_be_null=False))
        else:
            schema = pq.read_schema(path)
            check_columns(path, list(schema.names))
            table = pq.read_table(path)
            table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
    except (OSError, pa.ArrowInvalid) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(LineProblem(str(path), 0, "file", str(exc).splitlines()[0])
                             ) from None
    return table


def explain_path(output: Path) -> Path:
    return output.with_name(output.name + ".explain.parquet")


def write_results(path: Path, ids: pa.Array, rows: list[RowResult], *, model: Model,
                  profile: Profile) -> None:
    """The decisions file and its explain file beside it."""
    fmt = file_format(path)
    decided = [r.decision != Decision.NONE and r.candidate is not None for r in rows]
    weights = [r.candidate.weight if r.candidate else None for r in rows]
    table = pa.table({
        "id": ids,
        "decision": pa.array([r.decision.label for r in rows]),
        "dmf_ssn": pa.array([r.candidate.ssn if d and r.candidate else ""
                             for r, d in zip(rows, decided, strict=True)]),
        "match_probability": pa.array([round(probability(w), 6) if w is not None else None
                                       for w in weights], pa.float64()),
        "match_weight": pa.array([round(w, 3) if w is not None else None for w in weights],
                                 pa.float64()),
        "date_of_death": pa.array([(r.candidate.date_of_death or "") if d and r.candidate
                                   else "" for r, d in zip(rows, decided, strict=True)]),
        "reasons": pa.array([r.reasons for r in rows]),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        pcsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
    breakdown = []
    for r in rows:
        c = r.candidate
        breakdown.append(json.dumps({
            "record": c.ssn if c else None,
            "held": c.held if c else None,
            "levels": dict(c.levels) if c else {},
            "weights": {comp.name: round(model.weight(comp.name, c.levels[comp.name]), 3)
                        for comp in COMPARISONS} if c else {},
            "rules": r.rules, "problems": r.problems}, sort_keys=True))
    meta = {"profile": profile.name, "match_weight": str(profile.match_weight),
            "review_weight": str(profile.review_weight),
            "prior_weight": str(round(model.prior_weight, 3))}
    explain = pa.table({"id": ids, "decision": table.column("decision"),
                        "match_weight": table.column("match_weight"),
                        "breakdown": pa.array(breakdown)})
    pq.write_table(explain.replace_schema_metadata(meta), explain_path(path))


def read_explain(output: Path) -> pa.Table:
    path = explain_path(output)
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        raise InputFileError(LineProblem(str(path), 0, "file",
                                         "no explain file: run vitalstat match first")
                             ) from None
