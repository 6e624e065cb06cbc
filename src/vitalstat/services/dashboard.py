"""The dashboard's numbers, read in one read-only transaction.

What ``vitalstat stats`` counts (records by status, reports by source kind, holds by
reason), reports received per month by source kind, the time each corrected case took
(opened → the reinstatement that took the record off the file), the year's
transparency report (``services.accounting``: the same numbers as
``GET /transparency``) and where the audit log stands (its latest signed checkpoint and
the events written since). Nothing is changed, and no audit event is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vitalstat.domain.reports import SourceKind
from vitalstat.errors import ValidationError
from vitalstat.services.accounting import Transparency, transparency_in
from vitalstat.store import Store

__all__ = ["MAX_MONTHS", "AuditStatus", "Dashboard", "dashboard", "days_between",
           "month_window"]

MAX_MONTHS = 120


@dataclass(frozen=True, slots=True)
class AuditStatus:
    """The latest signed checkpoint (``None`` fields: none yet) and the log's size."""

    events: int
    checkpoint_id: int | None = None
    size: int = 0
    log_time: str = ""  # time of the newest entry the checkpoint covers
    signed_at: str = ""
    key_id: str = ""
    signed_by: str = ""  # who asked for the checkpoint

    @property
    def since(self) -> int:
        """Events written after the latest checkpoint (all of them when there is none)."""
        return self.events - self.size


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: dict[str, Any]  # as ``Tx.counts`` (``vitalstat stats``, ``GET /stats``)
    months: list[str]  # YYYY-MM, oldest first, ending with today's month
    reports_by_month: list[tuple[str, list[int]]]  # source kind -> reports per month
    holds_by_reason: list[tuple[str, int]]  # review reason code -> records, most first
    correction_days: list[float]  # per corrected case, oldest case first
    transparency: Transparency
    audit: AuditStatus


def month_window(today: date, months: int) -> list[str]:
    """The ``months`` calendar months ending with ``today``'s, as ``YYYY-MM``, oldest first."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def days_between(start: str, end: str) -> float:
    """Days from one ISO-8601 time to another (fractional)."""
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


def dashboard(store: Store, *, today: date, year: int | None = None,
              months: int = 12) -> Dashboard:
    """Every figure of the dashboard page, as of ``today``: reports over the last
    ``months`` months (1 to :data:`MAX_MONTHS`), requests recorded in ``year`` (default:
    ``today``'s)."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationError(f"{months}: between 1 and {MAX_MONTHS} months", field="months")
    year = today.year if year is None else year
    if not 1900 <= year <= 9999:
        raise ValidationError(f"{year}: a year from 1900 to 9999", field="year")
    window = month_window(today, months)
    store.check_schema()
    with store.transaction(write=False) as tx:
        counts = tx.counts()
        per_month = tx.reports_by_month(f"{window[0]}-01")
        times = tx.correction_times()
        transparency = transparency_in(tx, year)
        latest = tx.latest_checkpoint_row()
    slot = {m: i for i, m in enumerate(window)}
    by_kind: dict[str, list[int]] = {}
    for month, kind, n in per_month:
        if month in slot:  # a clock ahead of today's: left out rather than misplaced
            by_kind.setdefault(kind, [0] * len(window))[slot[month]] += n
    order = {k.value: i for i, k in enumerate(SourceKind)}
    audit = AuditStatus(events=int(counts["events"]))
    if latest is not None:
        audit = AuditStatus(events=audit.events, checkpoint_id=int(latest["id"]),
                            size=int(latest["tree_size"]), log_time=latest["log_time"],
                            signed_at=latest["created_at"], key_id=latest["key_id"],
                            signed_by=latest["created_by"])
    return Dashboard(
        counts=counts, months=window,
        reports_by_month=sorted(by_kind.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])),
        holds_by_reason=sorted(counts["review_reasons"].items(),
                               key=lambda kv: (-kv[1], kv[0])),
        correction_days=[days_between(o, d) for o, d in times],
        transparency=transparency, audit=audit)
