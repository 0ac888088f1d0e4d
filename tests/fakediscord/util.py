"""Small shared helpers: snowflake ids, timestamps and an awaitable change notifier."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Time-based, strictly increasing Discord snowflakes."""

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._increment = itertools.count()
        self._last = 0

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (self._worker << 17) | (next(self._increment) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """The next snowflake that Discord would route to `shard_id` of `shard_count`
        (`(id >> 22) % shard_count`): its timestamp moved up to `shard_count - 1` ms ahead."""
        value = self.next()
        ms = value >> 22
        value = ((ms + (shard_id - ms) % shard_count) << 22) | (value & ((1 << 22) - 1))
        self._last = max(self._last, value)
        return value

    @property
    def last(self) -> int:
        """The latest snowflake handed out: everything created later has a greater id."""
        return self._last


def snowflake_time(snowflake: int) -> dt.datetime:
    """The creation time encoded in a snowflake."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso_now() -> str:
    """Current UTC time in Discord's ISO-8601 format."""
    return dt.datetime.now(tz=dt.UTC).isoformat()


def iso_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class Notifier:
    """Wakes waiters whenever something changed; waiters re-check their own predicate.

    Cheaper and less flaky than sleep-polling: `wait_for` only re-evaluates the predicate when
    `notify()` was called.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float) -> T:  # noqa: ASYNC109
        """Return the first truthy `predicate()` result, or raise `TimeoutError`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                value = predicate()
                if value:
                    return value
                raise


def iter_components(components: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Walk a component tree (action rows, containers, sections, labels) depth first."""
    for comp in components:
        yield comp
        children = list(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            children.append(comp["component"])
        if isinstance(comp.get("accessory"), dict):
            children.append(comp["accessory"])
        yield from iter_components(children)
