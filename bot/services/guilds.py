"""Server configuration: `/nexus setup`, `/nexus settings`, and who counts as a moderator.

Every command reads its server's configuration, so it is cached in memory (a detached row that
nothing mutates) and dropped whenever any process changes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ChangeFeed
from bot.db.models import Cohort, GuildConfig, Learner, Pairing, Project, Reminder
from bot.domain.audit import Change, channel_ref, differences, literal, role_ref
from bot.domain.checkins import DEFAULT_HOURS, MAX_HOURS
from bot.domain.server import CohortState, ServerOverview, ServerSettings
from bot.domain.statuses import SENT_STATUSES, StepStatus
from bot.domain.timezones import normalize_timezone
from bot.errors import InvalidInput, NotConfigured
from bot.services.audit import Audited, AuditTrail
from bot.services.cache import GuildCache
from bot.services.lookups import server_config

SetupHook = Callable[[AsyncSession, GuildConfig, bool], Awaitable[None]]

SETTING_BOUNDS: dict[str, tuple[int, int]] = {
    "max_partners": (1, 4),
    "request_expiry_hours": (1, 168),
    "reminder_grace_hours": (0, 72),
    "checkin_hours": (0, MAX_HOURS),
}


@dataclass(frozen=True)
class SetupRoles:
    backend_role_id: int | None = None
    frontend_role_id: int | None = None
    learner_role_id: int | None = None
    moderator_role_id: int | None = None
    mod_log_channel_id: int | None = None


@dataclass(eq=False)
class GuildService(Audited):
    _changes: ChangeFeed

    def __post_init__(self, audit: AuditTrail | None) -> None:
        super().__post_init__(audit)
        self._on_setup: list[SetupHook] = []
        self._configs: GuildCache[GuildConfig | None] = GuildCache(self._read)
        self._changes.subscribe("settings", self._configs.invalidate)

    async def _read(self, guild_id: int) -> GuildConfig | None:
        async with self._sessions() as session:
            return await session.get(GuildConfig, guild_id)

    async def get(self, guild_id: int) -> GuildConfig | None:
        """The server's configuration (from memory after the first read). Read-only."""
        return await self._configs.get(guild_id)

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
            before = {} if config is None else setup_view(config)
            if config is None:
                config = GuildConfig(guild_id=guild_id, created_at=now, timezone="UTC")
                config.allow_custom_projects = False
                config.max_partners = 1
                config.request_expiry_hours = 24
                config.reminder_grace_hours = 12
                config.checkin_hours = DEFAULT_HOURS
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
            await self._changes.publish(session, "settings", guild_id)
            after = setup_view(config)
            settings = server_settings(config)
            changes = differences("setup", before, after)
            await self._audit.record(guild_id, by_user, changes, session=session)
        return settings, created

    def add_setup_hook(self, hook: SetupHook) -> None:
        """Run `hook(session, config, created)` inside the setup transaction (e.g. seed catalog)."""
        self._on_setup.append(hook)

    async def update_settings(
        self, guild_id: int, changes: dict[str, Any], *, by_user: int | None = None
    ) -> ServerSettings:
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
            changed = [
                Change(f"settings · {name}", _shown(getattr(config, name)), _shown(value))
                for name, value in cleaned.items()
                if getattr(config, name) != value
            ]
            for name, value in cleaned.items():
                setattr(config, name, value)
            if cleaned:
                config.updated_at = self._clock.now()
                await self._changes.publish(session, "settings", guild_id)
            settings = server_settings(config)
            await self._audit.record(guild_id, by_user, changed, session=session)
        return settings

    async def overview(self, guild_id: int) -> ServerOverview:
        """Settings, catalog size, announced / paired learners and the latest cohort."""
        async with self._sessions() as session:
            config = await session.get(GuildConfig, guild_id)
            if config is None:
                raise NotConfigured()
            projects = await session.scalar(
                select(func.count(Project.id)).where(
                    Project.guild_id == guild_id, Project.active.is_(True)
                )
            )
            announced = await session.scalar(
                select(func.count(Learner.id)).where(
                    Learner.guild_id == guild_id,
                    Learner.active.is_(True),
                    Learner.announced_at.is_not(None),
                )
            )
            pairs = (
                await session.execute(
                    select(Pairing.backend_id, Pairing.frontend_id).where(
                        Pairing.guild_id == guild_id, Pairing.ended_at.is_(None)
                    )
                )
            ).all()
            cohort = await session.scalar(
                select(Cohort)
                .where(Cohort.guild_id == guild_id)
                .order_by(Cohort.created_at.desc(), Cohort.id.desc())
                .limit(1)
            )
            state = await _cohort_state(session, cohort) if cohort is not None else None
            return ServerOverview(
                settings=server_settings(config),
                projects=int(projects or 0),
                announced=int(announced or 0),
                paired=len({learner for pair in pairs for learner in pair}),
                cohort=state,
            )

    async def is_moderator(self, guild_id: int, role_ids: set[int], manage_guild: bool) -> bool:
        """Manage Server always counts; the configured moderator role counts too."""
        if manage_guild:
            return True
        config = await self.get(guild_id)
        return bool(config and config.moderator_role_id and config.moderator_role_id in role_ids)

    async def configured_guild_ids(self) -> list[int]:
        async with self._sessions() as session:
            return list((await session.scalars(select(GuildConfig.guild_id))).all())


def setup_view(config: GuildConfig) -> dict[str, str]:
    """What `/nexus setup` sets, as the audit trail shows it."""
    return {
        "Nexus channel": channel_ref(config.channel_id),
        "backend role": role_ref(config.backend_role_id),
        "frontend role": role_ref(config.frontend_role_id),
        "learner role": role_ref(config.learner_role_id),
        "moderator role": role_ref(config.moderator_role_id),
        "mod-log": channel_ref(config.mod_log_channel_id),
    }


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return literal(value) if isinstance(value, str) else str(value)


def server_settings(config: GuildConfig) -> ServerSettings:
    """The configuration row as the plain data the settings embeds show."""
    return ServerSettings(**{f.name: getattr(config, f.name) for f in fields(ServerSettings)})


async def _cohort_state(session: AsyncSession, cohort: Cohort) -> CohortState:
    steps = (
        await session.execute(
            select(Reminder.step_key, Reminder.status, Reminder.due_at)
            .where(Reminder.cohort_id == cohort.id)
            .order_by(Reminder.due_at)
        )
    ).all()
    done = sum(1 for _, status, _ in steps if status in (*SENT_STATUSES, StepStatus.SKIPPED))
    upcoming = next(
        ((key, due) for key, status, due in steps if status == StepStatus.SCHEDULED), None
    )
    return CohortState(
        start_date=cohort.start_date,
        timezone=cohort.timezone,
        status=cohort.status,
        done=done,
        total=len(steps),
        next_step=upcoming[0] if upcoming else None,
        next_due=upcoming[1] if upcoming else None,
    )
