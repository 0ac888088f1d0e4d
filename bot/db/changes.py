"""Tell every process that a server's cached settings or catalog changed.

A writer calls `await changes.publish(session, topic, guild_id)` inside its transaction. Once that
transaction commits, this process's subscribers hear of it at once (an in-process call); on
PostgreSQL the same transaction also sends `NOTIFY nexus_changes`, which PostgreSQL delivers at
commit (and never for a rolled-back transaction) to every process listening on its own asyncpg
connection. While that connection is down a change could be missed, so every cache is cleared when
it drops and again once it listens again.

SQLite serves one process per database file, so the in-process path is all it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

CHANNEL = "nexus_changes"
Topic = Literal["settings", "catalog"]
TOPICS: tuple[Topic, ...] = ("settings", "catalog")
# Called with the server whose data changed, or None: anything may have changed.
Subscriber = Callable[[int | None], None]
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)
_PENDING = "nexus_changes_pending"


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain `postgresql://` DSN for asyncpg, or None for another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeFeed:
    def __init__(self, database_url: str) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._origin = secrets.token_hex(6)  # our own NOTIFYs were already delivered locally
        self._subscribers: dict[Topic, list[Subscriber]] = {topic: [] for topic in TOPICS}
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closing = False

    @property
    def shared(self) -> bool:
        """Whether other processes may share the database (PostgreSQL)."""
        return self._dsn is not None

    def subscribe(self, topic: Topic, subscriber: Subscriber) -> None:
        self._subscribers[topic].append(subscriber)

    async def publish(self, session: AsyncSession, topic: Topic, guild_id: int) -> None:
        """Announce, as part of `session`'s transaction, that `topic` changed for the server."""
        sync_session = session.sync_session
        pending: set[tuple[Topic, int]] | None = sync_session.info.get(_PENDING)
        if pending is None:
            pending = sync_session.info[_PENDING] = set()
            event.listen(sync_session, "after_commit", self._after_commit, once=True)
            event.listen(sync_session, "after_rollback", self._after_rollback, once=True)
        if (topic, guild_id) in pending:
            return
        pending.add((topic, guild_id))
        if self._dsn is not None:
            payload = f"{topic}:{guild_id}:{self._origin}"
            await session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": payload},
            )

    def _after_commit(self, sync_session: Any) -> None:
        for topic, guild_id in sync_session.info.pop(_PENDING, ()):
            self._deliver(topic, guild_id)

    @staticmethod
    def _after_rollback(sync_session: Any) -> None:
        sync_session.info.pop(_PENDING, None)

    def _deliver(self, topic: Topic, guild_id: int | None) -> None:
        for subscriber in self._subscribers[topic]:
            try:
                subscriber(guild_id)
            except Exception:  # one cache's bug must not stop the others hearing of it
                log.exception("cache invalidation for %s failed", topic)

    def _deliver_all(self) -> None:
        for topic in TOPICS:
            self._deliver(topic, None)

    # ---- PostgreSQL: LISTEN on a connection of our own ---------------------------------------

    async def start(self) -> None:
        """Listen for other processes' changes (PostgreSQL); returns once listening."""
        if self._dsn is None or self._task is not None:
            return
        self._closing = False
        self._task = asyncio.create_task(self._listen_forever(), name="nexus-change-feed")
        await asyncio.wait_for(self._listening.wait(), 30)

    async def stop(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self._close_connection()

    async def _listen_forever(self) -> None:
        import asyncpg

        attempt = 0
        while not self._closing:
            lost = asyncio.Event()
            try:
                self._connection = await asyncpg.connect(self._dsn)
                self._connection.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await self._connection.add_listener(CHANNEL, self._on_notify)
            except (OSError, asyncpg.PostgresError) as error:
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("change feed: can't listen (%s); retrying in %.1f s", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            attempt = 0
            self._deliver_all()  # anything may have changed while we weren't listening
            self._listening.set()
            await lost.wait()
            self._listening.clear()
            self._deliver_all()
            log.warning("change feed: connection lost; reconnecting")
            await self._close_connection()

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        name, _, rest = payload.partition(":")
        guild, _, origin = rest.partition(":")
        topic = next((known for known in TOPICS if known == name), None)
        if topic is None or origin == self._origin or not guild.isdigit():
            return
        self._deliver(topic, int(guild))

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=5)
