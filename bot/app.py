"""The bot: dependencies injected, cogs loaded, commands synced only when they changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import signal
from datetime import UTC

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine

import cogs
from bot.clock import Clock, clock_for
from bot.commands import build_nexus_group
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.services.container import Services, build_services
from bot.services.state import AppStateService
from bot.settings import Settings
from bot.ui.errors import NexusTree
from bot.ui.persistent import persistent_items

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
# discord.py waits this long after the last GUILD_CREATE before `on_ready` (its default is 2 s,
# sized for bots in thousands of servers). Nexus serves a handful; a guild arriving later is
# still picked up as `guild_available`.
GUILD_READY_TIMEOUT = 0.5
# On shutdown, how long running commands and event handlers get to finish.
SHUTDOWN_GRACE_SECONDS = 5.0
# The names discord.py gives the tasks it starts: slash commands, `on_*` event handlers, view
# button callbacks and persistent (dynamic) button callbacks.
IN_FLIGHT_TASKS = frozenset({"CommandTree-invoker"})
IN_FLIGHT_PREFIXES = ("discord.py: on_", "discord-ui-view-dispatch-", "discord-ui-dynamic-item-")


def point_discord_at(settings: Settings) -> None:
    """Route REST (and, for tests, the gateway) somewhere other than discord.com when asked."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def intents() -> discord.Intents:
    """Guilds for channels/roles/threads; members (privileged) for the learner-role cohort and
    for noticing learners who leave or come back. No message content."""
    value = discord.Intents.none()
    value.guilds = True
    value.members = True
    return value


class NexusBot(commands.Bot):
    def __init__(
        self,
        services: Services,
        engine: AsyncEngine,
        *,
        force_sync: bool = False,
        guild_ready_timeout: float = GUILD_READY_TIMEOUT,
    ) -> None:
        super().__init__(
            guild_ready_timeout=guild_ready_timeout,
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=NexusTree,
            max_messages=None,
        )
        self.services = services
        self.settings = services.settings
        self.scheduler = services.scheduler
        self.engine = engine
        self.force_sync = force_sync
        self.nexus_group = build_nexus_group()
        self.state = AppStateService(services.sessions)
        self.ready_once = asyncio.Event()

    async def setup_hook(self) -> None:
        self.tree.add_command(self.nexus_group)
        for module in sorted(m.name for m in pkgutil.iter_modules(cogs.__path__)):
            await self.load_extension(f"cogs.{module}")
        # Every persistent button and menu, registered here only (see bot/ui/persistent.py).
        self.add_dynamic_items(*persistent_items())
        if not self.scheduler.running:
            self.scheduler.start()
        self.scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            id="heartbeat",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        await self.sync_commands(force=self.force_sync)

    def command_payload(self) -> list[dict[str, object]]:
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        commands_ = self.tree.get_commands(guild=guild) or self.tree.get_commands()
        return sorted((c.to_dict(self.tree) for c in commands_), key=lambda c: str(c["name"]))

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync to the dev server (when set) or globally, only if the tree changed."""
        dev_guild = self.settings.dev_guild_id
        target = f"guild:{dev_guild}" if dev_guild else "global"
        digest = hashlib.sha256(
            json.dumps(self.command_payload(), sort_keys=True, default=str).encode()
        ).hexdigest()
        key = f"commands:{target}"
        if not force and await self.state.get(key) == digest:
            log.info("application commands unchanged (%s); not syncing", target)
            return False
        if dev_guild:
            guild = discord.Object(dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        await self.state.set(key, digest)
        log.info("synced %d application commands (%s)", len(synced), target)
        return True

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        self.ready_once.set()
        await self._heartbeat()

    async def _heartbeat(self) -> None:
        await self.state.heartbeat(self.services.clock.now(), connected=not self.is_closed())

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            await super().close()
            await self._finish_in_flight_work()
        finally:
            await self.engine.dispose()

    async def _finish_in_flight_work(self) -> None:
        """Let running commands, event handlers and button clicks finish their transactions
        before the database closes (discord.py does not track the tasks it starts for them)."""
        current = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task is not current
            and not task.done()
            and (
                task.get_name() in IN_FLIGHT_TASKS or task.get_name().startswith(IN_FLIGHT_PREFIXES)
            )
        ]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)


async def build_bot(
    settings: Settings,
    *,
    clock: Clock | None = None,
    force_sync: bool = False,
    guild_ready_timeout: float = GUILD_READY_TIMEOUT,
) -> NexusBot:
    """Everything the bot needs, created once and injected. Migrates the database to head."""
    point_discord_at(settings)
    if settings.sqlite_path:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine)
    sessions = create_sessionmaker(engine)
    scheduler = AsyncIOScheduler(timezone=UTC)
    services = build_services(
        settings, sessions, clock or clock_for(settings.clock_file), scheduler
    )
    return NexusBot(
        services, engine, force_sync=force_sync, guild_ready_timeout=guild_ready_timeout
    )


async def run_bot(settings: Settings, *, clock: Clock | None = None) -> None:
    bot = await build_bot(settings, clock=clock)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    async with bot:
        await bot.start(settings.token)
