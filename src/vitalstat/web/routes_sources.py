"""Registered sources (who may send death reports) and bulk hold actions (two people).

Included before the single-hold routes: ``/holds/bulk`` must not be read as
``/holds/{ssn}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from vitalstat.domain.access import Permission as P
from vitalstat.domain.reports import SourceKind
from vitalstat.services import bulk as svc_bulk
from vitalstat.services.sources import SourceInfo, list_sources, register_source, update_source
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, route

router = APIRouter(tags=["sources and bulk holds"])
Who = Annotated[Identity, Depends(caller)]
SourceKindName = Literal[tuple(k.value for k in SourceKind)]  # type: ignore[valid-type]
SourceId = Annotated[str, PathParam(min_length=1, max_length=200)]
BulkNumber = Annotated[str, PathParam(min_length=1, max_length=20,
                                      description="like B-000001")]
Ceiling = Annotated[int | None, Field(ge=0, le=10_000_000,
                                      description="deaths a day before its batches are "
                                                  "held; null: VITALSTAT_SURGE_CEILING")]

# ------------------------------------------------------------------ sources


class SourceOut(BaseModel):
    kind: str
    source_id: str
    registered_at: str
    registered_by: str
    surge_ceiling: int | None
    note: str
    batches: int
    reports: int
    last_batch_at: str | None


def _source_out(s: SourceInfo) -> SourceOut:
    return SourceOut(kind=s.source.kind.value, source_id=s.source.source_id,
                     registered_at=s.registered_at, registered_by=s.registered_by,
                     surge_ceiling=s.surge_ceiling, note=s.note, batches=s.batches,
                     reports=s.reports, last_batch_at=s.last_batch_at)


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SourceKindName  # type: ignore[valid-type]
    source_id: str = Field(min_length=1, max_length=200)
    surge_ceiling: Ceiling = None
    note: str = Field(default="", max_length=2000)


class SourceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surge_ceiling: Ceiling


@route(router, "GET", "/sources", P.SOURCES_READ, response_model=list[SourceOut])
def sources(request: Request) -> list[SourceOut]:
    """Registered sources with their ceilings and what each has sent."""
    return [_source_out(s) for s in list_sources(request.app.state.store)]


@route(router, "POST", "/sources", P.SOURCES_MANAGE, status_code=201,
       response_model=SourceOut)
def register(request: Request, body: SourceIn, who: Who) -> SourceOut:
    """Register a source (as `vitalstat source register`): only a registered source may
    send reports; a second registration is refused (409)."""
    return _source_out(register_source(request.app.state.store, kind=body.kind,
                                       source_id=body.source_id, actor=who.name,
                                       surge_ceiling=body.surge_ceiling, note=body.note))


@route(router, "PATCH", "/sources/{kind}/{source_id}", P.SOURCES_MANAGE,
       response_model=SourceOut)
def update(request: Request, kind: SourceKindName,  # type: ignore[valid-type]
           source_id: SourceId, body: SourceChange, who: Who) -> SourceOut:
    """Set a source's daily surge ceiling (`null`: back to the default)."""
    return _source_out(update_source(request.app.state.store, kind=kind, source_id=source_id,
                                     actor=who.name, surge_ceiling=body.surge_ceiling))


# ---------------------------------------------------------------- bulk holds


class BulkOut(BaseModel):
    number: str
    action: str
    selection: dict[str, int | str]
    note: str
    proposed_by: str
    proposed_at: str
    state: Literal["proposed", "applied", "refused"]
    decided_by: str | None
    decided_at: str | None
    decision_note: str
    size: int
    tally: dict[str, int]
    outcomes: dict[str, str | None] = Field(
        description="SSN -> the record's status after, or skipped (null: not applied)")


def _bulk_out(b: svc_bulk.BulkAction) -> BulkOut:
    return BulkOut(number=b.number, action=b.action, selection=b.selection, note=b.note,
                   proposed_by=b.proposed_by, proposed_at=b.proposed_at,
                   state=b.state,  # type: ignore[arg-type]
                   decided_by=b.decided_by, decided_at=b.decided_at,
                   decision_note=b.decision_note, size=b.size, tally=b.tally(),
                   outcomes=b.outcomes)


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["release", "reject"]
    reason: str = Field(min_length=1, max_length=2000, description="why, for the approver")
    batch: int | None = Field(default=None, ge=1, le=2**62, description="an ingest batch id")
    code: str | None = Field(default=None, min_length=1, max_length=64,
                             description="a review reason code")


class BulkRefuseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@route(router, "GET", "/holds/bulk", P.HOLDS_READ, response_model=list[BulkOut])
def bulk_list(request: Request,
              state: Annotated[Literal["proposed", "applied", "refused"] | None,
                               Query()] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[BulkOut]:
    """Bulk hold actions, oldest first."""
    return [_bulk_out(b) for b in svc_bulk.list_bulk(request.app.state.store, state=state,
                                                     limit=limit)]


@route(router, "POST", "/holds/bulk", P.HOLDS_DECIDE, status_code=201,
       response_model=BulkOut)
def bulk_propose(request: Request, body: BulkIn, who: Who) -> BulkOut:
    """Propose releasing or rejecting every held record of a batch and/or review reason;
    the selection is frozen now, and a second, different user must approve it."""
    return _bulk_out(svc_bulk.propose_bulk(request.app.state.store, body.action,
                                           actor=who.name, note=body.reason,
                                           batch=body.batch, code=body.code))


@route(router, "GET", "/holds/bulk/{number}", P.HOLDS_READ, response_model=BulkOut)
def bulk_show(request: Request, number: BulkNumber) -> BulkOut:
    return _bulk_out(svc_bulk.show_bulk(request.app.state.store, number))


@route(router, "POST", "/holds/bulk/{number}/approve", P.HOLDS_DECIDE,
       response_model=BulkOut)
def bulk_approve(request: Request, number: BulkNumber, who: Who) -> BulkOut:
    """A second user applies the proposal (its proposer is refused: `self-approval`)."""
    cfg = request.app.state.config
    return _bulk_out(svc_bulk.approve_bulk(request.app.state.store, number, actor=who.name,
                                           today=datetime.now(UTC).date(), rules=cfg.rules))


@route(router, "POST", "/holds/bulk/{number}/refuse", P.HOLDS_DECIDE, response_model=BulkOut)
def bulk_refuse(request: Request, number: BulkNumber, body: BulkRefuseIn, who: Who) -> BulkOut:
    """Refuse (or, by its proposer, withdraw) a proposal: nothing changes."""
    return _bulk_out(svc_bulk.refuse_bulk(request.app.state.store, number, actor=who.name,
                                          note=body.reason))
