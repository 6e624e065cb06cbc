"""Matching: one row at once, or a file as a job (submit, poll, download)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from vitalstat.domain.access import Permission as P
from vitalstat.match import PROFILES
from vitalstat.services.match_jobs import MatchJob, submit_job, visible_job
from vitalstat.services.match_results import results_with_marks
from vitalstat.services.matching import account_one, decide_one
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, route

router = APIRouter(tags=["matching"])
Who = Annotated[Identity, Depends(caller)]
ProfileName = Literal[tuple(PROFILES)]  # type: ignore[valid-type]
_F = Field(default=None, max_length=200)


class RowIn(BaseModel):
    """One row of a subscriber file (README "Matching")."""

    model_config = ConfigDict(extra="forbid")

    ssn: str | None = _F
    first_name: str | None = _F
    middle_name: str | None = _F
    last_name: str | None = _F
    dob: str | None = _F
    sex: str | None = _F
    state: str | None = _F
    profile: ProfileName = "insurer"  # type: ignore[valid-type]


class RowOut(BaseModel):
    decision: Literal["match", "review", "none"]
    dmf_ssn: str
    match_probability: float | None
    match_weight: float | None
    date_of_death: str
    reasons: str
    reference: str
    path: Literal["pre-pass", "scored"]


@route(router, "POST", "/match", P.MATCH_RUN, response_model=RowOut)
async def match_row(request: Request, body: RowIn, who: Who) -> RowOut:
    """Decide one row now, as `vitalstat match` decides it in a file (a subscriber token:
    against what that subscriber may receive)."""
    # Decided in the event loop when that is quick (a millisecond or two: run on a
    # thread, the same work cost twice the CPU, the thread and the loop trading the
    # GIL); the slow cases and the event's durable write go to a thread.
    store, rule = request.app.state.store, request.app.state.config.embargo
    row = body.model_dump(exclude={"profile"})
    ask = functools.partial(decide_one, store, row, subscriber=who.subscriber,
                            profile=body.profile, rule=rule)
    decided = ask(quick_only=True) or await run_in_threadpool(ask)
    assert decided is not None
    await run_in_threadpool(account_one, store, decided, actor=who.name)
    found = decided.match
    return RowOut(decision=found.decision, dmf_ssn=found.dmf_ssn,  # type: ignore[arg-type]
                  match_probability=found.match_probability, match_weight=found.match_weight,
                  date_of_death=found.date_of_death, reasons=found.reasons,
                  reference=found.reference, path=found.path)  # type: ignore[arg-type]


class JobOut(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    input: str
    subscriber: str | None
    rows: int | None
    counts: dict[str, int] | None
    error: str | None
    created_at: str
    finished_at: str | None
    results: str | None = Field(description="where to download the decisions when done")


def _job_out(job: MatchJob) -> JobOut:
    return JobOut(id=job.id, state=job.state, input=job.input_name,  # type: ignore[arg-type]
                  subscriber=job.subscriber, rows=job.rows, counts=job.counts,
                  error=job.error, created_at=job.created_at, finished_at=job.finished_at,
                  results=f"/match/jobs/{job.id}/results" if job.state == "done" else None)


def _visible(request: Request, job_id: str, who: Identity) -> MatchJob:
    return visible_job(request.app.state.store, job_id, who)


@route(router, "POST", "/match/jobs", P.MATCH_RUN, upload=True, status_code=202,
       response_model=JobOut)
def submit(request: Request, who: Who,
           file: Annotated[UploadFile, File(
               description="a subscriber file, .csv, .xlsx or .parquet")]
           ) -> JobOut:
    """Hand in a subscriber file; poll the job, then download its decisions."""
    cfg = request.app.state.config
    name = Path(file.filename or "").name
    with tempfile.NamedTemporaryFile(prefix="vitalstat-job-", delete=False) as fh:
        while chunk := file.file.read(1 << 20):
            fh.write(chunk)
    try:
        job = submit_job(request.app.state.store, Path(fh.name), input_name=name or "x",
                         actor=who.name, jobs_dir=cfg.jobs_dir, subscriber=who.subscriber)
    finally:
        Path(fh.name).unlink(missing_ok=True)
    request.app.state.jobs.submit(job.id)
    return _job_out(job)


JobId = Annotated[str, PathParam(min_length=1, max_length=32)]


@route(router, "GET", "/match/jobs/{job_id}", P.MATCH_RUN, response_model=JobOut)
def poll(request: Request, job_id: JobId, who: Who) -> JobOut:
    """A job's state (and counts when done, the error when failed)."""
    return _job_out(_visible(request, job_id, who))


@route(router, "GET", "/match/jobs/{job_id}/results", P.MATCH_RUN,
       response_class=FileResponse,
       responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                        "description": "the decisions file (CSV)"}})
def results(request: Request, job_id: JobId, who: Who) -> FileResponse:
    """The decisions file of a finished job, with the review marks given in the web
    interface (`review_mark`, `review_marked_by`, `review_marked_at`)."""
    job = _visible(request, job_id, who)
    return FileResponse(results_with_marks(request.app.state.store, job),
                        media_type="text/csv", filename=f"decisions-{job.id}.csv")
