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
from pathlib import Path

import discord
import yarl
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING
from sqlalchemy.ext.asyncio import AsyncEngine

import cogs
from bot.clock import Clock, clock_for
from bot.commands import build_nexus_group
from bot.connection import (
    RECONNECT_LOGGERS,
    DiscordStatus,
    ReconnectLogFilter,
    TokenRejected,
    log_in,
)
from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.locks import COMMAND_SYNC, exclusive
from bot.effects.cards import AnnouncementCards
from bot.effects.notices import Notices
from bot.effects.outbox import OutboxSender
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
# Background work Nexus itself started (start-up checks, sweeps, retries) lives in these folders.
OWN_CODE = (str(Path(__file__).resolve().parent), str(Path(cogs.__file__).resolve().parent))
EXIT_TOKEN_REJECTED = 2
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
        #: Whether the gateway is connected now (for the health endpoint) and why not.
        self.discord_status = DiscordStatus()
        #: Posts outside interaction replies that Discord did not take, sent by one loop.
        self.outbox = OutboxSender(services.outbox)
        self.notices = Notices(self, services.outbox, self.outbox)
        self.cards = AnnouncementCards(
            self, services.outbox, self.outbox, services.learners, self.notices
        )
        self._stopping: asyncio.Future[None] | None = None
        # The task that built the bot and those waiting for its stop: never cancelled by it.
        self._keep: set[asyncio.Task[object] | None] = {asyncio.current_task()}
        self._cogs_loaded = False

    @property
    def stopping(self) -> bool:
        return self._stopping is not None

    async def setup_hook(self) -> None:
        # Runs again when a login is retried after Discord was unreachable.
        if not self._cogs_loaded:
            await self.services.changes.start()  # before the caches fill (PostgreSQL)
            self.tree.add_command(self.nexus_group)
            for module in sorted(m.name for m in pkgutil.iter_modules(cogs.__path__)):
                await self.load_extension(f"cogs.{module}")
            # Every persistent button and menu, registered here only (see bot/ui/persistent.py).
            self.add_dynamic_items(*persistent_items())
            self._cogs_loaded = True
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
        self.discord_status.up(self.services.clock.now())
        self.outbox.start()  # after the channel cache is complete
        self.ready_once.set()
        await self._heartbeat()

    async def on_resumed(self) -> None:
        self.discord_status.up(self.services.clock.now())

    async def on_disconnect(self) -> None:
        self.discord_status.down(self.services.clock.now())

    async def _heartbeat(self) -> None:
        await self.state.heartbeat(
            self.services.clock.now(), connected=self.discord_status.connected
        )

    async def log_in(self, token: str) -> bool:
        """Log in, retrying with backoff while Discord can't be reached; False if stopped
        meanwhile. `TokenRejected` on a 401."""

        async def reset() -> None:  # a fresh HTTP session for the next attempt
            await self.http.close()
            self.http.connector = MISSING

        return await log_in(
            lambda: self.login(token),
            reset,
            self.discord_status,
            self.services.clock.now,
            stopping=lambda: self.stopping,
        )

    async def serve(self, token: str) -> None:
        """`start` for production: unreachable Discord is retried, a stop at any moment ends
        quietly, a rejected token raises `TokenRejected`."""
        try:
            if await self.log_in(token) and not self.stopping:
                await self.connect()
        except Exception:
            if not self.stopping:
                raise
            log.debug("connection ended by the stop", exc_info=True)

    async def close(self) -> None:
        """Stop in an order that returns database connections before the pool closes. Every
        caller (signal handler, `async with`, tests) waits for the same, single stop."""
        self._keep.add(asyncio.current_task())
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        log.info("stopping")
        if self.health is not None:
            await self.health.stop()
        if self.scheduler.running:
            # No new runs; the runs already handed to the loop finish first. Shutting down
            # straight away would cancel them, even one not started yet, and APScheduler logs
            # each cancelled run as an error.
            self.scheduler.pause()
        try:
            await self._finish_scheduled_jobs()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)  # cancels only a run past the grace time
            await self.outbox.stop()  # a post being tried finishes or is handed back
            if not hasattr(self, "_AutoShardedClient__queue"):
                # Stopped before login set up the shards' event queue, which discord.py's
                # close() posts its "closed" event to: give it an empty one.
                setattr(self, "_AutoShardedClient__queue", asyncio.PriorityQueue())  # noqa: B010
            await super().close()  # unloads the cogs (timers, sweeps), closes gateway and HTTP
            await self._finish_in_flight_work()
            await self._cancel_own_background_work()
        finally:
            await self.services.changes.stop()
            self.services.reads.close()
            await self.engine.dispose()
        self.discord_status.down(self.services.clock.now(), "stopped")
        log.info("stopped")

    async def _finish_scheduled_jobs(self) -> None:
        """A timer job already running or about to (heartbeat, sweep tick) finishes:
        APScheduler logs a cancelled job as an error."""
        running = [
            task
            for task in asyncio.all_tasks()
            if not task.done()
            and getattr(task.get_coro(), "__qualname__", "") == "run_coroutine_job"
        ]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)

    async def _cancel_own_background_work(self) -> None:
        """Start-up checks, sweeps and retries still running hold database sessions: cancel
        them and let their `async with` blocks hand the connections back."""
        current = asyncio.current_task()
        leftover = []
        for task in asyncio.all_tasks():
            code = getattr(task.get_coro(), "cr_code", None)
            if task is current or task in self._keep or task.done() or code is None:
                continue
            if code.co_filename.startswith(OWN_CODE):
                leftover.append(task)
        for task in leftover:
            task.cancel()
        if leftover:
            await asyncio.wait(leftover, timeout=SHUTDOWN_GRACE_SECONDS)

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


async def run_bot(
    settings: Settings, *, clock: Clock | None = None, stop_requested: bool = False
) -> int:
    """Serve until SIGTERM/SIGINT; the exit status. A stop during start-up (even during the
    migration) lets the step finish, then stops cleanly without connecting."""
    bot: NexusBot | None = None
    stop = asyncio.Event()
    stopping: list[asyncio.Future[None]] = []
    if stop_requested:
        stop.set()

    def request_stop() -> None:
        stop.set()
        if bot is not None:
            stopping.append(asyncio.ensure_future(bot.close()))

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, request_stop)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    if stop.is_set():
        return 0
    bot = await build_bot(settings, clock=clock)
    reconnects = ReconnectLogFilter(bot.discord_status, bot.services.clock.now)
    for name in RECONNECT_LOGGERS:
        logging.getLogger(name).addFilter(reconnects)
    try:
        if not stop.is_set():
            await bot.serve(settings.token)
    except TokenRejected:
        log.error("Discord rejected DISCORD_TOKEN (401 Unauthorized): check the bot token")
        return EXIT_TOKEN_REJECTED
    finally:
        await bot.close()
        for name in RECONNECT_LOGGERS:
            logging.getLogger(name).removeFilter(reconnects)
    return 0
