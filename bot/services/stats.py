"""Queries behind `/nexus stats` and `/nexus export`; the counting itself is in bot.domain.stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import desc, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import Learner, LearnMiss, Pairing, Project
from bot.domain.export import LearnerRow, PairingRow, learners_csv, pairings_csv
from bot.domain.knowledge.text import name_key
from bot.domain.stats import (
    ExportFiles,
    LearnerFact,
    MissCount,
    StatsReport,
    aggregate,
)
from bot.errors import InvalidInput
from bot.services.lookups import server_config

PROJECT_CACHE_SECONDS = 60
MAX_CHOICES = 25


@dataclass(frozen=True)
class ProjectName:
    id: int
    key: str
    name: str
    names: tuple[str, ...]  # name keys of every way to refer to it (titles, aliases)


def _project_name(project: Project) -> ProjectName:
    written = [project.key, project.name, project.backend_title, project.frontend_title]
    written += list(project.aliases or [])
    names = tuple(dict.fromkeys(name_key(n) for n in written if n))
    return ProjectName(project.id, project.key, project.name, names)


class StatsService:
    def __init__(self, sessions: Sessions, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._projects: dict[int, tuple[datetime, list[ProjectName]]] = {}

    async def _require_config(self, session: AsyncSession, guild_id: int) -> None:
        await server_config(session, guild_id)

    async def _load_projects(self, session: AsyncSession, guild_id: int) -> list[ProjectName]:
        rows = await session.scalars(
            select(Project).where(Project.guild_id == guild_id).order_by(Project.name)
        )
        projects = [_project_name(p) for p in rows.all()]
        self._projects[guild_id] = (self._clock.now(), projects)
        return projects

    async def project_choices(self, guild_id: int, current: str) -> list[tuple[str, str]]:
        """(name, key) of the server's projects matching what is typed, from a short-lived cache."""
        cached = self._projects.get(guild_id)
        fresh = timedelta(seconds=PROJECT_CACHE_SECONDS)
        if cached is None or self._clock.now() - cached[0] > fresh:
            async with self._sessions() as session:
                projects = await self._load_projects(session, guild_id)
        else:
            projects = cached[1]
        typed = name_key(current)
        matches = [p for p in projects if not typed or any(typed in n for n in p.names)]
        matches.sort(key=lambda p: (not any(n.startswith(typed) for n in p.names), p.name.lower()))
        return [(p.name[:100], p.key[:100]) for p in matches[:MAX_CHOICES]]

    async def overview(
        self, guild_id: int, project: str | None = None, *, misses: int = 10
    ) -> StatsReport:
        """Announced / paired / waiting per project and track (one project when given)."""
        async with self._sessions() as session:
            await self._require_config(session, guild_id)
            projects = await self._load_projects(session, guild_id)
            chosen = self._find_project(projects, project) if project else None
            learners = select(
                Learner.id,
                Project.name,
                Learner.role,
                Learner.waiting_since,
            ).outerjoin(Project, Project.id == Learner.project_id)
            learners = learners.where(
                Learner.guild_id == guild_id,
                Learner.active.is_(True),
                Learner.announced_at.is_not(None),
            )
            if chosen is not None:
                learners = learners.where(Learner.project_id == chosen.id)
            pairs = (
                await session.execute(
                    select(Pairing.backend_id, Pairing.frontend_id, Pairing.project_id).where(
                        Pairing.guild_id == guild_id, Pairing.ended_at.is_(None)
                    )
                )
            ).all()
            paired_ids = {pair.backend_id for pair in pairs} | {pair.frontend_id for pair in pairs}
            if chosen is not None:
                pairs = [pair for pair in pairs if pair.project_id == chosen.id]
            facts = [
                LearnerFact(
                    learner_id=row.id,
                    project=row.name,
                    role=row.role,
                    announced=True,
                    active=True,
                    paired=row.id in paired_ids,
                    waiting_since=row.waiting_since,
                )
                for row in (await session.execute(learners)).all()
            ]
            top_misses = [] if chosen is not None else await self._misses(session, guild_id, misses)
        listed = [chosen.name] if chosen else [p.name for p in projects]
        rows, total = aggregate(facts, listed)
        return StatsReport(chosen.name if chosen else None, rows, total, len(pairs), top_misses)

    def _find_project(self, projects: list[ProjectName], text: str) -> ProjectName:
        typed = name_key(text)
        for project in projects:
            if project.key == text or typed in project.names:
                return project
        raise InvalidInput(
            f"There is no project called “{text[:80]}” on this server. "
            "Pick one from the list, or see `/nexus projects list`."
        )

    async def _misses(self, session: AsyncSession, guild_id: int, limit: int) -> list[MissCount]:
        rows = await session.scalars(
            select(LearnMiss)
            .where(LearnMiss.guild_id == guild_id)
            .order_by(desc(LearnMiss.count), desc(LearnMiss.last_at), LearnMiss.query)
            .limit(limit)
        )
        return [MissCount(r.query, r.count, r.last_at) for r in rows.all()]

    async def export(self, guild_id: int) -> ExportFiles:
        """Every learner and every pairing of the server, as two CSV texts."""
        backend, frontend = aliased(Learner), aliased(Learner)
        async with self._sessions() as session:
            await self._require_config(session, guild_id)
            learner_rows = (
                await session.execute(
                    select(Learner, Project.name)
                    .outerjoin(Project, Project.id == Learner.project_id)
                    .where(Learner.guild_id == guild_id)
                    .order_by(Learner.id)
                )
            ).all()
            pairing_rows = (
                await session.execute(
                    select(Pairing, backend, frontend, Project.name)
                    .join(backend, backend.id == Pairing.backend_id)
                    .join(frontend, frontend.id == Pairing.frontend_id)
                    .outerjoin(Project, Project.id == Pairing.project_id)
                    .where(Pairing.guild_id == guild_id)
                    .order_by(Pairing.id)
                )
            ).all()
        learners = [
            LearnerRow(
                user_id=learner.user_id,
                display_name=learner.display_name,
                project=project,
                role=learner.role,
                summary=learner.summary,
                repo=learner.repo,
                timezone=learner.timezone,
                announced_at=learner.announced_at,
                active=learner.active,
                reminders=learner.reminders,
                waiting_since=learner.waiting_since,
            )
            for learner, project in learner_rows
        ]
        pairings = [
            PairingRow(
                pairing_id=pairing.id,
                backend_user_id=b.user_id,
                backend_name=b.display_name,
                frontend_user_id=f.user_id,
                frontend_name=f.display_name,
                project=project,
                created_at=pairing.created_at,
                ended_at=pairing.ended_at,
                end_reason=pairing.end_reason,
            )
            for pairing, b, f, project in pairing_rows
        ]
        return ExportFiles(
            learners_csv(learners), pairings_csv(pairings), len(learners), len(pairings)
        )
