"""Sends what waits in the outbox: one loop per process, claiming due posts (so exactly one
process sends each), trying each with its nonce, and reporting the posts it gives up on.

What a kind of post is — how to send it, whom to tell when it can't be — is registered by the
capability that owns it (`register`), so this loop knows nothing about cards or threads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord

from bot.services.outbox import OutboxItem, OutboxService, Outcome

log = logging.getLogger(__name__)

Send = Callable[[OutboxItem], Awaitable[int | None]]
Report = Callable[[Outcome], Awaitable[None]]

POLL_SECONDS = 30.0  # a safety net: wake() and the next due time normally drive the loop
STOP_GRACE_SECONDS = 3.0  # a stop lets the post being tried finish for this long

#: Errors after which the post may or may not exist: retried, with the same nonce.
TEMPORARY = (
    discord.DiscordServerError,
    aiohttp.ClientError,
    OSError,
    asyncio.TimeoutError,
)


@dataclass(eq=False)
class Posting:
    """The base of each capability that posts on Discord outside a command's reply: the client,
    the outbox a post waits in when Discord doesn't answer, and the sender that retries it
    (with which each registers its kinds of post, in `__post_init__`)."""

    _client: discord.Client
    _outbox: OutboxService
    _sender: OutboxSender

    async def _keep(
        self,
        guild_id: int,
        kind: str,
        key: str,
        *,
        channel_id: int,
        args: dict[str, Any],
        nonce: str,
        error: BaseException,
    ) -> None:
        """Keep a post Discord didn't answer (`error`) in the outbox, to be sent again with
        the same `nonce`, and wake the sender."""
        await self._outbox.enqueue(
            guild_id,
            kind,
            key=key,
            channel_id=channel_id,
            args=args,
            nonce=nonce,
            first_error=describe(error),
        )
        self._sender.wake()


class Undeliverable(Exception):
    """The post can never be sent (its channel is gone, the learner left...): give up now."""


def is_temporary(error: BaseException) -> bool:
    """5xx, a timeout, a dropped connection, or a 429 discord.py gave up waiting out."""
    if isinstance(error, discord.HTTPException) and not isinstance(
        error, discord.DiscordServerError
    ):
        return error.status == 429
    return isinstance(error, TEMPORARY)


def is_definite(error: discord.HTTPException) -> bool:
    """4xx answers (other than 429, which discord.py retries) mean nothing was created."""
    return 400 <= error.status < 500 and error.status != 429


def describe(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status} {error.text or type(error).__name__}"[:200]
    if isinstance(error, asyncio.TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"[:200]


@dataclass(frozen=True)
class Kind:
    send: Send
    report: Report | None


class OutboxSender:
    def __init__(self, service: OutboxService) -> None:
        self._service = service
        self._kinds: dict[str, Kind] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def register(self, kind: str, send: Send, report: Report | None = None) -> None:
        self._kinds[kind] = Kind(send, report)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="nexus-outbox")

    async def stop(self) -> None:
        """Let the post being tried finish and hand the claimed rest back, so another process
        (or this one, restarted) takes them at once; cancel only a try that hangs."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        if not done:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.send_due()
                wait = await self._until_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away (a restart): try again shortly
                log.warning("outbox: could not read pending posts; trying again", exc_info=True)
                wait = 5.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _until_next(self) -> float:
        due = await self._service.next_due()
        if due is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.0, (due - datetime.now(UTC)).total_seconds()))

    async def send_due(self) -> int:
        """Try every post that is due now; how many were tried."""
        tried = 0
        while not self._stopping:
            items = await self._service.claim()
            if not items:
                return tried
            for index, item in enumerate(items):
                if self._stopping:
                    await self._service.release(items[index:])
                    return tried
                try:
                    await self._try(item)
                except asyncio.CancelledError:
                    await asyncio.shield(self._service.release(items[index:]))
                    raise
                tried += 1
        return tried

    async def _try(self, item: OutboxItem) -> None:
        kind = self._kinds.get(item.kind)
        if kind is None:
            log.warning("outbox: post %s of unknown kind %r left pending", item.id, item.kind)
            await self._service.release([item])
            return
        try:
            message_id = await kind.send(item)
        except Undeliverable as error:
            await self._gave_up(kind, await self._service.failed(item, str(error)))
            return
        except Exception as error:
            if not is_temporary(error):
                await self._gave_up(kind, await self._service.failed(item, describe(error)))
                return
            outcome = await self._service.retry(item, describe(error))
            if outcome.retry_at is None:
                await self._gave_up(kind, outcome)
            else:
                log.info(
                    "outbox: %s post %s failed (%s); retrying at %s",
                    item.kind,
                    item.id,
                    outcome.error,
                    outcome.retry_at.strftime("%H:%M:%S"),
                )
            return
        await self._service.sent(item, message_id)
        if item.attempts:
            log.info("outbox: %s post %s sent after %d retries", item.kind, item.id, item.attempts)

    async def _gave_up(self, kind: Kind, outcome: Outcome) -> None:
        item = outcome.item
        log.warning(
            "outbox: gave up on %s post %s after %d tries: %s",
            item.kind,
            item.id,
            item.attempts + 1,
            outcome.error,
        )
        if kind.report is not None:
            try:
                await kind.report(outcome)
            except Exception as error:  # the report is best effort; the log line above stays
                log.warning("outbox: could not report post %s: %s", item.id, describe(error))
