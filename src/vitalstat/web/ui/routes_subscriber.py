"""Subscriber pages: match a file (CSV or Excel), follow the job, read, mark and download
its results; see the deliveries and the correction notices they carried.

The same services and rules as ``routes_matching`` / ``routes_distribution``: a
subscriber token sees only its own jobs and deliveries (``match_jobs.visible_job``,
``subscribers.delivery_file(only_for=...)``); anything else answers as if absent.
No SSN ever goes into a URL: job ids and row positions only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response

from vitalstat import errors as e
from vitalstat.domain.access import Permission
from vitalstat.match.normalise import INPUT_COLUMNS
from vitalstat.services.match_jobs import jobs_visible_to, submit_job, visible_job
from vitalstat.services.match_results import SHOWS, Mark, mark_row, results_page
from vitalstat.services.match_results import results_with_marks as marked_file
from vitalstat.services.subscribers import delivery_file, delivery_views, list_subscribers
from vitalstat.web.errors import mask, status_for
from vitalstat.web.ui.base import NavItem, caller, page, render

router = APIRouter()
NAV: list[NavItem] = [
    NavItem("Match a file", "/ui/subscriber/match", Permission.MATCH_RUN),
    NavItem("My deliveries", "/ui/subscriber/deliveries", Permission.DELIVERIES_READ),
]

PAGE_SIZE = 50
SHOW_LABELS = {"all": "All rows", "match": "Match", "review": "Review", "none": "No match",
               "problems": "Rows with a bad value"}
MARK_LABELS = {Mark.SAME_PERSON.value: "Confirmed: same person",
               Mark.NOT_SAME_PERSON.value: "Not the same person"}
COLUMN_HELP = {
    "id": "your own reference for the row (required; any text, kept in the results)",
    "ssn": "Social Security number, 9 digits, with or without dashes",
    "first_name": "first name", "middle_name": "middle name or initial",
    "last_name": "surname",
    "dob": "date of birth, YYYY-MM-DD (1938-06 or 1938 when only part is known)",
    "sex": "M or F", "state": "two-letter state code",
}


def _int(value: str | None, name: str, *, default: int, low: int = 0) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise e.ValidationError(f"{value!r} is not a whole number", field=name) from None
    if number < low:
        raise e.ValidationError(f"must be {low} or more", field=name)
    return number


def _match_page(request: Request, *, error: str | None = None,
                problems: list[str] | None = None, status: int = 200) -> Response:
    store = request.app.state.store
    return render(request, "subscriber/match.html", {
        "jobs": jobs_visible_to(store, caller(request)), "columns": INPUT_COLUMNS,
        "column_help": COLUMN_HELP, "error": error, "problems": problems or []},
        status=status)


@page(router, "GET", "/ui/subscriber/match", Permission.MATCH_RUN)
def match_form(request: Request) -> Response:
    return _match_page(request)


@page(router, "POST", "/ui/subscriber/match", Permission.MATCH_RUN, upload=True)
def match_upload(request: Request,
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Hand the file to a match job (as ``POST /match/jobs``), then show its page."""
    who = caller(request)
    cfg = request.app.state.config
    name = Path(file.filename or "").name if file is not None else ""
    if file is None or not name:
        return _match_page(request, error="Choose a file to upload (.csv or .xlsx).",
                           status=400)
    with tempfile.NamedTemporaryFile(prefix="vitalstat-job-", delete=False) as fh:
        while chunk := file.file.read(1 << 20):
            fh.write(chunk)
    try:
        job = submit_job(request.app.state.store, Path(fh.name), input_name=name,
                         actor=who.name, jobs_dir=cfg.jobs_dir, subscriber=who.subscriber)
    except (e.ValidationError, e.NotFoundError) as exc:
        problems = [f"line {p.line}: {p.field}: {mask(p.reason)}"
                    for p in getattr(exc, "problems", [])[:50]]
        message = mask(str(exc).splitlines()[0])
        return _match_page(request, problems=problems, status=status_for(exc),
                           error=message if name in message else f"{name}: {message}")
    finally:
        Path(fh.name).unlink(missing_ok=True)
    request.app.state.jobs.submit(job.id)
    return RedirectResponse(f"/ui/subscriber/jobs/{job.id}", status_code=303)


