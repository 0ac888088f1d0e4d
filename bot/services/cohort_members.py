"""Who is in a cohort, and the protocol for the day-5 nudge's partner suggestions.

The cohort is the members holding the configured learner role (read from the gateway's member
cache through a `MemberDirectory`), or, when no learner role is set, every learner row of the
server (everyone who used Nexus). Learners who left the server (`active` false) are not in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildConfig, Learner, Pairing, Project
from bot.domain.first_week import CohortMember
from bot.domain.text import user_text

log = logging.getLogger(__name__)


class MemberDirectory(Protocol):
    def role_members(self, guild_id: int, role_id: int) -> list[tuple[int, str]] | None:
        """(user id, display name) of the non-bot members holding a role; None if unknown."""
        ...


class SuggestionSource(Protocol):
    async def suggest(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, list[str]]:
        """For each learner (Discord user id), up to a few display names of good partners."""
        ...


async def paired_learner_ids(session: AsyncSession, guild_id: int) -> set[int]:
    """Learner row ids with an active pairing (ended_at is NULL)."""
    rows = await session.execute(
        select(Pairing.backend_id, Pairing.frontend_id).where(
            Pairing.guild_id == guild_id, Pairing.ended_at.is_(None)
        )
    )
    return {learner_id for pair in rows for learner_id in pair}


class CohortRoster:
    """Builds the cohort's members from the database and, with a learner role, the gateway."""

    def __init__(self) -> None:
        self._directory: MemberDirectory | None = None

    def attach(self, directory: MemberDirectory) -> None:
        self._directory = directory

    async def members(self, session: AsyncSession, config: GuildConfig) -> list[CohortMember]:
        """The cohort as of now, sorted by user id, names safe to display."""
        rows = await session.execute(
            select(Learner, Project.name)
            .outerjoin(Project, Project.id == Learner.project_id)
            .where(Learner.guild_id == config.guild_id)
        )
        learners = {learner.user_id: (learner, project) for learner, project in rows}
        paired = await paired_learner_ids(session, config.guild_id)
        role_members = self._role_members(config)
        if role_members is None:
            people = [(uid, row.display_name) for uid, (row, _) in learners.items() if row.active]
        else:
            people = role_members
        members = []
        for user_id, name in people:
            learner, project = learners.get(user_id, (None, None))
            if learner is not None and not learner.active:
                continue
            members.append(
                CohortMember(
                    user_id=user_id,
                    name=user_text(name or (learner.display_name if learner else "") or "?", 100),
                    reminders=learner.reminders if learner else "on",
                    announced=bool(learner and learner.announced_at),
                    paired=bool(learner and learner.id in paired),
                    project=user_text(project, 100) if project else None,
                    role=learner.role if learner else None,
                )
            )
        return sorted(members, key=lambda m: m.user_id)

    def _role_members(self, config: GuildConfig) -> list[tuple[int, str]] | None:
        if config.learner_role_id is None:
            return None
        if self._directory is None:
            log.warning("learner role set but no member directory yet; using learner rows")
            return None
        found = self._directory.role_members(config.guild_id, config.learner_role_id)
        if found is None:
            log.warning(
                "learner role %s not found in guild %s; using everyone who used Nexus",
                config.learner_role_id,
                config.guild_id,
            )
        return found
