"""Registry commands: init, ingest, show, stats, synth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from vitalstat.cli.common import (
    ActorOption,
    DbOption,
    app,
    byte_progress,
    count_table,
    err,
    errors,
    open_store,
    out,
)
from vitalstat.config import Settings, default_actor
from vitalstat.domain.records import RecordStatus, ReviewReason
from vitalstat.domain.reports import SourceKind
from vitalstat.errors import ValidationError
from vitalstat.services.cases import CorrectionStats, correction_stats
from vitalstat.services.ingest import IngestResult, ingest_file
from vitalstat.services.registry import (
    RecordView,
    init_registry,
    registry_stats,
    sample_ssn,
    show_record,
)

__all__ = ["ingest", "init", "show", "stats", "synth"]


@app.command()
def init(db: DbOption = None, actor: ActorOption = None) -> None:
    """Create the registry (or migrate it to the current schema). Safe to repeat."""
    with errors():
        store = open_store(db)
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
    with errors():
        store = open_store(db)
        store.check_schema()
        settings = Settings.from_env()
        large = file.is_file() and file.stat().st_size > 5_000_000
        with byte_progress(f"ingesting {file.name}", enabled=large) as progress:
            result = ingest_file(
                store, file, source_kind=source_kind, source_id=source_id,
                actor=default_actor(actor), fmt=fmt, quarantine=quarantine,
                chunk_lines=settings.chunk_lines, rules=settings.integrity,
                progress=progress,
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
              f"{len(r.records_held) + r.records_held_in_bulk} held or pending for review")
    for code in r.batch_reasons:
        out.print(f"[yellow]the whole batch is held[/yellow] ({code}): "
                  f"{ReviewReason(code).text}")
    if r.lines_quarantined:
        out.print(f"{r.lines_quarantined} bad lines written to {quarantine} "
                  f"(reasons in {quarantine}.errors.txt)")
    if r.changed_nothing:
        out.print("nothing changed: every report was already known")




@app.command()
def show(
    ssn: Annotated[str, typer.Argument(help="SSN, with or without dashes")],
    db: DbOption = None,
) -> None:
    """Show a record, its status and every supporting report."""
    with errors():
        view = show_record(open_store(db), ssn)
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
    what: Annotated[str | None, typer.Argument(
        help="'corrections': time from case open to every recipient notified")] = None,
    sample: Annotated[bool, typer.Option(
        "--sample", help="Also show one record with several supporting reports")] = False,
    db: DbOption = None,
) -> None:
    """Counts of records by status, reports by source kind, and review reasons."""
    with errors():
        store = open_store(db)
        if what is not None:
            if what != "corrections":
                raise ValidationError(f"{what!r}: the only named report is 'corrections'",
                                      field="what")
            _print_corrections(correction_stats(store))
            return
        counts = registry_stats(store)
        _print_stats(counts)
        if sample:
            ssn = sample_ssn(store)
            if ssn is not None:
                out.print("\n[bold]sample record[/bold]")
                _print_view(show_record(store, ssn))


def _print_corrections(c: CorrectionStats) -> None:
    def days(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f} days"

    out.print(f"correction cases: {c.closed} closed (every recipient notified), "
              f"{c.open} open")
    out.print(f"time from case open to every recipient notified: median "
              f"{days(c.median_days)}, 95th percentile {days(c.p95_days)}")
    if c.recipients:
        count_table("recipients notified per closed case", "case", "recipients",
                    sorted(c.recipients.items()))


def _print_stats(counts: dict[str, Any]) -> None:
    out.print(f"records: {counts['records']}   reports: {counts['reports']}   "
              f"sources: {counts['sources']}   batches: {counts['batches']}   "
              f"events: {counts['events']}")
    by_status, by_kind = counts["records_by_status"], counts["reports_by_source_kind"]
    count_table("records by status", "status", "records",
                 [(s.value, by_status.get(s.value, 0)) for s in RecordStatus])
    count_table("reports by source kind", "source kind", "reports",
                 [(k.value, by_kind.get(k.value, 0)) for k in SourceKind])
    if counts["review_reasons"]:
        count_table("held for review, by reason", "reason", "records",
                     [(f"{code}: {ReviewReason(code).text}", n)
                      for code, n in counts["review_reasons"].items()])




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

    with errors():
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