def _job_context(request: Request, job_id: str, show: str | None, page_no: str | None
                 ) -> dict[str, object]:
    store = request.app.state.store
    job = visible_job(store, job_id, caller(request))
    ctx: dict[str, object] = {"job": job, "show_labels": SHOW_LABELS,
                              "mark_labels": MARK_LABELS}
    if job.state == "done":
        chosen = show or "all"
        if chosen not in SHOWS:
            raise e.ValidationError(f"{chosen!r} is not one of: {', '.join(SHOWS)}",
                                    field="show")
        number = _int(page_no, "page", default=1, low=1)
        results = results_page(store, job, show=chosen, offset=(number - 1) * PAGE_SIZE,
                               limit=PAGE_SIZE)
        pages = max(1, -(-results.total // PAGE_SIZE))
        if number > pages:
            raise e.ValidationError(f"there are only {pages} page(s) of these rows",
                                    field="page")
        ctx.update(results=results, page_no=number, pages=pages)
    return ctx


@page(router, "GET", "/ui/subscriber/jobs/{job_id}", Permission.MATCH_RUN)
def job_page(request: Request, job_id: str, show: str | None = None,
             page: str | None = None) -> Response:
    return render(request, "subscriber/job.html", _job_context(request, job_id, show, page))


@page(router, "GET", "/ui/subscriber/jobs/{job_id}/progress", Permission.MATCH_RUN)
def job_progress(request: Request, job_id: str) -> Response:
    """The htmx fragment polled every second; once the job ends, its results."""
    return render(request, "subscriber/_progress.html",
                  _job_context(request, job_id, None, None))


@page(router, "POST", "/ui/subscriber/jobs/{job_id}/rows/{row}", Permission.MATCH_RUN)
def mark(request: Request, job_id: str, row: str, mark: Annotated[str, Form()] = "",
         show: Annotated[str, Form()] = "all", page: Annotated[str, Form()] = "1"
         ) -> Response:
    """Mark a review row; htmx swaps the row in place, a plain form goes back."""
    who = caller(request)
    store = request.app.state.store
    job = visible_job(store, job_id, who)
    updated = mark_row(store, job, _int(row, "row", default=-1), mark, actor=who.name)
    if request.headers.get("HX-Request") == "true":
        return render(request, "subscriber/_row.html",
                      {"job": job, "r": updated, "mark_labels": MARK_LABELS,
                       "show": show, "page_no": page})
    back = f"/ui/subscriber/jobs/{job.id}?show={show if show in SHOWS else 'all'}" \
           f"&page={_int(page, 'page', default=1, low=1)}#row-{updated.row}"
    return RedirectResponse(back, status_code=303)


@page(router, "GET", "/ui/subscriber/jobs/{job_id}/results.csv", Permission.MATCH_RUN)
def download(request: Request, job_id: str) -> Response:
    """The decisions file with the marks (what ``GET /match/jobs/{id}/results`` serves)."""
    store = request.app.state.store
    job = visible_job(store, job_id, caller(request))
    return FileResponse(marked_file(store, job), media_type="text/csv",
                        filename=f"decisions-{job.id}.csv")


@page(router, "GET", "/ui/subscriber/deliveries", Permission.DELIVERIES_READ)
def deliveries(request: Request, subscriber: str | None = None) -> Response:
    """The signed-in subscriber's deliveries (staff: the subscriber they choose)."""
    who = caller(request)
    store = request.app.state.store
    names: list[str] = []
    if who.confined_to is not None:
        chosen: str | None = who.confined_to
    else:
        names = [s.name for s in list_subscribers(store)]
        chosen = subscriber or None
    views = delivery_views(store, chosen) if chosen else []
    return render(request, "subscriber/deliveries.html",
                  {"subscriber": chosen, "names": names, "deliveries": views})


@page(router, "GET", "/ui/subscriber/deliveries/{delivery_id}/files/{name}",
      Permission.DELIVERIES_READ)
def delivery_download(request: Request, delivery_id: str, name: str) -> Response:
    """One signed file of a delivery (as ``GET /deliveries/{id}/files/{name}``)."""
    who = caller(request)
    number = _int(delivery_id, "delivery", default=0, low=1)
    _owner, path = delivery_file(request.app.state.store, number, name,
                                 only_for=who.confined_to)
    return FileResponse(path, media_type="application/octet-stream", filename=name)
