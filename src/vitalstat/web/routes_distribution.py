"""Releases, subscribers and deliveries: build, list, and download signed files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from vitalstat.domain.access import Permission as P
from vitalstat.domain.access import Role
from vitalstat.errors import NotFoundError
from vitalstat.services.distribution import deliver
from vitalstat.services.releases import Release, build_release, get_release, list_releases
from vitalstat.services.subscribers import (
    Subscriber,
    add_subscriber,
    deliveries_of,
    delivery_file,
    file_in,
    get_subscriber,
    list_subscribers,
)
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, route

router = APIRouter(tags=["distribution"])
Who = Annotated[Identity, Depends(caller)]
_FILE = {200: {"content": {"application/octet-stream": {"schema": {"type": "string",
                                                                     "format": "binary"}}},
               "description": "the file, as signed in its manifest"}}
FileName = Annotated[str, PathParam(min_length=1, max_length=100, pattern=r"^[\w.-]+$")]


class ReleaseOut(BaseModel):
    id: int
    built_at: str
    built_by: str
    previous_id: int | None
    record_count: int
    adds: int
    changes: int
    deletes: int
    manifest_sha256: str
    key_id: str
    files: str = Field(description="download a file: GET /releases/{id}/files/{name}")


def _release_out(r: Release) -> ReleaseOut:
    return ReleaseOut(id=r.id, built_at=r.built_at, built_by=r.built_by,
                      previous_id=r.previous_id, record_count=r.record_count, adds=r.adds,
                      changes=r.changes, deletes=r.deletes, manifest_sha256=r.manifest_sha256,
                      key_id=r.key_id, files=f"/releases/{r.id}/files/manifest.json")


@route(router, "GET", "/releases", P.RELEASES_READ, response_model=list[ReleaseOut])
def releases(request: Request) -> list[ReleaseOut]:
    """Every release, oldest first."""
    return [_release_out(r) for r in list_releases(request.app.state.store)]


class BuildOut(BaseModel):
    built: bool
    release: ReleaseOut


@route(router, "POST", "/releases", P.RELEASES_BUILD, response_model=BuildOut)
def build(request: Request, who: Who) -> BuildOut:
    """Build the next signed release (nothing changed: the latest one, `built` false)."""
    cfg = request.app.state.config
    result = build_release(request.app.state.store, actor=who.name, releases=cfg.releases,
                           keys=cfg.keys)
    return BuildOut(built=result.built, release=_release_out(result.release))


ReleaseId = Annotated[int, PathParam(ge=1, le=1_000_000_000)]


@route(router, "GET", "/releases/{release_id}", P.RELEASES_READ, response_model=ReleaseOut)
def release(request: Request, release_id: ReleaseId) -> ReleaseOut:
    return _release_out(get_release(request.app.state.store, release_id))


@route(router, "GET", "/releases/{release_id}/files/{name}", P.RELEASES_READ,
       response_class=FileResponse, responses=_FILE)
def release_file(request: Request, release_id: ReleaseId, name: FileName) -> FileResponse:
    """One file of a release (records.parquet, full.dmf, delta files, manifest.json and
    its .minisig signature)."""
    path = file_in(get_release(request.app.state.store, release_id).path, name)
    return FileResponse(path, media_type="application/octet-stream", filename=name)


class SubscriberOut(BaseModel):
    name: str
    tier: str
    treated_as: str | None = Field(description="the tier it receives today (null: nothing)")
    notes: list[str]
    certified_until: str | None
    agreement_id: str | None
    agreement_start: str | None
    agreement_end: str | None
    suspended: bool


def _sub_out(s: Subscriber) -> SubscriberOut:
    ent = s.entitlement(datetime.now(UTC).date())
    a = s.standing.agreement
    return SubscriberOut(
        name=s.name, tier=s.standing.tier.value, treated_as=ent.tier.value if ent.tier else None,
        notes=list(ent.notes), certified_until=s.standing.certified_until.isoformat()
        if s.standing.certified_until else None, agreement_id=a.agreement_id if a else None,
        agreement_start=a.start.isoformat() if a else None,
        agreement_end=a.end.isoformat() if a else None, suspended=s.standing.suspended)


@route(router, "GET", "/subscribers", P.SUBSCRIBERS_READ, response_model=list[SubscriberOut])
def subscribers(request: Request) -> list[SubscriberOut]:
    return [_sub_out(s) for s in list_subscribers(request.app.state.store)]


class SubscriberIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    tier: Literal["open", "certified", "benefits-agency"]
    certified_until: date | None = None
    agreement_id: str | None = Field(default=None, max_length=200)
    agreement_start: date | None = None
    agreement_end: date | None = None


@route(router, "POST", "/subscribers", P.SUBSCRIBERS_MANAGE, status_code=201,
       response_model=SubscriberOut)
def add(request: Request, body: SubscriberIn, who: Who) -> SubscriberOut:
    """Add a subscriber (as `vitalstat subscriber add`)."""
    return _sub_out(add_subscriber(
        request.app.state.store, body.name, tier=body.tier, actor=who.name,
        certified_until=body.certified_until, agreement_id=body.agreement_id,
        agreement_start=body.agreement_start, agreement_end=body.agreement_end))


SubName = Annotated[str, PathParam(min_length=1, max_length=200)]


def _own(who: Identity, name: str) -> None:
    """A subscriber token sees only its own subscriber (others: as if absent)."""
    if who.role is Role.SUBSCRIBER and who.subscriber != name:
        raise NotFoundError(f"no subscriber named {name!r}")


@route(router, "GET", "/subscribers/{name}", P.SUBSCRIBERS_READ, response_model=SubscriberOut)
def subscriber(request: Request, name: SubName) -> SubscriberOut:
    return _sub_out(get_subscriber(request.app.state.store, name))


class DeliveryOut(BaseModel):
    id: int
    release_id: int
    kind: str
    tier: str
    delivered_at: str
    delivered_by: str
    record_count: int
    files: str


def _delivery_out(row: dict[str, Any]) -> DeliveryOut:
    return DeliveryOut(id=row["id"], release_id=row["release_id"], kind=row["kind"],
                       tier=row["tier"], delivered_at=row["delivered_at"],
                       delivered_by=row["delivered_by"], record_count=row["record_count"],
                       files=f"/deliveries/{row['id']}/files/manifest.json")


@route(router, "POST", "/subscribers/{name}/deliveries", P.DELIVERIES_MAKE, status_code=201,
       response_model=DeliveryOut)
def make_delivery(request: Request, name: SubName, who: Who) -> DeliveryOut:
    """Deliver to the subscriber what changed since what it holds (as `vitalstat deliver`),
    into the releases directory's `deliveries/NAME/`."""
    cfg = request.app.state.config
    store = request.app.state.store
    sub = get_subscriber(store, name)
    result = deliver(store, sub.name, out=cfg.releases / "deliveries" / f"s{sub.id:06d}",
                     actor=who.name, keys=cfg.keys, rule=cfg.embargo)
    rows = [r for r in deliveries_of(store, sub.name) if r["id"] == result.delivery_id]
    return _delivery_out(rows[0])


@route(router, "GET", "/subscribers/{name}/deliveries", P.DELIVERIES_READ,
       response_model=list[DeliveryOut])
def deliveries(request: Request, name: SubName, who: Who) -> list[DeliveryOut]:
    """The subscriber's deliveries (a subscriber token: only its own)."""
    _own(who, name)
    return [_delivery_out(r) for r in deliveries_of(request.app.state.store, name)]


DeliveryId = Annotated[int, PathParam(ge=1, le=1_000_000_000)]


@route(router, "GET", "/deliveries/{delivery_id}/files/{name}", P.DELIVERIES_READ,
       response_class=FileResponse, responses=_FILE)
def delivery_download(request: Request, delivery_id: DeliveryId, name: FileName, who: Who
                      ) -> FileResponse:
    """One file of a delivery (full.dmf or update.dmf, corrections.csv, manifest.json and
    its .minisig signature)."""
    _owner, path = delivery_file(request.app.state.store, delivery_id, name,
                                 only_for=who.confined_to)
    return FileResponse(path, media_type="application/octet-stream", filename=name)
