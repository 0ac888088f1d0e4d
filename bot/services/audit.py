"""The audit trail: every moderator change is stored, and its mod-log lines with it.

Services call `record(...)`, inside the unit of work that makes the change where they can
(`session=`), so a change, its entry and its mod-log post commit together or not at all. The
post waits in the outbox (kind `AUDIT_KIND`) until the mod-log poster in `bot/effects/audit.py`
sends it: retried when Discord fails, kept across a stop, sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, InitVar, dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import AuditEntry, GuildConfig
from bot.domain.audit import ACTION_LIMIT, AuditRecord, Change, clip
from bot.services.outbox import OutboxService
from bot.services.rows import from_row

log = logging.getLogger(__name__)

NameLookup = Callable[[int, int], str | None]  # (guild id, user id) -> display name

#: The outbox kind of a batch of audit lines for one server's mod-log.
AUDIT_KIND = "audit"


def _record(row: AuditEntry) -> AuditRecord:
    return from_row(AuditRecord, row, old=row.old_value, new=row.new_value, at=row.created_at)


def post_args(records: Sequence[AuditRecord]) -> dict[str, object]:
    """A batch of lines as an outbox post keeps them (JSON)."""
    return {
        "lines": [
            {
                "actor_id": r.actor_id,
                "action": r.action,
                "old": r.old,
                "new": r.new,
                "at": r.at.isoformat(),
            }
            for r in records
        ]
    }


def posted_lines(guild_id: int, args: dict[str, object]) -> list[AuditRecord]:
    """The batch back from an outbox post, as records to render."""
    lines = args.get("lines")
    records = []
    for line in lines if isinstance(lines, list) else []:
        actor = line.get("actor_id")
        records.append(
            AuditRecord(
                guild_id=guild_id,
                actor_id=None if actor is None else int(actor),
                actor_name="",
                action=str(line.get("action", "")),
                old=str(line.get("old", "")),
                new=str(line.get("new", "")),
                at=datetime.fromisoformat(str(line.get("at"))),
            )
        )
    return records


class AuditTrail:
    def __init__(
        self, sessions: Sessions, clock: Clock, outbox: OutboxService | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._outbox = outbox
        self._wake: Callable[[], None] | None = None
        self._names: NameLookup | None = None

    def attach(self, wake: Callable[[], None], names: NameLookup | None = None) -> None:
        """`wake()` is called once recorded lines are committed to the outbox; `names` gives the
        actor's display name."""
        self._wake = wake
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
        self,
        guild_id: int,
        actor_id: int | None,
        changes: Sequence[Change],
        *,
        session: AsyncSession | None = None,
    ) -> list[AuditRecord]:
        """Store the changes (nothing when there are none) with their mod-log post: in
        `session`'s unit of work when given, else in one of its own."""
        if not changes:
            return []
        if session is not None:
            records = await self._stage(session, guild_id, actor_id, changes)
            if self._wake is not None:
                event.listen(session.sync_session, "after_commit", self._committed, once=True)
            return records
        async with self._sessions.begin() as own:
            records = await self._stage(own, guild_id, actor_id, changes)
        self._committed()
        return records

    def _committed(self, *_: object) -> None:
        if self._wake is not None:
            self._wake()

    async def _stage(
        self,
        session: AsyncSession,
        guild_id: int,
        actor_id: int | None,
        changes: Sequence[Change],
    ) -> list[AuditRecord]:
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
        session.add_all(rows)
        records = [_record(row) for row in rows]
        if self._outbox is not None:
            mod_log = await session.scalar(
                select(GuildConfig.mod_log_channel_id).where(GuildConfig.guild_id == guild_id)
            )
            if mod_log is not None:  # `/nexus show` tells moderators the mod-log is not set
                self._outbox.stage(
                    session, guild_id, AUDIT_KIND, channel_id=mod_log, args=post_args(records)
                )
        return records

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
