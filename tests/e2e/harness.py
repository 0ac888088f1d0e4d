"""The Nexus end-to-end harness: the real bot, started as in production, against the fake Discord.

Tests read like user stories::

    async def test_setup(nexus):
        reply = await nexus.invoke("mod", "nexus setup", channel=nexus.channel)
        assert reply.ephemeral and "set up" in reply.text
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import NexusBot, build_bot
from bot.settings import Settings
from tests.fakediscord import Channel, FakeDiscord, Guild, InteractionResult, Member, Role

# Long enough to pass the bot's token sanity check; obviously not a real token.
TOKEN = "fake.nexus-e2e-token.0123456789abcdef"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday morning


class FakeClock:
    """The injected clock, moved by tests."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


@dataclass
class Nexus:
    """One server ("ALX ProDev") with a Nexus channel, a mod-log, track roles and a moderator."""

    fake: FakeDiscord
    tmp_path: Path
    clock: FakeClock = field(default_factory=FakeClock)
    bot: NexusBot | None = None
    #: The database (default: SQLite in `tmp_path`; see the `database_url` fixture).
    database: str | None = None
    #: `(id, count)`: put the server on that shard (for several bot processes).
    shard: tuple[int, int] | None = None
    guild_name: str = "ALX ProDev"
    guild: Guild = field(init=False)
    channel: Channel = field(init=False)
    mod_log: Channel = field(init=False)
    general: Channel = field(init=False)
    backend_role: Role = field(init=False)
    frontend_role: Role = field(init=False)
    learner_role: Role = field(init=False)
    mentor_role: Role = field(init=False)
    mod: Member = field(init=False)
    _task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.guild = self.fake.add_guild(self.guild_name, shard=self.shard)
        self.channel = self.guild.add_text_channel("prodevprojectnexus")
        self.mod_log = self.guild.add_text_channel("mod-log")
        self.general = self.guild.add_text_channel("general")
        self.backend_role = self.guild.add_role("Backend")
        self.frontend_role = self.guild.add_role("Frontend")
        self.learner_role = self.guild.add_role("ProDev Learner")
        self.mentor_role = self.guild.add_role("Mentor")
        self.mod = self.guild.add_member("amina_mod", manage_guild=True)

    # ------------------------------------------------------------------ lifecycle
    @property
    def database_url(self) -> str:
        return self.database or f"sqlite+aiosqlite:///{self.tmp_path / 'nexus.db'}"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "token": self.fake.bot_token,
            "database_url": self.database_url,
            "api_base": self.fake.api_base,
            "gateway_url": self.fake.gateway_url,
            "log_level": "DEBUG",
        }
        values.update(overrides)
        return Settings(**values)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for `python -m bot` in a subprocess against this fake."""
        return {
            "DISCORD_TOKEN": self.fake.bot_token,
            "DISCORD_API_BASE": self.fake.api_base,
            "DISCORD_GATEWAY_URL": self.fake.gateway_url,
            "DATABASE_URL": self.database_url,
            **extra,
        }

    async def start(self, **overrides: Any) -> NexusBot:
        """Build and connect the bot exactly as `nexus-bot run` does; wait until it is ready."""
        bot = await build_bot(
            self.settings(**overrides), clock=self.clock, guild_ready_timeout=0.05
        )
        self.bot = bot
        self._task = asyncio.create_task(bot.start(self.fake.bot_token), name="nexus-bot")
        await self.fake.wait_until_ready(timeout=10)
        await asyncio.wait_for(bot.ready_once.wait(), 10)
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
        self.bot, self._task = None, None

    async def restart(self) -> NexusBot:
        await self.stop()
        return await self.start()

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A database session for assertions and seeding (committed on exit)."""
        assert self.bot is not None, "the bot is not running"
        async with self.bot.services.sessions.begin() as session:
            yield session

    # ------------------------------------------------------------------ people
    def member(self, name: str, **kwargs: Any) -> Member:
        """The member called `name`, created on first use (kwargs go to `add_member`)."""
        with contextlib.suppress(KeyError, LookupError):
            return self.guild.member(name)
        return self.guild.add_member(name, **kwargs)

    def _who(self, who: str | Member) -> Member:
        if isinstance(who, str):
            return self.mod if who == "mod" else self.member(who)
        return who

    # ------------------------------------------------------------------ actions
    async def invoke(self, who: str | Member, command: str, /, **options: Any) -> InteractionResult:
        """Run a slash command as `who` (a name, "mod", or a Member) in the Nexus channel."""
        channel = options.pop("in_channel", self.channel)
        return await self.fake.invoke(self._who(who), command, channel=channel, options=options)

    async def setup(self, **extra: Any) -> InteractionResult:
        """`/nexus setup` with the Nexus channel, both track roles and the mod-log."""
        options: dict[str, Any] = {
            "channel": self.channel,
            "backend_role": self.backend_role,
            "frontend_role": self.frontend_role,
            "mod_log": self.mod_log,
        }
        options.update(extra)
        result = await self.invoke("mod", "nexus setup", **options)
        assert result.ephemeral, result
        return result

    def posts(self, channel: Channel | None = None) -> list[Any]:
        """Non-ephemeral messages in the Nexus channel (or `channel`)."""
        return self.fake.messages(channel or self.channel)


@contextlib.contextmanager
def no_pings(fake: FakeDiscord) -> Iterator[None]:
    """Assert that nothing the block made the bot send pinged a role or @everyone."""
    before = len(fake.calls)
    yield
    for call in fake.calls[before:]:
        body = call.json or {}
        allowed = body.get("allowed_mentions") if isinstance(body, dict) else None
        if allowed is not None:
            assert "everyone" not in (allowed.get("parse") or []), call
            assert "roles" not in (allowed.get("parse") or []), call
