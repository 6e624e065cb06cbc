"""Holds (two-person decisions), correction cases, letters, and the public case desk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from vitalstat.domain.access import Permission as P
from vitalstat.domain.cases import CaseKind, CaseState, EvidenceType
from vitalstat.domain.records import ReviewReason
from vitalstat.errors import NotFoundError
from vitalstat.services import cases as svc
from vitalstat.services import public
from vitalstat.services.holds import decide_hold, held_records
from vitalstat.services.registry import show_record
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, route
from vitalstat.web.models import RecordOut, record_out

router = APIRouter(tags=["corrections"])
Who = Annotated[Identity, Depends(caller)]
SSNPath = Annotated[str, PathParam(min_length=9, max_length=11)]
CaseNumber = Annotated[str, PathParam(min_length=1, max_length=20,
                                      description="like C-000001")]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]

# ------------------------------------------------------------------- holds


@route(router, "GET", "/holds", P.HOLDS_READ, response_model=list[RecordOut])
def holds(request: Request,
          reason: Annotated[Literal[tuple(r.value for r in ReviewReason)] | None,  # type: ignore[valid-type]
                            Query()] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[RecordOut]:
    """The review queue: held and pending records, oldest change first."""
    return [record_out(r) for r in held_records(request.app.state.store, reason=reason,
                                                limit=limit)]


@route(router, "GET", "/holds/{ssn}", P.HOLDS_READ, response_model=RecordOut)
def hold(request: Request, ssn: SSNPath) -> RecordOut:
    view = show_record(request.app.state.store, ssn)
    if view.record is None:
        raise NotFoundError("no record for this SSN")
    return record_out(view.record)


class HoldIn(BaseModel):
    reason: Reason


class HoldOut(BaseModel):
    ssn: str
    action: Literal["release", "reject"]
    outcome: Literal["proposed", "applied"]
    needs: list[str]
    record: RecordOut


def _decide(request: Request, ssn: str, action: str, body: HoldIn, who: Identity) -> HoldOut:
    cfg = request.app.state.config
    d = decide_hold(request.app.state.store, ssn, action, actor=who.name, note=body.reason,
                    today=datetime.now(UTC).date(), rules=cfg.rules)
    return HoldOut(ssn=d.ssn, action=d.action, outcome=d.outcome,  # type: ignore[arg-type]
                   needs=list(d.needs), record=record_out(d.record))


@route(router, "POST", "/holds/{ssn}/release", P.HOLDS_DECIDE, response_model=HoldOut)
def release(request: Request, ssn: SSNPath, body: HoldIn, who: Who) -> HoldOut:
    """Publish a held record: one user proposes, a second, different one applies it."""
    return _decide(request, ssn, "release", body, who)


@route(router, "POST", "/holds/{ssn}/reject", P.HOLDS_DECIDE, response_model=HoldOut)
def reject(request: Request, ssn: SSNPath, body: HoldIn, who: Who) -> HoldOut:
    """Take a held record off the file (two users if state vital records back it)."""
    return _decide(request, ssn, "reject", body, who)


# ------------------------------------------------------------------- cases


class StepOut(BaseModel):
    at: str
    actor: str
    what: str
    detail: str


class EvidenceOut(BaseModel):
    type: str
    file_name: str
    sha256: str
    size: int
    received_at: str
    actor: str


class CaseOut(BaseModel):
    number: str
    ssn: str
    kind: str
    opened_by: str
    contact: str
    state: str
    proposed: str | None
    proposed_by: str
    reason: str
    opened_at: str
    decided_at: str | None
    closed_at: str | None
    evidence: list[EvidenceOut]
    timeline: list[StepOut]
    letter_code: str | None = None


def _case_out(view: svc.CaseView, letter_code: str | None = None) -> CaseOut:
    c = view.case
    return CaseOut(
        number=c.number, ssn=c.ssn, kind=c.kind.value, opened_by=c.opened_by.value,
        contact=c.contact, state=c.state.value,
        proposed=c.proposed.value if c.proposed else None, proposed_by=c.proposed_by,
        reason=c.reason, opened_at=view.opened_at, decided_at=view.decided_at,
        closed_at=view.closed_at,
        evidence=[EvidenceOut(type=e["type"], file_name=e["file_name"], sha256=e["sha256"],
                              size=e["size"], received_at=e["received_at"], actor=e["actor"])
                  for e in view.evidence],
        timeline=[StepOut(at=s.at.isoformat(), actor=s.actor, what=s.what, detail=s.detail)
                  for s in c.timeline], letter_code=letter_code)


CaseKindName = Literal[tuple(k.value for k in CaseKind)]  # type: ignore[valid-type]


class CaseIn(BaseModel):
    ssn: str = Field(min_length=9, max_length=11)
    kind: CaseKindName  # type: ignore[valid-type]
    by: Literal["person", "representative", "subscriber", "staff"]
    contact: str = Field(min_length=1, max_length=500)


@route(router, "GET", "/cases", P.CASES_READ, response_model=list[CaseOut])
def cases(request: Request,
          state: Annotated[Literal[tuple(s.value for s in CaseState)] | None,  # type: ignore[valid-type]
                           Query()] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[CaseOut]:
    """Cases, oldest first."""
    return [_case_out(v) for v in svc.list_cases(request.app.state.store, state=state,
                                                 limit=limit)]


@route(router, "POST", "/cases", P.CASES_MANAGE, status_code=201, response_model=CaseOut)
def open_case(request: Request, body: CaseIn, who: Who) -> CaseOut:
    """Open a correction case; the record is held at once."""
    store = request.app.state.store
    case = svc.open_case(store, ssn=body.ssn, kind=body.kind, opened_by=body.by,
                         contact=body.contact, actor=who.name,
                         rules=request.app.state.config.rules)
    return _case_out(svc.show_case(store, case.number))


@route(router, "GET", "/cases/{number}", P.CASES_READ, response_model=CaseOut)
def case(request: Request, number: CaseNumber) -> CaseOut:
    return _case_out(svc.show_case(request.app.state.store, number))


@route(router, "POST", "/cases/{number}/evidence", P.CASES_MANAGE, status_code=201,
       response_model=CaseOut)
def evidence(request: Request, number: CaseNumber, who: Who,
             file: Annotated[UploadFile, File()],
             type: Annotated[Literal[tuple(e.value for e in EvidenceType)],  # type: ignore[valid-type]
                             Form()],
             alive_on: Annotated[date | None, Form()] = None) -> CaseOut:
    """File evidence (kept by SHA-256); evidence of life may carry the day seen alive."""
    cfg = request.app.state.config
    store = request.app.state.store
    with uploaded(file, "evidence") as path:
        svc.add_evidence(store, number, path, evidence_type=type, actor=who.name,
                         cases_dir=cfg.cases_dir, alive_on=alive_on, rules=cfg.rules)
    return _case_out(svc.show_case(store, number))


@contextmanager
def uploaded(file: UploadFile, what: str) -> Iterator[Path]:
    """The uploaded file, streamed into a temporary file under its own base name (gone
    after the block)."""
    name = Path(file.filename or what).name or what
    with tempfile.TemporaryDirectory(prefix=f"vitalstat-{what}-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as fh:
            while chunk := file.file.read(1 << 20):
                fh.write(chunk)
        yield path


class DecisionIn(BaseModel):
    outcome: Literal["reinstate", "reject"]
    reason: Reason


def _stepped(request: Request, view: svc.CaseView) -> CaseOut:
    """The case after a step; the letter's code only in the answer of the step that
    wrote the letter."""
    return _case_out(view, view.letter_code if view.letter is not None else None)


@route(router, "POST", "/cases/{number}/decision", P.CASES_MANAGE, response_model=CaseOut)
def decide(request: Request, number: CaseNumber, body: DecisionIn, who: Who) -> CaseOut:
    """Decide, or under the two-person rule propose, reinstatement or rejection."""
    cfg = request.app.state.config
    return _stepped(request, svc.decide_case(
        request.app.state.store, number, body.outcome, reason=body.reason, actor=who.name,
        cases_dir=cfg.cases_dir, rules=cfg.rules))


@route(router, "POST", "/cases/{number}/approve", P.CASES_APPROVE, response_model=CaseOut)
def approve(request: Request, number: CaseNumber, who: Who) -> CaseOut:
    """A second, different user approves the proposed decision."""
    cfg = request.app.state.config
    return _stepped(request, svc.approve_case(request.app.state.store, number, actor=who.name,
                                              cases_dir=cfg.cases_dir, rules=cfg.rules))


class RefuseIn(BaseModel):
    reason: Reason


@route(router, "POST", "/cases/{number}/refuse", P.CASES_APPROVE, response_model=CaseOut)
def refuse(request: Request, number: CaseNumber, body: RefuseIn, who: Who) -> CaseOut:
    """The second user refuses the proposal: the case goes back to open."""
    cfg = request.app.state.config
    return _case_out(svc.refuse_case(request.app.state.store, number, actor=who.name,
                                     reason=body.reason, cases_dir=cfg.cases_dir,
                                     rules=cfg.rules))


# ------------------------------------------------------------- public desk


class LetterOut(BaseModel):
    number: str
    state: str
    decided_at: str | None


@route(router, "GET", "/letters/{code}", P.PUBLIC, response_model=LetterOut)
def letter(request: Request, code: Annotated[str, PathParam(min_length=1, max_length=40)]
           ) -> LetterOut:
    """Check a reinstatement letter's verification code (anyone may)."""
    found = svc.verify_letter(request.app.state.store, code)
    return LetterOut(number=found.number, state=found.state, decided_at=found.decided_at)


