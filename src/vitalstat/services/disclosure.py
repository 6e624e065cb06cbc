"""Disclosure requests: record (or refuse), approve, deny, answer. Each use case is one
transaction: the change and its event (legal bases and agreements: ``disclosure_bases``).

The rules are ``domain.disclosure`` (DOMAIN.md section 4). Deny by default: a request is
answered only once every approval its basis lists is in, by users other than the one
who recorded it, and the answer holds only the fields the basis allows, for the named
subjects. Every record disclosed goes into the accounting (``disclosure_accounting``).

Roles are plain values (``roles``: e.g. ``{"privacy-officer"}``): the CLI reads them
from ``VITALSTAT_PRIVACY_OFFICERS`` / ``VITALSTAT_ADMINS`` (``config.roles_of``); the API
can pass its tokens' roles to the same functions.
"""

from __future__ import annotations

import csv
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from vitalstat.domain import disclosure as domain
from vitalstat.domain.disclosure import (
    MATCHING_NOTICE,
    Approval,
    ApprovalRecord,
    DisclosureRequest,
    Field,
    Need,
    Rank,
    RecordView,
    RequestState,
    Resolution,
)
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.numbers import format_number, parse_number
from vitalstat.errors import (
    ConflictError,
    DisclosureRefused,
    NotFoundError,
    RefusedError,
    ValidationError,
)
from vitalstat.formats import file_sha256
from vitalstat.services.disclosure_bases import load_agreement, load_basis, words
from vitalstat.services.holds import parse_choice
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = [
    "AnswerResult",
    "RequestView",
    "answer_request",
    "approve_request",
    "deny_request",
    "list_requests",
    "load_request_file",
    "parse_request_number",
    "read_subjects_file",
    "request_number",
    "show_request",
    "submit_request",
]

def request_number(request_id: int) -> str:
    return format_number("D", request_id)


def parse_request_number(text: str) -> int:
    return parse_number(text, "D", what="request number", field="request")


# --------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class RequestView:
    number: str
    row: dict[str, Any]
    subjects: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    missing: list[Approval]

    @property
    def state(self) -> RequestState:
        return RequestState(self.row["state"])

    @property
    def reasons(self) -> list[str]:
        return [r for r in self.row["reasons"].splitlines() if r]


def load_request_file(path: Path) -> dict[str, Any]:
    """A request file (``.json`` or ``.toml``); ``subjects_file`` (a CSV with the subject
    keys as columns, relative to the request file) adds its rows to ``subjects``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}", field="request") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"{path} is not valid {path.suffix.lstrip('.') or 'JSON'}: "
                              f"{exc}", field="request") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: a request is an object/table", field="request")
    extra = data.pop("subjects_file", None)
    if extra:
        rows = read_subjects_file((path.parent / str(extra)).resolve())
        data["subjects"] = [*data.get("subjects", []), *rows]
    return data


def read_subjects_file(path: Path) -> list[dict[str, str]]:
    """Subjects from a CSV whose columns are subject keys (empty cells left out)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return [{k: v for k, v in r.items() if v} for r in csv.DictReader(fh)]
    except OSError as exc:
        raise ValidationError(f"cannot read subjects file {path}: {exc.strerror}",
                              field="subjects_file") from None


def _subject_values(n: int, s: domain.Subject) -> dict[str, Any]:
    name = s.name or PersonName("")
    return {"position": n, "ssn": s.ssn, "last_name": name.last, "first_name": name.first,
            "middle_name": name.middle, "suffix": name.suffix,
            "date_of_birth": s.date_of_birth.iso() if s.date_of_birth else None,
            "state": s.state, "zip": s.zip,
            "case_status": s.case_status.value if s.case_status else ""}


def _subject_from_row(row: Mapping[str, Any]) -> domain.Subject:
    dob = PartialDate.parse(row["date_of_birth"]) if row["date_of_birth"] else None
    name = PersonName(row["last_name"], row["first_name"], row["middle_name"], row["suffix"])
    status = domain.CaseStatus(row["case_status"]) if row["case_status"] else None
    return domain.Subject(row["ssn"], name if name.last else None, dob, row["state"],
                          row["zip"], status)


def _request_values(req: DisclosureRequest) -> dict[str, Any]:
    return {"basis": req.basis.lower(), "agency": req.agency,
            "agency_address": req.agency_address, "signer": req.signer,
            "signer_rank": req.signer_rank.value if req.signer_rank else "",
            "purpose": req.purpose, "relevance": req.relevance,
            "letter_reference": req.letter_reference,
            "fields": " ".join(f.value for f in req.fields), "court_order": req.court_order,
            "agreement_id": req.agreement, "subject_count": len(req.subjects)}


