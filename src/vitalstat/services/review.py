"""What caseworkers and approvers review: the hold queue with filters, one record with
every supporting report side by side, and the history of an item in plain words.

Read-only views for the staff pages (``web/ui/routes_staff.py``); every decision goes
through the services that own it (``holds``, ``bulk``, ``cases``, ``disclosure``).

A record is named outside the registry's own screens by a *record reference*,
``R-`` and the id of its first report (``R-000042``): it is stable (reports are never
deleted) and carries no personal data, so it can stand in a web address where an SSN
must not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vitalstat.domain.identity import normalize_ssn
from vitalstat.domain.numbers import format_number, parse_number
from vitalstat.domain.records import DeathRecord, ReviewReason
from vitalstat.domain.reports import DeathReport, SourceKind
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services.cases import case_number
from vitalstat.services.holds import parse_choice
from vitalstat.store import Store

__all__ = ["EventLine", "QueueItem", "RecordReview", "ReportLine", "describe_event",
           "differences", "hold_queue", "parse_batch", "parse_record_ref", "record_ref",
           "record_refs", "review_record", "subject_history"]


def record_ref(report_id: int) -> str:
    return format_number("R", report_id)


def parse_record_ref(text: str) -> int:
    return parse_number(text, "R", what="record reference", field="record")


def parse_batch(text: str) -> int:
    """A batch number as typed in a filter (digits only)."""
    raw = text.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ValidationError(f"{text!r} is not a batch number (digits, like 42)",
                              field="batch")
    return int(raw)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One held or pending record in the review queue."""

    ref: str
    record: DeathRecord
    waiting_since: str  # the record's last change (ISO-8601 UTC)
    source_kinds: tuple[str, ...]
    proposal: dict[str, Any] | None = None  # a hold decision waiting for a second person


def hold_queue(store: Store, *, reason: str | None = None, source_kind: str | None = None,
               batch: int | None = None, proposed: bool = False,
               limit: int = 100) -> list[QueueItem]:
    """Held and pending records, oldest change first, optionally only those held for
    ``reason``, reported by a source of ``source_kind``, with a report in ``batch``, or
    (``proposed``) with a decision waiting for a second person."""
    code = parse_choice(ReviewReason, reason, "reason").value if reason else None
    kind = parse_choice(SourceKind, source_kind, "source_kind").value if source_kind else None
    store.check_schema()
    with store.transaction(write=False) as tx:
        refs = tx.review_queue_refs(reason=code, source_kind=kind, batch_id=batch,
                                    proposed=proposed, limit=limit)
        ssns = [ssn for ssn, _ in refs]
        kinds = tx.source_kinds_of(ssns)
        proposals = tx.proposed_hold_decisions(ssns)
        items = []
        for ssn, first in refs:
            record = tx.get_record(ssn)
            if record is None:  # pragma: no cover - read in the same transaction
                continue
            items.append(QueueItem(record_ref(first), record, tx.record_updated_at(ssn) or "",
                                   tuple(kinds.get(ssn, ())), proposals.get(ssn)))
        return items


