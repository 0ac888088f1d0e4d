"""The fake shards like Discord: each guild's events go to the session of its shard."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.timeout(30)


class ShardClient(discord.Client):
    def __init__(self, shard_id: int) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.members = True
        super().__init__(intents=intents, shard_id=shard_id, shard_count=2)
        self.joined: list[int] = []

    async def on_member_join(self, member: discord.Member) -> None:
        self.joined.append(member.id)


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, *clients: discord.Client) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(c.start(fake.bot_token)) for c in clients]
    try:
        await fake.wait_until_ready(timeout=10)
        yield
    finally:
        for client in clients:
            await client.close()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)


async def test_each_shard_gets_its_guilds_and_their_events(fake: FakeDiscord) -> None:
    first = fake.add_guild("Cohort A", shard=(0, 2))
    second = fake.add_guild("Cohort B", shard=(1, 2))
    assert (first.id >> 22) % 2 == 0 and (second.id >> 22) % 2 == 1
    with fake.patched_discord():
        zero, one = ShardClient(0), ShardClient(1)
        async with running(fake, zero, one):
            assert [g.id for g in zero.guilds] == [first.id]
            assert [g.id for g in one.guilds] == [second.id]
            assert fake.shard_count == 2 and fake.shard_of(second) == 1

            newcomer = second.add_member("wanjiku")
            await fake.flush()
            assert one.joined == [newcomer.id] and zero.joined == []

            # DMs and other guild-less events go to shard 0
            dm_session = fake.gateway.session_for(None)
            assert dm_session is not None and dm_session.shard_id == 0

            # a guild added later goes to its shard only
            third = fake.add_guild("Cohort C", shard=(1, 2))
            await fake.flush()
            assert one.get_guild(third.id) is not None and zero.get_guild(third.id) is None
    fake.assert_clean()


async def test_gateway_bot_recommends_the_configured_count(fake: FakeDiscord) -> None:
    fake.recommended_shards = 3
    async with aiohttp.ClientSession() as http:
        response = await http.get(
            f"{fake.api_base}/gateway/bot", headers={"Authorization": f"Bot {fake.bot_token}"}
        )
        body = await response.json()
    assert response.status == 200 and body["shards"] == 3


async def test_an_invalid_shard_is_refused(fake: FakeDiscord) -> None:
    with fake.patched_discord():
        client = discord.Client(intents=discord.Intents.none(), shard_id=2, shard_count=2)
        task = asyncio.create_task(client.start(fake.bot_token))
        try:
            with pytest.raises(discord.ConnectionClosed):
                await asyncio.wait_for(task, 10)
        finally:
            await client.close()
    assert fake.gateway.shards == {}
