"""Registry-wide use cases: set up the store, look a person up, count things."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from vitalstat.domain.identity import normalize_ssn
from vitalstat.domain.policy import DEFAULT_EMBARGO, EmbargoRule, RecordFacts, may_receive
from vitalstat.domain.records import DeathRecord
from vitalstat.domain.reports import DeathReport
from vitalstat.errors import NotFoundError, SchemaOutOfDateError
from vitalstat.store import Store
from vitalstat.store.reads import TokenLookup

__all__ = ["RecordView", "init_registry", "record_for_subscriber", "registry_stats",
           "sample_ssn", "show_record"]


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


def record_for_subscriber(store: Store, ssn: str, subscriber: str, *, today: date,
                          rule: EmbargoRule = DEFAULT_EMBARGO,
                          read: TokenLookup | None = None) -> DeathRecord:
    """The record for ``ssn`` if ``subscriber`` may receive it today (``domain.policy``,
    the decision its deliveries get); otherwise the same ``not-found`` as for an SSN not
    on the file, so a lookup never reveals a record the subscriber may not have.

    Built for many lookups a second: the subscriber and the record by key in one
    statement (``store.reads``: one snapshot, no transaction to open), no schema check
    (the server checks the schema once at start). ``read``: the same, already read
    with the caller's token (``TokenVerifier.authenticate_lookup``); used when it is
    for this SSN and this subscriber.
    """
    from vitalstat.services.subscribers import Subscriber

    norm = normalize_ssn(ssn)
    if (read is not None and read.ssn == norm and read.token is not None
            and read.token["subscriber"] == subscriber):
        row, record = read.subscriber, read.record()
    else:
        row, record = store.reads.subscriber_and_record(subscriber, norm)
    if row is None:
        raise NotFoundError(f"no subscriber named {subscriber!r}")
    standing = Subscriber.from_row(row).standing
    if record is None or not may_receive(standing, RecordFacts(
            record.date_of_death, record.restricted, record.status.value == "published"),
            today, rule).allowed:
        raise NotFoundError("no record for this SSN that this subscriber may receive")
    return record
