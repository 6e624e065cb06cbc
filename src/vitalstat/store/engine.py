"""Opening the registry, migrating it, and running transactions.

Services never see driver errors: :meth:`Store.transaction` translates SQLAlchemy /
sqlite3 / psycopg exceptions into :mod:`vitalstat.errors` at this one boundary.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged commit survives
power loss) and writers take the lock up front (``BEGIN IMMEDIATE``) so two writers wait
for each other instead of failing half-way. A bulk load into an empty registry may ask
for a *direct* transaction (:meth:`Store.transaction`): the file is written once, under a
rollback journal, instead of once to the WAL and again at the checkpoint.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc

from vitalstat.errors import (
    AppendOnlyViolation,
    ConflictError,
    SchemaOutOfDateError,
    StoreError,
    StoreUnavailableError,
    VitalstatError,
)
from vitalstat.store.reads import PointReads
from vitalstat.store.repo import Tx

__all__ = ["Store"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_connection.cursor()
    # Locked: a direct transaction (see _leave_wal) holds the file in rollback mode for
    # a first load, and puts it back in WAL mode when it ends. This connection works
    # either way (the mode is the file's, read from its header), so it does not wait.
    cur.execute("PRAGMA busy_timeout=0")
    with contextlib.suppress(sqlite3.OperationalError):
        cur.execute("PRAGMA journal_mode=WAL")
    for pragma in (
        "synchronous=FULL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        # 64 MiB page cache. (temp_store stays on disk: in memory, the statement journal
        # of a bulk INSERT ... SELECT grew by ~140 bytes per row loaded.)
        "cache_size=-65536",
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _leave_wal(conn: Connection) -> bool:
    """Put the database in rollback-journal mode for one direct transaction; False (and
    the database left in WAL mode) unless this is its only connection right now.

    Why: a rollback journal saves only pages that existed when the transaction began, so
    rows appended to an empty registry are written once, to the database file, where WAL
    mode writes every page to the log and copies it back at the checkpoint (10 million
    DMF lines: 2.8 GiB twice), and looks up each page it reads again in a WAL index that
    grows with the transaction. Durability is the same (``synchronous=FULL``); readers
    wait for the commit instead of reading the snapshot before it, which for an empty
    registry hides nothing. Another open connection (a running server, a second writer)
    makes the switch fail at once (no busy wait) and the load takes the WAL path."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout=0")
    try:
        mode = raw.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(_WRITER_WAIT * 1000)}")
    return str(mode).lower() == "delete"


