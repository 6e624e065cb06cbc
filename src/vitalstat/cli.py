"""The ``vitalstat`` command line: parse arguments, call a service, print the outcome.

Exit statuses: 0 success; 1 the registry refused or failed (message names the error code);
2 bad usage (Typer's own). Every error is printed as ``error [code]: message``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from vitalstat.config import Settings, db_url, default_actor
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.domain.reports import SourceKind
from vitalstat.errors import BadLinesError, VitalstatError
from vitalstat.services.ingest import IngestResult, ingest_file
from vitalstat.services.registry import (
    RecordView,
    init_registry,
    registry_stats,
    sample_ssn,
    show_record,
)
from vitalstat.store import Store

__all__ = ["app", "main"]

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
def _errors() -> Iterator[None]:
    """Print domain errors as ``error [code]: message`` and exit 1; never a stack trace."""
    try:
        yield
    except BadLinesError as exc:
        _print_error(exc.code, exc.args[0])
        raise typer.Exit(1) from None
    except VitalstatError as exc:
        _print_error(exc.code, str(exc))
        raise typer.Exit(1) from None


def _print_error(code: str, message: str) -> None:
    err.print(Text.assemble(("error", "bold red"), f" [{code}]: {message}"), highlight=False)


def _store(db: str | None) -> Store:
    return Store.open(db_url(db))


@app.command()
def init(db: DbOption = None, actor: ActorOption = None) -> None:
    """Create the registry (or migrate it to the current schema). Safe to repeat."""
    with _errors():
        store = _store(db)
        revision, changed = init_registry(store, actor=default_actor(actor))
        word = "migrated to" if changed else "already at"
        out.print(f"registry {store.url} {word} schema {revision}")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="File of death reports", show_default=False)],
    source_kind: Annotated[str, typer.Option(
        "--source-kind", help="One of: " + ", ".join(k.value for k in SourceKind))],
    source_id: Annotated[str, typer.Option(
        "--source-id", help="Identity of the sending source, e.g. a state code or licence")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="dmf, csv or parquet (default: by file extension)")] = None,
    quarantine: Annotated[Path | None, typer.Option(
        "--quarantine", help="Write bad lines to this file and load the rest")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Load a file of death reports. All or nothing; the same file twice changes nothing."""
    with _errors():
        store = _store(db)
        store.check_schema()
        settings = Settings.from_env()
        large = file.is_file() and file.stat().st_size > 5_000_000
        with _byte_progress(f"ingesting {file.name}", enabled=large) as progress:
            result = ingest_file(
                store, file, source_kind=source_kind, source_id=source_id,
                actor=default_actor(actor), fmt=fmt, quarantine=quarantine,
                chunk_lines=settings.chunk_lines, progress=progress,
            )
        _print_ingest(result, quarantine)


def _print_ingest(r: IngestResult, quarantine: Path | None) -> None:
    if r.already_ingested:
        out.print(f"{r.file}: already ingested from {r.source} as batch {r.batch_id} "
                  f"on {r.received_at}; nothing changed")
        return
    out.print(f"{r.file}: batch {r.batch_id} from {r.source}: {r.lines} lines, "
              f"{r.reports_new} new reports, {r.reports_duplicate} already known, "
              f"{r.records_created} records created, {r.records_changed} changed, "
              f"{len(r.records_held)} held for review")
    if r.lines_quarantined:
        out.print(f"{r.lines_quarantined} bad lines written to {quarantine} "
                  f"(reasons in {quarantine}.errors.txt)")
    if r.changed_nothing:
        out.print("nothing changed: every report was already known")


@contextmanager
def _byte_progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
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


@app.command()
def show(
    ssn: Annotated[str, typer.Argument(help="SSN, with or without dashes")],
    db: DbOption = None,
) -> None:
    """Show a record, its status and every supporting report."""
    with _errors():
        view = show_record(_store(db), ssn)
        if view.record is None and not view.reports:
            err.print(f"no record and no report for SSN {view.ssn}")
            raise typer.Exit(1)
        _print_view(view)


