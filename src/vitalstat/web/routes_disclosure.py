"""Disclosure to other agencies: requests, approvals, answers, legal bases and matching
agreements (the accounting and transparency report: ``routes_accounting``).

The rules are the services' (``services.disclosure``, ``disclosure_bases``,
``accounting``); here only who is calling: the token's name is the actor, its role the
one role the services see, and an ``agency`` token sees only the requests it recorded
(others: as if absent).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as F

from vitalstat.domain.access import Permission as P
from vitalstat.domain.access import Role
from vitalstat.domain.disclosure import (
    LegalBasis,
    MatchingAgreement,
    RequestState,
)
from vitalstat.services import disclosure as svc
from vitalstat.services import disclosure_bases as bases
from vitalstat.services.disclosure_bases import words
from vitalstat.services.tokens import Identity
from vitalstat.web.authz import caller, role_names, route

router = APIRouter(tags=["disclosure"])
Who = Annotated[Identity, Depends(caller)]
Number = Annotated[str, PathParam(min_length=1, max_length=20, description="like D-000001")]
Code = Annotated[str, PathParam(min_length=1, max_length=64, description="a basis code")]
_TEXT = F(default=None, max_length=2000)
_SHORT = F(default=None, max_length=200)


def _today() -> date:
    return datetime.now(UTC).date()


# ------------------------------------------------------------------ requests


class SubjectIn(BaseModel):
    """A subject, as in a request file (README "Disclosure to other agencies")."""

    model_config = ConfigDict(extra="forbid")

    ssn: str | None = _SHORT
    first_name: str | None = _SHORT
    middle_name: str | None = _SHORT
    last_name: str | None = _SHORT
    suffix: str | None = _SHORT
    date_of_birth: str | None = _SHORT
    state: str | None = _SHORT
    zip: str | None = _SHORT
    case_status: str | None = _SHORT


class RequestIn(BaseModel):
    """The elements of a request file. A missing or wrong element is not a malformed
    call: the request is recorded as refused, with every reason (422
    `disclosure-refused`)."""

    model_config = ConfigDict(extra="forbid")

    agency: str | None = _TEXT
    agency_address: str | None = _TEXT
    signer: str | None = _TEXT
    signer_rank: str | None = _SHORT
    basis: str | None = _SHORT
    purpose: str | None = _TEXT
    relevance: str | None = _TEXT
    letter_reference: str | None = _TEXT
    fields: list[str] = F(default_factory=list, max_length=20)
    subjects: list[SubjectIn] = F(default_factory=list, max_length=10_000)
    court_order: str | None = _TEXT
    agreement: str | None = _SHORT


class ApprovalOut(BaseModel):
    approver: str
    roles: list[str]
    approved_at: str


class SubjectOut(BaseModel):
    position: int
    ssn: str | None
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    date_of_birth: str | None
    state: str
    zip: str
    case_status: str
    outcome: str | None = F(description="found | no-record | ambiguous, once answered")


class RequestOut(BaseModel):
    number: str
    state: str
    basis: str
    agency: str
    agency_address: str
    signer: str
    signer_rank: str
    purpose: str
    relevance: str
    letter_reference: str
    fields: list[str]
    court_order: str
    agreement: str
    subject_count: int
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    reasons: list[str] = F(description="why it was refused or denied")
    waiting_for: list[str] = F(description="approvals still missing")
    approvals: list[ApprovalOut]
    answered_at: str | None
    answer_sha256: str | None
    disclosed: int | None
    subjects: list[SubjectOut] = F(description="on GET /disclosures/{number} only")


def _request_out(view: svc.RequestView) -> RequestOut:
    r = view.row
    return RequestOut(
        number=view.number, state=r["state"], basis=r["basis"], agency=r["agency"],
        agency_address=r["agency_address"], signer=r["signer"], signer_rank=r["signer_rank"],
        purpose=r["purpose"], relevance=r["relevance"],
        letter_reference=r["letter_reference"], fields=words(r["fields"]),
        court_order=r["court_order"], agreement=r["agreement_id"],
        subject_count=r["subject_count"], requested_by=r["requested_by"],
        requested_at=r["requested_at"], decided_by=r["decided_by"],
        decided_at=r["decided_at"], reasons=view.reasons,
        waiting_for=[m.value for m in view.missing],
        approvals=[ApprovalOut(approver=a["approver"], roles=words(a["roles"]),
                               approved_at=a["approved_at"]) for a in view.approvals],
        answered_at=r["answered_at"], answer_sha256=r["answer_sha256"],
        disclosed=r["disclosed"],
        subjects=[SubjectOut(**{k: s[k] for k in SubjectOut.model_fields})
                  for s in view.subjects])


def requester_filter(who: Identity) -> str | None:
    """An agency sees only the requests it recorded (others: as if absent)."""
    return who.name if who.role is Role.AGENCY else None


def _own(request: Request, who: Identity, number: str) -> svc.RequestView:
    """The request, if the caller may see it (an agency: only those it recorded)."""
    return svc.show_request(request.app.state.store, number,
                            requested_by=requester_filter(who))


StateName = Literal[tuple(s.value for s in RequestState)]  # type: ignore[valid-type]


@route(router, "GET", "/disclosures", P.DISCLOSURES_READ, response_model=list[RequestOut])
def requests(request: Request, who: Who,
             state: Annotated[StateName | None, Query()] = None  # type: ignore[valid-type]
             ) -> list[RequestOut]:
    """Requests, oldest first (an agency token: its own only)."""
    return [_request_out(v) for v in svc.list_requests(
        request.app.state.store, state=state, requested_by=requester_filter(who))]


@route(router, "POST", "/disclosures", P.DISCLOSURES_REQUEST, status_code=201,
       response_model=RequestOut)
def submit(request: Request, body: RequestIn, who: Who) -> RequestOut:
    """Record a request; the token is its requester. Valid: it waits for approval
    (`pending`). Invalid: recorded as `refused` and answered 422 `disclosure-refused`
    with every reason in `problems`."""
    data = body.model_dump(exclude_none=True)
    data["subjects"] = [s.model_dump(exclude_none=True) for s in body.subjects]
    return _request_out(svc.submit_request(request.app.state.store, data, actor=who.name,
                                           today=_today()))


@route(router, "GET", "/disclosures/{number}", P.DISCLOSURES_READ, response_model=RequestOut)
def show(request: Request, number: Number, who: Who) -> RequestOut:
    """One request: its elements, subjects, approvals, reasons and answer's digest."""
    return _request_out(_own(request, who, number))


