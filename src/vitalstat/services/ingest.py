"""Ingest a file of death reports: one transaction, all or nothing, idempotent.

1. The source must be registered (``vitalstat source register``), of a recognised kind,
   with an identity. Anything else is refused before a line is read, and the refusal is
   written to the event log (``attempt.refused``): there is no way to put a death on the
   file from nowhere.
2. The same file (SHA-256) from the same source is recognised and changes nothing.
3. Every line is validated with the domain rules. By default one bad line loads nothing
   (the error names file, line, field and reason); with a quarantine file, bad lines are
   written aside and the rest loads.
4. Reports this source already sent (same payload hash) are skipped as duplicates.
5. Records are consolidated for every SSN the batch touched, and the integrity rules
   (``domain.integrity``) decide whether each may publish, must wait out the grace period
   (pending) or is held for a person: lone reports about unknown people that no rule
   could hold in one set-based statement, everything else through the domain. The batch
   rules (a source's daily surge ceiling, too many flagged people) hold the whole batch.
6. One ``reports.ingested`` event per batch, plus one event per existing record that
   changed, all in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from vitalstat.domain.consolidate import lone_report_terms
from vitalstat.domain.integrity import (
    IntegrityRules,
    batch_holds,
    lone_report_screen,
    status_for,
)
from vitalstat.domain.records import RecordStatus
from vitalstat.domain.reports import Source, SourceKind
from vitalstat.errors import (
    BadLinesError,
    LineProblem,
    UnregisteredSourceError,
    ValidationError,
)
from vitalstat.formats import copy_lines, detect_format, file_sha256, read_reports
from vitalstat.formats.rows import SsnOrder, SsnSpan
from vitalstat.services.holds import assess, save_assessed
from vitalstat.services.pipeline import read_ahead
from vitalstat.services.refusals import audited_refusals
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = [
    "DIRECT_MIN_BYTES", "MAX_PROBLEMS_SHOWN", "IngestResult", "ingest_file", "ingest_reports",
]

MAX_PROBLEMS_SHOWN = 20
#: A first load this big or bigger takes the store's direct path (SQLite: no WAL, see
#: ``Store.transaction``); below it the saving is milliseconds, and readers that would
#: wait for its commit are better served by the WAL's snapshot. 16 MiB: ~170,000 DMF lines.
DIRECT_MIN_BYTES = 16 * 2**20

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(slots=True)
class IngestResult:
    file: str
    source: str
    fmt: str
    file_sha256: str
    batch_id: int | None = None
    already_ingested: bool = False
    received_at: str = ""
    lines: int = 0
    reports_new: int = 0
    reports_duplicate: int = 0
    lines_quarantined: int = 0
    records_created: int = 0
    records_changed: int = 0
    records_held: list[str] = field(default_factory=list)  # held or pending, one by one
    records_held_in_bulk: int = 0  # created held by a batch rule, set-based
    batch_reasons: list[str] = field(default_factory=list)  # batch rules that fired

    @property
    def changed_nothing(self) -> bool:
        return self.already_ingested or (self.reports_new == 0 and self.records_changed == 0)



def ingest_file(
    store: Store,
    path: Path,
    *,
    source_kind: str,
    source_id: str,
    actor: str,
    fmt: str | None = None,
    quarantine: Path | None = None,
    chunk_lines: int = 50_000,
    rules: IntegrityRules | None = None,
    progress: Progress | None = None,
    direct_min_bytes: int = DIRECT_MIN_BYTES,
) -> IngestResult:
    """Load ``path`` as reports from ``source_kind/source_id``; see the module docstring.

    A file of at least ``direct_min_bytes`` loaded into a registry with no reports yet
    asks the store for a direct transaction (SQLite: written once, without the WAL;
    :meth:`Store.transaction`)."""
    attempt = {"file": path.name, "source_kind": source_kind, "source_id": source_id}
    with audited_refusals(store, actor=actor, attempt="ingest", also=(ValidationError,),
                          subject=f"source:{source_kind}/{source_id}", detail=attempt):
        source = Source(SourceKind.parse(source_kind), source_id.strip())  # not anonymous
        with store.transaction(write=False) as tx:
            registered = tx.source_row(source)
            empty_registry = tx.last_report_id() == 0
        if registered is None:
            raise UnregisteredSourceError(
                f"source {source} is not registered: reports are accepted only from "
                f"registered sources (vitalstat source register {source.kind.value} "
                f"{source.source_id})")
    if not path.is_file():
        raise ValidationError(f"{path}: no such file", field="file")
    rules = rules or IntegrityRules()
    if registered["surge_ceiling"] is not None:
        rules = replace(rules, surge_ceiling=int(registered["surge_ceiling"]))
    fmt = fmt or detect_format(path)
    result = IngestResult(file=str(path), source=str(source), fmt=fmt,
                          file_sha256=file_sha256(path))
    total_bytes = path.stat().st_size

    direct = empty_registry and total_bytes >= direct_min_bytes
    with store.transaction(direct=direct) as tx:
        source_pk = int(registered["id"])
        earlier = tx.find_batch(source_pk, result.file_sha256)
        if earlier is not None:
            result.already_ingested = True
            result.batch_id = int(earlier["id"])
            result.received_at = str(earlier["received_at"])
            return result

        result.received_at = utc_now()
        batch_id = tx.insert_batch(source_pk=source_pk, file_name=path.name,
                                   file_sha256=result.file_sha256, fmt=fmt,
                                   received_at=result.received_at, actor=actor)
        result.batch_id = batch_id
        after = tx.last_report_id()
        problems: list[LineProblem] = []
        problem_count = 0
        done_bytes = 0
        order = SsnOrder()  # a file in SSN order tells its repeated SSNs (first load)
        chunks = read_reports(path, fmt, chunk_lines=chunk_lines, packed=True)
        for chunk, span in read_ahead((c, SsnSpan.of(c)) for c in chunks):
            result.lines += chunk.lines
            if chunk.problems:
                problem_count += len(chunk.problems)
                if quarantine is not None:
                    problems.extend(chunk.problems)
                else:
                    problems.extend(chunk.problems[: MAX_PROBLEMS_SHOWN - len(problems)])
            if problem_count == 0 or quarantine is not None:
                new = tx.insert_chunk(batch_id, source_pk, chunk)
                order.add(span)
                result.reports_new += new
                result.reports_duplicate += chunk.valid - new
            done_bytes += chunk.nbytes
            if progress is not None:
                progress(done_bytes, total_bytes)

        if problem_count and quarantine is None:
            raise BadLinesError(problems, problem_count)  # rolls the transaction back
        if quarantine is not None and problems:
            _write_quarantine(path, fmt, problems, quarantine)
            result.lines_quarantined = problem_count

        _consolidate_batch(tx, batch_id, after, source, source_pk, actor, rules, result,
                           repeated=order.repeated())
        tx.finish_batch(batch_id, lines=result.lines, reports_new=result.reports_new,
                        reports_duplicate=result.reports_duplicate,
                        lines_quarantined=result.lines_quarantined)
        tx.append_event(
            actor=actor, kind="reports.ingested", subject=f"batch:{batch_id}",
            detail={
                "file": path.name, "file_sha256": result.file_sha256, "format": fmt,
                "source": str(source), "lines": result.lines,
                "reports_new": result.reports_new,
                "reports_duplicate": result.reports_duplicate,
                "lines_quarantined": result.lines_quarantined,
                "records_created": result.records_created,
                "records_changed": result.records_changed,
                "records_held": len(result.records_held) + result.records_held_in_bulk,
                "batch_reasons": result.batch_reasons,
            },
            at=result.received_at,
        )
    return result


def _consolidate_batch(tx: Tx, batch_id: int, after: int, source: Source, source_pk: int,
                       actor: str, rules: IntegrityRules, result: IngestResult,
                       repeated: list[str] | None = None) -> None:
    """Decide every record the batch touched: consolidation, then the integrity rules.
    ``repeated``: the batch's repeated SSNs, when its file told them (see ``SsnOrder``)."""
    now = utc_now()
    today = datetime.fromisoformat(result.received_at).date()
    screen = lone_report_screen(source.kind, today, rules)
    first = tx.first_load(after)
    assessed = [assess(tx, ssn, today=today, rules=rules) for ssn in
                tx.batch_ssns_needing_consolidation(batch_id, after, screen, first_load=first,
                                                    repeated=repeated)]
    extra = batch_holds(
        kind=source.kind,
        reported_today=tx.count_reports_received(source_pk, today.isoformat(),
                                                 result.reports_new),
        flagged_people=sum(a.flagged for a in assessed), rules=rules)
    result.batch_reasons = [r.value for r in extra]
    for item in assessed:
        record = save_assessed(tx, item, actor=actor, now=now, cause={"batch": batch_id},
                               extra=extra)
        if record is None:
            continue
        if record.status in (RecordStatus.HELD, RecordStatus.PENDING):
            result.records_held.append(record.ssn)
        if item.previous is None:
            result.records_created += 1
        else:
            result.records_changed += 1
    # Lone reports about people not yet on the file that no rule could hold: the
    # domain's own terms, set-based (the screen sent every other row through the domain).
    status, restricted = lone_report_terms(source.kind)
    if extra:
        status = status_for(extra)
    made = tx.create_records_from_sole_reports(
        batch_id, after, status=status, restricted=restricted, screen=screen, now=now,
        review_reasons=extra, batch_reports=result.reports_new, first_load=first)
    result.records_created += made
    if extra:
        result.records_held_in_bulk += made


