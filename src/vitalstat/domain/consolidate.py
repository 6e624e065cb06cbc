"""Reports -> one death record per SSN. Pure.

Rules:
- Reports are taken in the order received. Per source, the latest ``A``/``C`` report
  replaces that source's earlier ones, and a ``D`` report retracts them: a source speaks
  once per person, with its latest word.
- Dates: reports that could denote the same day (a partial date agrees with a fuller
  one) are not a conflict, and the record takes the most precise. Dates that cannot be
  the same day, or names that differ, are never resolved silently: the record is held
  for review with a reason code, showing the best-supported report's values.
- Proof is the strongest supporting report's. A record supported by any restricted
  (state) source is restricted.
- A record whose every report is retracted is withdrawn; without any report there is no
  record (the registry never lists a person without death evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import RESTRICTED_KINDS, Action, DeathReport, ProofLevel, SourceKind

__all__ = [
    "consolidate",
    "effective_reports",
    "lone_report_terms",
    "names_conflict",
    "sole_report_record",
    "versioned",
]


def effective_reports(reports: Sequence[DeathReport]) -> list[DeathReport]:
    """Each source's latest standing report (a ``D`` leaves that source with none)."""
    latest: dict[tuple[SourceKind, str], DeathReport | None] = {}
    for report in reports:  # in received order
        key = (report.source.kind, report.source.source_id)
        latest.pop(key, None)  # re-insert so dict order follows the latest word
        latest[key] = None if report.action is Action.DELETE else report
    return [r for r in latest.values() if r is not None]


def names_conflict(a: PersonName, b: PersonName) -> bool:
    """Different people's names, not the same name written more or less fully."""
    if a.last != b.last:
        return True
    if a.first and b.first and a.first != b.first:
        short, full = sorted((a.first, b.first), key=len)
        return not (len(short) == 1 and full.startswith(short))
    return False


def _best(reports: Sequence[DeathReport]) -> DeathReport:
    """Strongest proof; among equals the most recent."""
    best = reports[0]
    for r in reports[1:]:
        if r.proof.strength >= best.proof.strength:
            best = r
    return best


def _merge_dates(
    dates: list[PartialDate | None], fallback: PartialDate | None
) -> tuple[PartialDate | None, bool]:
    """Most precise of mutually compatible dates; ``(fallback, True)`` on conflict."""
    known = [d for d in dates if d is not None]
    if not known:
        return None, False
    for i, a in enumerate(known):
        for b in known[i + 1 :]:
            if not a.compatible(b):
                return fallback, True
    return max(known, key=lambda d: d.precision()), False


def lone_report_terms(kind: SourceKind) -> tuple[RecordStatus, bool]:
    """Status and restriction of a record resting on one report from a source of ``kind``.

    The store's set-based bulk path applies exactly these terms; keep them here only.
    """
    return RecordStatus.PUBLISHED, kind in RESTRICTED_KINDS


def sole_report_record(report: DeathReport) -> DeathRecord:
    """The record one standing report makes on its own."""
    status, restricted = lone_report_terms(report.source.kind)
    return DeathRecord(
        ssn=report.ssn,
        name=report.name,
        date_of_death=report.date_of_death,
        date_of_birth=report.date_of_birth,
        proof=report.proof,
        status=status,
        restricted=restricted,
        report_count=1,
        state=report.state,
        zip_residence=report.zip_residence,
        zip_payment=report.zip_payment,
    )


def consolidate(
    reports: Sequence[DeathReport], previous: DeathRecord | None = None
) -> DeathRecord | None:
    """The record for one SSN given all its reports (received order) and its prior state.

    Returns ``None`` when there is nothing to record (no standing report and no prior
    record). The version increases only when the record actually changes.
    """
    standing = effective_reports(reports)
    if not standing:
        if previous is None:
            return None
        if previous.status is RecordStatus.WITHDRAWN and previous.report_count == 0:
            return previous
        return replace(
            previous,
            status=RecordStatus.WITHDRAWN,
            review_reasons=(),
            report_count=0,
            version=previous.version + 1,
        )

    best = _best(standing)
    reasons: list[ReviewReason] = []
    dod, dod_conflict = _merge_dates([r.date_of_death for r in standing], best.date_of_death)
    if dod_conflict:
        reasons.append(ReviewReason.CONFLICTING_DATE_OF_DEATH)
    dob, dob_conflict = _merge_dates([r.date_of_birth for r in standing], best.date_of_birth)
    if dob_conflict:
        reasons.append(ReviewReason.CONFLICTING_DATE_OF_BIRTH)
    if any(names_conflict(best.name, r.name) for r in standing):
        reasons.append(ReviewReason.CONFLICTING_NAME)

    if len(standing) == 1:
        record = replace(sole_report_record(best), date_of_death=dod, date_of_birth=dob)
    else:
        record = DeathRecord(
            ssn=best.ssn,
            name=best.name,
            date_of_death=dod,
            date_of_birth=dob,
            proof=ProofLevel.strongest([r.proof for r in standing]),
            status=RecordStatus.HELD if reasons else RecordStatus.PUBLISHED,
            review_reasons=tuple(reasons),
            restricted=any(r.restricted for r in standing),
            report_count=len(standing),
            state=best.state,
            zip_residence=best.zip_residence,
            zip_payment=best.zip_payment,
        )
    return versioned(record, previous)


def versioned(record: DeathRecord, previous: DeathRecord | None) -> DeathRecord:
    """``record`` as the next version of ``previous``: ``previous`` itself when nothing
    but the version differs, else one version up (a new record is version 1)."""
    if previous is None:
        return replace(record, version=1)
    if replace(record, version=previous.version) == previous:
        return previous
    return replace(record, version=previous.version + 1)