@route(router, "POST", "/disclosures/{number}/approve", P.DISCLOSURES_DECIDE,
       response_model=RequestOut)
def approve(request: Request, number: Number, who: Who) -> RequestOut:
    """Add the token's approval (never its requester's; the Privacy Officer's approval
    comes from a `privacy-officer` token). Approved once none is missing."""
    return _request_out(svc.approve_request(request.app.state.store, number, actor=who.name,
                                            roles=role_names(who)))


class DenyIn(BaseModel):
    reason: str = F(min_length=1, max_length=2000)


@route(router, "POST", "/disclosures/{number}/deny", P.DISCLOSURES_DECIDE,
       response_model=RequestOut)
def deny(request: Request, number: Number, body: DenyIn, who: Who) -> RequestOut:
    """Deny a pending or approved request: it is never answered."""
    return _request_out(svc.deny_request(request.app.state.store, number, actor=who.name,
                                         reason=body.reason))


class BasisRef(BaseModel):
    code: str
    citation: str


class AnswerOut(BaseModel):
    request: str
    answered_at: str
    agency: str
    basis: BasisRef
    fields: list[str]
    subjects: list[dict[str, Any]] = F(
        description="per subject by position: found (with only the allowed fields), "
                    "no record, or not disclosed")
    notice: str | None = None


@route(router, "POST", "/disclosures/{number}/answer", P.DISCLOSURES_ANSWER,
       response_model=AnswerOut)
def answer(request: Request, number: Number, who: Who) -> Response:
    """Answer an approved request, once: the body is the answer document itself, byte
    for byte (its SHA-256 is the request's `answer_sha256`), holding only the fields
    both requested and allowed. An agency token: its own requests only."""
    store = request.app.state.store
    view = _own(request, who, number)
    with tempfile.TemporaryDirectory(prefix="vitalstat-answer-") as tmp:
        out = Path(tmp) / f"{view.number}.json"
        svc.answer_request(store, number, actor=who.name, out=out, today=_today())
        body = out.read_bytes()
    return Response(body, media_type="application/json")


# ------------------------------------------------------------------- bases


