"""An aiosqlite connection that runs each statement in one trip to its thread.

aiosqlite hands every call to the connection's own thread and waits for the answer: SQLAlchemy's
adapter makes four such trips per statement (open a cursor, execute, fetch, close), and one more
for the COMMIT or ROLLBACK that ends every unit of work, read-only ones included. Each trip wakes
the thread and then the event loop, which is most of what a short query costs under load. Here a
statement is opened, executed, fetched and closed in one trip (the rows are buffered, as
SQLAlchemy's adapter buffers them anyway), and COMMIT/ROLLBACK go to the thread only when a
transaction is open (sqlite3 does nothing otherwise, so skipping it changes nothing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import aiosqlite


class OneTripConnection(aiosqlite.Connection):
    def cursor(self) -> Any:  # SQLAlchemy awaits `__aenter__` of what this returns
        return OneTripCursor(self)

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await super().rollback()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` on the connection's thread."""
        return await self._execute(fn, *args)


def connector(database: str, **kwargs: Any) -> Callable[[], sqlite3.Connection]:
    return partial(sqlite3.connect, database, **kwargs)


async def connect(database: str, **kwargs: Any) -> OneTripConnection:
    connection = OneTripConnection(connector(database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    await connection
    return connection


class OneTripCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives: each execute is one trip."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Sequence[Any] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows = []

    def _run(self, conn: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> None:
        cursor = conn.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            self.description = cursor.description
            self._rows = cursor.fetchall() if cursor.description else []
            self.rowcount = cursor.rowcount
            self.lastrowid = cursor.lastrowid
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        conn = self._connection._conn
        await self._connection.run(self._run, conn, False, sql, parameters or ())
        return self

    async def executemany(self, sql: str, parameters: Any) -> OneTripCursor:
        conn = self._connection._conn
        await self._connection.run(self._run, conn, True, sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def close(self) -> None:
        self._rows = []
