"""Queries, inside one transaction (:class:`Tx`). Only ``store/`` imports SQLAlchemy.

Bulk paths talk to the driver directly (on SQLite one ``INSERT ... SELECT`` per packed
run of rows, else ``executemany``; ``COPY`` on PostgreSQL) because SQLAlchemy's per-row
parameter handling would dominate a 10-million-line load; everything else uses
SQLAlchemy Core.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from vitalstat.audit.encoding import canonical_json
from vitalstat.domain.identity import PartialDate, PersonName
from vitalstat.domain.integrity import LoneReportScreen
from vitalstat.domain.records import DeathRecord, RecordStatus, ReviewReason
from vitalstat.domain.reports import (
    Action,
    DeathReport,
    ProofLevel,
    Reporter,
    Source,
    SourceKind,
)
from vitalstat.formats.rows import (
    PACKED_AT,
    PACKED_BYTES,
    PACKED_FIELDS,
    PACKED_WIDTH,
    REPORT_ROW_FIELDS,
    Chunk,
    PackedRows,
    ReportRow,
)
from vitalstat.store.api import ApiQueries
from vitalstat.store.audit import AuditQueries
from vitalstat.store.corrections import CorrectionQueries
from vitalstat.store.disclosure import DisclosureQueries
from vitalstat.store.distribution import DistributionQueries
from vitalstat.store.schema import DEATH_COLUMNS, batches, events, records, reports, sources
from vitalstat.store.stats import StatsQueries

__all__ = ["RECORD_ARROW_SCHEMA", "BatchInfo", "Tx", "canonical_json", "utc_now"]

_RECORD_FIELDS = [c.name for c in records.columns]
# Built once: the API reads records by SSN many times a second, and building a
# statement costs more than running it (store.api).
_RECORD_BY_SSN = select(records).where(records.c.ssn == bindparam("ssn"))
_RECORD_UPDATED_AT = select(records.c.updated_at).where(records.c.ssn == bindparam("ssn"))
_EVENT_INSERT = insert(events).returning(events.c.id)
_COUNT_DAY = text(
    "INSERT INTO source_days (source_pk, day, reports_new) VALUES (:source_pk, :day, :new) "
    "ON CONFLICT (source_pk, day) DO UPDATE "
    "SET reports_new = source_days.reports_new + excluded.reports_new "
    "RETURNING reports_new")
#: Up to this many reports in a batch, PostgreSQL inserts them and their new records
#: directly, without the temporary table that serves a large file.
_PG_DIRECT_ROWS = 1000
#: Row numbers made at once for packed runs (the DMF reader's ``BLOCK_LINES``: its
#: runs are no longer; a longer run makes more).
_SEQ_ROWS = 8192
_UNPUBLISHED_SSNS = select(records.c.ssn).where(records.c.status != RecordStatus.PUBLISHED.value)
#: Text columns that are often empty for a whole file (never the identifying ones).
_BLANKABLE = frozenset({"suffix", "middle_name", "state", "zip_residence", "zip_payment", "sex",
                        "reporter_name", "reporter_relationship", "reporter_contact",
                        "source_report_id"})


#: The ``records`` table as Arrow columns (same names and order; dates stay ``YYYY-MM-DD``
#: text with ``00`` for unknown parts): what snapshots, releases and matching read.
RECORD_ARROW_SCHEMA = pa.schema([
    pa.field(c.name, {"restricted": pa.bool_(), "report_count": pa.int32(),
                      "version": pa.int32()}.get(c.name, pa.string()),
             nullable=bool(c.nullable))
    for c in records.columns
])


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


#: A batches row (id, file_name, file_sha256, received_at, counts...).
BatchInfo = dict[str, Any]


def _date(text: str | None) -> PartialDate | None:
    return PartialDate.parse(text) if text else None


def record_to_row(record: DeathRecord, now: str) -> dict[str, Any]:
    return {
        "ssn": record.ssn,
        "last_name": record.name.last,
        "suffix": record.name.suffix,
        "first_name": record.name.first,
        "middle_name": record.name.middle,
        "proof": record.proof.value,
        "date_of_death": record.date_of_death.iso() if record.date_of_death else None,
        "date_of_birth": record.date_of_birth.iso() if record.date_of_birth else None,
        "state": record.state,
        "zip_residence": record.zip_residence,
        "zip_payment": record.zip_payment,
        "status": record.status.value,
        "review_reasons": " ".join(r.value for r in record.review_reasons),
        "restricted": record.restricted,
        "report_count": record.report_count,
        "version": record.version,
        "updated_at": now,
    }


def _death_fields(row: RowMapping) -> dict[str, Any]:
    """The fields reports and records share (``schema.DEATH_COLUMNS``), as domain values."""
    return {
        "ssn": row["ssn"],
        "name": PersonName(row["last_name"], row["first_name"], row["middle_name"],
                           row["suffix"]),
        "date_of_death": _date(row["date_of_death"]),
        "date_of_birth": _date(row["date_of_birth"]),
        "proof": ProofLevel(row["proof"]),
        "state": row["state"],
        "zip_residence": row["zip_residence"],
        "zip_payment": row["zip_payment"],
    }


def row_to_record(row: RowMapping) -> DeathRecord:
    return DeathRecord(
        **_death_fields(row),
        status=RecordStatus(row["status"]),
        review_reasons=tuple(ReviewReason(r) for r in row["review_reasons"].split()),
        restricted=bool(row["restricted"]),
        report_count=row["report_count"],
        version=row["version"],
    )


def row_to_report(row: RowMapping) -> DeathReport:
    return DeathReport(
        **_death_fields(row),
        source=Source(SourceKind(row["kind"]), row["source_id"]),
        payload_hash=bytes(row["payload_hash"]).hex(),
        action=Action(row["action"]),
        sex=row["sex"],
        reporter=Reporter(row["reporter_name"], row["reporter_relationship"],
                          row["reporter_contact"]),
        source_report_id=row["source_report_id"],
        received_at=datetime.fromisoformat(row["received_at"]),
        report_id=row["id"],
    )


class Tx(DistributionQueries, CorrectionQueries, DisclosureQueries, AuditQueries,
         ApiQueries, StatsQueries):
    """Repository operations bound to one open transaction."""

    def __init__(self, conn: Connection, *, read_only: bool = False) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.read_only = read_only
        self._seq_rows = 0  # rows known in this connection's temp.packed_seq
        self._repeated_known = False  # repeated_ssns filled in this transaction

    # ------------------------------------------------------------------ events
    def append_event(self, *, actor: str, kind: str, subject: str, detail: dict[str, Any],
                     at: str | None = None) -> int:
        result = self.conn.execute(_EVENT_INSERT, {
            "occurred_at": at or utc_now(), "actor": actor, "kind": kind, "subject": subject,
            "detail": canonical_json(detail)})
        return int(result.scalar_one())

    def events(self, *, subject: str | None = None, kind: str | None = None,
               limit: int | None = None, newest_first: bool = False
               ) -> list[dict[str, Any]]:
        query = select(events).order_by(events.c.id.desc() if newest_first else events.c.id)
        if subject is not None:
            query = query.where(events.c.subject == subject)
        if kind is not None:
            query = query.where(events.c.kind == kind)
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    # ----------------------------------------------------------------- sources
    def source_row(self, source: Source) -> dict[str, Any] | None:
        """The registered source's row (``id``, ``surge_ceiling``, ...), or ``None``."""
        found = self.conn.execute(select(sources).where(and_(
            sources.c.kind == source.kind.value, sources.c.source_id == source.source_id))
        ).mappings().one_or_none()
        return dict(found) if found is not None else None

    def insert_source(self, source: Source, *, actor: str, at: str,
                      surge_ceiling: int | None, note: str) -> int:
        return int(self.conn.execute(
            insert(sources).values(kind=source.kind.value, source_id=source.source_id,
                                   registered_at=at, registered_by=actor,
                                   surge_ceiling=surge_ceiling, note=note)
            .returning(sources.c.id)).scalar_one())

    def update_source(self, pk: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(sources).where(sources.c.id == pk).values(values))

    def source_rows(self) -> list[dict[str, Any]]:
        """Every registered source with its report and batch counts."""
        query = (select(sources, func.count(batches.c.id).label("batches"),
                        func.coalesce(func.sum(batches.c.reports_new), 0).label("reports"),
                        func.max(batches.c.received_at).label("last_batch_at"))
                 .select_from(sources.outerjoin(batches, batches.c.source_pk == sources.c.id))
                 .group_by(*sources.c).order_by(sources.c.kind, sources.c.source_id))
        return [dict(r) for r in self.conn.execute(query).mappings()]

    # ----------------------------------------------------------------- batches
    def find_batch(self, source_pk: int, file_sha256: str) -> BatchInfo | None:
        row = self.conn.execute(
            select(batches).where(
                and_(batches.c.source_pk == source_pk, batches.c.file_sha256 == file_sha256)
            )
        ).mappings().one_or_none()
        return dict(row) if row is not None else None

    def insert_batch(self, *, source_pk: int, file_name: str, file_sha256: str, fmt: str,
                     received_at: str, actor: str) -> int:
        return int(self.conn.execute(
            insert(batches).values(
                source_pk=source_pk, file_name=file_name, file_sha256=file_sha256, format=fmt,
                received_at=received_at, actor=actor, lines=0, reports_new=0,
                reports_duplicate=0, lines_quarantined=0,
            ).returning(batches.c.id)
        ).scalar_one())

    def finish_batch(self, batch_id: int, *, lines: int, reports_new: int,
                     reports_duplicate: int, lines_quarantined: int) -> None:
        self.conn.execute(
            update(batches).where(batches.c.id == batch_id).values(
                lines=lines, reports_new=reports_new, reports_duplicate=reports_duplicate,
                lines_quarantined=lines_quarantined,
            )
        )

    # ----------------------------------------------------------------- reports
    def insert_reports(self, batch_id: int, source_pk: int, rows: Sequence[ReportRow]) -> int:
        """Insert rows, skipping any this source already sent (same payload hash).

        Returns how many were new.
        """
        if not rows:
            return 0
        if self.dialect == "sqlite":
            return self._insert_reports_sqlite(batch_id, source_pk, rows)
        if len(rows) <= _PG_DIRECT_ROWS:
            return self._insert_reports_values(batch_id, source_pk, rows)
        return self._insert_reports_copy(batch_id, source_pk, rows)

    def insert_chunk(self, batch_id: int, source_pk: int, chunk: Chunk) -> int:
        """:meth:`insert_reports` for a chunk's valid rows, packed runs included, in line
        order. On SQLite a packed run is one statement that cuts its fields out of the
        run's bytes: no Python object per row, and the GIL stays free for the reader."""
        if not chunk.packed or self.dialect != "sqlite":
            return self.insert_reports(batch_id, source_pk, chunk.all_rows())
        new = 0
        for part in chunk.segments():
            if isinstance(part, PackedRows):
                new += self._insert_packed_sqlite(batch_id, source_pk, part)
            elif part:
                new += self._insert_reports_sqlite(batch_id, source_pk, part)
        return new

    def _insert_packed_sqlite(self, batch_id: int, source_pk: int, run: PackedRows) -> int:
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if run.count > self._seq_rows:
                # The row numbers a run is cut by: a scratch table of this connection
                # (scanning it costs a third of what a recursive CTE's queue does).
                self._seq_rows = max(run.count, _SEQ_ROWS)
                cursor.execute("CREATE TEMP TABLE IF NOT EXISTS packed_seq"
                               " (i INTEGER PRIMARY KEY)")
                cursor.execute("INSERT OR IGNORE INTO temp.packed_seq (i) WITH RECURSIVE"
                               " n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE"
                               " i + 1 < ?1) SELECT i FROM n", (self._seq_rows,))
            cursor.execute(_packed_insert_sql(run.blank, run.padded),
                           (run.data, run.count, run.first_line, batch_id, source_pk))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _insert_reports_sqlite(self, batch_id: int, source_pk: int,
                               rows: Sequence[ReportRow]) -> int:
        # Binding parameters dominates sqlite3's executemany, so columns that are empty
        # in every row of this chunk (often 8 of 19 in a DMF file) are written as literal
        # defaults, and the rest are picked into plain tuples by a C-level itemgetter.
        varying = [i for i, name in enumerate(REPORT_ROW_FIELDS)
                   if name not in _BLANKABLE or any(map(itemgetter(i), rows))]
        blank = [name for name in REPORT_ROW_FIELDS
                 if name in _BLANKABLE and REPORT_ROW_FIELDS.index(name) not in varying]
        cols = ", ".join(["batch_id", "source_pk", *(REPORT_ROW_FIELDS[i] for i in varying),
                          *blank])
        values = ", ".join([str(int(batch_id)), str(int(source_pk)), *("?" for _ in varying),
                            *("''" for _ in blank)])
        pick = itemgetter(*varying)
        sql = f"INSERT OR IGNORE INTO reports ({cols}) VALUES ({values})"
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, map(pick, map(_stored, rows)))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _insert_reports_values(self, batch_id: int, source_pk: int,
                               rows: Sequence[ReportRow]) -> int:
        # PostgreSQL, a small batch (an API request's few reports): one multi-row INSERT,
        # where the temporary table for COPY costs a millisecond of catalog work alone
        cols = ", ".join(REPORT_ROW_FIELDS)
        one = "(" + ", ".join([str(int(batch_id)), str(int(source_pk)),
                               *("%s" for _ in REPORT_ROW_FIELDS)]) + ")"
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(
                f"INSERT INTO reports (batch_id, source_pk, {cols}) VALUES "
                + ", ".join(one for _ in rows)  # in line order: ids follow the lines
                + " ON CONFLICT (ssn, source_pk, payload_hash) DO NOTHING",
                [value for row in rows for value in _stored(row)])
            return int(cur.rowcount)

    def _insert_reports_copy(self, batch_id: int, source_pk: int,
                             rows: Sequence[ReportRow]) -> int:
        cols = ", ".join(REPORT_ROW_FIELDS)
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute("DROP TABLE IF EXISTS incoming_reports")
            cur.execute(
                f"CREATE TEMP TABLE incoming_reports ON COMMIT DROP AS "
                f"SELECT {cols} FROM reports WITH NO DATA"
            )
            with cur.copy(f"COPY incoming_reports ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_stored(row))
            cur.execute(
                f"INSERT INTO reports (batch_id, source_pk, {cols}) "
                f"SELECT {int(batch_id)}, {int(source_pk)}, {cols} FROM incoming_reports "
                "ORDER BY line_no ON CONFLICT (ssn, source_pk, payload_hash) DO NOTHING"
            )
            return int(cur.rowcount)

    def reports_for_ssn(self, ssn: str) -> list[DeathReport]:
        """Every report about ``ssn``, oldest first, with its source and receipt time."""
        query = (
            select(reports, sources.c.kind, sources.c.source_id, batches.c.received_at)
            .join(sources, sources.c.id == reports.c.source_pk)
            .join(batches, batches.c.id == reports.c.batch_id)
            .where(reports.c.ssn == ssn)
            .order_by(reports.c.id)
        )
        return [row_to_report(r) for r in self.conn.execute(query).mappings()]

    def last_report_id(self) -> int:
        """Highest report id so far: a batch's reports all come after it.

        Batch queries bound their scan with it (``id > after``) instead of an index on
        ``batch_id``, which would cost every insert.
        """
        return int(self.conn.execute(select(func.max(reports.c.id))).scalar_one() or 0)

    def first_load(self, after: int) -> bool:
        """Whether the batch whose reports come after report ``after`` is the first thing
        in the registry: no report before it and no record. Only on SQLite, whose writer
        holds the lock for the whole batch, so nothing else can arrive meanwhile."""
        return (self.dialect == "sqlite" and after == 0
                and self.conn.exec_driver_sql("SELECT 1 FROM records LIMIT 1").first() is None)

    def _lone(self, first_load: bool, repeated: Sequence[str] | None = None) -> str:
        """:func:`_lone_sql`, with the first load's repeated SSNs found once per
        transaction (both consolidation queries ask): ``repeated`` when the caller knows
        them (every SSN the batch repeats, and perhaps more: an extra one only goes
        through the domain), else by a scan of the SSN index."""
        if first_load and not self._repeated_known:
            clustered = " WITHOUT ROWID" if self.dialect == "sqlite" else ""
            for sql in ("CREATE TEMP TABLE IF NOT EXISTS repeated_ssns"
                        f" (ssn TEXT PRIMARY KEY){clustered}",
                        "DELETE FROM repeated_ssns"):
                self.conn.exec_driver_sql(sql)
            if repeated is None:
                self.conn.exec_driver_sql(
                    "INSERT INTO repeated_ssns (ssn)"
                    " SELECT ssn FROM reports GROUP BY ssn HAVING count(*) > 1")
            elif repeated:
                self.conn.execute(text("INSERT INTO repeated_ssns (ssn) VALUES (:ssn)"),
                                  [{"ssn": ssn} for ssn in sorted(set(repeated))])
            self._repeated_known = True
        return _lone_sql(first_load)

    def batch_ssns_needing_consolidation(self, batch_id: int, after: int,
                                         screen: LoneReportScreen, *,
                                         first_load: bool = False,
                                         repeated: Sequence[str] | None = None) -> list[str]:
        """SSNs in the batch that are not a lone new report about an unknown person that
        ``screen`` clears: everything else goes through the domain. ``first_load``: what
        :meth:`first_load` said before the batch was consolidated; ``repeated``: on a
        first load, the SSNs the batch repeats when the caller knows them (see
        :meth:`_lone`)."""
        clause, params = _screen_sql(screen)
        sql = (
            "SELECT r.ssn FROM reports r WHERE r.id > :after AND r.batch_id = :b AND ("
            f" r.action = 'D' OR NOT {clause} OR NOT ({self._lone(first_load, repeated)}))"
        )  # no DISTINCT / ORDER BY: either would make SQLite scan the whole SSN index
        params |= {"b": batch_id, "after": after}
        return sorted(set(self.conn.exec_driver_sql(_named(sql, self.dialect), params).scalars()))

    def create_records_from_sole_reports(self, batch_id: int, after: int, *,
                                         status: RecordStatus, restricted: bool,
                                         screen: LoneReportScreen, now: str,
                                         review_reasons: Sequence[ReviewReason] = (),
                                         batch_reports: int | None = None,
                                         first_load: bool = False) -> int:
        """Set-based form of ``consolidate`` for SSNs whose only report is in this batch.

        Must be called after :meth:`batch_ssns_needing_consolidation` took the others
        (with the same ``screen`` and ``first_load``); a contract test proves the result
        equals the domain's ``sole_report_record`` with the integrity rules applied.
        ``batch_reports``: how many reports the batch added, when known (a small batch
        takes a shorter path on PostgreSQL).
        """
        copied = ("ssn", *DEATH_COLUMNS)
        cols = ", ".join(copied)
        picked = ", ".join(f"r.{c}" for c in copied)
        clause, params = _screen_sql(screen)
        select_sql = (
            f"SELECT {picked}, :status AS status, :reasons AS review_reasons,"
            " :restricted AS restricted, 1 AS report_count, 1 AS version, :now AS updated_at"
            " FROM reports r"
            " WHERE r.id > :after AND r.batch_id = :b AND r.action <> 'D'"
            f" AND {clause} AND {self._lone(first_load)}"
        )
        params |= {"b": batch_id, "after": after, "status": status.value,
                   "restricted": restricted, "now": now,
                   "reasons": " ".join(r.value for r in review_reasons)}
        target = (f"INSERT INTO records ({cols}, status, review_reasons, restricted,"
                  " report_count, version, updated_at) ")
        small = batch_reports is not None and batch_reports <= _PG_DIRECT_ROWS
        if self.dialect != "postgresql" or small:
            result = self.conn.exec_driver_sql(_named(target + select_sql, self.dialect),
                                               params)
            return int(result.rowcount)
        # PostgreSQL: pick the rows first, then insert them. Inserting while selecting
        # lets the planner, which believes ``records`` empty on a first load, probe
        # ``records`` by a sequential scan per row over the very rows being added:
        # quadratic (a 100,000-line file took 110 s; a million lines, hours). A small
        # batch (an API request's few reports) skips the temporary table, whose
        # creation and drop cost more than its insert.
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS sole_records")
        self.conn.exec_driver_sql(
            _named("CREATE TEMP TABLE sole_records ON COMMIT DROP AS " + select_sql,
                   self.dialect), params)
        result = self.conn.exec_driver_sql(target + "SELECT * FROM sole_records")
        self.conn.exec_driver_sql("DROP TABLE sole_records")
        return int(result.rowcount)

    def count_reports_received(self, source_pk: int, day: str, new: int) -> int:
        """Add ``new`` reports to what this source sent on ``day`` (UTC, ``YYYY-MM-DD``);
        returns the day's total, these included. On PostgreSQL the row stays locked to
        the end of the transaction, so two batches from one source are counted (and
        checked against its ceiling) one after the other, not both against the same
        total."""
        return int(self.conn.execute(_COUNT_DAY, {"source_pk": source_pk, "day": day,
                                                  "new": new}).scalar_one())

    # ----------------------------------------------------------------- records
    def get_record(self, ssn: str) -> DeathRecord | None:
        found = self.conn.execute(_RECORD_BY_SSN, {"ssn": ssn}).mappings().one_or_none()
        return row_to_record(found) if found is not None else None

    def record_updated_at(self, ssn: str) -> str | None:
        return self.conn.execute(_RECORD_UPDATED_AT, {"ssn": ssn}).scalar_one_or_none()

    def save_record(self, record: DeathRecord, *, now: str, existed: bool) -> None:
        values = record_to_row(record, now)
        if existed:
            self.conn.execute(update(records).where(records.c.ssn == record.ssn).values(values))
        else:
            self.conn.execute(insert(records).values(values))

    def ssns_with_status(self, status: RecordStatus) -> list[str]:
        """SSNs of records in ``status`` (cheap for every status but ``published``)."""
        query = select(records.c.ssn).where(records.c.status == status.value)
        return list(self.conn.execute(query.order_by(records.c.ssn)).scalars())

    def waiting_records(self, *, reason: ReviewReason | None = None,
                        limit: int = 100) -> list[DeathRecord]:
        """Held and pending records (optionally with ``reason``), oldest change first."""
        query = select(records).where(records.c.status.in_(
            [RecordStatus.HELD.value, RecordStatus.PENDING.value]))
        if reason is not None:
            query = query.where((" " + records.c.review_reasons + " ").contains(
                f" {reason.value} "))
        query = query.order_by(records.c.updated_at, records.c.ssn).limit(limit)
        return [row_to_record(r) for r in self.conn.execute(query).mappings()]
    def unpublished_ssns(self) -> set[str]:
        """SSNs of records that are not plainly published now (held, withdrawn, pending).

        Served by the partial index on ``status``: the work queues are short.
        """
        return set(self.conn.execute(_UNPUBLISHED_SSNS).scalars())

    def sample_record_ssn(self) -> str | None:
        """The SSN with the most supporting reports (lowest SSN among equals)."""
        query = select(records.c.ssn).order_by(records.c.report_count.desc(), records.c.ssn)
        return self.conn.execute(query.limit(1)).scalar_one_or_none()

    def record_batches(self, *, statuses: Iterable[RecordStatus] | None = None,
                       batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Records in SSN order as Arrow batches of :data:`RECORD_ARROW_SCHEMA`.

        The bulk read behind snapshots. In a read-only transaction on a SQLite file the
        rows are read through the ADBC SQLite driver (columnar, in C; about four times
        faster than the Python cursor) by a child process, never in this one (see
        ``_adbc_reader`` for why): it sees the latest committed state. Elsewhere rows
        come off the driver cursor and are turned into columns without building a domain
        object per record.
        """
        cols = ", ".join(RECORD_ARROW_SCHEMA.names)
        sql = f"SELECT {cols} FROM records"
        params: dict[str, Any] = {}
        wanted: list[str] | None = None
        if statuses is not None:
            wanted = sorted({RecordStatus(s).value for s in statuses})
            names = [f"s{i}" for i in range(len(wanted))]
            sql += f" WHERE status IN ({', '.join(':' + n for n in names)})"
            params = dict(zip(names, wanted, strict=True))
        sql += " ORDER BY ssn"
        path = self._sqlite_file() if self.read_only else None
        if path is not None:
            from vitalstat.store import _adbc_reader  # it imports this module

            yield from _adbc_reader.record_batches(path, wanted, batch_rows)
            return
        cursor = self.conn.exec_driver_sql(_named(sql, self.dialect), params).cursor
        assert cursor is not None
        while rows := cursor.fetchmany(batch_rows):
            columns = zip(*rows, strict=True)
            # SQLite hands booleans back as 0/1, psycopg as bool: bool() takes both.
            arrays = [pa.array(map(bool, col) if f.type == pa.bool_() else col, type=f.type)
                      for col, f in zip(columns, RECORD_ARROW_SCHEMA, strict=True)]
            yield pa.RecordBatch.from_arrays(arrays, schema=RECORD_ARROW_SCHEMA)

    def _sqlite_file(self) -> str | None:
        if self.dialect != "sqlite":
            return None
        database = self.conn.engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return str(Path(database).resolve())

    def all_records(self) -> Iterable[DeathRecord]:
        for row in self.conn.execute(select(records).order_by(records.c.ssn)).mappings():
            yield row_to_record(row)


def _stored(row: ReportRow) -> tuple[Any, ...]:
    """A row as ``reports`` stores it: the payload hash as its 32 bytes."""
    return (*row[:-1], bytes.fromhex(row.payload_hash))


@functools.cache
def _packed_insert_sql(blank: frozenset[str], padded: frozenset[str]) -> str:
    """SQLite: insert the rows of a :class:`PackedRows` (parameters: data, count, first
    line, batch, source), cutting each field out of the packed bytes by its offset, row
    ``i`` of ``temp.packed_seq`` (0 up) for row ``i`` of the run.
    Fields blank in every row are literals; only padded fields are trimmed."""
    values = {}
    for name, width in PACKED_FIELDS:
        cut = f"substr(?1, p + {PACKED_AT[name] + 1}, {width})"  # substr counts from 1
        if name not in PACKED_BYTES:
            cut = f"CAST({cut} AS TEXT)"
        if name in blank:
            values[name] = "NULL" if name.startswith("date_") else "''"
        elif name not in padded:
            values[name] = cut
        elif name.startswith("date_"):
            values[name] = f"nullif({cut}, '{' ' * width}')"
        else:
            # rtrim's one-argument form trims the same spaces without parsing a set of
            # characters per call (a tenth of a bulk load's insert time)
            values[name] = f"rtrim({cut})"
    values["line_no"] = "?3 + i"
    cols = ["batch_id", "source_pk", *REPORT_ROW_FIELDS]
    exprs = ["?4", "?5", *(values.get(name, "''") for name in REPORT_ROW_FIELDS)]
    return (f"INSERT OR IGNORE INTO reports ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            f"FROM (SELECT i, i * {PACKED_WIDTH} AS p FROM temp.packed_seq WHERE i < ?2)")


def _lone_sql(first_load: bool) -> str:
    """True for report ``r`` when it is the only report about its SSN and the SSN has no
    record. On a first load (see ``Tx.first_load``) the registry held nothing before the
    batch, so that is: the SSN is not repeated in the batch (``repeated_ssns``, see
    ``Tx._lone``). One scan of the SSN index then replaces two index probes per row (a
    third of a million-line load's consolidation). The records the domain made for the
    batch's other SSNs meanwhile are all about repeated SSNs, D lines or reports the
    screen did not clear."""
    if first_load:
        return "r.ssn NOT IN (SELECT ssn FROM repeated_ssns)"  # the temporary table
    return ("NOT EXISTS (SELECT 1 FROM reports o WHERE o.ssn = r.ssn AND o.id <> r.id)"
            " AND NOT EXISTS (SELECT 1 FROM records x WHERE x.ssn = r.ssn)")


def _screen_sql(screen: LoneReportScreen) -> tuple[str, dict[str, Any]]:
    """:meth:`LoneReportScreen.clears` on report row ``r``, in SQL (both backends)."""
    years = ("(CAST(substr(r.date_of_death, 1, 4) AS INTEGER)"
             " - CAST(substr(r.date_of_birth, 1, 4) AS INTEGER))")
    clause = (f"(r.date_of_death <= :screen_today AND (r.date_of_birth IS NULL"
              f" OR {years} BETWEEN :screen_age_low AND :screen_age_high)")
    if screen.blank_proof_needs_domain:
        clause += " AND r.proof <> ''"
    params = {"screen_today": screen.today, "screen_age_low": screen.age_low,
              "screen_age_high": screen.age_high}
    return clause + ")", params
def _named(sql: str, dialect: str) -> str:
    """Driver-level SQL uses ``:name`` (sqlite3) or ``%(name)s`` (psycopg)."""
    if dialect == "sqlite":
        return sql
    return re.sub(r":([a-z_][a-z0-9_]*)", r"%(\1)s", sql)
