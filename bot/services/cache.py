"""Per-server values kept in memory, read from the database on first use and dropped on change.

Changes arrive through `bot.db.changes.ChangeFeed` (this process's commits at once, other
processes' through PostgreSQL NOTIFY). A load that was under way when its server changed is
served to its caller but not kept, so a stale read can't outlive the change that overtook it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GuildCache(Generic[T]):
    def __init__(self, load: Callable[[int], Awaitable[T]]) -> None:
        self._load = load
        self._values: dict[int, T] = {}
        self._generations: dict[int, int] = {}
        self._epoch = 0  # bumped when everything is dropped

    async def get(self, guild_id: int) -> T:
        if guild_id in self._values:
            return self._values[guild_id]
        seen = (self._epoch, self._generations.get(guild_id, 0))
        value = await self._load(guild_id)
        if (self._epoch, self._generations.get(guild_id, 0)) == seen:
            self._values[guild_id] = value
        return value

    def peek(self, guild_id: int) -> T | None:
        return self._values.get(guild_id)

    def invalidate(self, guild_id: int | None) -> None:
        """Forget one server's value (None: every server's)."""
        if guild_id is None:
            self._epoch += 1
            self._values.clear()
            return
        self._generations[guild_id] = self._generations.get(guild_id, 0) + 1
        self._values.pop(guild_id, None)
