"""`Reads`: hot point reads on the event loop's own SQLite connection, always up to date."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.reads import Reads

READ = text("SELECT v FROM t WHERE id = :id")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    created = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}")
    async with created.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    try:
        yield created
    finally:
        await created.dispose()


async def test_reads_see_every_committed_write_at_once(engine: AsyncEngine) -> None:
    reads = Reads.of(create_sessionmaker(engine))
    try:
        assert reads._local is not None  # a SQLite file: read on the loop's connection
        assert await reads.rows(READ, {"id": 1}) == []
        for value in ("first", "second", "third"):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO t (id, v) VALUES (1, :v) ON CONFLICT (id) DO UPDATE SET v = :v"
                    ),
                    {"v": value},
                )
            assert [tuple(r) for r in await reads.rows(READ, {"id": 1})] == [(value,)]
    finally:
        reads.close()


async def test_the_loops_connection_cannot_write(engine: AsyncEngine) -> None:
    reads = Reads(engine)
    try:
        with pytest.raises(OperationalError, match="readonly"):
            await reads.rows(text("INSERT INTO t (id, v) VALUES (2, 'no')"))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    finally:
        reads.close()


async def test_a_busy_database_is_read_through_the_pool(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO t (id, v) VALUES (1, 'kept')"))
    reads = Reads(engine)
    await engine.dispose()  # the exclusive lock below needs every other connection closed
    # Another connection holds the database exclusively: the loop's read may not wait, so it
    # goes through the pool, whose connections wait (busy timeout) until the lock is gone.
    holder = sqlite3.connect(tmp_path / "reads.db", check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("UPDATE t SET v = 'kept' WHERE id = 1")
    holder.commit()
    asyncio.get_running_loop().call_later(0.3, holder.close)
    try:
        started = time.perf_counter()
        rows = await reads.rows(READ, {"id": 1})
        assert [tuple(r) for r in rows] == [("kept",)]
        assert time.perf_counter() - started >= 0.25  # it waited in the pool, not on the loop
    finally:
        reads.close()
        holder.close()


async def test_in_memory_database_reads_through_the_pool() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    reads = Reads(engine)
    try:
        assert reads._local is None  # a second connection would be another, empty database
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        assert await reads.rows(READ, {"id": 1}) == []
    finally:
        reads.close()
        await engine.dispose()
