"""Reports in (JSON or a file, with an ``Idempotency-Key``), records out, counts."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitalstat.domain.access import Permission as P
from vitalstat.domain.access import Role
from vitalstat.domain.reports import SourceKind
from vitalstat.services.idempotency import remember, replay, request_digest
from vitalstat.services.ingest import IngestResult, ingest_file, ingest_reports
from vitalstat.services.registry import record_for_subscriber, registry_stats, show_record
from vitalstat.services.tokens import Identity
from vitalstat.store.repo import canonical_json
from vitalstat.web.authz import caller, identity, lookup_read, route
from vitalstat.web.models import PublicRecord, RecordOut, ReportIn, public_fields, record_out

router = APIRouter(tags=["registry"])

Who = Annotated[Identity, Depends(caller)]
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="Required. The same key with the same request gets the same answer and "
                "changes nothing; the same key with another request is refused (409).")]
SourceKindName = Literal[tuple(k.value for k in SourceKind)]  # type: ignore[valid-type]


class IngestOut(BaseModel):
    batch_id: int | None
    already_ingested: bool
    source: str
    format: str
    file_sha256: str
    received_at: str
    lines: int
    reports_new: int
    reports_duplicate: int
    records_created: int
    records_changed: int
    records_held: int
    batch_reasons: list[str]


def _ingest_out(r: IngestResult) -> dict[str, Any]:
    return IngestOut(batch_id=r.batch_id, already_ingested=r.already_ingested,
                     source=r.source, format=r.fmt, file_sha256=r.file_sha256,
                     received_at=r.received_at, lines=r.lines, reports_new=r.reports_new,
                     reports_duplicate=r.reports_duplicate,
                     records_created=r.records_created, records_changed=r.records_changed,
                     records_held=len(r.records_held) + r.records_held_in_bulk,
                     batch_reasons=r.batch_reasons).model_dump()


def _idempotent(request: Request, who: Identity, key: str, digest: str,
                run: Callable[[], dict[str, Any]], status: int = 201) -> JSONResponse:
    store = request.app.state.store
    earlier = replay(store, who.name, key, digest)
    if earlier is None:
        earlier = remember(store, who.name, key, digest, status, run())
    code, body = earlier
    return JSONResponse(body, status_code=code, headers={"Idempotency-Key": key})


class ReportsIn(BaseModel):
    source_kind: SourceKindName  # type: ignore[valid-type]
    source_id: str = Field(min_length=1, max_length=200)
    reports: list[ReportIn] = Field(min_length=1, max_length=10_000)


@route(router, "POST", "/reports", P.REPORTS_INGEST, status_code=201, response_model=IngestOut)
def ingest_json(request: Request, body: ReportsIn, key: IdempotencyKey, who: Who
                ) -> JSONResponse:
    """Ingest death reports sent as JSON: one batch, all or nothing, as `vitalstat ingest`."""
    cfg = request.app.state.config
    digest = request_digest("POST /reports", canonical_json(body.model_dump()))

    def run() -> dict[str, Any]:
        result = ingest_reports(
            request.app.state.store, [r.model_dump() for r in body.reports],
            source_kind=body.source_kind, source_id=body.source_id, actor=who.name,
            chunk_lines=cfg.chunk_lines, rules=cfg.rules)
        return _ingest_out(result)

    return _idempotent(request, who, key, digest, run)


@route(router, "POST", "/reports/file", P.REPORTS_INGEST, upload=True, status_code=201,
       response_model=IngestOut)
def ingest_upload(request: Request, key: IdempotencyKey, who: Who,
                  file: Annotated[UploadFile, File(description="DMF, CSV or Parquet")],
                  source_kind: Annotated[SourceKindName, Form()],  # type: ignore[valid-type]
                  source_id: Annotated[str, Form(min_length=1, max_length=200)],
                  format: Annotated[Literal["dmf", "csv", "parquet"] | None, Form()] = None,
                  ) -> JSONResponse:
    """Ingest an uploaded file of death reports (format from `format` or the file name)."""
    cfg = request.app.state.config
    name = Path(file.filename or "upload").name or "upload"
    with tempfile.TemporaryDirectory(prefix="vitalstat-upload-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as fh:
            while chunk := file.file.read(1 << 20):
                fh.write(chunk)
        from vitalstat.formats import file_sha256

        digest = request_digest("POST /reports/file", file_sha256(path), source_kind,
                                source_id, format or "", name)

        def run() -> dict[str, Any]:
            return _ingest_out(ingest_file(
                request.app.state.store, path, source_kind=source_kind, source_id=source_id,
                actor=who.name, fmt=format, chunk_lines=cfg.chunk_lines, rules=cfg.rules))

        return _idempotent(request, who, key, digest, run)


class ReportOut(BaseModel):
    source_kind: str
    source_id: str
    action: str
    proof: str
    date_of_death: str | None
    received_at: str
    reporter_name: str
    reporter_relationship: str


class EventOut(BaseModel):
    occurred_at: str
    actor: str
    kind: str


class RecordView(BaseModel):
    ssn: str
    record: RecordOut | None
    reports: list[ReportOut]
    events: list[EventOut]


SSNPath = Annotated[str, PathParam(min_length=9, max_length=11,
                                   description="9 digits (dashes or spaces allowed)")]


@route(router, "GET", "/records/{ssn}", P.RECORDS_READ, lookup="ssn",
       response_model=RecordView | PublicRecord)
async def lookup(request: Request, ssn: SSNPath) -> RecordView | PublicRecord | JSONResponse:
    """A record by SSN. A subscriber token gets the public fields of a record it may
    receive (tier, embargo, restricted sources: as its deliveries), else 404 as for an SSN
    not on the file; staff get the record, its reports and its events.

    async, run in the event loop: a few primary-key reads, cheaper than a hop to the
    threadpool (the lookup is 90% of the load)."""
    # (the docstring is the OpenAPI description.) For a subscriber, the guard read the
    # token, the subscriber and the record in one statement (``lookup="ssn"``); the
    # caller's identity is read directly, not through the ``Who`` dependency: one fewer
    # for FastAPI to solve on the route that takes 90% of the load
    who = identity(request)
    store = request.app.state.store
    if who.role is Role.SUBSCRIBER:
        assert who.subscriber is not None
        rec = record_for_subscriber(store, ssn, who.subscriber, today=datetime.now(UTC).date(),
                                    rule=request.app.state.config.embargo,
                                    read=lookup_read(request))
        # the hot path: answered as is (the model is built from the record's own fields)
        return JSONResponse(public_fields(rec))
    view = show_record(store, ssn)
    return RecordView(
        ssn=view.ssn, record=record_out(view.record) if view.record else None,
        reports=[ReportOut(source_kind=r.source.kind.value, source_id=r.source.source_id,
                           action=r.action.value, proof=r.proof.value,
                           date_of_death=r.date_of_death.iso() if r.date_of_death else None,
                           received_at=r.received_at.isoformat() if r.received_at else "",
                           reporter_name=r.reporter.name,
                           reporter_relationship=r.reporter.relationship)
                 for r in view.reports],
        events=[EventOut(occurred_at=e["occurred_at"], actor=e["actor"], kind=e["kind"])
                for e in view.events])


class StatsOut(BaseModel):
    records: int
    records_by_status: dict[str, int]
    reports: int
    reports_by_source_kind: dict[str, int]
    review_reasons: dict[str, int]
    sources: int
    batches: int
    events: int


@route(router, "GET", "/stats", P.STATS_READ, response_model=StatsOut)
def stats(request: Request) -> dict[str, Any]:
    """Records by status, reports by source kind, records held by reason."""
    return registry_stats(request.app.state.store)

