"""The audit log: signed checkpoints, verification, and proofs for third parties.

Who may call what (README "HTTP API"): checkpoints, verification and inclusion proofs
are for auditors and admins (an inclusion proof carries the event itself: actor,
subject, detail, which name people and SSNs). A consistency proof holds only hashes
and signed checkpoints, so it is public: whoever holds a release's ``checkpoint.json``
can check that the log only grew since, without an account.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from vitalstat.audit.checkpoint import SignedCheckpoint
from vitalstat.domain.access import Permission as P
from vitalstat.services import audit as svc
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, route

router = APIRouter(tags=["audit"])
Who = Annotated[Identity, Depends(caller)]
Size = Annotated[int, Query(ge=1, le=2**62, description="a checkpointed log size")]


class SignedCheckpointOut(BaseModel):
    """A signed checkpoint, as in a release's `checkpoint.json`."""

    format: str
    size: int
    root: str
    time: str
    key_id: str
    signature: str


class CheckpointOut(BaseModel):
    id: int
    new: bool = Field(description="false: no event since this, the latest, checkpoint")
    checkpoint: SignedCheckpointOut


class StoredCheckpointOut(BaseModel):
    id: int
    size: int
    root: str
    time: str
    key_id: str
    created_by: str
    created_at: str


class VerdictOut(BaseModel):
    ok: Literal[True]
    entries: int
    checkpoints: int
    covered: int = Field(description="entries covered by a signed checkpoint")
    pending: int = Field(description="newer entries not yet checkpointed")


class InclusionOut(BaseModel):
    format: str
    proof: Literal["inclusion"]
    event_id: int
    leaf_index: int
    leaf: str = Field(description="the event's canonical JSON (the leaf data)")
    path: list[str]
    checkpoint: SignedCheckpointOut


class ConsistencyOut(BaseModel):
    format: str
    proof: Literal["consistency"]
    first: SignedCheckpointOut
    second: SignedCheckpointOut
    path: list[str]


@route(router, "GET", "/audit/checkpoints", P.AUDIT_READ,
       response_model=list[StoredCheckpointOut])
def checkpoints(request: Request) -> list[StoredCheckpointOut]:
    """Every stored checkpoint, oldest first (as stored: GET /audit/verify checks them)."""
    return [StoredCheckpointOut(id=r["id"], size=r["tree_size"], root=r["root_hash"],
                                time=r["log_time"], key_id=r["key_id"],
                                created_by=r["created_by"], created_at=r["created_at"])
            for r in svc.list_checkpoints(request.app.state.store)]


@route(router, "POST", "/audit/checkpoint", P.AUDIT_CHECKPOINT, response_model=CheckpointOut)
def checkpoint(request: Request, who: Who) -> CheckpointOut:
    """Log every new event and sign a checkpoint with the release key (as
    `vitalstat audit checkpoint`); nothing new: the latest one, `new` false."""
    r = svc.write_checkpoint(request.app.state.store, keys=request.app.state.config.keys,
                             actor=who.name)
    return CheckpointOut(id=r.id, new=r.new,
                         checkpoint=SignedCheckpointOut(**r.signed.as_json()))


def _verify(request: Request, external: list[SignedCheckpoint]) -> VerdictOut:
    trusted = svc.trusted_keys(request.app.state.config.keys)
    v = svc.verify_audit_log(request.app.state.store, trusted=trusted, external=external)
    return VerdictOut(ok=True, entries=v.entries, checkpoints=v.checkpoints, covered=v.covered,
                      pending=v.entries - v.covered)


@route(router, "GET", "/audit/verify", P.AUDIT_READ, response_model=VerdictOut)
def verify(request: Request) -> VerdictOut:
    """Recompute every leaf, root, signature and consistency proof against the public
    keys in `VITALSTAT_KEYS`. A failure answers 409 `audit-log`, its message naming the
    first bad entry and `event_id` holding it where known."""
    return _verify(request, [])


class VerifyIn(BaseModel):
    checkpoints: list[dict[str, Any]] = Field(
        min_length=1, max_length=100,
        description="signed checkpoints kept elsewhere (a release's checkpoint.json)")


@route(router, "POST", "/audit/verify", P.AUDIT_READ, response_model=VerdictOut)
def verify_against(request: Request, body: VerifyIn) -> VerdictOut:
    """As GET, and also against checkpoints kept outside the registry (as
    `vitalstat audit verify --checkpoint`): a log cut back behind the newest stored
    checkpoint is caught only so."""
    external = [SignedCheckpoint.from_json(c, source=f"checkpoint {n}")
                for n, c in enumerate(body.checkpoints, 1)]
    return _verify(request, external)


@route(router, "GET", "/audit/proofs/inclusion/{event_id}", P.AUDIT_READ,
       response_model=InclusionOut)
def inclusion(request: Request,
              event_id: Annotated[int, PathParam(ge=1, le=2**62)],
              size: Annotated[int | None, Query(ge=1, le=2**62, description=(
                  "the checkpoint to prove against (default: the latest)"))] = None
              ) -> dict[str, Any]:
    """Proof that an event is in a signed checkpoint (check it with
    `python -m vitalstat.audit.verify proof.json --key release.pub`)."""
    return svc.prove_inclusion(request.app.state.store, event_id, size=size)


@route(router, "GET", "/audit/proofs/consistency", P.PUBLIC, response_model=ConsistencyOut)
def consistency(request: Request, first: Size, second: Size) -> dict[str, Any]:
    """Proof that the checkpoint of size `second` extends the one of size `first`."""
    return svc.prove_consistency(request.app.state.store, first, second)
