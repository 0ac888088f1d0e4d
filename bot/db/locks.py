"""Cluster-wide locks for the moments several bot processes must take turns.

On PostgreSQL these are advisory locks: a process that dies releases them with its connection.
SQLite serves one bot process, so there is nobody to wait for and the locks are no-ops.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = "nexus:migrations"
COMMAND_SYNC = "nexus:command-sync"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def lock_transaction(connection: AsyncConnection, name: str) -> None:
    """Hold `name` until the connection's current transaction ends (waits for the holder)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)}
        )


@asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """One process at a time in the block, across every process on this database."""
    if not is_postgres(engine):
        yield
        return
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)}
            )
            await connection.commit()
