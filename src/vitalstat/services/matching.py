"""Matching use cases: run a subscriber file against the death file, explain a row, retrain.

A match run changes nothing in the registry but is accounted for: one ``match.run``
event (actor, input file name and SHA-256, reference, profile, engine, counts) is
written when the output is complete.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from vitalstat.domain.policy import (
    DEFAULT_EMBARGO,
    EmbargoRule,
    RecordFacts,
    may_receive,
    release_filter,
)
from vitalstat.domain.records import DeathRecord, RecordStatus
from vitalstat.errors import ConfigError, NotFoundError, ValidationError
from vitalstat.formats import file_sha256
from vitalstat.match import (
    PROFILES,
    Profile,
    Reference,
    explain_path,
    load_model,
    match_rows,
    read_explain,
    read_input,
    write_results,
)
from vitalstat.match.decide import Candidate, Decision, decide
from vitalstat.match.engine import RowResult, narrow_reference, probability, reasons
from vitalstat.match.files import check_columns, file_format
from vitalstat.match.model import Model
from vitalstat.match.normalise import normalise_row
from vitalstat.match.one_row import decide_row, prepass_levels
from vitalstat.match.reference_index import ReferenceIndex
from vitalstat.services.record_filter import admitted
from vitalstat.services.releases import Release, get_release, latest_release
from vitalstat.services.subscribers import Subscriber, get_subscriber
from vitalstat.store import Store, Tx
from vitalstat.store.repo import RECORD_ARROW_SCHEMA

if TYPE_CHECKING:
    from vitalstat.match.train import TrainReport

__all__ = [
    "Explanation",
    "MatchSummary",
    "OneRowDecision",
    "RowMatch",
    "account_one",
    "decide_one",
    "explain_row",
    "match_one",
    "reference_for",
    "run_match",
    "train_on_registry",
    "warm_reference",
]


def reference_for(store: Store, release_id: str | None, *, subscriber: str | None = None,
                  today: date | None = None,
                  rule: EmbargoRule = DEFAULT_EMBARGO) -> Reference:
    """What to match against: release ``release_id``, else the latest release, else (before
    the first release) the current records.

    Without a release: published and held records from the store (held ones can only
    ever yield ``review``). Either way, records held, pending or withdrawn *now* yield
    ``review`` at most, even where a release lists them as published: a record withdrawn
    by a correction case since the release never gives ``match``.

    For a ``subscriber``, the reference is cut down *before* matching to the records that
    subscriber may receive today (``domain.policy``, the same decision as its deliveries):
    a record it may not have can never be matched, reviewed or counted for it.
    """
    store.check_schema()
    if release_id is not None:
        try:
            number = int(release_id)
        except ValueError:
            raise ValidationError(f"{release_id!r} is not a release number",
                                  field="release") from None
        release: Release | None = get_release(store, number)
    else:
        release = latest_release(store)
    with store.transaction(write=False) as tx:
        held = frozenset(tx.unpublished_ssns())
        if release is not None and subscriber is None:
            return Reference(f"release {release.id}", parquet=release.records_parquet,
                             held_now=held)
        if release is not None:
            table = pq.read_table(release.records_parquet)
            label = f"release {release.id}"
        else:
            table = pa.Table.from_batches(
                list(tx.record_batches(statuses=[RecordStatus.PUBLISHED, RecordStatus.HELD])),
                schema=RECORD_ARROW_SCHEMA)
            label = "current published records"
    if subscriber is not None:
        sub = get_subscriber(store, subscriber)
        allowed = release_filter(sub.standing, today or date.today(), rule)
        table = table.filter(pa.array(admitted(table, allowed)))
        label += f", as {sub.name} may receive it"
    elif table.num_rows == 0:
        raise NotFoundError("the registry has no published records to match against")
    return Reference(label, table=table, held_now=held)


@dataclass(frozen=True, slots=True)
class MatchSummary:
    input: Path
    output: Path
    rows: int
    counts: dict[str, int]
    reference: str
    profile: str
    engine: str
    seconds: float
    timings: dict[str, float]
    event_id: int


def _profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r} (one of: {', '.join(PROFILES)})")
    return PROFILES[name]


def run_match(store: Store, input_path: Path, output_path: Path, *, actor: str,
              release_id: str | None = None, engine: str = "duckdb",
              profile: str = "insurer", model_path: Path | None = None,
              subscriber: str | None = None, rule: EmbargoRule = DEFAULT_EMBARGO
              ) -> MatchSummary:
    """Decide every row of ``input_path`` into ``output_path``; record a ``match.run``."""
    if engine not in ("duckdb", "spark"):
        raise ConfigError(f"unknown engine {engine!r} (duckdb or spark)")
    prof = _profile(profile)
    file_format(output_path)  # refuse a bad output name before the work, not after
    start = time.perf_counter()
    table = read_input(input_path)
    model = load_model(model_path)
    ref = reference_for(store, release_id, subscriber=subscriber, rule=rule)
    run = match_rows(table, ref, model=model, profile=prof,
                     engine="spark" if engine == "spark" else "duckdb")
    write_results(output_path, table.column("id"), run.rows, model=model, profile=prof)
    seconds = round(time.perf_counter() - start, 3)
    detail = {"input": input_path.name, "input_sha256": file_sha256(input_path),
              "output": str(output_path.resolve()), "rows": table.num_rows,
              "counts": run.counts, "reference": ref.label, "release": release_id,
              "subscriber": subscriber,
              "profile": prof.name, "engine": engine,
              "model": model.trained.get("how", ""), "seconds": seconds}
    with store.transaction() as tx:
        event_id = tx.append_event(actor=actor, kind="match.run",
                                   subject=f"match:{input_path.name}", detail=detail)
    return MatchSummary(input_path, output_path, table.num_rows, run.counts, ref.label,
                        prof.name, engine, seconds, run.timings, event_id)


@dataclass(frozen=True, slots=True)
class Explanation:
    row_id: str
    output: Path
    decision: str
    match_weight: float | None
    breakdown: dict[str, Any]
    profile: dict[str, str]


def _last_output(store: Store) -> Path:
    store.check_schema()
    with store.transaction(write=False) as tx:
        runs = tx.events(kind="match.run", limit=1, newest_first=True)
    if not runs:
        raise NotFoundError("no match run yet: run vitalstat match first (or give --results)")
    return Path(json.loads(runs[0]["detail"])["output"])


def explain_row(store: Store, row_id: str, output: Path | None = None) -> list[Explanation]:
    """The weight breakdown of the row(s) with ``row_id`` in a match run's output
    (default: the latest ``match.run``)."""
    out = output or _last_output(store)
    table = read_explain(out)
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    found = []
    for rec in table.filter(pc.equal(table.column("id"), row_id)).to_pylist():
        found.append(Explanation(row_id, out, rec["decision"], rec["match_weight"],
                                 json.loads(rec["breakdown"]), meta))
    if not found:
        raise NotFoundError(f"no row with id {row_id!r} in {explain_path(out)}")
    return found


def train_on_registry(store: Store, *, rows: int = 20_000, seed: int = 0,
                      out: Path | None = None, actor: str) -> TrainReport:
    """Retrain the model on the registry's own records (labelled synthetic rows)."""
    from vitalstat.match.train import train_model
    from vitalstat.synth.linkage import SUBSCRIBER_COLUMNS, subscriber_rows

    ref = reference_for(store, None)
    assert ref.table is not None
    records = ref.table.select(["ssn", "first_name", "middle_name", "last_name",
                                "date_of_birth"]).to_pylist()
    table_rows, truth = subscriber_rows(records, rows, seed=seed)
    table = pa.table({c: pa.array(v, pa.string())
                      for c, v in zip(SUBSCRIBER_COLUMNS, zip(*table_rows, strict=True),
                                      strict=True)})
    report = train_model(table, [t[1] or None for t in truth], ref, seed=seed)
    if out is not None:
        out.write_text(report.model.to_json(), encoding="utf-8")
    with store.transaction() as tx:
        tx.append_event(actor=actor, kind="match.model-trained", subject="match:model",
                        detail={"rows": rows, "seed": seed, "out": str(out) if out else None,
                                "labelled_pairs": report.labelled_pairs})
    return report


