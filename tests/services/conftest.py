"""Services against a real, migrated database per test (SQLite, and PostgreSQL when the
machine has it), with a clock the test controls and one configured server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import migrate
from bot.db.engine import Sessions, create_engine, create_sessionmaker
from bot.db.models import GuildConfig
from bot.services.container import Services, build_services
from bot.services.guilds import SetupRoles
from bot.settings import Settings

GUILD = 1000
CHANNEL = 2000


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, tzinfo=UTC)

    @property
    def at(self) -> datetime:
        return self.current

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


StepClock = FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database: SQLite, and PostgreSQL when the machine has it."""
    postgres = request.param == "postgresql"
    if postgres:
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
    created = create_engine(url)
    if postgres:
        await migrate.downgrade(created, "base")  # one database serves the whole session
    await migrate.upgrade(created)
    try:
        yield created
    finally:
        if postgres:
            await migrate.downgrade(created, "base")  # the next test starts from empty
        await created.dispose()


@pytest.fixture
async def services(engine: AsyncEngine, clock: FakeClock) -> AsyncIterator[Services]:
    """Every service, built as the bot builds them, with a server set up (catalog seeded)."""
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(token="t" * 40, database_url=url)
    built = build_services(settings, create_sessionmaker(engine), clock, AsyncIOScheduler())
    try:
        await built.guilds.setup(
            GUILD, CHANNEL, SetupRoles(backend_role_id=11, frontend_role_id=12), by_user=1
        )
        yield built
    finally:
        built.reads.close()


@pytest.fixture
async def sessions(engine: AsyncEngine, clock: FakeClock) -> Sessions:
    """A session factory with one configured server and an empty catalog."""
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
    return factory
