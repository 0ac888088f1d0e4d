"""Services against a real (temporary) SQLite database, with a clock the test controls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.services.container import Services, build_services
from bot.services.guilds import SetupRoles
from bot.settings import Settings

GUILD = 1000
CHANNEL = 2000


class StepClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture(params=["sqlite", "postgresql"])
async def services(
    request: pytest.FixtureRequest, tmp_path: Path, clock: StepClock
) -> AsyncIterator[Services]:
    """Every service test runs on SQLite and, when the machine has it, on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    await migrate.upgrade(engine)
    settings = Settings(token="t" * 40, database_url=url)
    built = build_services(settings, create_sessionmaker(engine), clock, AsyncIOScheduler())
    await built.guilds.setup(
        GUILD, CHANNEL, SetupRoles(backend_role_id=11, frontend_role_id=12), by_user=1
    )
    try:
        yield built
    finally:
        if request.param != "sqlite":
            await migrate.downgrade(engine, "base")  # the next test starts from empty
        await engine.dispose()
