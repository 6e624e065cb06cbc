"""Queries for releases, signing keys, subscribers, deliveries and the delivery ledger.

A mixin of :class:`vitalstat.store.repo.Tx` (one transaction, ``self.conn``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, bindparam, func, insert, select, update

from vitalstat.store.schema import (
    deliveries,
    delivery_ledger,
    releases,
    signing_keys,
    subscribers,
)

__all__ = ["HOLDINGS_SCHEMA", "DistributionQueries"]

# Built once (read on every subscriber lookup and one-row match; see store.api).
_LATEST_RELEASE = select(releases).order_by(releases.c.id.desc()).limit(1)
_SUBSCRIBER_BY_NAME = select(subscribers).where(subscribers.c.name == bindparam("name"))

#: What a subscriber holds: per SSN the version it last received and from which release.
HOLDINGS_SCHEMA = pa.schema([pa.field("ssn", pa.string(), nullable=False),
                             pa.field("version", pa.int32(), nullable=False),
                             pa.field("release_id", pa.int32(), nullable=False)])

_LEDGER_READ_SCHEMA = pa.schema([pa.field("ssn", pa.string()), pa.field("version", pa.int32()),
                                 pa.field("release_id", pa.int32()),
                                 pa.field("action", pa.string())])

_LEDGER_COLUMNS = ("delivery_id", "subscriber_id", "release_id", "ssn", "version", "action",
                   "delivered_at")


class DistributionQueries:
    conn: Connection
    dialect: str
    read_only: bool

    def _sqlite_file(self) -> str | None:  # provided by Tx
        raise NotImplementedError

    # ---------------------------------------------------------------- releases
    def next_release_id(self) -> int:
        return int(self.conn.execute(select(func.max(releases.c.id))).scalar_one() or 0) + 1

    def insert_release(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(releases).values(values))

    def get_release_row(self, release_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(select(releases).where(releases.c.id == release_id))
        found = row.mappings().one_or_none()
        return dict(found) if found is not None else None

    def latest_release_row(self) -> dict[str, Any] | None:
        found = self.conn.execute(_LATEST_RELEASE).mappings().one_or_none()
        return dict(found) if found is not None else None

    def release_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(releases).order_by(releases.c.id)).mappings()]

    # ------------------------------------------------------------ signing keys
    def insert_signing_key(self, key_id: str, public_key: str, created_at: str) -> None:
        self.conn.execute(insert(signing_keys).values(
            key_id=key_id, public_key=public_key, created_at=created_at, retired_at=None))

    def retire_signing_key(self, key_id: str, at: str) -> None:
        self.conn.execute(update(signing_keys).where(signing_keys.c.key_id == key_id)
                          .values(retired_at=at))

    def signing_key_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(signing_keys).order_by(signing_keys.c.created_at)).mappings()]

    # ------------------------------------------------------------- subscribers
    def insert_subscriber(self, values: dict[str, Any]) -> int:
        return int(self.conn.execute(
            insert(subscribers).values(values).returning(subscribers.c.id)).scalar_one())

    def update_subscriber(self, subscriber_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id)
                          .values(values))

    def subscriber_row(self, name: str) -> dict[str, Any] | None:
        found = self.conn.execute(_SUBSCRIBER_BY_NAME, {"name": name}).mappings().one_or_none()
        return dict(found) if found is not None else None

    def subscriber_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(subscribers).order_by(subscribers.c.name)).mappings()]

    # -------------------------------------------------------------- deliveries
    def insert_delivery(self, values: dict[str, Any]) -> int:
        return int(self.conn.execute(
            insert(deliveries).values(values).returning(deliveries.c.id)).scalar_one())

    def finish_delivery(self, delivery_id: int, *, path: str, record_count: int) -> None:
        self.conn.execute(update(deliveries).where(deliveries.c.id == delivery_id)
                          .values(path=path, record_count=record_count))

    def delivery_row(self, delivery_id: int) -> dict[str, Any] | None:
        found = self.conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)
                                  ).mappings().one_or_none()
        return dict(found) if found is not None else None

    def subscriber_by_id(self, subscriber_id: int) -> dict[str, Any] | None:
        found = self.conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)
                                  ).mappings().one_or_none()
        return dict(found) if found is not None else None

    def delivery_rows(self, subscriber_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(
            select(deliveries).where(deliveries.c.subscriber_id == subscriber_id)
            .order_by(deliveries.c.id)).mappings()]

    def insert_ledger(self, *, delivery_id: int, subscriber_id: int, release_id: int,
                      at: str, entries: pa.Table) -> int:
        """One ledger row per ``entries`` row (columns ``ssn``, ``version``, ``action``)."""
        if entries.num_rows == 0:
            return 0
        ssns = entries.column("ssn").to_pylist()
        versions = entries.column("version").to_pylist()
        actions = entries.column("action").to_pylist()
        rows = [(delivery_id, subscriber_id, release_id, s, v, a, at)
                for s, v, a in zip(ssns, versions, actions, strict=True)]
        raw = self.conn.connection.driver_connection
        cols = ", ".join(_LEDGER_COLUMNS)
        if self.dialect == "sqlite":
            cur = raw.cursor()  # type: ignore[union-attr]
            try:
                cur.executemany(f"INSERT INTO delivery_ledger ({cols}) VALUES "
                                "(?, ?, ?, ?, ?, ?, ?)", rows)
            finally:
                cur.close()
        else:
            with raw.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                    f"COPY delivery_ledger ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        return len(rows)

    def holdings(self, subscriber_id: int) -> pa.Table:
        """What the subscriber holds now: its last ledger entry per SSN, unless a ``D``.

        Read in (SSN, id) order straight off the ``(subscriber_id, ssn)`` index, in
        columns (through ADBC in a read-only SQLite transaction), and reduced to the last
        entry per SSN with Arrow: no sort and no Python object per ledger row.
        """
        sql = ("SELECT ssn, version, release_id, action FROM delivery_ledger"
               f" WHERE subscriber_id = {int(subscriber_id)} ORDER BY ssn, id")
        table = self._columnar(sql, _LEDGER_READ_SCHEMA)
        n = table.num_rows
        if n == 0:
            return HOLDINGS_SCHEMA.empty_table()
        ssn = table.column("ssn").combine_chunks()
        last = np.ones(n, bool)
        if n > 1:
            last[:-1] = pc.not_equal(ssn.slice(1), ssn.slice(0, n - 1)).to_numpy(
                zero_copy_only=False)
        keep = last & pc.not_equal(table.column("action"), "D").to_numpy(zero_copy_only=False)
        return table.filter(pa.array(keep)).select(HOLDINGS_SCHEMA.names).cast(HOLDINGS_SCHEMA)

    def last_ledger_id(self, subscriber_id: int) -> int:
        """The subscriber's newest ledger entry (0 if none): detects a concurrent delivery."""
        return int(self.conn.execute(
            select(func.max(delivery_ledger.c.id))
            .where(delivery_ledger.c.subscriber_id == subscriber_id)).scalar_one() or 0)

    def _columnar(self, sql: str, schema: pa.Schema, batch_rows: int = 200_000) -> pa.Table:
        """A query's rows as an Arrow table of ``schema`` (SQL without parameters)."""
        path = self._sqlite_file() if self.read_only else None
        if path is not None:
            import adbc_driver_sqlite.dbapi as adbc

            with adbc.connect(f"file:{quote(path)}?mode=ro") as conn, conn.cursor() as cur:
                cur.execute(sql)
                table = cur.fetch_arrow_table()
            if table.num_rows == 0:
                return schema.empty_table()
            return pa.Table.from_arrays([table.column(i).cast(f.type)
                                         for i, f in enumerate(schema)], schema=schema)
        cursor = self.conn.exec_driver_sql(sql).cursor
        assert cursor is not None
        batches = []
        while rows := cursor.fetchmany(batch_rows):
            columns = zip(*rows, strict=True)
            batches.append(pa.RecordBatch.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                schema=schema))
        return pa.Table.from_batches(batches, schema=schema)

    def ledger_rows(self, *, subscriber_id: int | None = None, ssn: str | None = None
                    ) -> list[dict[str, Any]]:
        query = select(delivery_ledger).order_by(delivery_ledger.c.id)
        if subscriber_id is not None:
            query = query.where(delivery_ledger.c.subscriber_id == subscriber_id)
        if ssn is not None:
            query = query.where(delivery_ledger.c.ssn == ssn)
        return [dict(r) for r in self.conn.execute(query).mappings()]
