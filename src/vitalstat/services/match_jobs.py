"""Match jobs: a subscriber file handed in (over the API), matched in the background.

A job is a row in ``match_jobs`` (``queued`` -> ``running`` -> ``done`` | ``failed``) and
a folder ``JOBS_DIR/<id>/`` holding the input and the decisions file. The work is
:func:`vitalstat.services.matching.run_match` unchanged (its ``match.run`` event names
the job's actor). A job's state is in the registry, so a poll works from any server
process. Each job runs once: a runner claims it (``queued`` -> ``running``) before
starting, so of several server processes only one runs it. Jobs a stopped server left
``running`` are queued again when a server starts (:func:`requeue_interrupted_jobs`,
called once per start, before any worker runs), and every process then offers the
queued ones to its runner (:func:`unfinished_jobs`).
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitalstat.domain.access import Role
from vitalstat.domain.policy import DEFAULT_EMBARGO, EmbargoRule
from vitalstat.errors import NotFoundError, ValidationError, VitalstatError
from vitalstat.match.files import file_format
from vitalstat.match.xlsx import xlsx_to_csv
from vitalstat.services.matching import run_match
from vitalstat.services.subscribers import get_subscriber
from vitalstat.services.tokens import Identity
from vitalstat.store import Store
from vitalstat.store.repo import canonical_json, utc_now

__all__ = ["MatchJob", "get_job", "jobs_visible_to", "requeue_interrupted_jobs", "run_job",
           "submit_job", "unfinished_jobs", "visible_job"]


@dataclass(frozen=True, slots=True)
class MatchJob:
    id: str
    actor: str
    subscriber: str | None
    state: str
    input_name: str
    rows: int | None
    counts: dict[str, int] | None
    error: str | None
    created_at: str
    finished_at: str | None
    output: Path

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MatchJob:
        return cls(row["id"], row["actor"], row["subscriber"], row["state"],
                   row["input_name"], row["rows"],
                   json.loads(row["counts"]) if row["counts"] else None, row["error"],
                   row["created_at"], row["finished_at"], Path(row["output_path"]))


def submit_job(store: Store, upload: Path, *, input_name: str, actor: str, jobs_dir: Path,
               subscriber: str | None = None) -> MatchJob:
    """Queue ``upload`` (a CSV or Parquet subscriber file, moved into the job's folder; or
    an Excel ``.xlsx`` one, whose first sheet is written there as CSV: ``match.xlsx``)."""
    suffix = Path(input_name).suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise ValidationError("expected a .csv, .xlsx or .parquet file name", field="file")
    store.check_schema()
    if subscriber is not None:
        get_subscriber(store, subscriber)
    job_id = secrets.token_hex(8)
    folder = jobs_dir / job_id
    folder.mkdir(parents=True)
    if suffix == ".xlsx":  # the first sheet, as the CSV it stands for (bad cells: refused)
        stored = folder / "input.csv"
        try:
            xlsx_to_csv(upload, stored, name=Path(input_name).name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload.unlink(missing_ok=True)
    else:
        stored = folder / f"input{suffix}"
        shutil.move(str(upload), stored)
    output = folder / "decisions.csv"
    file_format(output)
    now = utc_now()
    with store.transaction() as tx:
        tx.insert_match_job({"id": job_id, "actor": actor, "subscriber": subscriber,
                             "state": "queued", "input_name": Path(input_name).name,
                             "input_path": str(stored.resolve()),
                             "output_path": str(output.resolve()), "created_at": now})
        tx.append_event(actor=actor, kind="match.job-submitted", subject=f"match-job:{job_id}",
                        detail={"input": Path(input_name).name, "subscriber": subscriber},
                        at=now)
        row = tx.match_job_row(job_id)
    assert row is not None
    return MatchJob.from_row(row)


def run_job(store: Store, job_id: str, *, rule: EmbargoRule = DEFAULT_EMBARGO) -> MatchJob:
    """Run a queued job to the end; a failure is stored on the job (code and message).
    A job no longer queued (another process claimed it) is left alone and returned."""
    with store.transaction() as tx:
        row = tx.match_job_row(job_id)
        if row is None:
            raise NotFoundError(f"no match job {job_id}")
        if not tx.claim_match_job(job_id):
            return MatchJob.from_row(row)
    values: dict[str, Any]
    try:
        summary = run_match(store, Path(row["input_path"]), Path(row["output_path"]),
                            actor=row["actor"], subscriber=row["subscriber"], rule=rule)
        values = {"state": "done", "rows": summary.rows,
                  "counts": canonical_json(summary.counts)}
    except VitalstatError as exc:
        values = {"state": "failed", "error": f"[{exc.code}] {_without_paths(str(exc))}"}
    except Exception as exc:  # a job must end, whatever happened; the type, no trace
        values = {"state": "failed", "error": f"[error] {type(exc).__name__}"}
    values["finished_at"] = utc_now()
    with store.transaction() as tx:
        tx.update_match_job(job_id, values)
        row = tx.match_job_row(job_id)
    assert row is not None
    return MatchJob.from_row(row)


def _without_paths(message: str) -> str:
    """Server paths mean nothing to the caller: keep the file's own name."""
    return " ".join(Path(w).name if w.startswith("/") else w for w in message.split(" "))


def get_job(store: Store, job_id: str) -> MatchJob:
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = tx.match_job_row(job_id)
    if row is None:
        raise NotFoundError(f"no match job {job_id}")
    return MatchJob.from_row(row)


def _sees(who: Identity, job: MatchJob) -> bool:
    """A subscriber token sees its subscriber's jobs; an admin every job; anyone else the
    jobs it submitted."""
    if who.role is Role.SUBSCRIBER:
        return job.subscriber == who.subscriber
    return who.role is Role.ADMIN or job.actor == who.name


def visible_job(store: Store, job_id: str, who: Identity) -> MatchJob:
    """Job ``job_id`` if ``who`` may see it; otherwise as if it did not exist."""
    job = get_job(store, job_id)
    if not _sees(who, job):
        raise NotFoundError(f"no match job {job_id}")
    return job


def jobs_visible_to(store: Store, who: Identity, *, limit: int = 20) -> list[MatchJob]:
    """The newest jobs ``who`` may see (the same rule as :func:`visible_job`)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        if who.role is Role.SUBSCRIBER:
            rows = tx.match_job_rows(subscriber=who.subscriber or "", limit=limit)
        elif who.role is Role.ADMIN:
            rows = tx.match_job_rows(limit=limit)
        else:
            rows = tx.match_job_rows(actor=who.name, limit=limit)
    return [MatchJob.from_row(r) for r in rows]


def unfinished_jobs(store: Store) -> list[str]:
    """Jobs waiting to run (queued), oldest first."""
    with store.transaction(write=False) as tx:
        return [r["id"] for r in tx.unfinished_match_jobs() if r["state"] == "queued"]


def requeue_interrupted_jobs(store: Store, *, actor: str = "server") -> list[str]:
    """Jobs left ``running`` by a stopped server back to ``queued`` (one event each).
    Call it when no server runs on the registry: at the start, before the workers."""
    with store.transaction() as tx:
        running = [r["id"] for r in tx.unfinished_match_jobs() if r["state"] == "running"]
        for job_id in running:
            tx.update_match_job(job_id, {"state": "queued"})
            tx.append_event(actor=actor, kind="match.job-requeued",
                            subject=f"match-job:{job_id}",
                            detail={"reason": "the server stopped while it ran"})
    return running