def _return_to_wal(conn: Connection) -> None:
    """After a direct transaction; a connection that cannot switch back is dropped from
    the pool (the next one's connect handler switches the file)."""
    try:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA journal_mode=WAL")
    except (sqlite3.Error, sa_exc.SQLAlchemyError):
        # never masks the transaction's own error (this runs in its ``finally``)
        conn.invalidate()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def translate(exc: Exception) -> VitalstatError:
    """Map a driver or SQLAlchemy error to the project's error tree."""
    text = str(getattr(exc, "orig", exc))
    first = text.splitlines()[0] if text else repr(exc)
    if "append-only" in text:
        what = next((t for t in ("audit_leaves", "audit_checkpoints") if t in text), "events")
        return AppendOnlyViolation(f"{what} are append-only: they can be added, never changed")
    if isinstance(exc, sa_exc.IntegrityError):
        return ConflictError(f"the change conflicts with stored data: {first}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreUnavailableError(f"the registry database is unavailable: {first}")
    return StoreError(f"registry database error: {first}")


#: How long a write waits for the other writers of its process (SQLite's busy timeout).
_WRITER_WAIT = 30.0

#: PostgreSQL connections kept open between transactions: the server's threads
#: (``ServerConfig.threads``, 8), its event loop and job workers, with room. Fewer, and a
#: busy server opens and closes an overflow connection per transaction (a PostgreSQL
#: backend started each time: measured at ~6% of a match's CPU with SQLAlchemy's 5).
_PG_POOL = 16
#: A pooled connection idle longer than this (seconds) is pinged before it is handed out,
#: and replaced if the server dropped it. One in steady use is not: the ping is a round
#: trip per transaction, and a connection in use a moment ago is almost surely alive
#: (if not, that one transaction fails with ``store-unavailable`` and the pool is renewed).
_PING_IDLE = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling for connections that sat idle (``_PING_IDLE``)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < _PING_IDLE:
            return  # new (just connected), or in use a moment ago
        try:
            dialect.do_ping(dbapi)
        except dialect.loaded_dbapi.Error:
            # the pool discards this connection and checks out another (up to 3 tries)
            raise sa_exc.DisconnectionError("connection dropped while idle") from None


@functools.cache
def _head_revision() -> str:
    """The newest migration (read once per process: parsing the scripts costs ~10 ms, and
    the server checks the schema on many requests)."""
    return ScriptDirectory(str(_MIGRATIONS)).get_current_head() or ""


class Store:
    """The registry database. Open with :meth:`open`; use :meth:`transaction`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        #: one-statement reads outside any transaction, for the API's hot path
        self.reads = PointReads(engine)
        #: SQLite has one writer at a time. The threads of one process queue for it here
        #: instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms
        #: and so leaves the database idle while writers sleep (other processes still
        #: meet the busy handler). Re-entrant: a nested write in one thread meets
        #: SQLite's own lock, as before.
        self._writer = threading.RLock()

    @classmethod
    def open(cls, url: str) -> Store:
        try:
            if url.startswith("sqlite"):
                engine = create_engine(url)
                event.listen(engine, "connect", _sqlite_on_connect)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = create_engine(url, pool_size=_PG_POOL, max_overflow=_PG_POOL)
                _ping_when_idle(engine)
        except (sa_exc.ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot open registry {url!r}: {exc}") from None
        return cls(engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.reads.close()
        self.engine.dispose()

    # ------------------------------------------------------------------ schema
    def migrate(self) -> str:
        """Bring the schema to the latest revision; returns it. Safe to repeat."""
        try:
            with self.engine.begin() as conn:
                command.upgrade(_alembic_config(conn), "head")
                return self._current_revision(conn) or ""
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc) from None

    @staticmethod
    def _current_revision(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        return _head_revision()

    def check_schema(self) -> None:
        """Raise :class:`SchemaOutOfDateError` unless the schema is at the latest revision."""
        try:
            with self.engine.connect() as conn:
                current = self._current_revision(conn)
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc) from None
        if current != self.head_revision():
            hint = "run `vitalstat init`" if current is None else "run `vitalstat init` to migrate"
            raise SchemaOutOfDateError(
                f"registry at {self.url} has schema {current or 'none'}, "
                f"expected {self.head_revision()}: {hint}"
            )

    # ------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self, *, write: bool = True, direct: bool = False) -> Iterator[Tx]:
        """One transaction: commits when the block ends, rolls back on any error.

        ``direct`` (SQLite, writes): under a rollback journal instead of the WAL when this
        is the database's only connection (see ``_leave_wal``); for a bulk load into an
        empty registry. Elsewhere it changes nothing."""
        queued = write and self.dialect == "sqlite"
        if queued and not self._writer.acquire(timeout=_WRITER_WAIT):
            raise StoreUnavailableError(
                f"the registry database is busy: no write for {_WRITER_WAIT:g} s")
        try:
            try:
                conn = self.engine.connect()
                if queued:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                journaled = queued and direct and _leave_wal(conn)
            except sa_exc.SQLAlchemyError as exc:
                raise translate(exc) from None
            try:
                with conn.begin():
                    yield Tx(conn, read_only=not write)
            except sa_exc.SQLAlchemyError as exc:
                raise translate(exc) from None
            finally:
                if journaled:
                    _return_to_wal(conn)
                conn.close()
        finally:
            if queued:
                self._writer.release()

    def integrity_check(self) -> list[str]:
        """Backend consistency check; empty list when healthy (SQLite: PRAGMA integrity_check)."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                rows = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                return [] if rows == ["ok"] else [str(r) for r in rows]
            conn.exec_driver_sql("SELECT count(*) FROM records").scalar_one()
            return []
