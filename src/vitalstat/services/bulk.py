"""Bulk actions on held records: many records, always two people.

A caseworker proposes releasing or rejecting every held (or pending) record a selection
names: the records of one batch (``--batch``), or those held for one reason
(``--code``). The selection is frozen when proposed, so the approver approves exactly
the records the proposer saw. A second, different user approves it (the proposer is
refused, and the attempt audited), and only then is each record, if still waiting,
released or rejected exactly as a single hold decision would be (``services.holds``),
with one event per record and one for the bulk action, in one transaction. Anyone may
refuse a proposal (the safe direction).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from vitalstat.domain.integrity import NOT_RELEASABLE, IntegrityRules, check_second_person
from vitalstat.domain.numbers import format_number, parse_number
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.errors import ConflictError, NotFoundError, RefusedError, ValidationError
from vitalstat.services.holds import apply_hold_decision, parse_choice
from vitalstat.services.refusals import audited_refusals
from vitalstat.store import Store, Tx
from vitalstat.store.repo import canonical_json, utc_now

__all__ = ["BulkAction", "approve_bulk", "bulk_number", "list_bulk", "propose_bulk",
           "refuse_bulk", "show_bulk"]

_ACTIONS = ("release", "reject")


@dataclass(frozen=True, slots=True)
class BulkAction:
    number: str  # B-000001
    action: str  # release | reject
    selection: dict[str, Any]
    note: str
    proposed_by: str
    proposed_at: str
    state: str  # proposed | applied | refused
    decided_by: str | None
    decided_at: str | None
    decision_note: str
    outcomes: dict[str, str | None]  # SSN -> the record's status after, or "skipped"

    @property
    def size(self) -> int:
        return len(self.outcomes)

    def tally(self) -> dict[str, int]:
        return dict(sorted(Counter(o for o in self.outcomes.values() if o).items()))


def bulk_number(bulk_id: int) -> str:
    return format_number("B", bulk_id)


def _load(tx: Tx, number: str) -> tuple[int, dict[str, Any]]:
    bulk_id = parse_number(number, "B", what="bulk action number", field="bulk")
    row = tx.bulk_action_row(bulk_id)
    if row is None:
        raise NotFoundError(f"no bulk action {bulk_number(bulk_id)}")
    return bulk_id, row


def _view(tx: Tx, bulk_id: int, row: dict[str, Any] | None = None) -> BulkAction:
    """The bulk action as stored now (``row``: its row, when the caller just read it)."""
    row = row if row is not None else tx.bulk_action_row(bulk_id)
    assert row is not None
    return BulkAction(
        number=bulk_number(bulk_id), action=row["action"],
        selection=json.loads(row["selection"]), note=row["note"],
        proposed_by=row["proposed_by"], proposed_at=row["proposed_at"], state=row["state"],
        decided_by=row["decided_by"], decided_at=row["decided_at"],
        decision_note=row["decision_note"], outcomes=tx.bulk_items(bulk_id))


def propose_bulk(store: Store, action: str, *, actor: str, note: str,
                 batch: int | None = None, code: str | None = None) -> BulkAction:
    """Freeze the held records ``batch`` and/or ``code`` select into a proposal."""
    if action not in _ACTIONS:
        raise ValidationError(f"{action!r} is not release or reject", field="action")
    if not note.strip():
        raise ValidationError("is required: say why, for the approver", field="reason")
    if batch is None and code is None:
        raise ValidationError("name the records: --batch ID and/or --code REASON",
                              field="selection")
    reason = parse_choice(ReviewReason, code, "code") if code is not None else None
    if action == "release" and reason in NOT_RELEASABLE:
        raise RefusedError(f"records held for {reason.value} cannot be released by a "
                           "hold decision: " + reason.text)
    selection = {k: v for k, v in (("batch", batch), ("code", code)) if v is not None}
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        ssns = tx.waiting_ssns(reason=reason.value if reason else None, batch_id=batch)
        if not ssns:
            raise NotFoundError(f"no held or pending record matches {canonical_json(selection)}")
        bulk_id = tx.insert_bulk_action({
            "action": action, "selection": canonical_json(selection), "note": note,
            "proposed_by": actor, "proposed_at": now, "state": "proposed"}, ssns)
        tx.append_event(actor=actor, kind="bulk.proposed", subject=f"bulk:{bulk_number(bulk_id)}",
                        detail={"action": action, "selection": selection, "note": note,
                                "records": len(ssns)}, at=now)
        return _view(tx, bulk_id)


def approve_bulk(store: Store, number: str, *, actor: str, today: date,
                 rules: IntegrityRules) -> BulkAction:
    """A second, different user approves: every frozen record still waiting is released or
    rejected; records no longer held are skipped."""
    store.check_schema()
    now = utc_now()
    with audited_refusals(store, actor=actor, attempt="bulk-approve",
                          subject=f"bulk:{number.strip().upper()}"), \
            store.transaction() as tx:
        bulk_id, row = _load(tx, number)
        if row["state"] != "proposed":
            raise ConflictError(f"{bulk_number(bulk_id)} is {row['state']}, not proposed")
        check_second_person(row["proposed_by"], actor)
        outcomes: dict[str, str] = {}
        cause = {"bulk": bulk_number(bulk_id)}
        for ssn in tx.bulk_items(bulk_id):
            record = tx.get_record(ssn)
            if record is None or record.status not in (RecordStatus.HELD,
                                                       RecordStatus.PENDING):
                outcomes[ssn] = "skipped"
                continue
            final = apply_hold_decision(tx, record, row["action"],
                                        proposed_by=row["proposed_by"], approved_by=actor,
                                        note=row["note"], now=now, today=today, rules=rules,
                                        cause=cause)
            outcomes[ssn] = final.status.value
        tx.set_bulk_outcomes(bulk_id, outcomes)
        tx.update_bulk_action(bulk_id, {"state": "applied", "decided_by": actor,
                                        "decided_at": now})
        tally = dict(sorted(Counter(outcomes.values()).items()))
        tx.append_event(actor=actor, kind="bulk.applied", subject=f"bulk:{bulk_number(bulk_id)}",
                        detail={"action": row["action"], "proposed_by": row["proposed_by"],
                                "outcomes": tally}, at=now)
        return _view(tx, bulk_id)


def refuse_bulk(store: Store, number: str, *, actor: str, note: str) -> BulkAction:
    """Refuse (or, by its proposer, withdraw) a proposal: nothing changes."""
    if not note.strip():
        raise ValidationError("is required: say why, for the proposer", field="reason")
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        bulk_id, row = _load(tx, number)
        if row["state"] != "proposed":
            raise ConflictError(f"{bulk_number(bulk_id)} is {row['state']}, not proposed")
        tx.update_bulk_action(bulk_id, {"state": "refused", "decided_by": actor,
                                        "decided_at": now, "decision_note": note})
        tx.append_event(actor=actor, kind="bulk.refused", subject=f"bulk:{bulk_number(bulk_id)}",
                        detail={"note": note, "proposed_by": row["proposed_by"]}, at=now)
        return _view(tx, bulk_id)


def show_bulk(store: Store, number: str) -> BulkAction:
    store.check_schema()
    with store.transaction(write=False) as tx:
        bulk_id, row = _load(tx, number)
        return _view(tx, bulk_id, row)


def list_bulk(store: Store, *, state: str | None = None, limit: int = 100) -> list[BulkAction]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [_view(tx, int(r["id"]), r) for r in tx.bulk_action_rows(state=state, limit=limit)]
