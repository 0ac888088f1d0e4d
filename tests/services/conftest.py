"""A migrated database per test (SQLite, and PostgreSQL when the machine has it), a movable
clock, and a configured server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import migrate
from bot.db.engine import Sessions, create_engine, create_sessionmaker
from bot.db.models import GuildConfig

GUILD = 1000


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 19, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Sessions]:
    postgres = request.param == "postgresql"
    if postgres:
        engine = create_engine(request.getfixturevalue("postgres_url"))
        await migrate.downgrade(engine, "base")  # the database is shared by the session
    else:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await migrate.upgrade(engine)
    factory = create_sessionmaker(engine)
    async with factory.begin() as session:
        session.add(
            GuildConfig(
                guild_id=GUILD,
                channel_id=1,
                timezone="UTC",
                allow_custom_projects=False,
                max_partners=1,
                request_expiry_hours=24,
                reminder_grace_hours=12,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    try:
        yield factory
    finally:
        if postgres:
            await migrate.downgrade(engine, "base")
        await engine.dispose()