class PublicCaseIn(BaseModel):
    ssn: str = Field(min_length=9, max_length=11)
    last_name: str = Field(min_length=1, max_length=200)
    date_of_birth: str = Field(min_length=10, max_length=10, description="YYYY-MM-DD")
    kind: CaseKindName = "erroneous-death"  # type: ignore[valid-type]
    by: Literal["person", "representative"] = "person"
    contact: str = Field(min_length=1, max_length=500,
                         description="how to reach you about the case")


class PublicCaseOut(BaseModel):
    number: str
    secret: str = Field(description="shown once: keep it with the case number")
    state: str
    status: str = Field(description="where to check the case's status")


@route(router, "POST", "/public/cases", P.PUBLIC, status_code=201,
       response_model=PublicCaseOut)
def public_open(request: Request, body: PublicCaseIn) -> PublicCaseOut:
    """Open a correction case without an account: you get a case number and a secret
    (shown once). The record is held at once while the case is open. The SSN, surname
    and full date of birth must agree with the record; otherwise the same 404 whether
    the SSN is unknown or a detail is wrong."""
    case, secret = public.open_case_public(request.app.state.store, ssn=body.ssn,
                                           last_name=body.last_name,
                                        date_of_birth=body.date_of_birth, kind=body.kind,
                                        opened_by=body.by, contact=body.contact,
                                        rules=request.app.state.config.rules)
    return PublicCaseOut(number=case.number, secret=secret, state=case.state.value,
                         status=f"/public/cases/{case.number}")


class PublicStatusOut(BaseModel):
    number: str
    kind: str
    state: str
    opened_at: str
    decided_at: str | None
    closed_at: str | None


@route(router, "GET", "/public/cases/{number}", P.PUBLIC, response_model=PublicStatusOut)
def public_status(request: Request, number: CaseNumber,
                  secret: Annotated[str, Header(alias="X-Case-Secret", min_length=1,
                                                max_length=200)]) -> PublicStatusOut:
    """A case's state and dates, for whoever holds its number and secret
    (header `X-Case-Secret`)."""
    s = public.public_case_status(request.app.state.store, number, secret)
    return PublicStatusOut(number=s.number, kind=s.kind, state=s.state, opened_at=s.opened_at,
                           decided_at=s.decided_at, closed_at=s.closed_at)