# ------------------------------------------------------------------ one row


@dataclass(frozen=True, slots=True)
class RowMatch:
    """One row's decision, as a line of the decisions file has it."""

    decision: str
    dmf_ssn: str
    match_probability: float | None
    match_weight: float | None
    date_of_death: str
    reasons: str
    reference: str
    path: str  # "pre-pass" (decided from the record itself) or "scored"


def _row_match(result: RowResult, reference: str, path: str) -> RowMatch:
    c = result.candidate
    shown = result.decision is not Decision.NONE and c is not None
    return RowMatch(result.decision.label, c.ssn if shown and c else "",
                    round(probability(c.weight), 6) if c else None,
                    round(c.weight, 3) if c else None,
                    (c.date_of_death or "") if shown and c else "", result.reasons,
                    reference, path)


def match_one(store: Store, row: dict[str, str | None], *, actor: str,
              subscriber: str | None = None, profile: str = "insurer",
              rule: EmbargoRule = DEFAULT_EMBARGO, today: date | None = None) -> RowMatch:
    """Decide one row (the columns of a subscriber file) against the same reference as
    :func:`run_match`, with the same decision; one ``match.run`` event.

    The two halves, :func:`decide_one` and :func:`account_one`, are for a caller that
    runs them apart (the API decides in its event loop and writes on a thread).
    """
    decided = decide_one(store, row, subscriber=subscriber, profile=profile, rule=rule,
                         today=today)
    assert decided is not None
    account_one(store, decided, actor=actor)
    return decided.match


