"""A finished match job's results: read a page of them, mark ``review`` rows, download.

A ``review`` row asks a person to look. Whoever may see the job (``match_jobs.visible_job``)
marks it ``same-person`` (the row's customer is the death record's person) or
``not-same-person``; each mark is a ``match_reviews`` row and a ``match.review-marked``
event, in one transaction. A mark can be changed: the new one is added, the older ones
stay as its history. The download is the job's decisions file with the mark in force on
each row (``review_mark``, ``review_marked_by``, ``review_marked_at``; empty when none).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.match.files import OUTPUT_COLUMNS, explain_path
from vitalstat.services.holds import parse_choice
from vitalstat.services.match_jobs import MatchJob
from vitalstat.store import Store
from vitalstat.store.repo import utc_now

__all__ = ["MARK_COLUMNS", "SHOWS", "Mark", "ResultRow", "ResultsPage", "ReviewMark",
           "mark_row", "results_page", "results_with_marks"]

MARK_COLUMNS = ("review_mark", "review_marked_by", "review_marked_at")
#: What a results page can show: every row, one decision, or the rows with a bad value.
SHOWS = ("all", "match", "review", "none", "problems")
MAX_PAGE = 500


class Mark(StrEnum):
    SAME_PERSON = "same-person"
    NOT_SAME_PERSON = "not-same-person"


@dataclass(frozen=True, slots=True)
class ReviewMark:
    row: int
    row_id: str
    mark: str
    by: str
    at: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> ReviewMark:
        return cls(r["row"], r["row_id"], r["mark"], r["marked_by"], r["marked_at"])


@dataclass(frozen=True, slots=True)
class ResultRow:
    row: int  # 0-based position in the file
    id: str
    decision: str
    dmf_ssn: str
    match_probability: float | None
    date_of_death: str
    reasons: str
    problems: list[str]
    history: list[ReviewMark]  # every mark, oldest first; the last one is in force

    @property
    def mark(self) -> ReviewMark | None:
        return self.history[-1] if self.history else None


@dataclass(frozen=True, slots=True)
class ResultsPage:
    rows: list[ResultRow]
    show: str
    total: int  # rows the filter keeps
    offset: int
    limit: int
    counts: dict[str, int]  # every decision, plus ``problems``


def _done(job: MatchJob) -> None:
    if job.state != "done" or not job.output.is_file():
        raise NotFoundError(f"match job {job.id} has no results ({job.state})")


def _read_decisions(job: MatchJob) -> pa.Table:
    _done(job)
    types = {c: pa.string() for c in OUTPUT_COLUMNS}
    types["match_probability"] = pa.float64()
    types["match_weight"] = pa.float64()
    return pcsv.read_csv(job.output, convert_options=pcsv.ConvertOptions(
        column_types=types, strings_can_be_null=False))


def _has_problems(job: MatchJob) -> pa.Array:
    """Per row: did a value of it fail the identity rules (an SSN with a letter, ...)."""
    breakdown = pq.read_table(explain_path(job.output), columns=["breakdown"]).column(
        "breakdown").combine_chunks()
    return pc.invert(pc.match_substring(breakdown, '"problems": []'))


def _marks(store: Store, job_id: str) -> dict[int, list[ReviewMark]]:
    """Each marked row's marks, oldest first (the last one is in force)."""
    with store.transaction(write=False) as tx:
        rows = tx.match_review_rows(job_id)
    found: dict[int, list[ReviewMark]] = {}
    for r in rows:
        found.setdefault(r["row"], []).append(ReviewMark.from_row(r))
    return found


def results_page(store: Store, job: MatchJob, *, show: str = "all", offset: int = 0,
                 limit: int = 50) -> ResultsPage:
    """Rows ``offset`` .. ``offset + limit`` of the job's results that ``show`` keeps."""
    if show not in SHOWS:
        raise ValidationError(f"{show!r} is not one of: {', '.join(SHOWS)}", field="show")
    if offset < 0:
        raise ValidationError("must be 0 or more", field="offset")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"must be 1 to {MAX_PAGE}", field="limit")
    table = _read_decisions(job)
    problems = _has_problems(job)
    decision = table.column("decision").combine_chunks()
    counts = {d: int(pc.sum(pc.equal(decision, d)).as_py() or 0) for d in ("match", "review",
                                                                            "none")}
    counts["problems"] = int(pc.sum(problems).as_py() or 0)
    if show == "all":
        keep = pa.array(range(table.num_rows), pa.int64())
    else:
        mask = problems if show == "problems" else pc.equal(decision, show)
        keep = pc.indices_nonzero(pc.fill_null(mask, False))
    picked = keep.slice(offset, limit)
    rows: list[ResultRow] = []
    if len(picked):
        part = table.take(picked).to_pylist()
        breakdown = pq.read_table(explain_path(job.output), columns=["breakdown"]).column(
            "breakdown").take(picked).to_pylist()
        marks = _marks(store, job.id)
        for i, r, b in zip(picked.to_pylist(), part, breakdown, strict=True):
            rows.append(ResultRow(i, r["id"], r["decision"], r["dmf_ssn"],
                                  r["match_probability"], r["date_of_death"], r["reasons"],
                                  list(json.loads(b).get("problems") or []),
                                  marks.get(i, [])))
    return ResultsPage(rows, show, len(keep), offset, limit, counts)


def mark_row(store: Store, job: MatchJob, row: int, mark: str, *, actor: str) -> ResultRow:
    """Mark ``review`` row ``row`` (0-based) of ``job``; returns the row as it is now."""
    chosen = parse_choice(Mark, mark, "mark")
    table = _read_decisions(job)
    if not 0 <= row < table.num_rows:
        raise ValidationError(f"the results have no row {row} (rows 0 to "
                              f"{table.num_rows - 1})", field="row")
    found = table.slice(row, 1).to_pylist()[0]
    if found["decision"] != "review":
        raise ValidationError(f"row {row} ({found['id']}) is a {found['decision']!r} row; "
                              "only review rows are marked", field="row")
    now = utc_now()
    with store.transaction() as tx:
        earlier = tx.match_review_rows(job.id, row)
        tx.insert_match_review({"job_id": job.id, "row": row, "row_id": found["id"],
                                "mark": chosen.value, "marked_by": actor, "marked_at": now})
        tx.append_event(actor=actor, kind="match.review-marked",
                        subject=f"match-job:{job.id}",
                        detail={"row": row, "id": found["id"], "mark": chosen.value,
                                "previous": earlier[-1]["mark"] if earlier else None},
                        at=now)
    page = results_page(store, job, offset=row, limit=1)
    return page.rows[0]


def results_with_marks(store: Store, job: MatchJob) -> Path:
    """The decisions file with the marks in force (written beside it, replaced whole)."""
    table = _read_decisions(job)
    marks = _marks(store, job.id)
    n = table.num_rows
    picked = [marks[i][-1] if i in marks else None for i in range(n)] if marks else [None] * n
    for name, attr in zip(MARK_COLUMNS, ("mark", "by", "at"), strict=True):
        table = table.append_column(name, pa.array(
            [getattr(m, attr) if m is not None else "" for m in picked], pa.string()))
    out = job.output.with_name("decisions-marked.csv")
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}")
    pcsv.write_csv(table, tmp)
    os.replace(tmp, out)
    return out
