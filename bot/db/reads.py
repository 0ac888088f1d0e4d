"""Hot read-only statements, answered without a trip to another thread where that is safe.

aiosqlite runs every statement on the connection's own thread. For a point read such as the
row behind `/profile` (a few index lookups, about 50 µs in SQLite) the trip costs far more than
the read: the statement is handed to the thread, the thread wakes and takes the GIL, the answer
is handed back and the event loop wakes. Twenty commands in flight make that twenty threads
taking turns with the loop: measured, 1.0 ms of CPU per read at 20 concurrent against 0.15 ms
for the same statement run on the loop's own connection.

So on a SQLite file, `Reads.rows` runs the statement on one plain `sqlite3` connection owned
by the event loop: `PRAGMA query_only` (it can never write) and no busy wait (in WAL mode a
reader never waits for a writer; if SQLite ever answers "busy", the read goes the usual way,
through the pool). Each statement outside a transaction reads the latest committed state, so it
sees every write other connections committed before it. Only statements whose cost is bounded by
a few index lookups belong here: anything that scans rows stays on the pool's threads, where it
does not hold up the loop. On PostgreSQL (asyncpg is non-blocking already) and on an in-memory
SQLite database (a second connection would be another database), `rows` uses a pooled
connection.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from bot.db.engine import Sessions

log = logging.getLogger(__name__)


class Reads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._local: Engine | None = None
        self._connection: Connection | None = None
        self._prepared: dict[Executable, _Prepared | None] = {}
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._local = create_engine(
                url.set(drivername="sqlite"),
                poolclass=StaticPool,  # one connection: only the event loop's thread uses it
                connect_args={"check_same_thread": False},
            )
            event.listen(self._local, "connect", _read_only_pragmas)

    @classmethod
    def of(cls, sessions: Sessions) -> Reads:
        return cls(sessions.kw["bind"])

    async def rows(
        self,
        statement: Executable,
        parameters: Mapping[str, Any] | None = None,
        *,
        bounded: bool = True,
    ) -> Sequence[Any]:
        """All rows of a read-only Core statement (rows with its columns' names): a bounded,
        indexed read (see above), or with `bounded=False` one that may scan, always through
        the pool."""
        if self._local is not None and bounded:
            try:
                if statement not in self._prepared:
                    self._prepared[statement] = _Prepared.of(statement, self._local)
                prepared = self._prepared[statement]
                if prepared is not None:
                    return prepared.run(self._local_connection(), parameters or {})
                return self._local_connection().execute(statement, parameters).all()
            except OperationalError as error:
                if not _is_busy(error):
                    raise
                log.debug("local read was busy; reading through the pool")
        async with self._engine.connect() as connection:
            return (await connection.execute(statement, parameters)).all()

    def _local_connection(self) -> Connection:
        """The loop's connection, kept open. In autocommit mode sqlite3 never opens a
        transaction, so each statement reads the latest committed state."""
        if self._connection is None:
            assert self._local is not None
            self._connection = self._local.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._local is not None:
            self._local.dispose()


def _read_only_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _is_busy(error: OperationalError) -> bool:
    original = error.orig
    return isinstance(original, sqlite3.OperationalError) and (
        getattr(original, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "locked" in str(original)
    )


class _Prepared:
    """A statement compiled once for the loop's sqlite3 connection and run straight on it.

    SQLAlchemy's execution machinery (an execution context, parameter processing, a cursor
    result and its metadata, per statement) costs about 0.06 ms per read, more than the read.
    This keeps what that machinery would compute once per statement: the SQL, where each
    positional parameter comes from (the caller's mapping, or a value bound in the statement),
    the dialect's processor binding each value and the one reading each result column back
    (SQLAlchemy's own, so values come back exactly as through a session). Rows are named
    tuples with the statement's column names. A statement whose SQL depends on its values (an
    expanding IN list) is not prepared: it goes through SQLAlchemy.
    """

    def __init__(self, compiled: Any, dialect: Any) -> None:
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.sql: str = compiled.string
        self.sources: list[tuple[str, Any, Any]] = []
        for name in compiled.positiontup or ():
            bind = by_name[name]
            fixed = _CALLERS if bind.required else bind.effective_value
            self.sources.append((bind.key, fixed, bind.type._cached_bind_processor(dialect)))
        columns = compiled._result_columns  # (key, name, objects, type) per result column
        self.readers: list[Any] = [c[3]._cached_result_processor(dialect, None) for c in columns]
        self.row: Any = _row_type([c[0] for c in columns]) if columns else None

    @classmethod
    def of(cls, statement: Executable, engine: Engine) -> _Prepared | None:
        compiled: Any = statement.compile(dialect=engine.dialect)  # type: ignore[attr-defined]
        if compiled.post_compile_params or compiled.literal_execute_params:
            return None
        return cls(compiled, engine.dialect)

    def run(self, connection: Connection, parameters: Mapping[str, Any]) -> list[Any]:
        values = []
        for key, fixed, bind in self.sources:
            value = parameters[key] if fixed is _CALLERS else fixed
            values.append(value if bind is None else bind(value))
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        try:
            cursor = dbapi.execute(self.sql, values)
            rows = cursor.fetchall()
        except sqlite3.Error as error:  # raised as SQLAlchemy raises it, for every caller
            raise DBAPIError.instance(self.sql, values, error, sqlite3.Error) from error
        if self.row is None:  # a text() statement: its columns are known once it has run
            names = [column[0] for column in cursor.description or ()]
            self.row, self.readers = _row_type(names), [None] * len(names)
        make, readers = self.row._make, self.readers
        if not any(readers):
            return [make(row) for row in rows]
        return [
            make(
                [
                    v if read is None or v is None else read(v)
                    for read, v in zip(readers, row, strict=True)
                ]
            )
            for row in rows
        ]


def _row_type(names: list[str]) -> Any:
    return namedtuple("Row", names, rename=True)


_CALLERS = object()  # the value comes from the caller's parameters
