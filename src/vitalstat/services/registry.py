"""Registry-wide use cases: set up the store, look a person up, count things."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalstat.domain.identity import normalize_ssn
from vitalstat.domain.records import DeathRecord
from vitalstat.domain.reports import DeathReport
from vitalstat.errors import SchemaOutOfDateError
from vitalstat.store import Store

__all__ = ["RecordView", "init_registry", "registry_stats", "sample_ssn", "show_record"]


def init_registry(store: Store, *, actor: str) -> tuple[str, bool]:
    """Create or migrate the schema. Returns (revision, whether anything changed)."""
    try:
        store.check_schema()
        return store.head_revision(), False
    except SchemaOutOfDateError:
        pass
    revision = store.migrate()
    with store.transaction() as tx:
        tx.append_event(actor=actor, kind="registry.migrated", subject="registry",
                        detail={"revision": revision})
    return revision, True


@dataclass(frozen=True, slots=True)
class RecordView:
    ssn: str
    record: DeathRecord | None
    reports: list[DeathReport]
    events: list[dict[str, Any]]


def show_record(store: Store, ssn: str) -> RecordView:
    """The record for ``ssn`` (if any), every report about it, and its event history."""
    norm = normalize_ssn(ssn)
    store.check_schema()
    with store.transaction(write=False) as tx:
        return RecordView(norm, tx.get_record(norm), tx.reports_for_ssn(norm),
                          tx.events(subject=f"record:{norm}"))


def registry_stats(store: Store) -> dict[str, Any]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return tx.counts()


def sample_ssn(store: Store) -> str | None:
    """An SSN worth showing a newcomer: the record with the most supporting reports."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        return tx.sample_record_ssn()
