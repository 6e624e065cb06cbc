"""Queries for the audit log: leaf hashes and signed checkpoints (both append-only).

A mixin of :class:`vitalstat.store.repo.Tx` (one transaction, ``self.conn``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select

from vitalstat.store.schema import audit_checkpoints, audit_leaves, events

__all__ = ["AuditQueries"]


class AuditQueries:
    conn: Connection
    dialect: str

    def lock_event_log(self) -> None:
        """Wait for every transaction that is adding events, and keep new ones out until
        this transaction ends, so what it reads of ``events`` is a committed prefix in id
        order. (PostgreSQL hands out ids before commit, so without this a lower id could
        still appear later; SQLite writers are serialised already by ``BEGIN IMMEDIATE``.)
        Only checkpoints take it: ``append_event`` stays one plain INSERT."""
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql("LOCK TABLE events IN SHARE MODE")

    def event_rows(self, *, after_id: int = 0) -> Iterator[dict[str, Any]]:
        """Events with ``id > after_id`` in id order, as stored, read in one statement."""
        query = select(events).where(events.c.id > after_id).order_by(events.c.id)
        for row in self.conn.execute(query).mappings():
            yield dict(row)

    def event_row(self, event_id: int) -> dict[str, Any] | None:
        found = self.conn.execute(select(events).where(events.c.id == event_id)).mappings()
        row = found.one_or_none()
        return dict(row) if row is not None else None

    def audit_leaf_rows(self) -> list[tuple[int, int, str]]:
        """``(leaf_index, event_id, leaf_hash hex)`` for every logged leaf, in index order."""
        query = select(audit_leaves.c.leaf_index, audit_leaves.c.event_id,
                       audit_leaves.c.leaf_hash).order_by(audit_leaves.c.leaf_index)
        return [(int(i), int(e), str(h)) for i, e, h in self.conn.execute(query)]

    def insert_audit_leaves(self, rows: Sequence[tuple[int, int, str]]) -> None:
        if rows:
            self.conn.execute(insert(audit_leaves), [
                {"leaf_index": i, "event_id": e, "leaf_hash": h} for i, e, h in rows])

    def checkpoint_rows(self) -> list[dict[str, Any]]:
        """Every checkpoint, oldest first."""
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.id)
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def latest_checkpoint_row(self) -> dict[str, Any] | None:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)
        row = self.conn.execute(query).mappings().one_or_none()
        return dict(row) if row is not None else None

    def insert_checkpoint(self, values: dict[str, Any]) -> int:
        return int(self.conn.execute(insert(audit_checkpoints).values(values)
                                     .returning(audit_checkpoints.c.id)).scalar_one())

    def event_count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(events)).scalar_one())
