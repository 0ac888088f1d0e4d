"""Prometheus metrics of one bot process (served on `/metrics`, see `bot.health`).

One registry per bot, created with it: nothing lives at module level, so tests can run several
bots in one process. Names:

- `nexus_interactions_total{command,outcome}`: slash commands (outcome `ok`, `refused` for a
  user error, `error` for a bug), autocomplete (`autocomplete`), buttons and modals
  (`command` = `component:<kind>`, outcome `received`);
- `nexus_interaction_seconds`: how long a slash command's handler ran (histogram);
- `nexus_gateway_latency_seconds{shard}`: heartbeat round trip per shard this process runs;
- `nexus_reminders_total{outcome}`: first-week recipients `sent`, `late` or `failed`, and
  steps `skipped`;
- `nexus_dm_fallbacks_total`: DMs refused (closed DMs) and sent in the channel instead;
- `nexus_db_pool_in_use`: database connections checked out of the pool.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.interactions = Counter(
            "nexus_interactions_total",
            "Interactions handled, by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.interaction_seconds = Histogram(
            "nexus_interaction_seconds",
            "Time a slash command's handler ran",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.gateway_latency = Gauge(
            "nexus_gateway_latency_seconds",
            "Gateway heartbeat round trip, per shard",
            ["shard"],
            registry=self.registry,
        )
        self.reminders = Counter(
            "nexus_reminders_total",
            "First-week reminders: recipients sent, late or failed; steps skipped",
            ["outcome"],
            registry=self.registry,
        )
        self.dm_fallbacks = Counter(
            "nexus_dm_fallbacks_total",
            "DMs refused and sent in the channel instead",
            registry=self.registry,
        )
        self.db_pool_in_use = Gauge(
            "nexus_db_pool_in_use",
            "Database connections checked out of the pool",
            registry=self.registry,
        )

    def interaction(self, command: str, outcome: str, seconds: float | None = None) -> None:
        self.interactions.labels(command=command, outcome=outcome).inc()
        if seconds is not None:
            self.interaction_seconds.observe(seconds)

    def reminder_outcome(self, outcome: str, count: int) -> None:
        if count <= 0:
            return
        if outcome == "dm_fallback":
            self.dm_fallbacks.inc(count)
        else:
            self.reminders.labels(outcome=outcome).inc(count)

    def render(self, latencies: Iterable[tuple[int, float]], engine: AsyncEngine) -> bytes:
        """The text exposition, with the gauges read now."""
        for shard, latency in latencies:
            if math.isfinite(latency):
                self.gateway_latency.labels(shard=str(shard)).set(latency)
        checked_out = getattr(engine.pool, "checkedout", None)
        if callable(checked_out):
            self.db_pool_in_use.set(checked_out())
        return generate_latest(self.registry)
