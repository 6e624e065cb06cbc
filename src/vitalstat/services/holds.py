"""Holds: how a record's status is decided and re-decided, and the work queue it makes.

Every path that (re)computes a record, ingest and the pending re-check alike, goes
through :func:`assess` and :func:`save_assessed`: consolidation of the SSN's reports,
then the integrity rules (``domain.integrity``), then one event per changed existing
record, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from vitalstat.domain.consolidate import consolidate, effective_reports, versioned
from vitalstat.domain.integrity import Evidence, IntegrityRules, apply_holds, record_holds
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = ["Assessed", "assess", "held_records", "recheck_pending", "save_assessed"]


@dataclass(frozen=True, slots=True)
class Assessed:
    """An SSN's stored record and what its reports and the rules make of it now."""

    ssn: str
    previous: DeathRecord | None
    candidate: DeathRecord | None  # None: nothing to record

    @property
    def flagged(self) -> bool:
        """The integrity rules (not only consolidation) hold this record."""
        return self.candidate is not None and any(
            r not in _CONSOLIDATION_REASONS for r in self.candidate.review_reasons)


_CONSOLIDATION_REASONS = frozenset({ReviewReason.CONFLICTING_DATE_OF_DEATH,
                                    ReviewReason.CONFLICTING_DATE_OF_BIRTH,
                                    ReviewReason.CONFLICTING_NAME})


def assess(tx: Tx, ssn: str, *, today: date, rules: IntegrityRules) -> Assessed:
    previous = tx.get_record(ssn)
    reports = tx.reports_for_ssn(ssn)
    record = consolidate(reports, previous)
    if record is None:
        return Assessed(ssn, previous, None)
    standing = effective_reports(reports)
    evidence = Evidence(today=today,
                        first_reported=min((r.received_at.date() for r in standing),
                                           default=None))
    return Assessed(ssn, previous,
                    apply_holds(record, record_holds(record, standing, evidence, rules)))


def save_assessed(tx: Tx, assessed: Assessed, *, actor: str, now: str, cause: dict[str, Any],
                  extra: Sequence[ReviewReason] = ()) -> DeathRecord | None:
    """Store the assessed record (with batch-level ``extra`` reasons); ``None`` when it
    did not change. An existing record's change writes ``record.<status>`` (status
    changed) or ``record.updated``."""
    if assessed.candidate is None:
        return None
    final = versioned(apply_holds(assessed.candidate, extra), assessed.previous)
    previous = assessed.previous
    if final is previous:
        return None
    tx.save_record(final, now=now, existed=previous is not None)
    if previous is not None:
        tx.append_event(
            actor=actor, subject=f"record:{final.ssn}",
            kind="record.updated" if final.status is previous.status
            else f"record.{final.status.value}",
            detail={**cause, "from_status": previous.status.value,
                    "to_status": final.status.value, "version": final.version,
                    "review_reasons": [r.value for r in final.review_reasons]},
            at=now,
        )
    return final


def recheck_pending(store: Store, *, actor: str, today: date,
                    rules: IntegrityRules) -> list[DeathRecord]:
    """Re-decide every pending record (e.g. its grace period ended); returns the changed."""
    store.check_schema()
    now = utc_now()
    changed: list[DeathRecord] = []
    with store.transaction() as tx:
        for ssn in tx.ssns_with_status(RecordStatus.PENDING):
            saved = save_assessed(tx, assess(tx, ssn, today=today, rules=rules), actor=actor,
                                  now=now, cause={"recheck": today.isoformat()})
            if saved is not None:
                changed.append(saved)
    return changed


def held_records(store: Store, *, reason: ReviewReason | None = None,
                 limit: int = 100) -> list[DeathRecord]:
    """The work queue: held and pending records, oldest change first."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return tx.waiting_records(reason=reason, limit=limit)
