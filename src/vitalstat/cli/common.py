"""What every command module shares: the Typer app, consoles, common options, error printing.

Exit statuses: 0 success; 1 the registry refused or failed (message names the error code);
2 bad usage (Typer's own). Every error is printed as ``error [code]: message``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from vitalstat.config import db_url
from vitalstat.errors import BadLinesError, VitalstatError
from vitalstat.store import Store

__all__ = [
    "ActorOption",
    "DbOption",
    "app",
    "byte_progress",
    "count_table",
    "err",
    "errors",
    "open_store",
    "out",
    "print_error",
]

app = typer.Typer(
    name="vitalstat",
    help="Vitalstat: an open death master file. See README.md for a tour.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Registry URL or SQLite path "
                 "(env VITALSTAT_DB; default ./vitalstat.db)"),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--as", help="Who is acting, for the event log "
                 "(env VITALSTAT_USER; default: the OS user)"),
]


@contextmanager
def errors() -> Iterator[None]:
    """Print domain errors as ``error [code]: message`` and exit 1; never a stack trace."""
    try:
        yield
    except BadLinesError as exc:
        print_error(exc.code, exc.args[0])
        raise typer.Exit(1) from None
    except VitalstatError as exc:
        print_error(exc.code, str(exc))
        raise typer.Exit(1) from None


def print_error(code: str, message: str) -> None:
    err.print(Text.assemble(("error", "bold red"), f" [{code}]: {message}"), highlight=False)


def open_store(db: str | None) -> Store:
    return Store.open(db_url(db))


@contextmanager
def byte_progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A byte-count progress bar on a terminal (``None`` elsewhere or when not enabled)."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def count_table(title: str, label: str, unit: str, rows: list[tuple[str, int]]) -> None:
    table = Table(title=title)
    table.add_column(label)
    table.add_column(unit, justify="right")
    for name, n in rows:
        table.add_row(name, str(n))
    out.print(table)
