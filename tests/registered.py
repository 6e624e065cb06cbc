"""Test helper: register a source before a test ingests from it (ingest refuses others)."""

from __future__ import annotations

from vitalstat.domain.reports import Source, SourceKind
from vitalstat.services.sources import register_source
from vitalstat.store import Store


def ensure_source(store: Store, kind: str, source_id: str,
                  surge_ceiling: int | None = None) -> None:
    """Register ``kind/source_id`` unless it already is."""
    with store.transaction(write=False) as tx:
        if tx.source_row(Source(SourceKind.parse(kind), source_id)) is not None:
            return
    register_source(store, kind=kind, source_id=source_id, actor="registrar",
                    surge_ceiling=surge_ceiling)
