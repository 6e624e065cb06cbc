"""``vitalstat holds``: the queue of records waiting for a person, each with its reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.cli.registry import show as show_record
from vitalstat.config import Settings, default_actor
from vitalstat.services.bulk import (
    BulkAction,
    approve_bulk,
    list_bulk,
    propose_bulk,
    refuse_bulk,
    show_bulk,
)
from vitalstat.services.holds import decide_hold, held_records, recheck_pending
from vitalstat.store.repo import canonical_json

__all__ = ["holds"]

holds = typer.Typer(help="Records held or pending for review, with the reason for each.",
                    no_args_is_help=True)
app.add_typer(holds, name="holds")


@holds.command("list")
def list_holds(
    reason: Annotated[str | None, typer.Option(
        "--reason", help="Only records held for this reason code")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many")] = 100,
    db: DbOption = None,
) -> None:
    """Held and pending records, oldest first, with every reason in words."""
    with errors():
        found = held_records(open_store(db), reason=reason, limit=limit)
        if not found:
            out.print("nothing is waiting for review")
            return
        table = Table(title=f"{len(found)} records waiting (oldest first)")
        for col in ("SSN", "name", "died", "status", "why"):
            table.add_column(col)
        for rec in found:
            table.add_row(rec.ssn, rec.name.display(), str(rec.date_of_death or "?"),
                          rec.status.value,
                          "\n".join(f"{r.value}: {r.text}" for r in rec.review_reasons))
        out.print(table)
        out.print("see one record and its reports: vitalstat show SSN")


@holds.command("recheck")
def recheck(db: DbOption = None, actor: ActorOption = None) -> None:
    """Re-decide pending records: those whose grace period has ended publish."""
    with errors():
        settings = Settings.from_env()
        changed = recheck_pending(open_store(db), actor=default_actor(actor),
                                  today=datetime.now(UTC).date(), rules=settings.integrity)
        for rec in changed:
            out.print(f"{rec.ssn}: now {rec.status.value}")
        out.print(f"{len(changed)} pending records changed")


def _decide(action: str, ssn: str, reason: str, db: str | None, actor: str | None) -> None:
    with errors():
        settings = Settings.from_env()
        who = default_actor(actor)
        result = decide_hold(open_store(db), ssn, action, actor=who, note=reason,
                             today=datetime.now(UTC).date(), rules=settings.integrity)
        if result.outcome == "proposed":
            out.print(f"{result.ssn}: {action} proposed by {who}; needs a second, different "
                      f"user ({', '.join(result.needs)}): they run the same command")
        else:
            out.print(f"{result.ssn}: {action} applied; the record is now "
                      f"{result.record.status.value}")


@holds.command("release")
def release(
    ssn: Annotated[str, typer.Argument(help="SSN of the held record")],
    reason: Annotated[str, typer.Option("--reason", help="Why it may publish")] = "",
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Publish a held record despite its reasons: one user proposes, a second approves."""
    _decide("release", ssn, reason, db, actor)


@holds.command("reject")
def reject(
    ssn: Annotated[str, typer.Argument(help="SSN of the held record")],
    reason: Annotated[str, typer.Option("--reason", help="Why the death is not accepted")]
    = "",
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Take a held record off the file (a second user too if state vital records back it)."""
    _decide("reject", ssn, reason, db, actor)


@holds.command("show")
def show(ssn: Annotated[str, typer.Argument(help="SSN")], db: DbOption = None) -> None:
    """One held record with its reasons, every supporting report and its history."""
    show_record(ssn, db)


bulk = typer.Typer(help="Release or reject many held records at once (always two users).",
                   no_args_is_help=True)
holds.add_typer(bulk, name="bulk")


def _print_bulk(item: BulkAction) -> None:
    out.print(f"{item.number}: {item.action} of {item.size} records "
              f"{canonical_json(item.selection)} — {item.state}")
    out.print(f"  proposed by {item.proposed_by} on {item.proposed_at}: {item.note}")
    if item.decided_by:
        out.print(f"  {item.state} by {item.decided_by} on {item.decided_at}"
                  + (f": {item.decision_note}" if item.decision_note else ""))
    if item.state == "applied":
        out.print("  outcome: " + ", ".join(f"{n} {o}" for o, n in item.tally().items()))


@bulk.command("propose")
def bulk_propose(
    action: Annotated[str, typer.Argument(help="release or reject", show_default=False)],
    batch: Annotated[int | None, typer.Option(
        "--batch", help="The held records of this batch (the id ingest printed)")] = None,
    code: Annotated[str | None, typer.Option(
        "--code", help="The records held for this reason code")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the approver")] = "",
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Propose a bulk release or reject; the selection is frozen for the approver."""
    with errors():
        item = propose_bulk(open_store(db), action, actor=default_actor(actor), note=reason,
                            batch=batch, code=code)
        _print_bulk(item)
        out.print(f"a second, different user approves it: vitalstat holds bulk approve "
                  f"{item.number}")


@bulk.command("approve")
def bulk_approve(
    number: Annotated[str, typer.Argument(help="Bulk action number, e.g. B-000001")],
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Approve and apply a proposed bulk action (not by its proposer)."""
    with errors():
        settings = Settings.from_env()
        _print_bulk(approve_bulk(open_store(db), number, actor=default_actor(actor),
                                 today=datetime.now(UTC).date(), rules=settings.integrity))


@bulk.command("refuse")
def bulk_refuse(
    number: Annotated[str, typer.Argument(help="Bulk action number, e.g. B-000001")],
    reason: Annotated[str, typer.Option("--reason", help="Why not")] = "",
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Refuse (or withdraw) a proposed bulk action: nothing changes."""
    with errors():
        _print_bulk(refuse_bulk(open_store(db), number, actor=default_actor(actor),
                                note=reason))


@bulk.command("list")
def bulk_list(
    state: Annotated[str | None, typer.Option(
        "--state", help="proposed, applied or refused")] = None,
    db: DbOption = None,
) -> None:
    """Bulk actions, oldest first."""
    with errors():
        found = list_bulk(open_store(db), state=state)
        if not found:
            out.print("no bulk action")
        for item in found:
            _print_bulk(item)


@bulk.command("show")
def bulk_show(
    number: Annotated[str, typer.Argument(help="Bulk action number, e.g. B-000001")],
    db: DbOption = None,
) -> None:
    """One bulk action with every record it covers and what became of it."""
    with errors():
        item = show_bulk(open_store(db), number)
        _print_bulk(item)
        for ssn, outcome in item.outcomes.items():
            out.print(f"  {ssn}  {outcome or 'waiting for approval'}")
