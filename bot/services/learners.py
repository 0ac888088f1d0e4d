"""Learners' own records: reminder preference (more in the learners capability)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import GuildConfig, Learner
from bot.errors import InvalidInput, NotConfigured

REMINDER_SETTINGS = ("on", "off", "dm")


async def get_or_create_learner(
    session: AsyncSession, guild_id: int, user_id: int, display_name: str, clock: Clock
) -> Learner:
    """The learner row for a member, created on first use (they then count as 'used Nexus')."""
    learner = await session.scalar(
        select(Learner).where(Learner.guild_id == guild_id, Learner.user_id == user_id)
    )
    now = clock.now()
    if learner is None:
        learner = Learner(
            guild_id=guild_id,
            user_id=user_id,
            display_name=display_name[:100],
            reminders="on",
            active=True,
            first_seen_at=now,
            updated_at=now,
        )
        session.add(learner)
        await session.flush()
    elif display_name and learner.display_name != display_name[:100]:
        learner.display_name = display_name[:100]
    return learner


class LearnerService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def set_reminders(
        self, guild_id: int, user_id: int, display_name: str, setting: str
    ) -> Learner:
        if setting not in REMINDER_SETTINGS:
            raise InvalidInput("Reminders can be `on`, `off` or `dm`.")
        async with self._sessions.begin() as session:
            if await session.get(GuildConfig, guild_id) is None:
                raise NotConfigured()
            learner = await get_or_create_learner(
                session, guild_id, user_id, display_name, self._clock
            )
            learner.reminders = setting
            learner.updated_at = self._clock.now()
        return learner