def record_refs(store: Store, ssns: list[str]) -> dict[str, str]:
    """The record reference of each of ``ssns`` that is on the registry."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return {ssn: record_ref(rid) for ssn, rid in tx.first_report_ids(ssns).items()}


@dataclass(frozen=True, slots=True)
class ReportLine:
    """A supporting report with where it came from and what it says differently."""

    report: DeathReport
    batch: int | None
    file_name: str
    differs: frozenset[str]  # fields (see :func:`differences`) unlike the record's


@dataclass(frozen=True, slots=True)
class EventLine:
    at: str
    actor: str
    kind: str
    text: str  # what happened, in words


@dataclass(frozen=True, slots=True)
class RecordReview:
    ref: str
    ssn: str
    record: DeathRecord | None
    reports: list[ReportLine]
    history: list[EventLine]
    proposal: dict[str, Any] | None  # a proposed hold decision waiting for a second person
    cases: list[tuple[str, str]]  # (case number, state)
    updated_at: str


def differences(record: DeathRecord, report: DeathReport) -> frozenset[str]:
    """The fields a report states differently from the record: ``last_name``,
    ``first_name``, ``middle_name``, ``date_of_death``, ``date_of_birth``, ``proof``
    (a blank a report leaves is not a difference)."""
    out = set()
    for name in ("last", "first", "middle"):
        said = getattr(report.name, name)
        if said and said != getattr(record.name, name):
            out.add(f"{name}_name")
    for name in ("date_of_death", "date_of_birth"):
        said_date = getattr(report, name)
        if said_date is not None and said_date != getattr(record, name):
            out.add(name)
    if report.proof.value and report.proof != record.proof:
        out.add("proof")
    return frozenset(out)


def review_record(store: Store, ref: str) -> RecordReview:
    """The record named by ``ref`` with its reports, history, open proposal and cases."""
    report_id = parse_record_ref(ref)
    store.check_schema()
    with store.transaction(write=False) as tx:
        found = tx.ssn_of_report(report_id)
        if found is None:
            raise NotFoundError(f"no record {record_ref(report_id)}: check the reference "
                                "(from the holds queue or a case)")
        ssn = normalize_ssn(found)
        first = tx.first_report_ids([ssn])[ssn]
        record = tx.get_record(ssn)
        batches = tx.report_batch_ids(ssn)
        lines = []
        for r in tx.reports_for_ssn(ssn):
            batch, file_name = batches.get(r.report_id or -1, (None, ""))
            lines.append(ReportLine(r, batch, file_name,
                                    differences(record, r) if record else frozenset()))
        history = [_line(e) for e in tx.events(subject=f"record:{ssn}")]
        cases = [(case_number(int(c["id"])), str(c["state"])) for c in tx.case_rows(ssn=ssn)]
        return RecordReview(record_ref(first), ssn, record, lines, history,
                            tx.proposed_hold_decision(ssn), cases,
                            tx.record_updated_at(ssn) or "")


def subject_history(store: Store, subject: str) -> list[EventLine]:
    """Every event about ``subject`` (``bulk:B-000001``, ``disclosure:D-000001``...),
    oldest first, in words."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [_line(e) for e in tx.events(subject=subject)]


def _line(event: Mapping[str, Any]) -> EventLine:
    try:
        detail = json.loads(event["detail"]) if event["detail"] else {}
    except ValueError:
        detail = {}
    return EventLine(event["occurred_at"], event["actor"], event["kind"],
                     describe_event(event["kind"], detail if isinstance(detail, dict) else {}))


_KIND_TEXT = {
    "record.published": "published the record",
    "record.held": "held the record",
    "record.pending": "set the record to pending",
    "record.withdrawn": "took the record off the file",
    "record.updated": "updated the record",
    "hold.release-proposed": "proposed releasing the hold",
    "hold.reject-proposed": "proposed rejecting the record",
    "attempt.refused": "was refused",
    "bulk.proposed": "proposed the bulk action",
    "bulk.applied": "approved and applied the bulk action",
    "bulk.refused": "refused the bulk action",
    "disclosure.requested": "recorded the request",
    "disclosure.refused": "recorded the request, refused on its elements",
    "disclosure.approval": "approved",
    "disclosure.approved": "gave the last approval: the request is approved",
    "disclosure.denied": "denied the request",
    "disclosure.answered": "collected the answer",
    "disclosure.answer-refused": "was refused the answer",
}


def describe_event(kind: str, detail: Mapping[str, Any]) -> str:
    """One event in words: what was done, then the why it names (note, reason...)."""
    text = _KIND_TEXT.get(kind, kind.replace(".", " ").replace("-", " "))
    parts = [text]
    decision = detail.get("hold_decision")
    if kind.startswith("record.") and decision:
        verb = "released the hold" if decision == "release" else "rejected the record"
        parts = [f"{verb}, proposed by {detail.get('proposed_by', '?')}: now "
                 f"{detail.get('to_status', '?')}"]
    elif kind.startswith("record.") and detail.get("case"):
        parts.append(f"(case {detail['case']})")
    if detail.get("bulk"):
        parts.append(f"as part of {detail['bulk']}")
    if kind == "attempt.refused":
        parts = [f"was refused ({detail.get('attempt', '?')}): {detail.get('reason', '')}"]
    missing = detail.get("missing")
    if kind == "disclosure.approval" and missing:
        parts.append("; still missing: " + (", ".join(map(str, missing))
                                            if isinstance(missing, list) else str(missing)))
    for key in ("note", "reason"):
        value = detail.get(key)
        if value and kind != "attempt.refused":
            parts.append(f"— {key}: {value}" if not isinstance(value, list)
                         else f"— {key}: " + "; ".join(map(str, value)))
    if kind == "bulk.applied" and isinstance(detail.get("outcomes"), dict):
        parts.append("— " + ", ".join(f"{n} {o}" for o, n in detail["outcomes"].items()))
    if kind == "bulk.proposed" and detail.get("records") is not None:
        parts.append(f"({detail['records']} records)")
    return " ".join(parts)
