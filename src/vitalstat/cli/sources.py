"""``vitalstat source``: the sources allowed to report deaths, and their daily ceilings."""

from __future__ import annotations

from typing import Annotated

import typer

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import Settings, default_actor
from vitalstat.domain.reports import SourceKind
from vitalstat.errors import ValidationError
from vitalstat.services.sources import list_sources, register_source, update_source

__all__ = ["source"]

source = typer.Typer(help="Sources allowed to report deaths: only registered ones may.",
                     no_args_is_help=True)
app.add_typer(source, name="source")

KindArg = Annotated[str, typer.Argument(
    help="Source kind, one of: " + ", ".join(k.value for k in SourceKind), show_default=False)]
IdArg = Annotated[str, typer.Argument(
    help="The source's identity, e.g. a state code or a licence number", show_default=False)]


@source.command("register")
def register(
    kind: KindArg,
    source_id: IdArg,
    surge_ceiling: Annotated[int | None, typer.Option(
        "--surge-ceiling", help="Deaths it may report in one day before its batches are "
        "held (default: VITALSTAT_SURGE_CEILING)")] = None,
    note: Annotated[str, typer.Option("--note", help="Who this source is, for reviewers")]
    = "",
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Register a source; only registered sources' reports are ingested."""
    with errors():
        info = register_source(open_store(db), kind=kind, source_id=source_id,
                               actor=default_actor(actor), surge_ceiling=surge_ceiling,
                               note=note)
        out.print(f"source {info.source} registered by {info.registered_by}; daily surge "
                  f"ceiling {_ceiling_text(info.surge_ceiling)}")


@source.command("set-ceiling")
def set_ceiling(
    kind: KindArg,
    source_id: IdArg,
    ceiling: Annotated[str, typer.Argument(
        help="Deaths a day, or 'default' for VITALSTAT_SURGE_CEILING", show_default=False)],
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Change a source's daily surge ceiling."""
    with errors():
        value = None if ceiling.strip().lower() == "default" else _whole(ceiling)
        info = update_source(open_store(db), kind=kind, source_id=source_id,
                             actor=default_actor(actor), surge_ceiling=value)
        out.print(f"source {info.source}: daily surge ceiling now "
                  f"{_ceiling_text(info.surge_ceiling)}")


@source.command("list")
def list_(db: DbOption = None) -> None:
    """Registered sources with their ceilings, batches and reports."""
    with errors():
        found = list_sources(open_store(db))
        if not found:
            out.print("no source is registered yet: vitalstat source register KIND ID")
            return
        out.print(f"{len(found)} registered sources")
        default = Settings.from_env().integrity.surge_ceiling
        for info in found:  # one line each, so scripts can grep it
            out.print(f"{info.source}  ceiling {_ceiling_text(info.surge_ceiling, default)}; "
                      f"{info.batches} batches, {info.reports} reports, last "
                      f"{info.last_batch_at or '-'}; registered {info.registered_at[:10]} by "
                      f"{info.registered_by}" + (f"; {info.note}" if info.note else ""),
                      highlight=False)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a whole number or 'default'",
                              field="ceiling") from None


def _ceiling_text(value: int | None, default: int | None = None) -> str:
    """A source's ceiling, or the setting's default (``default``: already read)."""
    if value is None:
        shown = default if default is not None else Settings.from_env().integrity.surge_ceiling
        return f"{shown} (the default)"
    return str(value)
