"""Fixtures: a fake Discord, and the real Nexus bot connected to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN, Nexus
from tests.fakediscord import FakeDiscord, RateLimits
from tests.postgres import fresh_database

#: A PostgreSQL server URL: when set, every end-to-end test runs on a fresh database there
#: (`python -m tests.postgres pytest tests/e2e`, as CI does); otherwise on SQLite.
E2E_POSTGRES = "NEXUS_E2E_POSTGRES_URL"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    # Discord's real buckets, with windows scaled down 10x so tests stay fast.
    async with FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(scale=0.1)) as server:
        yield server


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """The test's own database: SQLite in `tmp_path`, or a fresh PostgreSQL database."""
    server = os.environ.get(E2E_POSTGRES)
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path / 'nexus.db'}"
        return
    async with fresh_database(server) as url:
        yield url


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database (the test is skipped without PostgreSQL)."""
    async with fresh_database(os.environ.get(E2E_POSTGRES) or postgres_url) as url:
        yield url


@pytest.fixture
async def bare_nexus(fake: FakeDiscord, tmp_path: Path, database_url: str) -> AsyncIterator[Nexus]:
    """The bot running in a server where `/nexus setup` has not been run yet."""
    nexus = Nexus(fake, tmp_path, database=database_url)
    with fake.patched_discord():
        await nexus.start()
        try:
            yield nexus
        finally:
            await nexus.stop()
    fake.assert_clean()


@pytest.fixture
async def nexus(bare_nexus: Nexus) -> Nexus:
    """The bot running in a server a moderator has set up."""
    await bare_nexus.setup()
    return bare_nexus