@dataclass(frozen=True, slots=True)
class OneRowDecision:
    """One row decided, and what its ``match.run`` event says."""

    match: RowMatch
    detail: dict[str, Any]


def account_one(store: Store, decided: OneRowDecision, *, actor: str) -> None:
    """The ``match.run`` event of one decided row (before its answer is given)."""
    with store.transaction() as tx:
        tx.append_event(actor=actor, kind="match.run", subject="match:one-row",
                        detail=decided.detail)


def decide_one(store: Store, row: dict[str, str | None], *, subscriber: str | None = None,
               profile: str = "insurer", rule: EmbargoRule = DEFAULT_EMBARGO,
               today: date | None = None, quick_only: bool = False
               ) -> OneRowDecision | None:
    """Decide one row; writes nothing (:func:`account_one` does). ``quick_only``: None
    instead of a slow answer (before the first release, all current records are read;
    a release not yet in memory is indexed first, a few seconds a million records).

    Fast path, for the common case: the engine's exact pre-pass (same SSN, first name,
    surname, full date of birth, no disagreeing middle name) checked against the
    registry's record for the row's SSN, read by primary key. It is taken only when that
    record is published now, unchanged since the reference release was built (so the
    release holds it as it is) and one the subscriber may receive; the decision is then
    the one the engine gives a pre-pass row. Every other row is scored against the
    records any blocking rule could pair with it (``narrow_reference``, answered from the
    release kept in memory by a ``ReferenceIndex``), in Python (``match.one_row``: the
    engine's levels, weights and rules, held to it by a property test), in a millisecond
    or two instead of a DuckDB run's ~30 ms. The server calls :func:`warm_reference` at
    start so the first match need not index the release.
    """
    prof = _profile(profile)
    today = today or date.today()
    check_columns("request", ["id", *(k for k in row if k != "id")])
    model = _model()
    cleaned, problems = normalise_row({k: v for k, v in row.items() if k != "id"})
    # one statement for everything the fast path needs (one snapshot)
    context = store.reads.match_context(subscriber, cleaned["ssn"])
    release_row, sub_row = context.release, context.subscriber
    rec, updated = context.record, context.updated_at
    if subscriber is not None and sub_row is None:
        raise NotFoundError(f"no subscriber named {subscriber!r}")
    sub = Subscriber.from_row(sub_row) if sub_row is not None else None
    release = Release.from_row(release_row) if release_row is not None else None
    label = f"release {release.id}" if release else "current published records"
    result = _prepass_one(cleaned, problems, rec, updated, release, sub, model, prof,
                          today, rule)
    path = "pre-pass"
    if result is None:
        path = "scored"
        if quick_only and (release is None
                           or str(release.records_parquet) not in _INDEX):
            return None
        if release is not None:
            candidates = _index_for(str(release.records_parquet)).candidates(
                ssn=cleaned["ssn"], dob=cleaned["dob"], first=cleaned["first_name"],
                last=cleaned["last_name"])
        else:
            with store.transaction(write=False) as tx:
                candidates = _unreleased_candidates(tx, cleaned)
        if sub is not None:
            candidates = candidates.filter(pa.array(admitted(
                candidates, release_filter(sub.standing, today, rule))))
        # whether a candidate is held now: only the candidates' records are read
        held = store.reads.unpublished_among(candidates.column("ssn").to_pylist())
        result = decide_row(cleaned, problems, candidates, held_now=held, model=model,
                            profile=prof)
    if sub is not None:
        label += f", as {sub.name} may receive it"
    found = _row_match(result, label, path)
    return OneRowDecision(found, {"input": "one row (API)", "rows": 1,
                                  "counts": {found.decision: 1}, "reference": label,
                                  "subscriber": sub.name if sub else None,
                                  "profile": prof.name, "engine": path})


