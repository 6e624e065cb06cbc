"""Counting queries: what ``vitalstat stats``, ``GET /stats`` and the dashboard show.

Read-only aggregates over one transaction (part of :class:`vitalstat.store.Tx`). Months
and days are cut from the ISO-8601 UTC text the tables hold (``substr``), which both
backends do the same way.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, and_, func, select

from vitalstat.store.schema import batches, cases, events, records, reports, sources

__all__ = ["StatsQueries"]

#: Case states whose record was corrected (reinstated: taken off the file).
CORRECTED_STATES = ("reinstated", "closed")


class StatsQueries:
    conn: Connection

    def counts(self) -> dict[str, Any]:
        by_status = Counter(dict(self.conn.execute(
            select(records.c.status, func.count()).group_by(records.c.status)).all()))
        by_kind = Counter(dict(self.conn.execute(
            select(sources.c.kind, func.count())
            .join(reports, reports.c.source_pk == sources.c.id)
            .group_by(sources.c.kind)).all()))
        by_reason: Counter[str] = Counter()
        for (codes,) in self.conn.execute(
                select(records.c.review_reasons).where(records.c.review_reasons != "")):
            by_reason.update(codes.split())
        return {
            "records": sum(by_status.values()),
            "records_by_status": dict(sorted(by_status.items())),
            "reports": sum(by_kind.values()),
            "reports_by_source_kind": dict(sorted(by_kind.items())),
            "review_reasons": dict(sorted(by_reason.items())),
            "sources": self.conn.execute(select(func.count()).select_from(sources)).scalar_one(),
            "batches": self.conn.execute(select(func.count()).select_from(batches)).scalar_one(),
            "events": self.conn.execute(select(func.count()).select_from(events)).scalar_one(),
        }

    def reports_by_month(self, since: str) -> list[tuple[str, str, int]]:
        """(``YYYY-MM``, source kind, reports) for reports received at or after ``since``
        (an ISO day or time), by the month their file was received.

        Summed over batches (each batch keeps how many new reports it added), so the
        cost is one row per file, not per report.
        """
        month = func.substr(batches.c.received_at, 1, 7).label("month")
        query = (select(month, sources.c.kind, func.sum(batches.c.reports_new))
                 .join(sources, sources.c.id == batches.c.source_pk)
                 .where(and_(batches.c.received_at >= since, batches.c.reports_new > 0))
                 .group_by(month, sources.c.kind).order_by(month, sources.c.kind))
        return [(m, k, int(n)) for m, k, n in self.conn.execute(query).all()]

    def correction_times(self) -> list[tuple[str, str]]:
        """(opened at, corrected at) of every case whose record was corrected: the
        reinstatement that took it off the file (``decided_at``), closed or not yet."""
        query = (select(cases.c.opened_at, cases.c.decided_at)
                 .where(and_(cases.c.state.in_(CORRECTED_STATES),
                             cases.c.decided_at.is_not(None)))
                 .order_by(cases.c.id))
        return [(o, d) for o, d in self.conn.execute(query).all()]
