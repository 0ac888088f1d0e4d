"""Reaching Discord: log in with capped exponential backoff while it can't be reached, one clear
log line per attempt, and a connection status other parts (the health endpoint) can read."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import discord

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0

#: What discord.py raises when Discord can't be reached or answers with a server error.
UNREACHABLE = (
    OSError,
    aiohttp.ClientError,
    asyncio.TimeoutError,
    discord.DiscordServerError,
    discord.GatewayNotFound,
    discord.ConnectionClosed,
)


class TokenRejected(Exception):
    """Discord answered 401 to the token: retrying can't help."""


@dataclass
class DiscordStatus:
    """Whether the gateway is connected now, and why not when it isn't."""

    connected: bool = False
    since: datetime | None = None
    last_error: str | None = None
    attempts: int = 0

    def up(self, now: datetime) -> None:
        self.connected, self.since, self.last_error, self.attempts = True, now, None, 0

    def down(self, now: datetime, reason: str | None = None) -> None:
        if self.connected or self.since is None:
            self.since = now
        self.connected = False
        if reason is not None:
            self.last_error = reason


def backoff_delays(
    first: float = BACKOFF_FIRST_SECONDS, cap: float = BACKOFF_CAP_SECONDS
) -> Callable[[int], float]:
    """Attempt n (from 1) waits first · 2^(n-1) seconds, at most `cap`."""
    return lambda attempt: min(cap, first * 2 ** (attempt - 1))


def describe(error: BaseException) -> str:
    """A short, human reason for a failed attempt ("DNS lookup failed", "Discord answered 503")."""
    if isinstance(error, aiohttp.ClientConnectorDNSError) or isinstance(
        getattr(error, "os_error", None), socket.gaierror
    ):
        return "DNS lookup failed"
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, ConnectionRefusedError):
            return "connection refused"
        return f"can't connect ({error.os_error.strerror or type(error.os_error).__name__})"
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"the gateway refused the connection ({error.status})"
    if isinstance(error, aiohttp.ServerDisconnectedError | ConnectionResetError):
        return "the connection was dropped"
    if isinstance(error, asyncio.TimeoutError):
        return "timed out"
    if isinstance(error, discord.DiscordServerError):
        return f"Discord answered {error.status}"
    if isinstance(error, discord.ConnectionClosed):
        return f"the gateway closed the connection ({error.code})"
    if isinstance(error, discord.GatewayNotFound):
        return "no gateway address"
    return f"{type(error).__name__}: {error}".splitlines()[0]


async def log_in(
    login: Callable[[], Awaitable[None]],
    reset: Callable[[], Awaitable[None]],
    status: DiscordStatus,
    now: Callable[[], datetime],
    *,
    stopping: Callable[[], bool],
    delay: Callable[[int], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:
    """Call `login` until it succeeds (True) or a stop is requested (False). A 401 raises
    `TokenRejected`; anything else that means "Discord can't be reached" is logged on one line
    and retried after a capped exponential backoff (`reset` runs before each retry)."""
    delay = delay or backoff_delays()
    while not stopping():
        try:
            await login()
            return True
        except discord.LoginFailure as error:
            raise TokenRejected() from error
        except UNREACHABLE as error:
            if stopping():
                return False
            status.attempts += 1
            reason = describe(error)
            status.down(now(), reason)
            wait = delay(status.attempts)
            log.warning("can't reach Discord: %s; retrying in %s", reason, _seconds(wait))
            await sleep(wait)
            await reset()
    return False


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"


#: discord.py's reconnect log lines, unsharded (discord.client) and per shard (discord.shard).
RECONNECT_MESSAGES = ("Attempting a reconnect", "Failed to connect for shard_id")
RECONNECT_LOGGERS = ("discord.client", "discord.shard")


class ReconnectLogFilter(logging.Filter):
    """discord.py logs each failed gateway reconnect as an ERROR with a traceback; make it the
    same one line the first connection uses."""

    def __init__(self, status: DiscordStatus, now: Callable[[], datetime]) -> None:
        super().__init__()
        self._status = status
        self._now = now

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(RECONNECT_MESSAGES):
            return True
        error = record.exc_info[1] if record.exc_info else None
        reason = describe(error) if error is not None else "disconnected"
        args = record.args if isinstance(record.args, tuple) else ()
        waits = [a for a in args if isinstance(a, float)]  # shard ids are ints, the wait a float
        wait = waits[-1] if waits else 0.0
        self._status.down(self._now(), reason)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = (
            "can't reach Discord: %s; retrying in %s",
            (
                reason,
                _seconds(wait),
            ),
        )
        record.exc_info, record.exc_text = None, None
        return True
