"""Caseworker and approver pages: the holds queue, a record with its reports side by side,
hold decisions (two people) and bulk actions. Cases and disclosure requests:
``routes_staff_cases``.

Every action calls the service the API route calls (``services.holds``,
``services.bulk``) with the signed-in name as the actor, so the two-person rule and the
audit events are the services'; these pages only show them. No SSN ever appears in an
address: a record is named by its reference (``services.review``), filters are a reason
code, a source kind and a batch number.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from vitalstat.domain.access import Permission as P
from vitalstat.domain.access import allowed
from vitalstat.domain.integrity import NOT_RELEASABLE, check_second_person
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.domain.reports import SourceKind
from vitalstat.errors import SelfApprovalError
from vitalstat.services import bulk as bulk_svc
from vitalstat.services import review
from vitalstat.services.holds import decide_hold
from vitalstat.services.tokens import Identity
from vitalstat.web.ui.base import NavItem, caller, page, render
from vitalstat.web.ui.formats import today

router = APIRouter()
NAV: list[NavItem] = [NavItem("Holds", "/ui/staff/holds", P.HOLDS_READ)]

Text = Annotated[str, Form()]


# ------------------------------------------------------------ shared helpers




def is_proposer(proposed_by: str, name: str) -> bool:
    """Whether ``name`` proposed it (the two-person rule's own comparison)."""
    try:
        check_second_person(proposed_by, name)
    except SelfApprovalError:
        return True
    return False


def done_redirect(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


# --------------------------------------------------------------- holds queue

_REASONS = [(r.value, r.text) for r in ReviewReason]
_KINDS = [k.value for k in SourceKind]


@page(router, "GET", "/ui/staff/holds", P.HOLDS_READ)
def holds(request: Request, reason: str = "", source_kind: str = "",
          batch: str = "", proposed: str = "") -> Response:
    """The review queue: every held and pending record, with filters."""
    filters = {"reason": reason.strip(), "source_kind": source_kind.strip(),
               "batch": batch.strip(), "proposed": "1" if proposed.strip() else ""}
    items = review.hold_queue(
        request.app.state.store, reason=filters["reason"] or None,
        source_kind=filters["source_kind"] or None,
        batch=review.parse_batch(filters["batch"]) if filters["batch"] else None,
        proposed=bool(filters["proposed"]))
    ctx = {"items": items, "filters": filters, "reasons": _REASONS, "kinds": _KINDS,
           "may_decide": allowed(caller(request).role, P.HOLDS_DECIDE)}
    if request.headers.get("HX-Request") == "true":
        return render(request, "staff/_queue.html", ctx)
    return render(request, "staff/holds.html", ctx)


# ------------------------------------------------------------------- record

_DONE = {
    "release-proposed": ("ok", "Your release is proposed. A second, different person "
                               "must approve it before the record is published."),
    "reject-proposed": ("ok", "Your rejection is proposed. A second, different person "
                              "must approve it (state vital records back this record)."),
    "release-applied": ("ok", "The hold is released and the record decided again."),
    "reject-applied": ("ok", "The record is rejected: it is off the file."),
}


def hold_actions(rv: review.RecordReview, who: Identity) -> dict[str, Any]:
    """What the signed-in person may do with this record's hold, and why not."""
    rec = rv.record
    waiting = rec is not None and rec.status in (RecordStatus.HELD, RecordStatus.PENDING)
    proposal = rv.proposal
    return {
        "waiting": waiting,
        "may_decide": allowed(who.role, P.HOLDS_DECIDE),
        "proposal": proposal,
        "mine": proposal is not None and is_proposer(proposal["proposed_by"], who.name),
        "stays_held": [r for r in (rec.review_reasons if rec else ()) if r in NOT_RELEASABLE],
    }


@page(router, "GET", "/ui/staff/records/{ref}", P.HOLDS_READ)
def record(request: Request, ref: str, done: str = "") -> Response:
    """One record, every supporting report side by side, its hold and its history."""
    rv = review.review_record(request.app.state.store, ref)
    return render(request, "staff/record.html", {
        "rv": rv, "act": hold_actions(rv, caller(request)), "done": _DONE.get(done)})


def _decide(request: Request, ref: str, action: str, reason: str) -> Response:
    store = request.app.state.store
    rv = review.review_record(store, ref)
    d = decide_hold(store, rv.ssn, action, actor=caller(request).name, note=reason,
                    today=today(), rules=request.app.state.config.rules)
    return done_redirect(f"/ui/staff/records/{rv.ref}", f"{action}-{d.outcome}")


@page(router, "POST", "/ui/staff/records/{ref}/release", P.HOLDS_DECIDE)
def release(request: Request, ref: str, reason: Text = "") -> Response:
    """Propose releasing the hold, or approve another person's proposal."""
    return _decide(request, ref, "release", reason)


@page(router, "POST", "/ui/staff/records/{ref}/reject", P.HOLDS_DECIDE)
def reject(request: Request, ref: str, reason: Text = "") -> Response:
    """Reject the record (take it off the file), or approve a proposed rejection."""
    return _decide(request, ref, "reject", reason)


# -------------------------------------------------------------- bulk actions

_BULK_STATES = ("proposed", "applied", "refused")
_BULK_DONE = {
    "proposed": ("ok", "Proposed. A second, different person must approve it; nothing "
                       "changes until then."),
    "applied": ("ok", "Approved and applied to every record still waiting."),
    "refused": ("ok", "Refused: nothing changed."),
}


@page(router, "GET", "/ui/staff/bulk", P.HOLDS_READ)
def bulk_list(request: Request, state: str = "", batch: str = "",
              code: str = "") -> Response:
    """Bulk actions, and the form to propose one (a batch and/or a reason)."""
    chosen = state.strip()
    actions = bulk_svc.list_bulk(request.app.state.store, state=chosen or None)
    return render(request, "staff/bulk_list.html", {
        "actions": actions, "state": chosen, "states": _BULK_STATES, "reasons": _REASONS,
        "batch": batch.strip(), "code": code.strip(),
        "may_decide": allowed(caller(request).role, P.HOLDS_DECIDE)})


@page(router, "POST", "/ui/staff/bulk", P.HOLDS_DECIDE)
def bulk_propose(request: Request, action: Text = "", batch: Text = "", code: Text = "",
                 reason: Text = "") -> Response:
    proposed = bulk_svc.propose_bulk(
        request.app.state.store, action, actor=caller(request).name, note=reason,
        batch=review.parse_batch(batch) if batch.strip() else None,
        code=code.strip() or None)
    return done_redirect(f"/ui/staff/bulk/{proposed.number}", "proposed")


@page(router, "GET", "/ui/staff/bulk/{number}", P.HOLDS_READ)
def bulk_show(request: Request, number: str, done: str = "") -> Response:
    """One bulk action: its frozen selection, who proposed it, each record's outcome."""
    store = request.app.state.store
    b = bulk_svc.show_bulk(store, number)
    who = caller(request)
    return render(request, "staff/bulk.html", {
        "b": b, "refs": review.record_refs(store, list(b.outcomes)),
        "history": review.subject_history(store, f"bulk:{b.number}"),
        "may_decide": allowed(who.role, P.HOLDS_DECIDE),
        "mine": is_proposer(b.proposed_by, who.name), "done": _BULK_DONE.get(done)})


@page(router, "POST", "/ui/staff/bulk/{number}/approve", P.HOLDS_DECIDE)
def bulk_approve(request: Request, number: str) -> Response:
    b = bulk_svc.approve_bulk(request.app.state.store, number, actor=caller(request).name,
                              today=today(), rules=request.app.state.config.rules)
    return done_redirect(f"/ui/staff/bulk/{b.number}", "applied")


@page(router, "POST", "/ui/staff/bulk/{number}/refuse", P.HOLDS_DECIDE)
def bulk_refuse(request: Request, number: str, reason: Text = "") -> Response:
    b = bulk_svc.refuse_bulk(request.app.state.store, number, actor=caller(request).name,
                             note=reason)
    return done_redirect(f"/ui/staff/bulk/{b.number}", "refused")
