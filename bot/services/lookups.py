"""The two lookups every service starts with: the server's configuration, and a learner."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildConfig, Learner
from bot.errors import NotConfigured


async def server_config(session: AsyncSession, guild_id: int) -> GuildConfig:
    """The server's configuration; `NotConfigured` before `/nexus setup`."""
    config = await session.get(GuildConfig, guild_id)
    if config is None:
        raise NotConfigured()
    return config


async def learner_by_user(session: AsyncSession, guild_id: int, user_id: int) -> Learner | None:
    """The learner a member is on a server, if Nexus knows them."""
    return await session.scalar(
        select(Learner).where(Learner.guild_id == guild_id, Learner.user_id == user_id)
    )
