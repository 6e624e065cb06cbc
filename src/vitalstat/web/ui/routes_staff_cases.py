"""Caseworker and approver pages, continued: correction cases and disclosure requests.

The same services as the API routes (``services.cases``, ``services.disclosure``), the
signed-in name as the actor: the two-person rules, the evidence rules and the audit
events are theirs. Holds, records and bulk actions: ``routes_staff``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from vitalstat.domain.access import Permission as P
from vitalstat.domain.access import allowed
from vitalstat.domain.cases import CaseState, EvidenceType
from vitalstat.domain.disclosure import RequestState
from vitalstat.domain.identity import parse_day
from vitalstat.errors import ValidationError
from vitalstat.services import cases as case_svc
from vitalstat.services import disclosure as disclosure_svc
from vitalstat.services import review
from vitalstat.web.authz import role_names
from vitalstat.web.routes_corrections import uploaded
from vitalstat.web.routes_disclosure import requester_filter
from vitalstat.web.ui.base import NavItem, caller, page, render
from vitalstat.web.ui.routes_staff import done_redirect, is_proposer

router = APIRouter()
NAV: list[NavItem] = [NavItem("Cases", "/ui/staff/cases", P.CASES_READ),
                      NavItem("Disclosure requests", "/ui/staff/disclosures",
                              P.DISCLOSURES_READ)]

Text = Annotated[str, Form()]

# -------------------------------------------------------------------- cases

_CASE_DONE = {
    "evidence": ("ok", "The evidence is filed with the case."),
    "awaiting-approval": ("ok", "Your decision is proposed. A second, different person "
                                "with the approver role must approve it."),
    "reinstated": ("ok", "Reinstated: the record is withdrawn and the letter written."),
    "closed": ("ok", "Reinstated, and nobody had received the record: the case is closed."),
    "rejected": ("ok", "Rejected: the case is closed and the record decided again."),
    "open": ("ok", "The proposal is sent back: the case is open again."),
}


@page(router, "GET", "/ui/staff/cases", P.CASES_READ)
def cases(request: Request, state: str = "") -> Response:
    """Correction cases, oldest first, optionally in one state."""
    chosen = state.strip()
    views = case_svc.list_cases(request.app.state.store, state=chosen or None)
    return render(request, "staff/cases.html", {
        "views": views, "state": chosen, "states": [s.value for s in CaseState]})


@page(router, "GET", "/ui/staff/cases/{number}", P.CASES_READ)
def case(request: Request, number: str, done: str = "") -> Response:
    """One case: the record it is about, its evidence, the decision and its timeline."""
    store = request.app.state.store
    view = case_svc.show_case(store, number)
    c = view.case
    who = caller(request)
    return render(request, "staff/case.html", {
        "v": view, "c": c, "ref": review.record_refs(store, [c.ssn]).get(c.ssn),
        "may_manage": allowed(who.role, P.CASES_MANAGE),
        "may_approve": allowed(who.role, P.CASES_APPROVE),
        "mine": bool(c.proposed_by) and is_proposer(c.proposed_by, who.name),
        "evidence_types": [t.value for t in EvidenceType], "done": _CASE_DONE.get(done)})


def _after(view: case_svc.CaseView) -> Response:
    return done_redirect(f"/ui/staff/cases/{view.case.number}", view.case.state.value)


@page(router, "POST", "/ui/staff/cases/{number}/decision", P.CASES_MANAGE)
def decide(request: Request, number: str, outcome: Text = "", reason: Text = "") -> Response:
    """Decide reinstatement or rejection (or propose it, under the two-person rule)."""
    cfg = request.app.state.config
    return _after(case_svc.decide_case(request.app.state.store, number, outcome,
                                       reason=reason, actor=caller(request).name,
                                       cases_dir=cfg.cases_dir, rules=cfg.rules))


@page(router, "POST", "/ui/staff/cases/{number}/approve", P.CASES_APPROVE)
def approve(request: Request, number: str) -> Response:
    cfg = request.app.state.config
    return _after(case_svc.approve_case(request.app.state.store, number,
                                        actor=caller(request).name,
                                        cases_dir=cfg.cases_dir, rules=cfg.rules))


@page(router, "POST", "/ui/staff/cases/{number}/refuse", P.CASES_APPROVE)
def refuse(request: Request, number: str, reason: Text = "") -> Response:
    cfg = request.app.state.config
    return _after(case_svc.refuse_case(request.app.state.store, number,
                                       actor=caller(request).name, reason=reason,
                                       cases_dir=cfg.cases_dir, rules=cfg.rules))


@page(router, "POST", "/ui/staff/cases/{number}/evidence", P.CASES_MANAGE)
def evidence(request: Request, number: str,
             file: Annotated[UploadFile | None, File()] = None,
             type: Text = "", alive_on: Text = "") -> Response:
    """File a piece of evidence (kept by SHA-256) with the case."""
    if file is None or not file.filename:
        raise ValidationError("choose the file to upload", field="file")
    cfg = request.app.state.config
    day: date | None = parse_day(alive_on, "alive_on") if alive_on.strip() else None
    with uploaded(file, "evidence") as path:
        filed = case_svc.add_evidence(request.app.state.store, number, path, evidence_type=type,
                              actor=caller(request).name, cases_dir=cfg.cases_dir,
                              alive_on=day, rules=cfg.rules)
    return done_redirect(f"/ui/staff/cases/{filed.number}", "evidence")


@page(router, "GET", "/ui/staff/cases/{number}/evidence/{sha256}", P.CASES_READ)
def evidence_download(request: Request, number: str, sha256: str) -> Response:
    """The evidence file as filed (always a download, never shown in the page)."""
    path, name = case_svc.evidence_file(request.app.state.store, number, sha256,
                                        cases_dir=request.app.state.config.cases_dir)
    return FileResponse(path, media_type="application/octet-stream", filename=name,
                        headers={"X-Content-Type-Options": "nosniff"})


# ------------------------------------------------------- disclosure requests

_DISCLOSURE_DONE = {
    "pending": ("ok", "Your approval is recorded. Another approval is still needed."),
    "approved": ("ok", "Approved: every approval its basis lists is in. The agency may "
                       "now collect the answer."),
    "denied": ("ok", "Denied: the request will never be answered."),
}


@page(router, "GET", "/ui/staff/disclosures", P.DISCLOSURES_READ)
def disclosures(request: Request, state: str = "") -> Response:
    """Disclosure requests, oldest first, optionally in one state."""
    chosen = state.strip()
    views = disclosure_svc.list_requests(request.app.state.store, state=chosen or None,
                                         requested_by=requester_filter(caller(request)))
    return render(request, "staff/disclosures.html", {
        "views": views, "state": chosen, "states": [s.value for s in RequestState]})


@page(router, "GET", "/ui/staff/disclosures/{number}", P.DISCLOSURES_READ)
def disclosure(request: Request, number: str, done: str = "") -> Response:
    """One request: its basis, requester, fields, subjects, approvals and reasons."""
    store = request.app.state.store
    who = caller(request)
    view = disclosure_svc.show_request(store, number, requested_by=requester_filter(who))
    approvers = [a["approver"] for a in view.approvals]
    return render(request, "staff/disclosure.html", {
        "v": view, "r": view.row,
        "history": review.subject_history(store, f"disclosure:{view.number}"),
        "may_decide": allowed(who.role, P.DISCLOSURES_DECIDE),
        "mine": is_proposer(view.row["requested_by"], who.name),
        "approved_already": any(is_proposer(a, who.name) for a in approvers),
        "done": _DISCLOSURE_DONE.get(done)})


@page(router, "POST", "/ui/staff/disclosures/{number}/approve", P.DISCLOSURES_DECIDE)
def disclosure_approve(request: Request, number: str) -> Response:
    who = caller(request)
    view = disclosure_svc.approve_request(request.app.state.store, number, actor=who.name,
                                          roles=role_names(who))
    return done_redirect(f"/ui/staff/disclosures/{view.number}", view.state.value)


@page(router, "POST", "/ui/staff/disclosures/{number}/deny", P.DISCLOSURES_DECIDE)
def disclosure_deny(request: Request, number: str, reason: Text = "") -> Response:
    view = disclosure_svc.deny_request(request.app.state.store, number,
                                       actor=caller(request).name, reason=reason)
    return done_redirect(f"/ui/staff/disclosures/{view.number}", view.state.value)
