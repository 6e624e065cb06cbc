"""Reads of a few rows by key in ONE statement, outside any transaction: the API's hot
path (every request reads its token; a subscriber's lookup reads its token, its
subscriber and the record together). See :attr:`vitalstat.store.Store.reads`.

A single ``SELECT`` sees one consistent snapshot on both backends without a ``BEGIN``
(SQLite: the statement's own read transaction; PostgreSQL: the statement's snapshot in
autocommit mode), so each read here is as consistent as the two-read transaction it
replaces, and as fresh: every call reads the database again, nothing is remembered.

Each statement is built with SQLAlchemy Core and compiled once for the engine's dialect;
it then runs on a driver cursor, skipping SQLAlchemy's per-execute work (which costs
several times the query itself). Connections come from the engine (its ``connect``
events, e.g. SQLite's pragmas, apply), are detached from its pool and set to autocommit,
and wait in a free list between reads (an in-memory SQLite database, which lives in its
pool's one connection, is read on that connection). Driver errors are translated as
everywhere else (:func:`vitalstat.store.engine.translate`); a connection the server
dropped is replaced and the read tried once more (what the pool's ping of an idle
connection does for transactions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, and_, bindparam, func, literal_column, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from vitalstat.domain.access import Role
from vitalstat.domain.records import DeathRecord, RecordStatus
from vitalstat.store.repo import row_to_record
from vitalstat.store.schema import api_tokens, records, releases, subscribers

__all__ = ["MatchContext", "PointReads", "TokenLookup"]

#: SSNs asked about in one statement by :meth:`PointReads.unpublished_among`
_AMONG = 32


class _Compiled:
    """One statement compiled for one dialect: SQL text, how to pass its parameters, and
    how to turn a driver row into the dict SQLAlchemy would give (result processors)."""

    __slots__ = ("names", "order", "processors", "sql")

    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        # positional parameters: a driver binds a tuple as given, where named ones are
        # looked up and reordered on every execute (psycopg: ``%(name)s`` -> ``%s``)
        positional = (dialect if dialect.paramstyle in ("qmark", "format", "numeric")
                      else type(dialect)(paramstyle="format"))
        compiled = statement.compile(dialect=positional)
        self.sql = str(compiled)
        assert compiled.positional
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ())
        columns = list(statement.selected_columns)
        self.names = [str(c.name) for c in columns]
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, column in enumerate(columns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                self.processors.append((i, processor))

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(values[k] for k in self.order)

    def values(self, row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i, processor in self.processors:
            out[i] = processor(out[i])
        return out


def _one() -> Any:
    """A one-row constant to outer-join the rows read by key to: the statement yields
    exactly one row, whichever of them exist."""
    return select(literal_column("1").label("one")).subquery("one")


def _parts(row: Sequence[Any], names: Sequence[str], *tables: Any
           ) -> list[dict[str, Any] | None]:
    """``row`` cut into one dict per table (its columns, in order), or None for a table
    whose row was not found: its first column, the primary key, is then NULL."""
    out: list[dict[str, Any] | None] = []
    start = 0
    for table in tables:
        end = start + len(table.c)
        out.append(dict(zip(names[start:end], row[start:end], strict=True))
                   if row[start] is not None else None)
        start = end
    return out


def _token_by_id() -> Select[Any]:
    return select(api_tokens).where(api_tokens.c.id == bindparam("id"))


def _subscriber_and_record() -> Select[Any]:
    return (select(*subscribers.c, *records.c)
            .select_from(_one().outerjoin(subscribers, subscribers.c.name == bindparam("name"))
                         .outerjoin(records, records.c.ssn == bindparam("ssn"))))


def _token_and_lookup() -> Select[Any]:
    # the token; the subscriber it speaks for; and the record, joined only for a live
    # subscriber token (for any other key the database is not asked about the record)
    live = and_(records.c.ssn == bindparam("ssn"), api_tokens.c.revoked_at.is_(None),
                api_tokens.c.role == bindparam("role"))
    return (select(*api_tokens.c, *subscribers.c, *records.c)
            .select_from(_one().outerjoin(api_tokens, api_tokens.c.id == bindparam("id"))
                         .outerjoin(subscribers, subscribers.c.name == api_tokens.c.subscriber)
                         .outerjoin(records, live)))


def _unpublished_among(n: int) -> Select[Any]:
    return select(records.c.ssn).where(
        records.c.ssn.in_([bindparam(f"s{i}") for i in range(n)]),
        records.c.status != bindparam("published"))


def _match_context() -> Select[Any]:
    # the latest release, a subscriber and a record
    newest = select(func.max(releases.c.id)).scalar_subquery()
    return (select(*releases.c, *subscribers.c, *records.c)
            .select_from(_one().outerjoin(releases, releases.c.id == newest)
                         .outerjoin(subscribers, subscribers.c.name == bindparam("name"))
                         .outerjoin(records, records.c.ssn == bindparam("ssn"))))


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What a one-row match reads before deciding, as of one moment."""

    release: dict[str, Any] | None  # the latest release's row (as Tx.latest_release_row)
    subscriber: dict[str, Any] | None  # as Tx.subscriber_row
    record: DeathRecord | None  # the record for the row's SSN (as Tx.get_record)
    updated_at: str | None  # when that record last changed (as Tx.record_updated_at)


