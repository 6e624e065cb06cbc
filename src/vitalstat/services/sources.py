"""Registered sources: only a source someone registered may send death reports.

A source is a kind (``domain.reports.SourceKind``) and an identity. Registering it is a
deliberate, audited act (``source.registered``); ingest refuses, and audits, reports from
a source nobody registered. Each source may carry its own daily surge ceiling (deaths it
may report in one day before its batches are held); without one the
``VITALSTAT_SURGE_CEILING`` default applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalstat.domain.reports import Source, SourceKind
from vitalstat.errors import ConflictError, NotFoundError, ValidationError
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = ["SourceInfo", "list_sources", "register_source", "update_source"]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    source: Source
    registered_at: str
    registered_by: str
    surge_ceiling: int | None  # None: the default setting applies
    note: str
    batches: int = 0
    reports: int = 0
    last_batch_at: str | None = None


def _info(row: dict[str, Any]) -> SourceInfo:
    return SourceInfo(
        source=Source(SourceKind(row["kind"]), row["source_id"]),
        registered_at=row["registered_at"], registered_by=row["registered_by"],
        surge_ceiling=row["surge_ceiling"], note=row["note"],
        batches=int(row.get("batches") or 0), reports=int(row.get("reports") or 0),
        last_batch_at=row.get("last_batch_at"))


def _ceiling(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise ValidationError(f"{value} is negative: a ceiling is a number of deaths a day",
                              field="surge_ceiling")
    return value


def register_source(store: Store, *, kind: str, source_id: str, actor: str,
                    surge_ceiling: int | None = None, note: str = "") -> SourceInfo:
    """Register a source of a recognised kind (refuses a second registration)."""
    source = Source(SourceKind.parse(kind), source_id.strip())
    ceiling = _ceiling(surge_ceiling)
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        if tx.source_row(source) is not None:
            raise ConflictError(f"source {source} is already registered")
        tx.insert_source(source, actor=actor, at=now, surge_ceiling=ceiling, note=note)
        tx.append_event(actor=actor, kind="source.registered", subject=f"source:{source}",
                        detail={"kind": source.kind.value, "source_id": source.source_id,
                                "surge_ceiling": ceiling, "note": note}, at=now)
        return _info(_require(tx, source))


def update_source(store: Store, *, kind: str, source_id: str, actor: str,
                  surge_ceiling: int | None) -> SourceInfo:
    """Set (or, with ``None``, clear back to the default) a source's surge ceiling."""
    source = Source(SourceKind.parse(kind), source_id.strip())
    ceiling = _ceiling(surge_ceiling)
    store.check_schema()
    now = utc_now()
    with store.transaction() as tx:
        row = _require(tx, source)
        tx.update_source(int(row["id"]), {"surge_ceiling": ceiling})
        tx.append_event(actor=actor, kind="source.updated", subject=f"source:{source}",
                        detail={"surge_ceiling": {"from": row["surge_ceiling"],
                                                  "to": ceiling}}, at=now)
        return _info(_require(tx, source))


def _require(tx: Tx, source: Source) -> dict[str, Any]:
    row = tx.source_row(source)
    if row is None:
        raise NotFoundError(f"source {source} is not registered "
                            "(see vitalstat source list)")
    return row


def list_sources(store: Store) -> list[SourceInfo]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [_info(r) for r in tx.source_rows()]