def _write_quarantine(path: Path, fmt: str, problems: list[LineProblem], out: Path) -> None:
    """Bad lines as received (same format) plus ``OUT.errors.txt`` with the reasons."""
    out.parent.mkdir(parents=True, exist_ok=True)
    copy_lines(path, fmt, {p.line for p in problems}, out)
    errors = out.with_name(out.name + ".errors.txt")
    errors.write_text("".join(f"{p}\n" for p in problems), encoding="utf-8")


def ingest_reports(store: Store, reports: list[dict[str, str | None]], *, source_kind: str,
                   source_id: str, actor: str, chunk_lines: int = 50_000,
                   rules: IntegrityRules | None = None) -> IngestResult:
    """Ingest reports given as values (the CSV schema's columns), e.g. from a JSON request.

    They are written as one CSV file and go through :func:`ingest_file` unchanged: the
    same checks, the same idempotency (the same reports from the same source again are
    recognised and change nothing), one batch and one event.
    """
    import tempfile

    from vitalstat.formats.tabular import write_csv

    if not reports:
        raise ValidationError("no reports given", field="reports")
    with tempfile.TemporaryDirectory(prefix="vitalstat-reports-") as tmp:
        path = Path(tmp) / "reports.csv"
        write_csv(path, reports)
        result = ingest_file(store, path, source_kind=source_kind, source_id=source_id,
                             actor=actor, fmt="csv", chunk_lines=chunk_lines, rules=rules)
    result.file = "reports.csv"
    return result
