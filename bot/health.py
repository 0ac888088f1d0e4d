"""`/healthz` and `/metrics` on `NEXUS_HTTP_PORT` (off when unset).

`/healthz` answers 200 with a JSON report when the process is ready — every shard it runs is
connected to the gateway, the database answers, and no first-week step of its servers is more
than `MAX_REMINDER_LAG` behind — and 503 with the same report otherwise. `/metrics` is the
Prometheus text exposition of `bot.metrics.Metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import text

from bot.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.app import NexusBot

log = logging.getLogger(__name__)

MAX_REMINDER_LAG = 15 * 60.0  # seconds a due step may wait before the process is unhealthy
DATABASE_TIMEOUT = 3.0


class HealthServer:
    def __init__(self, bot: NexusBot, port: int, host: str = "0.0.0.0") -> None:
        self._bot = bot
        self._port = port
        self._host = host
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        log.info("health and metrics on http://%s:%d/healthz", self._host, self._port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def report(self) -> dict[str, Any]:
        bot = self._bot
        plan = bot.settings.shards
        shards = {}
        for shard_id in plan.ids:
            info = bot.get_shard(shard_id)
            shards[str(shard_id)] = bool(
                info is not None and not info.is_closed() and bot.is_ready()
            )
        database = await self._database()
        lag: float | None = None
        if database:
            try:
                lag = await bot.services.reminders.lag_seconds()
            except Exception as error:  # reported, never raised: this is a health check
                log.warning("health: reminder lag unknown: %s", error)
        ready = (
            all(shards.values())
            and database
            and lag is not None
            and lag <= MAX_REMINDER_LAG
            and not bot.is_closed()
        )
        return {
            "status": "ok" if ready else "unavailable",
            "shards": shards,
            "shard_count": plan.count,
            "database": database,
            "reminder_lag_seconds": lag,
            "owner": bot.services.claims.owner,
        }

    async def _database(self) -> bool:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                async with self._bot.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            return True
        except Exception as error:
            log.warning("health: database unreachable: %s", error)
            return False

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.report()
        return web.json_response(report, status=200 if report["status"] == "ok" else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = self._bot.metrics.render(self._bot.latencies, self._bot.engine)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
