"""``vitalstat holds``: the queue of records waiting for a person, each with its reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.cli.registry import show as show_record
from vitalstat.config import Settings, default_actor
from vitalstat.services.holds import decide_hold, held_records, recheck_pending

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
