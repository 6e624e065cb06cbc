"""Holds: how a record's status is decided and re-decided, and the work queue it makes.

Every path that (re)computes a record, ingest and the pending re-check alike, goes
through :func:`assess` and :func:`save_assessed`: consolidation of the SSN's reports,
then the integrity rules (``domain.integrity``), then one event per changed existing
record, in the caller's transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from vitalstat.domain.consolidate import consolidate, effective_reports, versioned
from vitalstat.domain.identity import normalize_ssn
from vitalstat.domain.integrity import (
    Evidence,
    IntegrityRules,
    apply_holds,
    check_second_person,
    needs_second_person,
    record_holds,
    withdrawn,
)
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import DeathReport
from vitalstat.errors import ConflictError, NotFoundError, ValidationError
from vitalstat.services.refusals import audited_refusals
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = ["Assessed", "HoldDecision", "apply_hold_decision", "assess", "decide_hold",
           "evidence_for",
           "held_records", "parse_choice", "recheck_pending", "save_assessed"]

E = TypeVar("E", bound=enum.Enum)


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


def evidence_for(tx: Tx, ssn: str, standing: Sequence[DeathReport], today: date) -> Evidence:
    """What the registry knows about ``ssn`` beyond its reports: cases, life, decisions."""
    alive = tx.latest_alive_on(ssn)
    return Evidence(
        today=today,
        first_reported=min((r.received_at.date() for r in standing), default=None),
        alive_on=date.fromisoformat(alive) if alive else None,
        withdrawn_as_erroneous=tx.withdrawn_as_erroneous(ssn),
        open_case=tx.has_open_case(ssn),
        released=frozenset(ReviewReason(r) for r in tx.released_reasons(ssn)),
    )


def assess(tx: Tx, ssn: str, *, today: date, rules: IntegrityRules) -> Assessed:
    previous = tx.get_record(ssn)
    reports = tx.reports_for_ssn(ssn)
    record = consolidate(reports, previous)
    if record is None:
        return Assessed(ssn, previous, None)
    standing = effective_reports(reports)
    evidence = evidence_for(tx, ssn, standing, today)
    return Assessed(ssn, previous, apply_holds(
        record, record_holds(record, standing, evidence, rules), evidence.released))


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


def parse_choice(cls: type[E], value: str, field: str) -> E:
    """``value`` as a member of the enum ``cls``, or an error listing the choices."""
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise ValidationError(f"{value!r} is not one of: {allowed}", field=field) from None


def held_records(store: Store, *, reason: str | None = None,
                 limit: int = 100) -> list[DeathRecord]:
    """The work queue: held and pending records (optionally for one reason code), oldest
    change first."""
    code = parse_choice(ReviewReason, reason, "reason") if reason is not None else None
    store.check_schema()
    with store.transaction(write=False) as tx:
        return tx.waiting_records(reason=code, limit=limit)


@dataclass(frozen=True, slots=True)
class HoldDecision:
    """What a ``holds release`` / ``holds reject`` call did."""

    ssn: str
    action: str  # release | reject
    outcome: str  # proposed | applied
    record: DeathRecord
    needs: tuple[str, ...] = ()  # the two-person rules that made it a proposal


def decide_hold(store: Store, ssn: str, action: str, *, actor: str, note: str,
                today: date, rules: IntegrityRules) -> HoldDecision:
    """Release (publish despite the reasons) or reject (take off the file) a held record.

    Releasing always needs a second, different user: the first call proposes, a call by
    another user approves and applies it, the proposer again is refused. Rejecting is the
    safe direction, so one person may do it, except for a record supported by state vital
    records (changing a vital record needs a second user too).
    """
    if action not in ("release", "reject"):
        raise ValidationError(f"{action!r} is not release or reject", field="action")
    if not note.strip():
        raise ValidationError("is required: say why, for the next reviewer", field="reason")
    norm = normalize_ssn(ssn)
    store.check_schema()
    now = utc_now()
    with audited_refusals(store, actor=actor, attempt=f"hold-{action}",
                          subject=f"record:{norm}"), store.transaction() as tx:
        record = tx.get_record(norm)
        if record is None:
            raise NotFoundError(f"no record for SSN {norm}")
        if record.status not in (RecordStatus.HELD, RecordStatus.PENDING):
            raise ConflictError(f"record {norm} is {record.status.value}, not held")
        pending = tx.proposed_hold_decision(norm)
        if pending is not None and pending["action"] != action:
            raise ConflictError(f"a {pending['action']} of {norm} is already proposed by "
                                f"{pending['proposed_by']}: approve it or wait")
        needs = needs_second_person(releases_hold=action == "release",
                                    record_restricted=record.restricted)
        if pending is None and needs:
            tx.insert_hold_decision({
                "ssn": norm, "action": action,
                "reasons": " ".join(r.value for r in record.review_reasons), "note": note,
                "proposed_by": actor, "proposed_at": now, "state": "proposed"})
            tx.append_event(actor=actor, kind=f"hold.{action}-proposed",
                            subject=f"record:{norm}",
                            detail={"note": note, "needs": [n.value for n in needs],
                                    "review_reasons": [r.value for r in
                                                       record.review_reasons]}, at=now)
            return HoldDecision(norm, action, "proposed", record,
                                tuple(n.value for n in needs))
        if pending is not None:
            check_second_person(pending["proposed_by"], actor)
            tx.approve_hold_decision(pending["id"], by=actor, at=now)
            final = apply_hold_decision(tx, record, action, proposed_by=pending["proposed_by"],
                                        approved_by=actor, note=note, now=now, today=today,
                                        rules=rules, recorded=True)
        else:
            final = apply_hold_decision(tx, record, action, proposed_by=actor,
                                        approved_by=actor, note=note, now=now, today=today,
                                        rules=rules)
        return HoldDecision(norm, action, "applied", final)


def apply_hold_decision(tx: Tx, record: DeathRecord, action: str, *, proposed_by: str,
                        approved_by: str, note: str, now: str, today: date,
                        rules: IntegrityRules, recorded: bool = False,
                        cause: dict[str, Any] | None = None) -> DeathRecord:
    """Carry out an approved release or reject of one held ``record`` (the caller checked
    who may approve): the decision is kept in ``hold_decisions`` (unless ``recorded``
    already) and the record re-decided (release: the reasons it had are released) or
    withdrawn (reject), with its event."""
    if not recorded:
        tx.insert_hold_decision({
            "ssn": record.ssn, "action": action,
            "reasons": " ".join(r.value for r in record.review_reasons), "note": note,
            "proposed_by": proposed_by, "proposed_at": now, "state": "approved",
            "approved_by": approved_by, "approved_at": now})
    why = {"hold_decision": action, "note": note, "proposed_by": proposed_by, **(cause or {})}
    if action == "release":
        final = save_assessed(tx, assess(tx, record.ssn, today=today, rules=rules),
                              actor=approved_by, now=now, cause=why)
    else:
        final = save_assessed(tx, Assessed(record.ssn, record, withdrawn(record)),
                              actor=approved_by, now=now, cause=why)
    return final or record