@dataclass(frozen=True, slots=True)
class TokenLookup:
    """A token's row read together with what its lookup of one SSN needs."""

    token: dict[str, Any] | None  # as Tx.token_row
    subscriber: dict[str, Any] | None  # the row of the subscriber the token names
    ssn: str  # the normalised SSN asked for
    record_row: dict[str, Any] | None  # its record's row: None unless the token is a live
    # subscriber token (turned into a record only on demand, after authentication)

    def record(self) -> DeathRecord | None:
        """The record (as Tx.get_record) read for a live subscriber token, else None."""
        return None if self.record_row is None else row_to_record(self.record_row)


class PointReads:
    """One-statement reads by key, outside any transaction (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        # detached pool connections, each with its driver cursor (reused: creating one
        # costs about as much as the read); list.pop/append are atomic
        self._idle: list[tuple[Any, Any]] = []
        # an in-memory SQLite database lives in its pool's one connection: borrow that
        self._borrow = isinstance(engine.pool, SingletonThreadPool | StaticPool)
        self._token = _Compiled(_token_by_id(), engine)
        self._pair = _Compiled(_subscriber_and_record(), engine)
        self._match = _Compiled(_match_context(), engine)
        self._lookup = _Compiled(_token_and_lookup(), engine)
        self._among: dict[int, _Compiled] = {}  # by the number of SSNs asked about

    def token_row(self, token_id: str) -> dict[str, Any] | None:
        """The ``api_tokens`` row ``token_id`` (as :meth:`Tx.token_row`), or ``None``."""
        row = self._fetch(self._token, {"id": token_id})
        return None if row is None else dict(zip(self._token.names, row, strict=True))

    def subscriber_and_record(self, name: str, ssn: str
                              ) -> tuple[dict[str, Any] | None, DeathRecord | None]:
        """Subscriber ``name``'s row (as :meth:`Tx.subscriber_row`) and the record for the
        normalised ``ssn`` (as :meth:`Tx.get_record`), read in one statement."""
        row = self._fetch(self._pair, {"name": name, "ssn": ssn})
        assert row is not None  # the constant side always yields one row
        sub, rec = _parts(row, self._pair.names, subscribers, records)
        return sub, row_to_record(rec) if rec is not None else None

    def token_and_lookup(self, token_id: str, ssn: str) -> TokenLookup:
        """Token ``token_id``'s row, the row of the subscriber it names and, if it is an
        unrevoked subscriber token, the record for the normalised ``ssn``: one statement
        (one snapshot, one round trip) for a subscriber's lookup, the API's commonest
        request. The secret is not checked here: see ``TokenVerifier``."""
        row = self._fetch(self._lookup, {"id": token_id, "ssn": ssn,
                                         "role": Role.SUBSCRIBER.value})
        assert row is not None  # the constant side always yields one row
        token, sub, rec = _parts(row, self._lookup.names, api_tokens, subscribers, records)
        return TokenLookup(token, sub, ssn, rec)

    def unpublished_among(self, ssns: Sequence[str]) -> frozenset[str]:
        """Which of ``ssns`` have a record that is not plainly published now (held,
        withdrawn, pending): as ``Tx.unpublished_ssns`` for just these, read by primary
        key (a few candidates' SSNs, where the work queues may hold many thousands)."""
        wanted = sorted(set(ssns))
        found: set[str] = set()
        for start in range(0, len(wanted), _AMONG):
            part = wanted[start:start + _AMONG]
            query = self._among.get(len(part))
            if query is None:
                query = self._among.setdefault(
                    len(part), _Compiled(_unpublished_among(len(part)), self._engine))
            found.update(row[0] for row in self._fetch_all(query, {
                "published": RecordStatus.PUBLISHED.value,
                **{f"s{i}": ssn for i, ssn in enumerate(part)}}))
        return frozenset(found)

    def match_context(self, subscriber: str | None, ssn: str | None) -> MatchContext:
        """The latest release, subscriber ``subscriber`` and the record for the normalised
        ``ssn`` (with its ``updated_at``), in one statement: one snapshot, so a record is
        never seen newer than the release it is checked against, or the other way."""
        row = self._fetch(self._match, {"name": subscriber, "ssn": ssn})
        assert row is not None  # the constant side always yields one row
        release, sub, rec = _parts(row, self._match.names, releases, subscribers, records)
        return MatchContext(release, sub, row_to_record(rec) if rec is not None else None,
                            str(rec["updated_at"]) if rec is not None else None)

    def close(self) -> None:
        while self._idle:
            conn, cursor = self._idle.pop()
            with contextlib.suppress(Exception):
                cursor.close()
            with contextlib.suppress(Exception):
                conn.close()

    # ------------------------------------------------------------------ driver
    def _take(self) -> tuple[Any, Any]:
        if not self._borrow:
            try:
                return self._idle.pop()
            except IndexError:
                pass
        conn = self._connect()
        try:
            return conn, conn.dbapi_connection.cursor()
        except self._dbapi_error as exc:
            with contextlib.suppress(Exception):
                conn.close()
            raise self._translate(exc, None, None) from None

    def _connect(self) -> Any:
        try:
            conn = self._engine.raw_connection()
            if self._borrow:
                return conn  # closing it gives it back
            driver = conn.dbapi_connection
            conn.detach()  # ours now: closing it closes it
            if self._dialect.name == "postgresql":
                driver.rollback()  # the pool's ping may have opened a transaction
                driver.autocommit = True
            # SQLite: the engine's connect event leaves isolation_level None, and the
            # driver never opens a transaction before a SELECT in any case
        except (sa_exc.SQLAlchemyError, self._dbapi_error) as exc:
            raise self._translate(exc, None, None) from None
        return conn

    def _translate(self, exc: Exception, sql: str | None, params: Any) -> Exception:
        from vitalstat.store.engine import translate  # the engine imports this module

        if isinstance(exc, self._dbapi_error):  # the pool hands driver errors on unwrapped
            exc = sa_exc.DBAPIError.instance(sql, params, exc, self._dbapi_error,
                                             dialect=self._dialect, ismulti=False)
        return translate(exc)

    def _fetch(self, query: _Compiled, values: Mapping[str, Any]) -> list[Any] | None:
        rows = self._fetch_all(query, values)
        return rows[0] if rows else None

    def _fetch_all(self, query: _Compiled, values: Mapping[str, Any]) -> list[list[Any]]:
        params = query.parameters(values)
        for attempt in (1, 2):
            conn, cursor = self._take()
            try:
                cursor.execute(query.sql, params)
                rows = cursor.fetchall()  # to the end: SQLite's snapshot ends with it
            except self._dbapi_error as exc:
                gone = self._dialect.is_disconnect(exc, conn.dbapi_connection, cursor)
                with contextlib.suppress(Exception):
                    conn.close()
                if gone and attempt == 1:
                    continue  # the server dropped it: once more, on a new connection
                raise self._translate(exc, query.sql, params) from None
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.close()
                raise
            if self._borrow:
                cursor.close()
                conn.close()
            else:
                self._idle.append((conn, cursor))
            return [query.values(row) for row in rows]
        raise AssertionError("unreachable")  # pragma: no cover
