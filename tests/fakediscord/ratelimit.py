"""Discord-style rate limiting: per-route buckets keyed by major parameter plus a global limit.

Buckets are fixed windows that open with the first request, like Discord's. Responses carry
X-RateLimit-* headers so discord.py can pace itself; exceeding a bucket answers 429 with
`retry_after` / `global`, `Retry-After` and `Via: 1.1 google` (discord.py treats a 429 without
`Via` as a Cloudflare ban).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

RouteKey = tuple[str, str]

#: (limit, window seconds) per route; everything else uses `RateLimits.default`.
DEFAULT_ROUTE_LIMITS: dict[RouteKey, tuple[int, float]] = {
    ("POST", "/channels/{channel_id}/messages"): (5, 5.0),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (5, 5.0),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"): (5, 1.0),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): (5, 2.0),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): (5, 2.0),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): (5, 2.0),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): (10, 10.0),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"): (10, 10.0),
    ("POST", "/channels/{channel_id}/threads"): (10, 10.0),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): (10, 10.0),
}

#: Never limited and no headers (Discord does not limit the initial interaction response).
UNLIMITED_ROUTES = frozenset(
    {("POST", "/interactions/{interaction_id}/{interaction_token}/callback")}
)

MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id")


@dataclass
class RateLimits:
    """Rate limit configuration. `scale` multiplies every window (0.1 → ten times faster)."""

    enabled: bool = True
    scale: float = 1.0
    global_limit: int = 50
    global_window: float = 1.0
    default: tuple[int, float] = (50, 1.0)
    routes: dict[RouteKey, tuple[int, float]] = field(
        default_factory=lambda: dict(DEFAULT_ROUTE_LIMITS)
    )


@dataclass
class _Window:
    limit: int
    length: float
    started: float = 0.0
    count: int = 0

    def roll(self, now: float) -> None:
        if now >= self.started + self.length:
            self.started = now
            self.count = 0

    @property
    def reset_at(self) -> float:
        return self.started + self.length


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float = 0.0
    is_global: bool = False

    def body(self) -> dict[str, object]:
        return {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
        }


def _ceil3(value: float) -> float:
    return math.ceil(max(value, 0.0) * 1000) / 1000


def is_webhook_token_route(template: str) -> bool:
    """Routes authenticated by an interaction/webhook token (exempt from the global limit)."""
    return template.startswith("/webhooks/{webhook_id}/{webhook_token}") or template.startswith(
        "/interactions/"
    )


class RateLimiter:
    def __init__(self, config: RateLimits) -> None:
        self.config = config
        self._buckets: dict[tuple[RouteKey, str], _Window] = {}
        self._global = _Window(config.global_limit, config.global_window * config.scale)

    @staticmethod
    def bucket_hash(route: RouteKey) -> str:
        return hashlib.sha1(f"{route[0]} {route[1]}".encode()).hexdigest()[:32]

    @staticmethod
    def major(params: Mapping[str, str]) -> str:
        for name in MAJOR_PARAMETERS:
            if name in params:
                if name == "webhook_id":
                    return f"{params[name]}:{params.get('webhook_token', '')}"
                return params[name]
        return ""

    def check(self, method: str, template: str, params: Mapping[str, str]) -> Decision:
        route = (method, template)
        if not self.config.enabled or route in UNLIMITED_ROUTES:
            return Decision(True)
        now = time.monotonic()
        wall_offset = time.time() - now
        if not is_webhook_token_route(template):
            self._global.roll(now)
            if self._global.count >= self._global.limit:
                retry = _ceil3(self._global.reset_at - now)
                return Decision(
                    False,
                    {
                        "Retry-After": str(math.ceil(retry)),
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                        "Via": "1.1 google",
                    },
                    retry,
                    True,
                )
            self._global.count += 1
        limit, window = self.config.routes.get(route, self.config.default)
        key = (route, self.major(params))
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Window(limit, window * self.config.scale)
        bucket.roll(now)
        reset_after = _ceil3(bucket.reset_at - now)
        headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Reset": f"{bucket.reset_at + wall_offset:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket_hash(route),
        }
        if bucket.count >= bucket.limit:
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(math.ceil(reset_after)),
                    "X-RateLimit-Scope": "user",
                    "Via": "1.1 google",
                }
            )
            return Decision(False, headers, reset_after, False)
        bucket.count += 1
        headers["X-RateLimit-Remaining"] = str(bucket.limit - bucket.count)
        return Decision(True, headers)
