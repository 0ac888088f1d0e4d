"""Fixtures: a fake Discord, and the real Nexus bot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN, Nexus
from tests.fakediscord import FakeDiscord, RateLimits


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    # Discord's real buckets, with windows scaled down 10x so tests stay fast.
    async with FakeDiscord(bot_token=TOKEN, rate_limits=RateLimits(scale=0.1)) as server:
        yield server


@pytest.fixture
async def bare_nexus(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Nexus]:
    """The bot running in a server where `/nexus setup` has not been run yet."""
    nexus = Nexus(fake, tmp_path)
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
