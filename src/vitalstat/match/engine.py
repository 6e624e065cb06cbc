"""The match pipeline: clean, pre-pass, prune, score with Splink, decide, explain.

1. Clean the subscriber rows once per distinct value (``normalise``); derive the
   compared columns in DuckDB (``features``).
2. Deterministic pre-pass: exact SSN with the same first name, surname and full date of
   birth (and no disagreeing middle name) is decided without scoring each pair.
3. Prune the reference to the death records that share a blocking key with a row still
   open (one DuckDB pass over the whole file), so Splink sees a small part of the file
   (about 0.8 of 10 million records for a million rows).
4. Score candidate pairs with Splink 5 on DuckDB (default) or Spark, using the shipped
   model (no training step). Spark gets the same two small tables and the same settings.
5. Decide per row (``decide``): thresholds per profile, then the safety rules.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from vitalstat.match.comparisons import BLOCKING_RULES, BLOCKS, COMPARISONS, Comparison
from vitalstat.match.decide import (
    Candidate,
    Decision,
    Outcome,
    Profile,
    RowIdentity,
    decide,
    resolve_claims,
)
from vitalstat.match.features import FEATURE_COLUMNS, feature_select, key_exprs
from vitalstat.match.model import Model
from vitalstat.match.normalise import first_keys, first_name_keys, last_name_keys, normalise_input

__all__ = ["Engine", "MatchRun", "Reference", "RowResult", "match_rows", "narrow_reference",
           "prepare"]

#: ``duckdb`` and ``spark`` score with Splink; ``sql`` scores the same model in plain
#: DuckDB SQL (the same levels, blocking rules, weights and floor), without Splink's
#: per-call setup (~0.2 s): for a handful of rows. The tests hold it to Splink, and the
#: API's one-row scorer (``match.one_row``, Python) to it.
Engine = Literal["duckdb", "spark", "sql"]
#: Pairs scoring below this weight are dropped by Splink straight away.
SCORE_FLOOR = -12.0
#: DuckDB's share of the 4 GiB budget; Python holds the decisions beside it.
DUCKDB_MEMORY = "2GB"


@dataclass(frozen=True, slots=True)
class Reference:
    """The death records to match against: a Parquet file or an Arrow table of
    ``RECORD_ARROW_SCHEMA`` columns, plus SSNs that are held or withdrawn *now*."""

    label: str
    parquet: Path | None = None
    table: pa.Table | None = None
    held_now: frozenset[str] = frozenset()


@dataclass(slots=True)
class RowResult:
    decision: Decision
    candidate: Candidate | None
    reasons: str
    rules: list[str]
    problems: list[str]


@dataclass(slots=True)
class MatchRun:
    rows: list[RowResult]
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    reference_records: int = 0
    pairs_scored: int = 0


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - start, 3)


def _ref_source(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    if ref.parquet is not None:
        path = str(ref.parquet).replace("'", "''")
        con.execute(f"CREATE VIEW ref_raw AS SELECT * FROM read_parquet('{path}')")
    elif ref.table is not None:
        con.register("ref_arrow", ref.table)
        con.execute("CREATE VIEW ref_raw AS SELECT * FROM ref_arrow")
    else:  # pragma: no cover - a Reference always has one
        raise ValueError("reference without data")


def _names(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [r[0] for r in con.execute(sql).fetchall() if r[0]]


def match_rows(table: pa.Table, ref: Reference, *, model: Model, profile: Profile,
               engine: Engine = "duckdb", threads: int | None = None) -> MatchRun:
    """Decide every row of ``table`` (string columns of ``normalise.INPUT_COLUMNS``)."""
    timings: dict[str, float] = {}
    con = connect(threads)
    try:
        clean, problems = prepare(con, table, ref, timings)
        run = MatchRun([], {})
        run.reference_records = _count(con, "SELECT count(*) FROM ref")
        with _timed(timings, "score"):
            if _count(con, "SELECT count(*) FROM rest") and run.reference_records:
                if engine == "sql":
                    _score_sql(con, model)
                else:
                    _score(con, model, engine)
            else:
                con.execute(_EMPTY_SCORED)
            run.pairs_scored = _count(con, "SELECT count(*) FROM scored")
        with _timed(timings, "decide"):
            run.rows = _decide_all(con, clean, problems, ref, model, profile)
        counts = {d.label: 0 for d in Decision}
        for r in run.rows:
            counts[r.decision.label] += 1
        run.counts = counts
        run.timings = timings
        return run
    finally:
        con.close()


def prepare(con: duckdb.DuckDBPyConnection, table: pa.Table, ref: Reference,
            timings: dict[str, float], *, prepass: bool = True
            ) -> tuple[pa.Table, list[list[str]]]:
    """Tables ``inp`` (all rows), ``pre`` (decided by the pre-pass), ``rest`` (to score),
    and ``ref`` (the candidate records' compared columns)."""
    with _timed(timings, "normalise"):
        clean, problems = normalise_input(table)
        con.register("clean_arrow", clean)
        con.execute("CREATE TABLE clean AS SELECT * FROM clean_arrow")
        con.unregister("clean_arrow")
        _ref_source(con, ref)
        firsts = _names(con, "SELECT DISTINCT first_name FROM clean UNION "
                             "SELECT DISTINCT first_name FROM ref_raw")
        lasts = _names(con, "SELECT DISTINCT last_name FROM clean UNION "
                            "SELECT DISTINCT last_name FROM ref_raw")
        con.register("fk_arrow", first_name_keys(firsts))
        con.register("lk_arrow", last_name_keys(lasts))
        con.execute("CREATE TABLE first_keys AS SELECT * FROM fk_arrow")
        con.execute("CREATE TABLE last_keys AS SELECT * FROM lk_arrow")
        con.execute("CREATE TABLE inp AS " + feature_select(
            "clean c", uid="c.unique_id", ssn="c.ssn", first="c.first_name",
            middle="c.middle_name", last="c.last_name", dob="c.dob", sex="c.sex"))
    with _timed(timings, "prepass"):
        con.execute(_PREPASS + ("" if prepass else " AND false"))
        con.execute("CREATE TABLE rest AS SELECT * FROM inp "
                    "WHERE unique_id NOT IN (SELECT row_uid FROM pre)")
    with _timed(timings, "prune"):
        con.execute(_prune_sql())
        con.execute("CREATE TABLE ref AS " + feature_select(
            "ref_raw r", uid="r.ssn", ssn="r.ssn", first="NULLIF(r.first_name, '')",
            middle="NULLIF(r.middle_name, '')", last="NULLIF(r.last_name, '')",
            dob="r.date_of_birth", sex="CAST(NULL AS VARCHAR)")
            + " WHERE r.ssn IN (SELECT ssn FROM cand)")
    return clean, problems


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with bounded memory (it spills to disk past the limit)."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()
    return int(row[0][0])


_PREPASS = """
CREATE TABLE pre AS
SELECT i.unique_id AS row_uid, r.ssn AS rec_ssn,
       CASE WHEN i.middle_name IS NULL OR NULLIF(r.middle_name, '') IS NULL THEN 'missing'
            WHEN i.middle_name = r.middle_name THEN 'exact' ELSE 'initial' END AS middle
FROM inp i JOIN ref_raw r ON r.ssn = i.ssn
WHERE i.first_name = r.first_name AND i.last_name = r.last_name
  AND i.dob_full = r.date_of_birth
  AND (i.middle_name IS NULL OR NULLIF(r.middle_name, '') IS NULL
       OR i.middle_name = r.middle_name
       OR ((length(i.middle_name) = 1 OR length(r.middle_name) = 1)
           AND substr(i.middle_name, 1, 1) = substr(r.middle_name, 1, 1)))
"""


def _nullable_hash(exprs: list[str]) -> str:
    """One integer key per combination (NULL when a part is): cheap set membership.
    A hash collision only adds a candidate record; Splink's blocking re-checks."""
    present = " AND ".join(f"({e}) IS NOT NULL" for e in exprs)
    return f"CASE WHEN {present} THEN hash({', '.join(exprs)}) END"


def _prune_sql() -> str:
    """Records sharing a blocking key with an open row: one pass over the whole file."""
    keys = key_exprs("r", dob="r.date_of_birth", first="NULLIF(r.first_name, '')",
                     last="NULLIF(r.last_name, '')", lk="lk", fk="fk")
    select = ", ".join(f"{expr} AS {name}" for name, expr in keys.items())
    where = []
    for block in BLOCKS:
        rec = _nullable_hash([b for _, b in block.keys])
        row = _nullable_hash([a for a, _ in block.keys])
        rows = "rest" + (f" WHERE {block.row_without} IS NULL" if block.row_without else "")
        cond = f"({rec}) IN (SELECT {row} FROM {rows})"
        if block.record_without:
            cond = f"({block.record_without} IS NULL AND {cond})"
        where.append(cond)
    return (f"CREATE TABLE cand AS WITH k AS (SELECT {select} FROM ref_raw r "
            "LEFT JOIN first_keys fk ON fk.name = r.first_name "
            "LEFT JOIN last_keys lk ON lk.name = r.last_name)\n"
            "SELECT ssn FROM k WHERE " + "\n   OR ".join(where))


_GAMMAS = ", ".join(f"gamma_{c.name}" for c in COMPARISONS)
_EMPTY_SCORED = ("CREATE TABLE scored AS SELECT CAST(NULL AS VARCHAR) AS row_uid, "
                 "CAST(NULL AS VARCHAR) AS rec_ssn, CAST(NULL AS DOUBLE) AS match_weight, "
                 + ", ".join(f"CAST(NULL AS INTEGER) AS gamma_{c.name}" for c in COMPARISONS)
                 + " WHERE false")


def _score(con: duckdb.DuckDBPyConnection, model: Model, engine: Engine) -> None:
    from vitalstat.match import splink_model

    logging.getLogger("splink").setLevel(logging.WARNING)
    if engine == "spark":
        from vitalstat.match.spark import spark_predictions

        pred = spark_predictions(con.execute("SELECT * FROM rest").to_arrow_table(),
                                 con.execute("SELECT * FROM ref").to_arrow_table(), model)
        con.register("pred", pred)
    else:
        from splink import DuckDBAPI

        db_api = DuckDBAPI(con)
        link = splink_model.linker(db_api, "rest", "ref", model)
        out = link.inference.predict(threshold_match_weight=SCORE_FLOOR, warning_mode="never")
        con.execute(f"CREATE VIEW pred AS SELECT * FROM {out.physical_name}")
    rows = splink_model.SOURCE_ROWS
    con.execute(f"""
        CREATE TABLE scored AS
        SELECT CASE WHEN source_dataset_l = '{rows}' THEN unique_id_l ELSE unique_id_r END
                 AS row_uid,
               CASE WHEN source_dataset_l = '{rows}' THEN unique_id_r ELSE unique_id_l END
                 AS rec_ssn,
               match_weight, {_GAMMAS}
        FROM pred
        QUALIFY row_number() OVER (PARTITION BY row_uid ORDER BY match_weight DESC,
                                   rec_ssn) <= 2
    """)


def _gamma_sql(comp: Comparison) -> str:
    """Splink's comparison vector value for ``comp`` (-1 missing, 0 else, n-1.. levels)."""
    whens = [f"WHEN {comp.null_sql} THEN -1"]
    for lv in comp.levels:
        if lv.is_else:
            continue
        parts = [f"({lv.sql})"] if lv.sql else []
        if lv.array:
            parts.append(f"(array_length(list_intersect({lv.array}_l, {lv.array}_r)) >= 1)")
        whens.append(f"WHEN {' OR '.join(parts)} THEN {comp.key_to_gamma(lv.key)}")
    return f"CASE {' '.join(whens)} ELSE 0 END"


def _score_sql(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Score ``rest`` x ``ref`` as Splink does (blocking rules, levels, m/u, floor)."""
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in FEATURE_COLUMNS)
    blocked = " OR ".join(f"({rule})" for rule in BLOCKING_RULES)
    gammas = ", ".join(f"{_gamma_sql(c)} AS gamma_{c.name}" for c in COMPARISONS)
    weight = " + ".join(
        f"CASE gamma_{c.name} "
        + " ".join(f"WHEN {c.key_to_gamma(k)} THEN {model.weight(c.name, k)!r}"
                   for k in [lv.key for lv in c.levels])
        + " ELSE 0.0 END" for c in COMPARISONS)
    con.execute(f"""
        CREATE TABLE scored AS
        WITH pairs AS (SELECT {cols} FROM rest l JOIN ref r ON {blocked}),
        g AS (SELECT unique_id_l AS row_uid, unique_id_r AS rec_ssn, {gammas} FROM pairs),
        w AS (SELECT *, {model.prior_weight!r} + {weight} AS match_weight FROM g)
        SELECT row_uid, rec_ssn, match_weight, {_GAMMAS} FROM w
        WHERE match_weight >= {SCORE_FLOOR}
        QUALIFY row_number() OVER (PARTITION BY row_uid ORDER BY match_weight DESC,
                                   rec_ssn) <= 2
    """)


def _decide_all(con: duckdb.DuckDBPyConnection, clean: pa.Table, problems: list[list[str]],
                ref: Reference, model: Model, profile: Profile) -> list[RowResult]:
    """Best and second-best candidate per row, with the record's status, then the rules.

    Built for a million rows: level dicts and reasons are shared between rows with the
    same comparison vector, and identities are made only for rows in a claim group.
    """
    pre_gammas = ", ".join(
        f"{c.key_to_gamma('exact')} AS gamma_{c.name}" if c.name != "middle" else
        f"CASE middle WHEN 'missing' THEN -1 WHEN 'exact' THEN {c.key_to_gamma('exact')} "
        f"ELSE {c.key_to_gamma('initial')} END AS gamma_middle" for c in COMPARISONS)
    weights = {c.name: {c.key_to_gamma(k): model.weight(c.name, k)
                        for k in ["missing", *(lv.key for lv in c.levels)]}
               for c in COMPARISONS}
    con.execute(f"""
        CREATE TABLE best AS
        WITH s AS (SELECT row_uid, rec_ssn, match_weight, {_GAMMAS} FROM scored
                   UNION ALL
                   SELECT row_uid, rec_ssn, CAST(NULL AS DOUBLE), {pre_gammas} FROM pre)
        SELECT CAST(s.row_uid AS BIGINT) AS row_uid, s.rec_ssn, s.match_weight, {_GAMMAS},
               r.status, r.date_of_death
        FROM s LEFT JOIN ref_raw r ON r.ssn = s.rec_ssn""")
    cols = con.sql("SELECT * FROM best ORDER BY row_uid, match_weight DESC NULLS FIRST, "
                   "rec_ssn").to_arrow_table().to_pydict()
    level_cache: dict[tuple[int, ...], tuple[dict[str, str], float]] = {}
    best: dict[int, list[Candidate]] = {}
    gamma_cols = [cols[f"gamma_{c.name}"] for c in COMPARISONS]
    for n, row_uid in enumerate(cols["row_uid"]):
        gammas = tuple(int(g[n]) for g in gamma_cols)
        cached = level_cache.get(gammas)
        if cached is None:
            levels = {c.name: c.gamma_to_key(g) for c, g in zip(COMPARISONS, gammas,
                                                                strict=True)}
            evidence = sum(weights[c.name][g] for c, g in zip(COMPARISONS, gammas, strict=True))
            cached = level_cache[gammas] = (levels, evidence)
        weight = cols["match_weight"][n]
        if weight is None:  # decided by the pre-pass: the model's weight for its levels
            weight = model.prior_weight + cached[1]
        rec_ssn = cols["rec_ssn"][n]
        held = cols["status"][n] != "published" or rec_ssn in ref.held_now
        cands = best.setdefault(row_uid, [])
        if len(cands) < 2:
            cands.append(Candidate(rec_ssn, float(weight), cached[0], held,
                                   cols["date_of_death"][n]))
    has_ssn = clean.column("ssn").is_valid().to_pylist()
    outcomes: list[Outcome] = []
    for i in range(clean.num_rows):
        cands = best.get(i)
        if not cands:
            outcomes.append(decide(None, None, profile, row_has_ssn=has_ssn[i]))
            continue
        outcomes.append(decide(cands[0], cands[1] if len(cands) > 1 else None, profile,
                               row_has_ssn=has_ssn[i]))
    ssn_col, first_col, dob_col = (clean.column(c) for c in ("ssn", "first_name", "dob"))

    def identity_of(i: int) -> RowIdentity:
        first = first_col[i].as_py() or ""
        return RowIdentity(ssn_col[i].as_py(), dob_col[i].as_py(),
                           frozenset(first_keys(first)), first[:1])

    resolve_claims(outcomes, identity_of)
    reason_cache: dict[tuple[object, ...], str] = {}
    results = []
    for o, probs in zip(outcomes, problems, strict=True):
        key = (id(o.candidate.levels) if o.candidate else None, *o.rules, "|", *probs)
        text = reason_cache.get(key)
        if text is None:
            text = reason_cache[key] = reasons(o, probs)
        results.append(RowResult(o.decision, o.candidate, text, o.rules, probs))
    return results


def probability(weight: float) -> float:
    return 1.0 / (1.0 + math.pow(2.0, -weight)) if weight > -1000 else 0.0


def reasons(out: Outcome, problems: list[str]) -> str:
    """One line a caseworker can read: which fields agreed, which not, which rule fired."""
    parts: list[str] = []
    c = out.candidate
    if c is not None:
        agreed = [comp.text(c.levels[comp.name]) for comp in COMPARISONS
                  if c.levels[comp.name] != "missing"]
        missing = [comp.field for comp in COMPARISONS if c.levels[comp.name] == "missing"]
        parts.extend(agreed)
        if missing:
            parts.append("not compared: " + ", ".join(missing))
    parts.extend(out.rules)
    parts.extend(problems)
    return "; ".join(parts)


def narrow_reference(source: Path | pa.Table, *, ssn: str | None, dob: str | None,
                     first: str | None, last: str | None) -> pa.Table:
    """The records of ``source`` (a records Parquet file or table) that a blocking rule
    (``comparisons.BLOCKS``) could pair with one cleaned row: a superset, so scoring the
    row against it decides as scoring it against all of ``source`` does.

    Per block: the SSN (1); a record's full date of birth equal to the row's full or
    swapped one (2-6); for records without a full date of birth, either SSN half (7, 8),
    the same birth year and month (9) or the same first name and surname (10). (Blocks 3
    and 4 pair an SSN half only with the same full date of birth, found by the date.)
    """
    full = dob if dob and dob[5:7] != "00" and dob[8:10] != "00" else None
    swapped = (f"{full[:5]}{full[8:10]}-{full[5:7]}" if full and "01" <= full[8:10] <= "12"
               else None)
    con = duckdb.connect()
    try:
        if isinstance(source, Path):
            path = str(source).replace("'", "''")
            con.execute(f"CREATE VIEW ref_raw AS SELECT * FROM read_parquet('{path}')")
        else:
            con.register("ref_raw", source)
        return con.sql(
            "SELECT * FROM ref_raw WHERE ssn = $ssn OR date_of_birth IN ($full, $swapped)"
            " OR ((date_of_birth IS NULL OR substr(date_of_birth, 6, 2) = '00'"
            "      OR substr(date_of_birth, 9, 2) = '00')"
            "     AND (substr(ssn, 1, 4) = $head OR substr(ssn, 6, 4) = $tail"
            "          OR substr(date_of_birth, 1, 7) = $year_month"
            "          OR (first_name = $first AND last_name = $last)))",
            params={"ssn": ssn, "head": ssn[:4] if ssn else None,
                    "tail": ssn[5:] if ssn else None, "full": full, "swapped": swapped,
                    "year_month": dob[:7] if dob else None, "first": first, "last": last}
        ).to_arrow_table()
    finally:
        con.close()