class BasisOut(BaseModel):
    code: str
    title: str
    citation: str
    fields: list[str]
    approvals: list[str]
    needs: list[str]
    min_signer_rank: str | None
    max_subjects: int | None = F(description="null: bulk")
    hidden_from_subject: bool


def _basis_out(b: LegalBasis) -> BasisOut:
    return BasisOut(code=b.code, title=b.title, citation=b.citation,
                    fields=sorted(f.value for f in b.fields),
                    approvals=[a.value for a in b.approvals],
                    needs=sorted(n.value for n in b.needs),
                    min_signer_rank=b.min_signer_rank.value if b.min_signer_rank else None,
                    max_subjects=b.max_subjects, hidden_from_subject=b.hidden_from_subject)


class BasisIn(BaseModel):
    """What to set (as `vitalstat disclosure basis set`); a missing key is kept."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = _TEXT
    citation: str | None = _TEXT
    fields: list[str] | None = F(default=None, max_length=20)
    approvals: list[str] | None = F(default=None, max_length=5)
    needs: list[str] | None = F(default=None, max_length=5)
    min_signer_rank: str | None = F(default=None, max_length=32,
                                    description='"none" clears it')
    max_subjects: int | None = F(default=None, ge=1, le=1_000_000)
    bulk: bool = F(default=False, description="no subject limit (matching agreements)")
    hidden_from_subject: bool | None = None


@route(router, "GET", "/legal-bases", P.BASES_READ, response_model=list[BasisOut])
def basis_list(request: Request) -> list[BasisOut]:
    """Every legal basis: what it may release and who must approve."""
    return [_basis_out(b) for b in bases.list_bases(request.app.state.store)]


@route(router, "GET", "/legal-bases/{code}", P.BASES_READ, response_model=BasisOut)
def basis_show(request: Request, code: Code) -> BasisOut:
    return _basis_out(bases.get_basis(request.app.state.store, code))


@route(router, "PUT", "/legal-bases/{code}", P.BASES_MANAGE, response_model=BasisOut)
def basis_set(request: Request, code: Code, body: BasisIn, who: Who) -> BasisOut:
    """Create or change a legal basis (admin; never below the law's floors)."""
    return _basis_out(bases.set_basis(
        request.app.state.store, code, actor=who.name, roles=role_names(who), title=body.title,
        citation=body.citation, fields=body.fields, approvals=body.approvals,
        needs=body.needs, min_signer_rank=body.min_signer_rank,
        max_subjects=body.max_subjects, bulk=body.bulk,
        hidden_from_subject=body.hidden_from_subject))


# -------------------------------------------------------------- agreements


class AgreementOut(BaseModel):
    agreement_id: str
    party: str
    start: date
    end: date
    board_approved_on: date | None
    notice_on: date | None
    renewed: bool
    suspended: bool
    authority: str


def _agreement_out(a: MatchingAgreement, authority: str) -> AgreementOut:
    return AgreementOut(agreement_id=a.agreement_id, party=a.party, start=a.start, end=a.end,
                        board_approved_on=a.board_approved_on, notice_on=a.notice_on,
                        renewed=a.renewed, suspended=a.suspended, authority=authority)


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board_approved_on: date = F(description="the day the Data Integrity Board approved it")
    notice_on: date = F(description="the day its notice was published")
    authority: str = F(min_length=1, max_length=2000, description="legal authority")
    renewed: bool = F(default=False, description="renewed once (+12 months)")


AgreementId = Annotated[str, PathParam(min_length=1, max_length=200)]


@route(router, "GET", "/agreements", P.BASES_READ, response_model=list[AgreementOut])
def agreements(request: Request) -> list[AgreementOut]:
    """Computer matching agreements with a recorded approval."""
    return [_agreement_out(a, auth) for a, auth in bases.list_agreements(
        request.app.state.store)]


@route(router, "PUT", "/agreements/{agreement_id}", P.AGREEMENTS_RECORD,
       response_model=AgreementOut)
def agreement_record(request: Request, agreement_id: AgreementId, body: AgreementIn,
                     who: Who) -> AgreementOut:
    """Record the Board's approval and the notice of an agreement on a benefits-agency
    subscriber (as `vitalstat disclosure agreement record`)."""
    a = bases.record_agreement(request.app.state.store, agreement_id, actor=who.name,
                               roles=role_names(who), board_approved_on=body.board_approved_on,
                               notice_on=body.notice_on, authority=body.authority,
                               renewed=body.renewed)
    return _agreement_out(a, body.authority.strip())