def _request_from_row(row: Mapping[str, Any], subjects: list[domain.Subject]
                      ) -> DisclosureRequest:
    return DisclosureRequest(
        agency=row["agency"], agency_address=row["agency_address"], signer=row["signer"],
        signer_rank=Rank(row["signer_rank"]) if row["signer_rank"] else None,
        basis=row["basis"], purpose=row["purpose"], relevance=row["relevance"],
        letter_reference=row["letter_reference"],
        fields=tuple(Field(f) for f in words(row["fields"])), subjects=tuple(subjects),
        court_order=row["court_order"], agreement=row["agreement_id"])


def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """What an event says about a request: never the subjects' identifiers."""
    return {"basis": row["basis"], "agency": row["agency"], "signer": row["signer"],
            "signer_rank": row["signer_rank"], "fields": row["fields"],
            "subjects": row["subject_count"], "letter_reference": row["letter_reference"],
            "agreement": row["agreement_id"], "court_order": row["court_order"]}


def submit_request(store: Store, data: Mapping[str, Any], *, actor: str, today: date
                   ) -> RequestView:
    """Record a request. A valid one waits for approval (``pending``); an invalid one is
    recorded as ``refused`` with every reason and :class:`DisclosureRefused` is raised."""
    request, problems = domain.parse_request(data)
    store.check_schema()
    with store.transaction() as tx:
        basis = load_basis(tx, request.basis) if request.basis else None
        agreement = load_agreement(tx, request.agreement) if request.agreement else None
        problems = [*problems, *domain.request_problems(request, basis, agreement=agreement,
                                                        today=today)]
        state = RequestState.REFUSED if problems else RequestState.PENDING
        now = utc_now()
        values = {**_request_values(request), "state": state.value, "requested_by": actor,
                  "requested_at": now, "reasons": "\n".join(problems)}
        if state is RequestState.REFUSED:
            values |= {"decided_by": actor, "decided_at": now}
        rid = tx.insert_request(values, [_subject_values(n, s)
                                         for n, s in enumerate(request.subjects, 1)])
        number = request_number(rid)
        detail = _summary(values)
        if problems:
            detail["reasons"] = problems
        kind = "disclosure.refused" if problems else "disclosure.requested"
        tx.append_event(actor=actor, kind=kind,
                        subject=f"disclosure:{number}", detail=detail, at=now)
        view = _view(tx, rid)
    if problems:
        raise DisclosureRefused(number, problems)
    return view


def _load(tx: Tx, number: str) -> dict[str, Any]:
    row = tx.request_row(parse_request_number(number))
    if row is None:
        raise NotFoundError(f"no disclosure request {number} (vitalstat disclosure list)")
    return row


def _approvals(tx: Tx, rid: int) -> list[ApprovalRecord]:
    return [ApprovalRecord(a["approver"], frozenset(words(a["roles"])))
            for a in tx.approval_rows(rid)]


def _view(tx: Tx, rid: int) -> RequestView:
    row = tx.request_row(rid)
    assert row is not None
    basis = load_basis(tx, row["basis"])
    missing = []
    if basis is not None and row["state"] == RequestState.PENDING.value:
        missing = domain.approval_missing(basis, row["requested_by"], _approvals(tx, rid))
    return RequestView(request_number(rid), row, tx.subject_rows(rid), tx.approval_rows(rid),
                       missing)


