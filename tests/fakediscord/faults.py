"""Fault injection: Discord as it behaves during an incident.

Every rule names a route as ``"METHOD /template"`` (the template as Discord documents it, e.g.
``"POST /channels/{channel_id}/messages"``) or ``"*"`` for every route the bot calls except the
initial interaction response (which Discord never rate-limits; name it explicitly to break it).
A rule applies to the next ``times`` matching requests (``None``: until ``clear()``, or until
``for_seconds`` have passed)::

    fake.faults.fail("POST /channels/{channel_id}/messages", status=503, times=2)
    fake.faults.fail("POST /channels/{channel_id}/messages", channel=thread.id)  # one channel
    fake.faults.fail("POST /channels/{channel_id}/messages", new="thread")  # threads made later
    fake.faults.slow("PATCH /channels/{channel_id}/messages/{message_id}", seconds=10)
    fake.faults.reset("POST /users/@me/channels")            # TCP connection closed, no answer
    fake.faults.rate_limit_storm(for_seconds=2, retry_after=0.2)  # 429 on every route
    fake.faults.drop_gateway_on("POST /channels/{channel_id}/messages")  # mid-command drop
    fake.faults.unreachable()                                # REST resets, gateway refused
    fake.faults.invalid_session(resumable=False)            # op 9 now
    fake.faults.clear()

Each rule that fired is in ``fake.faults.fired`` as ``(rule, "METHOD /path")``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["status", "slow", "reset", "rate_limit", "drop_gateway"]
#: `new=`: only channels (of any type), or only threads, created after the rule was armed.
NewChannels = Literal["channel", "thread"]
THREAD_TYPES = frozenset({10, 11, 12})

ANY_ROUTE = "*"
#: "*" leaves this one alone: Discord does not rate-limit the initial interaction response.
INITIAL_RESPONSE = ("POST", "/interactions/{interaction_id}/{interaction_token}/callback")

SERVER_ERRORS = {
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
    504: "504: Gateway Timeout",
}


@dataclass
class Fault:
    kind: FaultKind
    route: str
    times: int | None = 1
    until: float | None = None
    status: int = 503
    code: int = 0
    message: str = ""
    seconds: float = 0.0
    retry_after: float = 0.1
    is_global: bool = False
    resumable: bool = True
    #: Discord handled the request, then the answer was lost (the status or reset comes after).
    handled: bool = False
    #: only requests whose path contains this (e.g. one channel's id); None: every path
    within: str | None = None
    #: never requests whose path contains any of these
    besides: tuple[str, ...] = ()
    #: only requests to this channel (the route's `{channel_id}`); None: any channel
    channel: int | None = None
    #: only requests to a channel created after the rule was armed (a channel id above
    #: `armed_after`), of any type (`"channel"`) or a thread (`"thread"`)
    new: NewChannels | None = None
    armed_after: int = 0
    hits: int = field(default=0)

    def matches(
        self,
        method: str,
        template: str,
        path: str = "",
        channel_id: int | None = None,
        channel_type: int | None = None,
    ) -> bool:
        if self.within is not None and self.within not in path:
            return False
        if any(part in path for part in self.besides):
            return False
        if self.channel is not None and channel_id != self.channel:
            return False
        if self.new is not None:
            if channel_id is None or channel_id <= self.armed_after:
                return False
            if self.new == "thread" and channel_type not in THREAD_TYPES:
                return False
        if self.until is not None and time.monotonic() >= self.until:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.route == ANY_ROUTE:
            return (method, template) != INITIAL_RESPONSE
        want_method, _, want_template = self.route.partition(" ")
        return want_method == method and want_template == template

    @property
    def spent(self) -> bool:
        expired = self.until is not None and time.monotonic() >= self.until
        return expired or (self.times is not None and self.hits >= self.times)


class Faults:
    """The fault rules of one fake Discord (see the module docstring)."""

    def __init__(
        self,
        *,
        drop_gateway: Callable[[bool], Awaitable[None]],
        invalidate: Callable[[bool], None],
        last_id: Callable[[], int] = lambda: 0,
        channel_type: Callable[[int], int | None] = lambda channel_id: None,
    ) -> None:
        self.rules: list[Fault] = []
        self.fired: list[tuple[Fault, str]] = []
        #: True while `unreachable()` is on: REST resets every connection, the gateway refuses.
        self.offline = False
        self._drop_gateway = drop_gateway
        self._invalidate = invalidate
        self._last_id = last_id
        self._channel_type = channel_type
        self._background: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ rules
    def _add(self, fault: Fault, for_seconds: float | None) -> Fault:
        if for_seconds is not None:
            fault.until = time.monotonic() + for_seconds
        self.rules.append(fault)
        return fault

    def fail(
        self,
        route: str,
        *,
        status: int = 503,
        times: int | None = 1,
        for_seconds: float | None = None,
        code: int = 0,
        message: str | None = None,
        handled: bool = False,
        within: str | None = None,
        besides: str | tuple[str, ...] = (),
        channel: int | None = None,
        new: NewChannels | None = None,
    ) -> Fault:
        """Answer `status` (500, 502, 503, 504, or any other) instead of handling the request;
        `handled=True`: handle it, then answer `status` anyway (the answer was lost);
        `within` / `besides`: only / never requests whose path contains it (a channel's id);
        `channel`: only requests to that channel (`{channel_id}` of the route);
        `new="channel"` / `new="thread"`: only requests to a channel / thread that does not
        exist yet (created after this call: a pair thread opened by the next command)."""
        text = message or SERVER_ERRORS.get(status, f"{status}: injected failure")
        fault = Fault("status", route, times, status=status, code=code, message=text)
        fault.handled = handled
        fault.within = within
        fault.besides = (besides,) if isinstance(besides, str) else besides
        fault.channel = channel
        if new is not None:
            fault.new, fault.armed_after = new, self._last_id()
        return self._add(fault, for_seconds)

    def slow(
        self,
        route: str,
        *,
        seconds: float = 10.0,
        times: int | None = 1,
        for_seconds: float | None = None,
    ) -> Fault:
        """Hold the request `seconds`, then handle it normally."""
        return self._add(Fault("slow", route, times, seconds=seconds), for_seconds)

    def reset(
        self,
        route: str,
        *,
        times: int | None = 1,
        for_seconds: float | None = None,
        handled: bool = False,
    ) -> Fault:
        """Close the TCP connection without answering (the request was not handled;
        `handled=True`: it was, and only the answer is lost)."""
        fault = Fault("reset", route, times)
        fault.handled = handled
        return self._add(fault, for_seconds)

    def rate_limit(
        self,
        route: str,
        *,
        times: int | None = 1,
        for_seconds: float | None = None,
        retry_after: float = 0.1,
        is_global: bool = False,
    ) -> Fault:
        """Answer 429 with `retry_after` (and Discord's headers, so it is not taken for a ban)."""
        return self._add(
            Fault("rate_limit", route, times, retry_after=retry_after, is_global=is_global),
            for_seconds,
        )

    def rate_limit_storm(
        self,
        *,
        for_seconds: float = 2.0,
        retry_after: float = 0.2,
        routes: tuple[str, ...] = (ANY_ROUTE,),
        is_global: bool = False,
    ) -> list[Fault]:
        """429 on every request to `routes` (default: every route) for `for_seconds`."""
        return [
            self.rate_limit(
                route,
                times=None,
                for_seconds=for_seconds,
                retry_after=retry_after,
                is_global=is_global,
            )
            for route in routes
        ]

    def drop_gateway_on(
        self, route: str, *, resumable: bool = True, times: int | None = 1
    ) -> Fault:
        """When the bot calls `route`, close its gateway socket (the request itself succeeds):
        a drop in the middle of a command. `resumable=False` also invalidates the session."""
        return self._add(Fault("drop_gateway", route, times, resumable=resumable), None)

    def unreachable(self, on: bool = True) -> None:
        """Discord can't be reached: every REST request is reset and the gateway refused."""
        self.offline = on

    def invalid_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION now (`resumable=False`: the bot must IDENTIFY again)."""
        self._invalidate(resumable)

    def clear(self) -> None:
        """Remove every rule and come back online."""
        self.rules.clear()
        self.offline = False

    # --------------------------------------------------------------- matching
    def take(
        self, method: str, template: str, path: str, channel_id: int | None = None
    ) -> list[Fault]:
        """The rules this request (to `channel_id`, when its route names one) triggers, at
        most one of each kind, counted as fired."""
        taken: list[Fault] = []
        kinds: set[str] = set()
        channel_type = None if channel_id is None else self._channel_type(channel_id)
        for rule in list(self.rules):
            if rule.kind in kinds or not rule.matches(
                method, template, path, channel_id, channel_type
            ):
                continue
            rule.hits += 1
            kinds.add(rule.kind)
            taken.append(rule)
            self.fired.append((rule, f"{method} {path}"))
            if rule.kind == "drop_gateway":
                task = asyncio.get_running_loop().create_task(self._drop(rule.resumable))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        self.rules = [rule for rule in self.rules if not rule.spent]
        return taken

    async def _drop(self, resumable: bool) -> None:
        if not resumable:
            self._invalidate(False)
            await asyncio.sleep(0.05)  # let op 9 go out before the socket closes
        await self._drop_gateway(resumable)

    def count(self, kind: FaultKind | None = None) -> int:
        """How many requests a rule (of `kind`) acted on."""
        return sum(1 for rule, _ in self.fired if kind is None or rule.kind == kind)
