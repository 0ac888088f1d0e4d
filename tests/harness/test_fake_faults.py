"""Self-tests of the fake's fault injection (`tests/fakediscord/faults.py`), with the real
discord.py HTTP client and gateway (the tiny bot)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord
from tests.harness.support import Scene
from tests.harness.tinybot import TinyBot

MESSAGES = "POST /channels/{channel_id}/messages"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_error_on_one_route(fake: FakeDiscord, scene: Scene, status: int) -> None:
    fake.faults.fail(MESSAGES, status=status)
    url = f"{fake.api_base}/channels/{scene.channel.id}/messages"
    headers = {"Authorization": f"Bot {fake.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(url, json={"content": "hi"}) as first:
            assert first.status == status
        async with http.get(f"{fake.api_base}/channels/{scene.channel.id}") as other_route:
            assert other_route.status == 200
        async with http.post(url, json={"content": "hi"}) as second:
            assert second.status == 200
    assert len(fake.messages(scene.channel)) == 1


async def test_502_once_is_retried_by_discord_py(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    fake.faults.fail(MESSAGES, status=502)
    await bot.get_partial_messageable(scene.channel.id).send("hello")
    assert len(fake.messages(scene.channel)) == 1


async def test_503_twice_then_handled(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    fake.faults.fail(MESSAGES, status=503, times=2)
    channel = bot.get_partial_messageable(scene.channel.id)
    for _ in range(2):
        with pytest.raises(discord.DiscordServerError):
            await channel.send("hello")  # discord.py does not retry 503
    await channel.send("hello")
    assert [c.status for c in fake.calls_to("POST", "/channels/{channel_id}/messages")] == [
        503,
        503,
        200,
    ]
    assert fake.faults.count("status") == 2


async def test_a_fault_for_one_channel_or_for_threads_made_later(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    general = next(c for c in scene.guild.channels if c.name == "general")
    old_thread = scene.guild.add_thread(scene.channel, "before")
    fake.faults.fail(MESSAGES, channel=general.id, times=None)
    fake.faults.fail(MESSAGES, new="thread", times=None)
    later = scene.guild.add_text_channel("later")
    new_thread = scene.guild.add_thread(scene.channel, "after")
    for ok in (scene.channel, old_thread, later):
        await bot.get_partial_messageable(ok.id).send("fine")
    for refused in (general, new_thread):
        with pytest.raises(discord.DiscordServerError):
            await bot.get_partial_messageable(refused.id).send("refused")
    assert fake.faults.count("status") == 2


async def test_slow_answer(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    fake.faults.slow(MESSAGES, seconds=0.5)
    started = time.monotonic()
    await bot.get_partial_messageable(scene.channel.id).send("late")
    assert time.monotonic() - started >= 0.5
    assert len(fake.messages(scene.channel)) == 1


async def test_connection_reset_handles_nothing(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    fake.faults.reset(MESSAGES)
    with pytest.raises((aiohttp.ClientError, OSError)):
        await bot.get_partial_messageable(scene.channel.id).send("lost")
    assert fake.messages(scene.channel) == []
    assert fake.calls_to("POST", "/channels/{channel_id}/messages")[0].status == 0


async def test_rate_limit_storm_on_every_route_is_waited_out(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    fake.faults.rate_limit_storm(for_seconds=0.6, retry_after=0.2)
    channel = bot.get_partial_messageable(scene.channel.id)
    await asyncio.gather(channel.send("one"), bot.fetch_channel(scene.channel.id))
    assert fake.rate_limited_count >= 2
    assert len(fake.messages(scene.channel)) == 1


async def test_gateway_drop_during_a_request_resumes(
    fake: FakeDiscord, scene: Scene, bot: TinyBot
) -> None:
    resumes = fake.resume_count
    fake.faults.drop_gateway_on(MESSAGES)
    await bot.get_partial_messageable(scene.channel.id).send("mid-command")
    await fake.gateway.changed.wait_for(lambda: fake.resume_count > resumes, 10)
    await fake.wait_until_ready(timeout=10)
    assert len(fake.messages(scene.channel)) == 1


async def test_unreachable_then_back(fake: FakeDiscord, scene: Scene, bot: TinyBot) -> None:
    fake.faults.unreachable()
    with pytest.raises((aiohttp.ClientError, OSError)):
        await bot.fetch_channel(scene.channel.id)
    fake.faults.clear()
    assert (await bot.fetch_channel(scene.channel.id)).id == scene.channel.id