def show_request(store: Store, number: str, *, requested_by: str | None = None
                 ) -> RequestView:
    """One request; with ``requested_by`` (an agency reading its own), a request it did
    not record is answered as absent."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = _load(tx, number)
        if requested_by is not None and row["requested_by"] != requested_by:
            raise NotFoundError(f"no disclosure request {number}")
        return _view(tx, int(row["id"]))


def list_requests(store: Store, *, state: str | None = None,
                  requested_by: str | None = None) -> list[RequestView]:
    """Requests, oldest first (``requested_by``: only those that user recorded)."""
    if state is not None:
        state = parse_choice(RequestState, state, "state").value
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [RequestView(request_number(r["id"]), r, [], [], [])
                for r in tx.request_rows(state=state)
                if requested_by is None or r["requested_by"] == requested_by]


def approve_request(store: Store, number: str, *, actor: str, roles: Iterable[str]
                    ) -> RequestView:
    """Add ``actor``'s approval; the request is approved once none is missing."""
    held = frozenset(roles)
    store.check_schema()
    with store.transaction() as tx:
        row = _load(tx, number)
        if row["state"] != RequestState.PENDING.value:
            raise ConflictError(f"request {number} is {row['state']}: only a pending request "
                                "can be approved")
        basis = load_basis(tx, row["basis"])
        if basis is None:
            raise RefusedError(f"request {number}: its basis {row['basis']!r} no longer exists")
        earlier = _approvals(tx, row["id"])
        domain.check_approver(row["requested_by"], actor, earlier)
        now = utc_now()
        tx.insert_approval({"request_id": row["id"], "approver": actor,
                            "roles": " ".join(sorted(held)), "approved_at": now})
        missing = domain.approval_missing(basis, row["requested_by"],
                                          [*earlier, ApprovalRecord(actor, held)])
        subject = f"disclosure:{request_number(row['id'])}"
        tx.append_event(actor=actor, kind="disclosure.approval", subject=subject,
                        detail={"roles": sorted(held),
                                "missing": [m.value for m in missing]}, at=now)
        if not missing:
            tx.update_request(row["id"], {"state": RequestState.APPROVED.value,
                                          "decided_by": actor, "decided_at": now})
            tx.append_event(actor=actor, kind="disclosure.approved", subject=subject,
                            detail={"approvers": [a.approver for a in earlier] + [actor]},
                            at=now)
        return _view(tx, row["id"])


def deny_request(store: Store, number: str, *, actor: str, reason: str) -> RequestView:
    """Deny a pending or approved (not yet answered) request; it is never answered."""
    if not reason.strip():
        raise ValidationError("say why the request is denied", field="reason")
    store.check_schema()
    with store.transaction() as tx:
        row = _load(tx, number)
        if row["state"] not in (RequestState.PENDING.value, RequestState.APPROVED.value):
            raise ConflictError(f"request {number} is {row['state']}: only a pending or "
                                "approved request can be denied")
        now = utc_now()
        tx.update_request(row["id"], {"state": RequestState.DENIED.value, "decided_by": actor,
                                      "decided_at": now, "reasons": reason.strip()})
        tx.append_event(actor=actor, kind="disclosure.denied",
                        subject=f"disclosure:{request_number(row['id'])}",
                        detail={"reason": reason.strip(), "was": row["state"]}, at=now)
        return _view(tx, row["id"])


# ---------------------------------------------------------------------- answers


@dataclass(frozen=True, slots=True)
class AnswerResult:
    number: str
    path: Path
    sha256: str
    found: int
    no_record: int
    ambiguous: int
    notice: str | None


def _record_view(tx: Tx, row: Mapping[str, Any], wanted: set[Field]) -> RecordView:
    sources: tuple[str, ...] = ()
    reporters: tuple[str, ...] = ()
    if wanted & {Field.SOURCES, Field.REPORTERS}:
        reports = tx.reports_for_ssn(row["ssn"])
        sources = tuple(dict.fromkeys(str(r.source) for r in reports))
        reporters = tuple(dict.fromkeys(
            ", ".join(p for p in (r.reporter.name, r.reporter.relationship,
                                  r.reporter.contact) if p)
            for r in reports if r.reporter.name))
    return RecordView(
        ssn=row["ssn"], name=PersonName(row["last_name"], row["first_name"],
                                        row["middle_name"], row["suffix"]),
        date_of_birth=PartialDate.parse(row["date_of_birth"]) if row["date_of_birth"]
        else None,
        date_of_death=PartialDate.parse(row["date_of_death"]) if row["date_of_death"]
        else None,
        status=row["status"], proof=row["proof"], state=row["state"],
        zip_residence=row["zip_residence"], zip_payment=row["zip_payment"],
        sources=sources, reporters=reporters)


_NOT_DISCLOSED = ("the identifiers fit more than one record: no disclosure "
                  "(20 CFR 401.155)")


