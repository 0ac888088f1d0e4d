"""Fixtures for the fake Discord self-tests: a fake server and the tiny bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `tests` is a namespace package rooted at the repo
    sys.path.insert(0, str(REPO_ROOT))

from tests.fakediscord import FakeDiscord, RateLimits  # noqa: E402
from tests.harness.support import Scene, build_scene  # noqa: E402
from tests.harness.tinybot import TinyBot  # noqa: E402


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    # Scaled-down rate-limit windows keep the pacing test fast while staying realistic.
    async with FakeDiscord(rate_limits=RateLimits(scale=0.1)) as server:
        yield server


@pytest.fixture
def scene(fake: FakeDiscord) -> Scene:
    return build_scene(fake)


@pytest.fixture
async def bot(fake: FakeDiscord, scene: Scene) -> AsyncIterator[TinyBot]:
    with fake.patched_discord():
        client = TinyBot()
        task = asyncio.create_task(client.start(fake.bot_token))
        try:
            await fake.wait_until_ready(timeout=10)
            await fake.wait_for_commands("echo", "nexus", timeout=10)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)


@pytest.fixture
async def scene_free_fake() -> AsyncIterator[FakeDiscord]:
    """A fake with 50 ms heartbeats and no pre-built scene."""
    async with FakeDiscord(heartbeat_interval_ms=50) as server:
        yield server
