"""`/healthz` and `/metrics` of one bot process (`NEXUS_HTTP_PORT`), through the fake Discord."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import Nexus
from tests.e2e.test_matching import announced, request_pair
from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def served(fake: FakeDiscord, tmp_path: Path, database_url: str) -> AsyncIterator[Nexus]:
    nexus = Nexus(fake, tmp_path, database=database_url)
    with fake.patched_discord():
        await nexus.start(http_port=free_port())
        try:
            await nexus.setup()
            yield nexus
        finally:
            await nexus.stop()
    fake.assert_clean()


async def get(nexus: Nexus, path: str) -> tuple[int, str]:
    assert nexus.bot is not None and nexus.bot.health is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{nexus.bot.health.port}{path}") as response:
            return response.status, await response.text()


def sample(body: str, key: str) -> float:
    for line in body.splitlines():
        if line.startswith(key + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_healthz_reports_shards_database_and_reminder_lag(served: Nexus) -> None:
    status, body = await get(served, "/healthz")
    report = json.loads(body)
    assert status == 200 and report["status"] == "ok"
    assert report["shards"] == {"0": True} and report["shard_count"] == 1
    assert report["database"] is True and report["reminder_lag_seconds"] == 0.0


async def test_healthz_is_503_when_the_database_is_gone(served: Nexus) -> None:
    assert served.bot is not None
    await served.bot.engine.dispose()
    original = served.bot.engine.pool.connect

    def refuse() -> None:
        raise OSError("database unreachable")

    served.bot.engine.sync_engine.pool.connect = refuse  # type: ignore[assignment,method-assign]
    try:
        status, body = await get(served, "/healthz")
    finally:
        served.bot.engine.sync_engine.pool.connect = original  # type: ignore[method-assign]
    assert status == 503 and json.loads(body)["database"] is False


async def test_metrics_count_commands_refusals_buttons_and_dm_fallbacks(served: Nexus) -> None:
    ok = await served.invoke("tobi", "reminders", setting="dm")
    assert ok.ephemeral
    refused = await served.invoke("mod", "nexus settings", timezone="Mars/Olympus")
    assert refused.ephemeral and "not a time zone" in refused.text
    tobi = await announced(served, "tobi", "backend")
    await announced(served, "wanjiku", "frontend", dms_open=False)
    invite = await request_pair(served, tobi, "wanjiku")  # her DMs are closed: a mention
    assert not invite.channel.is_dm

    status, body = await get(served, "/metrics")
    assert status == 200
    assert sample(body, 'nexus_interactions_total{command="reminders",outcome="ok"}') == 1
    refusals = 'nexus_interactions_total{command="nexus settings",outcome="refused"}'
    assert sample(body, refusals) == 1
    assert sample(body, 'nexus_interactions_total{command="announce-project",outcome="ok"}') == 2
    buttons = 'nexus_interactions_total{command="component:nexus",outcome="received"}'
    assert sample(body, buttons) == 1
    assert sample(body, "nexus_interaction_seconds_count") >= 5
    assert sample(body, "nexus_dm_fallbacks_total") == 1
    assert 'nexus_gateway_latency_seconds{shard="0"}' in body
    assert "nexus_db_pool_in_use" in body and "nexus_reminders_total" in body


async def test_the_docker_health_command_asks_healthz(served: Nexus) -> None:
    assert served.bot is not None and served.bot.health is not None
    env = {
        **os.environ,
        "NEXUS_HTTP_PORT": str(served.bot.health.port),
        "DATABASE_URL": served.database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "health", cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0 and json.loads(output)["status"] == "ok"

    env["NEXUS_HTTP_PORT"] = str(free_port())  # nobody answers there
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "health", cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1 and b"no answer" in output