def answer_request(store: Store, number: str, *, actor: str, out: Path, today: date
                   ) -> AnswerResult:
    """Write the answer to an approved request into ``out`` (JSON): per subject, only the
    fields both requested and allowed by the basis now, or "no record"; account for
    every record disclosed. The request is re-checked first (a basis narrowed, an
    agreement expired): if it no longer passes, nothing is disclosed."""
    store.check_schema()
    with store.transaction() as tx:
        row = _load(tx, number)
        rid = int(row["id"])
        num = request_number(rid)
        if row["state"] != RequestState.APPROVED.value:
            raise RefusedError(f"request {num} is {row['state']}: only an approved request "
                               "is answered (deny by default)")
        basis = load_basis(tx, row["basis"])
        subjects = [_subject_from_row(s) for s in tx.subject_rows(rid)]
        request = _request_from_row(row, subjects)
        agreement = load_agreement(tx, request.agreement) if request.agreement else None
        # Fields the basis no longer allows are cut from the answer (minimised), not a
        # reason to refuse it; everything else (the agreement's dates...) is re-checked.
        allowed = replace(request, fields=tuple(f for f in request.fields
                                                if basis is None or f in basis.fields))
        problems = domain.request_problems(allowed, basis, agreement=agreement, today=today)
        if problems or basis is None:
            refusal = problems or [f"basis {row['basis']!r} no longer exists"]
            tx.append_event(actor=actor, kind="disclosure.answer-refused",
                            subject=f"disclosure:{num}", detail={"reasons": refusal})
            answer_problems = refusal
        else:
            answer_problems = []
    if answer_problems:
        raise DisclosureRefused(num, answer_problems)
    assert basis is not None
    with store.transaction() as tx:
        row = _load(tx, number)
        if row["state"] != RequestState.APPROVED.value:
            raise ConflictError(f"request {num} was answered or denied meanwhile")
        wanted = set(request.fields) & basis.fields
        candidates = tx.identity_candidates(
            [s.ssn for s in subjects if s.ssn],
            [(s.name.last, s.name.first, s.date_of_birth.iso()) for s in subjects
             if s.name is not None and s.date_of_birth is not None])
        by_ssn = {c["ssn"]: c for c in candidates}
        by_key: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
        for c in candidates:
            by_key.setdefault((c["last_name"], c["first_name"], c["date_of_birth"]), []).append(c)
        results: list[dict[str, Any]] = []
        outcomes: dict[int, str] = {}
        accounting: list[dict[str, Any]] = []
        now = utc_now()
        for n, s in enumerate(subjects, 1):
            rows = list(by_key.get((s.name.last, s.name.first, s.date_of_birth.iso()), [])
                        ) if s.name is not None and s.date_of_birth is not None else []
            if s.ssn in by_ssn and by_ssn[s.ssn] not in rows:
                rows.append(by_ssn[s.ssn])
            views = [_record_view(tx, r, set()) for r in rows]
            outcome, found = domain.resolve_subject(s, views)
            outcomes[n] = outcome.value
            if outcome is Resolution.FOUND and found is not None:
                full = _record_view(tx, by_ssn.get(found.ssn) or next(
                    r for r in rows if r["ssn"] == found.ssn), wanted)
                results.append({"subject": n, "result": "found",
                                "record": domain.minimise(full, request.fields, basis)})
                accounting.append({
                    "request_id": rid, "ssn": found.ssn, "disclosed_at": now,
                    "basis": basis.code,
                    "nature": f"answer to disclosure request {num}: "
                              + ", ".join(f.value for f in Field if f in wanted),
                    "purpose": request.purpose, "recipient": request.agency,
                    "recipient_address": request.agency_address,
                    "hidden_from_subject": basis.hidden_from_subject})
            elif outcome is Resolution.AMBIGUOUS:
                results.append({"subject": n, "result": "not disclosed",
                                "reason": _NOT_DISCLOSED})
            else:
                results.append({"subject": n, "result": "no record"})
        notice = MATCHING_NOTICE if Need.AGREEMENT in basis.needs else None
        document: dict[str, Any] = {
            "request": num, "answered_at": now, "agency": request.agency,
            "basis": {"code": basis.code, "citation": basis.citation},
            "fields": [f.value for f in Field if f in wanted], "subjects": results}
        if notice is not None:
            document["notice"] = notice
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        part.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        digest = file_sha256(part)
        counts = {o.value: sum(1 for v in outcomes.values() if v == o.value)
                  for o in Resolution}
        tx.set_subject_outcomes(rid, outcomes)
        tx.insert_accounting(accounting)
        tx.update_request(rid, {"state": RequestState.ANSWERED.value, "answered_at": now,
                                "answer_sha256": digest, "disclosed": len(accounting)})
        tx.append_event(actor=actor, kind="disclosure.answered", subject=f"disclosure:{num}",
                        detail={"file": out.name, "sha256": digest, "counts": counts,
                                "fields": document["fields"], "basis": basis.code}, at=now)
    os.replace(part, out)  # after the commit: no answer file for an unrecorded answer
    return AnswerResult(num, out, digest, counts["found"], counts["no-record"],
                        counts["ambiguous"], notice)

