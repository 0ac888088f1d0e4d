"""Server configuration: `/nexus setup`, `/nexus settings`, and who counts as a moderator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import GuildConfig
from bot.domain.server import ServerSettings
from bot.domain.timezones import normalize_timezone
from bot.errors import InvalidInput, NotConfigured
from bot.services.lookups import server_config

SetupHook = Callable[[AsyncSession, GuildConfig, bool], Awaitable[None]]

SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    "max_partners": (1, 4),
    "request_expiry_hours": (1, 168),
    "reminder_grace_hours": (0, 72),
}


@dataclass(frozen=True)
class SetupRoles:
    backend_role_id: int | None = None
    frontend_role_id: int | None = None
    learner_role_id: int | None = None
    moderator_role_id: int | None = None
    mod_log_channel_id: int | None = None


class GuildService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_setup: list[SetupHook] = []

    async def get(self, guild_id: int) -> GuildConfig | None:
        async with self._sessions() as session:
            return await session.get(GuildConfig, guild_id)

    async def require(self, guild_id: int | None) -> GuildConfig:
        """The server's configuration, or `NotConfigured` before `/nexus setup`."""
        config = await self.get(guild_id) if guild_id is not None else None
        if config is None:
            raise NotConfigured()
        return config

    async def settings(self, guild_id: int | None) -> ServerSettings:
        """What `/nexus show` displays, or `NotConfigured` before `/nexus setup`."""
        return server_settings(await self.require(guild_id))

    async def setup(
        self, guild_id: int, channel_id: int, roles: SetupRoles, *, by_user: int
    ) -> tuple[ServerSettings, bool]:
        """Create or update the server's configuration; returns (config, created)."""
        now = self._clock.now()
        async with self._sessions.begin() as session:
            config = await session.get(GuildConfig, guild_id)
            created = config is None
            if config is None:
                config = GuildConfig(guild_id=guild_id, created_at=now, timezone="UTC")
                config.allow_custom_projects = False
                config.max_partners = 1
                config.request_expiry_hours = 24
                config.reminder_grace_hours = 12
                session.add(config)
            config.channel_id = channel_id
            config.backend_role_id = roles.backend_role_id
            config.frontend_role_id = roles.frontend_role_id
            config.learner_role_id = roles.learner_role_id
            config.moderator_role_id = roles.moderator_role_id
            config.mod_log_channel_id = roles.mod_log_channel_id
            config.configured_by = by_user
            config.updated_at = now
            for hook in self._on_setup:
                await hook(session, config, created)
            return server_settings(config), created

    def add_setup_hook(self, hook: SetupHook) -> None:
        """Run `hook(session, config, created)` inside the setup transaction (e.g. seed catalog)."""
        self._on_setup.append(hook)

    async def update_settings(self, guild_id: int, changes: dict[str, Any]) -> ServerSettings:
        """Apply only the given settings; validate all before changing any."""
        cleaned: dict[str, Any] = {}
        for name, value in changes.items():
            if value is None:
                continue
            if name == "timezone":
                cleaned[name] = normalize_timezone(str(value))
            elif name == "allow_custom_projects":
                cleaned[name] = bool(value)
            elif name in SETTING_BOUNDS:
                low, high = SETTING_BOUNDS[name]
                if not isinstance(value, int) or not low <= value <= high:
                    raise InvalidInput(f"`{name}` must be a whole number from {low} to {high}.")
                cleaned[name] = value
            else:
                raise InvalidInput(f"Unknown setting `{name}`.")
        async with self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            for name, value in cleaned.items():
                setattr(config, name, value)
            if cleaned:
                config.updated_at = self._clock.now()
            return server_settings(config)

    async def is_moderator(self, guild_id: int, role_ids: set[int], manage_guild: bool) -> bool:
        """Manage Server always counts; the configured moderator role counts too."""
        if manage_guild:
            return True
        config = await self.get(guild_id)
        return bool(config and config.moderator_role_id and config.moderator_role_id in role_ids)

    async def configured_guild_ids(self) -> list[int]:
        async with self._sessions() as session:
            return list((await session.scalars(select(GuildConfig.guild_id))).all())


def server_settings(config: GuildConfig) -> ServerSettings:
    """The configuration row as the plain data the settings embeds show."""
    return ServerSettings(**{f.name: getattr(config, f.name) for f in fields(ServerSettings)})
