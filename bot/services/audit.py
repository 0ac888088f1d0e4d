"""The audit trail: every moderator change is stored, then handed to whoever posts it.

Services call `record(...)` after their unit of work commits; the mod-log poster (in
`bot/effects/audit.py`) is attached when the cogs load and posts in the background. Posting
is best effort: a change is stored even when the mod-log can't be reached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, InitVar, dataclass

from sqlalchemy import select

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import AuditEntry
from bot.domain.audit import ACTION_LIMIT, AuditRecord, Change, clip
from bot.services.rows import from_row

log = logging.getLogger(__name__)

AuditListener = Callable[[Sequence[AuditRecord]], Awaitable[None]]
NameLookup = Callable[[int, int], str | None]  # (guild id, user id) -> display name


def _record(row: AuditEntry) -> AuditRecord:
    return from_row(AuditRecord, row, old=row.old_value, new=row.new_value, at=row.created_at)


class AuditTrail:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._listeners: list[AuditListener] = []
        self._names: NameLookup | None = None
        self._posting: set[asyncio.Task[None]] = set()
        self._order = asyncio.Lock()

    def attach(self, listener: AuditListener, names: NameLookup | None = None) -> None:
        """Post recorded changes with `listener`; `names` gives the actor's display name."""
        self._listeners.append(listener)
        if names is not None:
            self._names = names

    def _actor_name(self, guild_id: int, actor_id: int | None) -> str:
        if actor_id is None or self._names is None:
            return ""
        try:
            return (self._names(guild_id, actor_id) or "")[:100]
        except Exception:  # a name is a nicety; the change is what matters
            log.exception("could not look up the name of %s", actor_id)
            return ""

    async def record(
        self, guild_id: int, actor_id: int | None, changes: Sequence[Change]
    ) -> list[AuditRecord]:
        """Store the changes (nothing when there are none) and hand them to the listeners."""
        if not changes:
            return []
        now = self._clock.now()
        name = self._actor_name(guild_id, actor_id)
        rows = [
            AuditEntry(
                guild_id=guild_id,
                actor_id=actor_id,
                actor_name=name,
                action=clip(change.action, ACTION_LIMIT),
                old_value=clip(change.old),
                new_value=clip(change.new),
                created_at=now,
            )
            for change in changes
        ]
        async with self._sessions.begin() as session:
            session.add_all(rows)
        records = [_record(row) for row in rows]
        if self._listeners:
            # posted in the background: a rate-limited mod-log must not hold up the reply
            task = asyncio.create_task(self._publish(records), name="nexus-audit-post")
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)
        return records

    async def _publish(self, records: Sequence[AuditRecord]) -> None:
        async with self._order:  # one batch after the other, in the order they were made
            for listener in self._listeners:
                try:
                    await listener(records)
                except Exception:
                    log.exception("could not post %d audit line(s)", len(records))

    async def drain(self) -> None:
        """Wait for the lines being posted (shutdown, tests)."""
        while self._posting:
            await asyncio.gather(*list(self._posting), return_exceptions=True)

    async def entries(self, guild_id: int) -> list[AuditRecord]:
        """The server's trail, oldest first (for `/nexus export`)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.guild_id == guild_id)
                .order_by(AuditEntry.created_at, AuditEntry.id)
            )
            return [_record(row) for row in rows]


@dataclass(eq=False)
class Audited:
    """The base of a service whose moderator changes are recorded: it holds the session
    factory and the clock, and the audit trail (by default, one on the same database)."""

    _sessions: Sessions
    _clock: Clock
    _: KW_ONLY
    audit: InitVar[AuditTrail | None] = None

    def __post_init__(self, audit: AuditTrail | None) -> None:
        self._audit = audit or AuditTrail(self._sessions, self._clock)
