"""Small persisted facts about the bot itself: synced command hash, liveness heartbeat."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.db.engine import Sessions
from bot.db.models import AppState


class AppStateService:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    async def get(self, key: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(AppState, key)
            return row.value if row else None

    async def set(self, key: str, value: str) -> None:
        try:
            await self._set(key, value)
        except IntegrityError:  # another process inserted the key at the same moment
            await self._set(key, value)

    async def _set(self, key: str, value: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(AppState, key)
            if row is None:
                session.add(AppState(key=key, value=value))
            else:
                row.value = value

    async def heartbeat(self, now: datetime, *, connected: bool) -> None:
        await self.set("heartbeat", json.dumps({"at": now.isoformat(), "connected": connected}))