@functools.cache
def _model() -> Model:
    return load_model()


_INDEX: dict[str, ReferenceIndex] = {}
_INDEX_LOCK = threading.Lock()


def _index_for(parquet: str) -> ReferenceIndex:
    """The release records in ``parquet``, in memory and indexed (the latest release's
    only)."""
    with _INDEX_LOCK:
        found = _INDEX.get(parquet)
        if found is None:
            found = ReferenceIndex(pq.read_table(parquet))
            _INDEX.clear()
            _INDEX[parquet] = found
    return found


def warm_reference(store: Store) -> None:
    """Load and index the latest release now, so the first one-row match need not."""
    release = latest_release(store)
    if release is not None:
        _index_for(str(release.records_parquet))


def _prepass_one(row: dict[str, Any], problems: list[str], rec: DeathRecord | None,
                 updated: str | None, release: Release | None, sub: Subscriber | None,
                 model: Model, prof: Profile, today: date, rule: EmbargoRule
                 ) -> RowResult | None:
    ssn, dob = row["ssn"], row["dob"]
    if not ssn or not dob or dob[5:7] == "00" or dob[8:10] == "00":
        return None
    if rec is None or rec.status is not RecordStatus.PUBLISHED or updated is None:
        return None
    if release is not None and updated > release.built_at:
        return None  # the release may hold another version: let the engine read it
    if sub is not None and not may_receive(sub.standing, RecordFacts(
            rec.date_of_death, rec.restricted), today, rule).allowed:
        return None
    rec_dob = rec.date_of_birth.iso() if rec.date_of_birth else None
    if (row["first_name"] != (rec.name.first or None) or row["last_name"] != rec.name.last
            or dob != rec_dob):
        return None
    levels = prepass_levels(row["middle_name"], rec.name.middle or None)
    if levels is None:
        return None
    weight = model.prior_weight + sum(model.weight(n, lv) for n, lv in levels.items())
    dod = rec.date_of_death.iso() if rec.date_of_death else None
    outcome = decide(Candidate(ssn, weight, levels, False, dod), None, prof, row_has_ssn=True)
    return RowResult(outcome.decision, outcome.candidate, reasons(outcome, problems),
                     outcome.rules, problems)


def _unreleased_candidates(tx: Tx, row: dict[str, Any]) -> pa.Table:
    """Before the first release, the current records any blocking rule could pair with
    ``row`` (a superset; after it, the release's index answers: :func:`_score_row`)."""
    source = pa.Table.from_batches(
        list(tx.record_batches(statuses=[RecordStatus.PUBLISHED, RecordStatus.HELD])),
        schema=RECORD_ARROW_SCHEMA)
    return narrow_reference(source, ssn=row["ssn"], dob=row["dob"], first=row["first_name"],
                            last=row["last_name"]).cast(RECORD_ARROW_SCHEMA)
