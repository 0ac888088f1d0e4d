"""Server settings and catalogs are served from memory and stay true when they change: at once
in the process that changed them, and (PostgreSQL) in every other process on the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, create_sessionmaker
from bot.db.models import GuildConfig
from bot.services.container import Services, build_services
from bot.settings import Settings
from tests.services.conftest import GUILD, FakeClock


def statements(engine: AsyncEngine) -> list[str]:
    """Every SQL statement the engine runs from now on."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    return seen


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the change was never seen"
        await asyncio.sleep(0.02)


async def test_settings_are_read_once_then_served_from_memory(
    services: Services, engine: AsyncEngine
) -> None:
    await services.guilds.get(GUILD)
    seen = statements(engine)
    for _ in range(5):
        config = await services.guilds.require(GUILD)
        assert config.max_partners == 1
    assert seen == []


async def test_a_settings_change_is_seen_at_once_by_its_process(services: Services) -> None:
    assert (await services.guilds.require(GUILD)).max_partners == 1
    await services.guilds.update_settings(GUILD, {"max_partners": 3, "timezone": "Africa/Lagos"})
    config = await services.guilds.require(GUILD)
    assert (config.max_partners, config.timezone) == (3, "Africa/Lagos")


async def test_a_rolled_back_change_leaves_the_cache_alone(services: Services) -> None:
    before = await services.guilds.require(GUILD)
    with pytest.raises(RuntimeError):
        async with services.sessions.begin() as session:
            row = await session.get(GuildConfig, GUILD)
            assert row is not None
            row.max_partners = 4
            await services.changes.publish(session, "settings", GUILD)
            raise RuntimeError("abandoned")
    assert await services.guilds.require(GUILD) is before
    assert before.max_partners == 1


async def test_a_catalog_change_is_seen_at_once_by_its_process(services: Services) -> None:
    assert not services.catalog.suggest(GUILD, "Library Inventory")
    await services.catalog.add(GUILD, 1, "Library Inventory")
    assert [c.name for c in services.catalog.suggest(GUILD, "Library Inventory")][:1]
    index = await services.catalog.index(GUILD)
    assert index.exact("Library Inventory") is not None


@pytest.fixture
async def second_process(engine: AsyncEngine, clock: FakeClock) -> AsyncIterator[Services]:
    """Another container on the same PostgreSQL database, as a second bot process has."""
    if engine.dialect.name != "postgresql":
        pytest.skip("several processes share a database on PostgreSQL only")
    url = engine.url.render_as_string(hide_password=False)
    other_engine = create_engine(url)
    other = build_services(
        Settings(token="t" * 40, database_url=url),
        create_sessionmaker(other_engine),
        clock,
        AsyncIOScheduler(),
    )
    await other.changes.start()
    try:
        yield other
    finally:
        await other.changes.stop()
        other.reads.close()
        await other_engine.dispose()


async def test_another_process_sees_settings_and_catalog_changes(
    services: Services, second_process: Services
) -> None:
    await services.changes.start()
    try:
        other = second_process
        assert (await other.guilds.require(GUILD)).max_partners == 1
        await other.catalog.load_all()
        assert not other.catalog.suggest(GUILD, "Library Inventory")

        await services.guilds.update_settings(GUILD, {"max_partners": 2})
        await services.catalog.add(GUILD, 1, "Library Inventory")

        async def settings_seen() -> bool:
            return (await other.guilds.require(GUILD)).max_partners == 2

        async def catalog_seen() -> bool:
            return bool(other.catalog.suggest(GUILD, "Library Inventory"))

        await eventually(settings_seen)
        await eventually(catalog_seen)
        assert (await other.catalog.index(GUILD)).exact("Library Inventory") is not None

        # and back the other way
        await other.guilds.update_settings(GUILD, {"allow_custom_projects": True})

        async def seen_back() -> bool:
            return (await services.guilds.require(GUILD)).allow_custom_projects

        await eventually(seen_back)
    finally:
        await services.changes.stop()


async def test_a_lost_listener_connection_clears_the_caches(
    services: Services, second_process: Services
) -> None:
    other = second_process
    first = await other.guilds.require(GUILD)
    connection = other.changes._connection
    assert connection is not None
    connection.terminate()  # as if the database restarted

    async def dropped() -> bool:
        return await other.guilds.require(GUILD) is not first

    await eventually(dropped)

    async def listening_again() -> bool:
        return other.changes._listening.is_set()

    await eventually(listening_again)
