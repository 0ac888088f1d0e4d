"""The outbox: posts Nexus makes outside an interaction reply (announcement cards and their
edits, mod-log lines, thread kickoffs) that Discord did not take. Each waits in the database
until a sender claims it, is retried with backoff and the same nonce, and ends `sent` or
`failed` (reported once). No Discord here: `bot/effects/outbox.py` does the sending.

Who sends a post is decided by the one claim machinery (`bot.services.claims`): a process
claims due posts, its lease is renewed while it lives, and when it dies the posts it held are
free again (at once on SQLite's next start, after the lease on PostgreSQL), so each post has
exactly one sender at a time and none is lost."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Sessions
from bot.db.models import OutboxPost
from bot.domain.outbox import new_nonce, retry_at
from bot.services.claims import Claims

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    guild_id: int
    kind: str
    key: str | None
    channel_id: int | None
    args: dict[str, Any]
    nonce: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of a failed try: retried at `retry_at`, or given up (`retry_at` None)."""

    item: OutboxItem
    retry_at: datetime | None
    error: str


def _item(row: OutboxPost) -> OutboxItem:
    return OutboxItem(
        row.id,
        row.guild_id,
        row.kind,
        row.key,
        row.channel_id,
        dict(row.args or {}),
        row.nonce or new_nonce(row.kind, row.id),
        row.attempts,
    )


class OutboxService:
    def __init__(
        self,
        sessions: Sessions,
        claims: Claims,
        *,
        first_retry: timedelta = timedelta(seconds=5),
        wall: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._sessions = sessions
        self._claims = claims
        self._first_retry = first_retry
        # Retries follow real time (how long Discord has been given to recover), not the
        # product clock that tests move.
        self._now = wall

    async def enqueue(
        self,
        guild_id: int,
        kind: str,
        *,
        key: str | None = None,
        channel_id: int | None = None,
        args: dict[str, Any] | None = None,
        nonce: str | None = None,
        first_error: str | None = None,
    ) -> OutboxItem:
        """Keep a post to send: due now, or, when a first try already failed (`first_error`,
        with its `nonce`), after the first retry delay. A pending post with the same `key` is
        updated instead of doubled."""
        now = self._now()
        attempts = 0 if first_error is None else 1
        due = now if attempts == 0 else retry_at(1, now, first_delay=self._first_retry)
        async with self._sessions.begin() as session:
            row = None
            if key is not None:
                row = await session.scalar(
                    select(OutboxPost).where(OutboxPost.key == key, OutboxPost.status == "pending")
                )
            if row is None:
                row = OutboxPost(
                    guild_id=guild_id,
                    kind=kind,
                    key=key,
                    created_at=now,
                    attempts=attempts,
                    nonce=nonce,
                    next_attempt_at=due or now,
                    last_error=first_error,
                )
                session.add(row)
            row.channel_id, row.args = channel_id, dict(args or {})
            await session.flush()
            if row.nonce is None:
                row.nonce = new_nonce(kind, row.id)
            return _item(row)

    def stage(
        self,
        session: AsyncSession,
        guild_id: int,
        kind: str,
        *,
        channel_id: int | None,
        args: dict[str, Any],
    ) -> None:
        """Keep a post to send as part of the caller's unit of work: it exists exactly when
        that work commits, so a change and the post that tells of it are never parted. Its
        nonce follows from its id when it is first claimed."""
        now = self._now()
        row = OutboxPost(
            guild_id=guild_id,
            kind=kind,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
            channel_id=channel_id,
            args=dict(args),
        )
        session.add(row)

    async def pending(self, key: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(OutboxPost.id).where(OutboxPost.key == key, OutboxPost.status == "pending")
            )
            return found is not None

    async def claim(self, *, limit: int = 20) -> list[OutboxItem]:
        """Take up to `limit` due posts for this process: `FOR UPDATE SKIP LOCKED` on
        PostgreSQL and a compare-and-set everywhere (`Claims`), so no other process gets them
        while this one holds them."""
        claims = self._claims
        pending = OutboxPost.status == "pending"
        async with self._sessions.begin() as session:
            ids = (
                await session.scalars(
                    claims.lock(
                        select(OutboxPost.id)
                        .where(pending, OutboxPost.next_attempt_at <= self._now())
                        .where(claims.free(OutboxPost))
                        .order_by(OutboxPost.next_attempt_at, OutboxPost.id)
                        .limit(limit)
                    )
                )
            ).all()
            if not await claims.take(session, OutboxPost, ids, also=[pending]):
                return []
            rows = await session.scalars(
                select(OutboxPost)
                .where(OutboxPost.id.in_(ids), OutboxPost.claimed_by == claims.owner)
                .order_by(OutboxPost.next_attempt_at, OutboxPost.id)
                .execution_options(populate_existing=True)
            )
            return [_item(row) for row in rows.all()]

    async def next_due(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(OutboxPost.next_attempt_at)
                .where(OutboxPost.status == "pending")
                .order_by(OutboxPost.next_attempt_at)
                .limit(1)
            )

    async def sent(self, item: OutboxItem, message_id: int | None) -> None:
        await self._finish(item.id, "sent", message_id=message_id)

    async def failed(self, item: OutboxItem, error: str) -> Outcome:
        """A definite refusal (4xx): no retry can help."""
        await self._finish(item.id, "failed", error=error)
        return Outcome(item, None, error)

    async def retry(self, item: OutboxItem, error: str) -> Outcome:
        """A try whose outcome is unknown or temporary: again later, or give up."""
        now = self._now()
        attempts = item.attempts + 1
        when = retry_at(attempts, now, first_delay=self._first_retry)
        async with self._sessions.begin() as session:
            row = await session.get(OutboxPost, item.id)
            if row is None or row.status != "pending":
                return Outcome(item, None, error)
            row.attempts, row.last_error = attempts, error[:300]
            row.claimed_by = row.claim_expires_at = None
            if when is None:
                row.status, row.done_at = "failed", now
            else:
                row.next_attempt_at = when
        return Outcome(item, when, error)

    async def release(self, items: Sequence[OutboxItem]) -> None:
        """Hand back posts claimed but not tried (a stop): due again at once."""
        if not items:
            return
        async with self._sessions.begin() as session:
            await self._claims.release(
                session,
                OutboxPost,
                OutboxPost.id.in_([i.id for i in items]),
                OutboxPost.status == "pending",
            )

    async def _finish(
        self, post_id: int, status: str, *, message_id: int | None = None, error: str | None = None
    ) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(OutboxPost, post_id)
            if row is None:
                return
            row.status, row.done_at = status, self._now()
            row.claimed_by = row.claim_expires_at = None
            if message_id is not None:
                row.message_id = message_id
            if error is not None:
                row.last_error = error[:300]