def _print_view(view: RecordView) -> None:
    rec = view.record
    if rec is None:
        out.print(f"SSN {view.ssn}: no record (reports only)")
    else:
        out.print(f"[bold]SSN {rec.ssn}[/bold]  {rec.name.display()}")
        out.print(f"  status: {rec.status.value}   proof: {rec.proof.value or '-'}   "
                  f"restricted source: {'yes' if rec.restricted else 'no'}   "
                  f"version: {rec.version}")
        out.print(f"  died: {rec.date_of_death or 'unknown'}   "
                  f"born: {rec.date_of_birth or 'unknown'}   reports: {rec.report_count}")
        for reason in rec.review_reasons:
            out.print(f"  [yellow]review[/yellow] {reason.value}: {ReviewReason(reason).text}")
    out.print(f"supporting reports ({len(view.reports)}):")
    for rep in view.reports:
        reporter = ", ".join(x for x in (rep.reporter.name, rep.reporter.relationship,
                                         rep.reporter.contact) if x)
        out.print(Text(
            f"  #{rep.report_id} {rep.received_at:%Y-%m-%d %H:%M} from {rep.source} "
            f"[{rep.action.value}] {rep.name.display()}; died {rep.date_of_death or '?'}; "
            f"born {rep.date_of_birth or '?'}; proof {rep.proof.value or '-'}; "
            f"reporter {reporter or '-'}"))
    for ev in view.events:
        out.print(f"  event {ev['id']} {ev['occurred_at']} {ev['actor']}: {ev['kind']}")


@app.command()
def stats(
    sample: Annotated[bool, typer.Option(
        "--sample", help="Also show one record with several supporting reports")] = False,
    db: DbOption = None,
) -> None:
    """Counts of records by status, reports by source kind, and review reasons."""
    with _errors():
        store = _store(db)
        counts = registry_stats(store)
        _print_stats(counts)
        if sample:
            ssn = sample_ssn(store)
            if ssn is not None:
                out.print("\n[bold]sample record[/bold]")
                _print_view(show_record(store, ssn))


def _print_stats(counts: dict[str, Any]) -> None:
    out.print(f"records: {counts['records']}   reports: {counts['reports']}   "
              f"sources: {counts['sources']}   batches: {counts['batches']}   "
              f"events: {counts['events']}")
    by_status, by_kind = counts["records_by_status"], counts["reports_by_source_kind"]
    _count_table("records by status", "status", "records",
                 [(s.value, by_status.get(s.value, 0)) for s in RecordStatus])
    _count_table("reports by source kind", "source kind", "reports",
                 [(k.value, by_kind.get(k.value, 0)) for k in SourceKind])
    if counts["review_reasons"]:
        _count_table("held for review, by reason", "reason", "records",
                     [(f"{code}: {ReviewReason(code).text}", n)
                      for code, n in counts["review_reasons"].items()])


def _count_table(title: str, label: str, unit: str, rows: list[tuple[str, int]]) -> None:
    table = Table(title=title)
    table.add_column(label)
    table.add_column(unit, justify="right")
    for name, n in rows:
        table.add_row(name, str(n))
    out.print(table)


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write into")] = Path(
        "demo-data"),
    people: Annotated[int, typer.Option(help="How many dead people to report")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 0,
    subscriber_rows: Annotated[int | None, typer.Option(
        help="Rows in the subscriber file (default: min(people, 20000))")] = None,
    dmf_lines: Annotated[int | None, typer.Option(
        help="Instead: write one large DMF full file of this many lines (benchmarks)")] = None,
) -> None:
    """Write synthetic death reports (every source kind) and a subscriber file."""
    from vitalstat import synth as synthetic

    with _errors():
        out_dir.mkdir(parents=True, exist_ok=True)
        if dmf_lines is not None:
            path = out_dir / "full.dmf"
            n = synthetic.write_dmf_full_file(path, dmf_lines, seed=seed)
            out.print(f"wrote {n} lines to {path}")
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True,
                      disable=not err.is_terminal) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            manifest = synthetic.generate(out_dir, people=people, seed=seed,
                                          subscriber_rows=subscriber_rows, progress=progress)
        for path, fmt, kind, source_id in manifest.files:
            out.print(f"{path}  [{fmt}, {kind}/{source_id}]")
        out.print(f"subscriber file: {manifest.subscriber} (ground truth: {manifest.truth})")
        out.print(f"ingest order: {out_dir / 'manifest.tsv'}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; nothing was committed by the unfinished command")
        sys.exit(130)


if __name__ == "__main__":
    main()
