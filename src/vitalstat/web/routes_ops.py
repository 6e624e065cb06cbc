"""Health and metrics: public, no personal data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from vitalstat.domain.access import Permission
from vitalstat.web.authz import route

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    schema_revision: str


@route(router, "GET", "/health", Permission.PUBLIC, response_model=Health)
def health(request: Request) -> Health:
    """The server is up and its registry answers at the expected schema."""
    store = request.app.state.store
    store.check_schema()
    return Health(status="ok", schema_revision=store.head_revision())


@route(router, "GET", "/metrics", Permission.PUBLIC, response_class=PlainTextResponse,
       responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                        "description": "Prometheus text format"}})
def metrics(request: Request) -> PlainTextResponse:
    """Request counts and latencies by route template, in the Prometheus text format."""
    return PlainTextResponse(request.app.state.metrics.text(),
                             media_type="text/plain; version=0.0.4")
