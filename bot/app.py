"""The bot: dependencies injected, cogs loaded, commands synced only when they changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import signal
import time
from datetime import UTC

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncEngine

import cogs
from bot.clock import Clock, clock_for
from bot.commands import build_nexus_group
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.locks import COMMAND_SYNC, exclusive
from bot.errors import NexusError
from bot.health import HealthServer
from bot.metrics import Metrics
from bot.services.container import Services, build_services
from bot.services.state import AppStateService
from bot.settings import Settings
from bot.ui.errors import NexusTree, unwrap
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
OUTCOME = "nexus_outcome"  # set on `interaction.extras` when a command fails


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


class MeteredTree(NexusTree):
    """The command tree, counting every command and autocomplete with its outcome and time."""

    async def _call(self, interaction: discord.Interaction) -> None:
        started = time.perf_counter()
        try:
            await super()._call(interaction)
        except Exception:
            interaction.extras[OUTCOME] = "error"
            raise
        finally:
            client = interaction.client
            if isinstance(client, NexusBot):
                command = interaction.command
                name = command.qualified_name if command else "unknown"
                if interaction.type is discord.InteractionType.autocomplete:
                    client.metrics.interaction(name, "autocomplete")
                else:
                    outcome = interaction.extras.get(OUTCOME, "ok")
                    client.metrics.interaction(name, outcome, time.perf_counter() - started)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        refused = isinstance(unwrap(error), NexusError)
        interaction.extras[OUTCOME] = "refused" if refused else "error"
        await super().on_error(interaction, error)


class NexusBot(commands.AutoShardedBot):
    """One process of the bot: the shards `SHARD_IDS` of `SHARD_COUNT` (unset: one shard)."""

    def __init__(
        self,
        services: Services,
        engine: AsyncEngine,
        *,
        force_sync: bool = False,
        guild_ready_timeout: float = GUILD_READY_TIMEOUT,
    ) -> None:
        plan = services.settings.shards
        super().__init__(
            shard_count=plan.count,
            shard_ids=list(plan.ids),
            guild_ready_timeout=guild_ready_timeout,
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=MeteredTree,
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
        self.metrics = Metrics()
        services.reminders.on_outcome(self.metrics.reminder_outcome)
        port = self.settings.http_port
        self.health = HealthServer(self, port) if port is not None else None

    async def setup_hook(self) -> None:
        await self.services.changes.start()  # before the caches fill (PostgreSQL)
        self.tree.add_command(self.nexus_group)
        for module in sorted(m.name for m in pkgutil.iter_modules(cogs.__path__)):
            await self.load_extension(f"cogs.{module}")
        # Every persistent button and menu, registered here only (see bot/ui/persistent.py).
        self.add_dynamic_items(*persistent_items())
        if not self.scheduler.running:
            self.scheduler.start()
        claims = self.services.claims
        await claims.adopt_orphans()
        self.scheduler.add_job(
            claims.renew,
            "interval",
            seconds=max(1.0, claims.lease.total_seconds() / 3),
            id="claims:renew",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
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
        if self.health is not None:
            await self.health.start()

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
        # processes starting together take turns: the first syncs, the others find its hash
        async with exclusive(self.engine, COMMAND_SYNC):
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

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons and modals are counted as they arrive (commands by `MeteredTree`)."""
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            data: dict[str, object] = dict(interaction.data or {})
            custom_id = str(data.get("custom_id", ""))
            kind = custom_id.split(":", 1)[0] or "unknown"
            self.metrics.interaction(f"component:{kind[:40]}", "received")

    async def on_nexus_dm_fallback(self, user_id: int) -> None:
        self.metrics.dm_fallbacks.inc()

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        self.ready_once.set()
        await self._heartbeat()

    async def _heartbeat(self) -> None:
        await self.state.heartbeat(self.services.clock.now(), connected=not self.is_closed())

    async def close(self) -> None:
        if self.health is not None:
            await self.health.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        try:
            await super().close()
            await self._finish_in_flight_work()
        finally:
            await self.services.changes.stop()
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
