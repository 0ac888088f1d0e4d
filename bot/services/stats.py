"""Queries behind `/nexus stats` and `/nexus export`; the counting itself is in bot.domain.stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import desc, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import (
    CheckIn,
    Cohort,
    GuildConfig,
    Learner,
    LearnMiss,
    Pairing,
    PairRequest,
    Project,
)
from bot.domain.checkins import CheckInCounts, checkin_state
from bot.domain.export import (
    LearnerRow,
    PairingRow,
    audit_csv,
    learners_csv,
    pairings_csv,
)
from bot.domain.knowledge.text import name_key
from bot.domain.stats import (
    ChartData,
    ExportFiles,
    LearnerFact,
    MissCount,
    StatsReport,
    WeekFacts,
    aggregate,
    funnel,
)
from bot.domain.statuses import SENT_STATUSES, CheckInChoice, CohortStatus
from bot.domain.timezones import to_tzinfo
from bot.errors import InvalidInput
from bot.services.audit import AuditTrail
from bot.services.cohort_members import CohortRoster
from bot.services.lookups import server_config
from bot.services.rows import from_row

WEEK_DAYS = 7

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
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        roster: CohortRoster | None = None,
        *,
        audit: AuditTrail | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._audit = audit or AuditTrail(sessions, clock)
        self._roster = roster or CohortRoster()
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
            checkins = select(CheckIn.answer).where(
                CheckIn.guild_id == guild_id, CheckIn.status.in_(SENT_STATUSES)
            )
            if chosen is not None:
                checkins = checkins.join(Pairing, Pairing.id == CheckIn.pairing_id).where(
                    Pairing.project_id == chosen.id
                )
            answers = [answer for (answer,) in (await session.execute(checkins)).all()]
            week = None if chosen is not None else await self._week(session, guild_id)
        listed = [chosen.name] if chosen else [p.name for p in projects]
        rows, total = aggregate(facts, listed)
        report_funnel = funnel(week) if week is not None else None
        return StatsReport(
            chosen.name if chosen else None,
            rows,
            total,
            len(pairs),
            top_misses,
            report_funnel,
            CheckInCounts.of(answers),
        )

    async def chart(self, guild_id: int, title: str) -> ChartData:
        """The whole server's chart data (the day-7 summary carries it)."""
        return (await self.overview(guild_id, misses=0)).chart(title)

    async def _week(self, session: AsyncSession, guild_id: int) -> WeekFacts:
        """Who reached each stage of the week: since the active cohort's start (or ever)."""
        config = await session.get(GuildConfig, guild_id)
        assert config is not None
        now = self._clock.now()
        cohort = await session.scalar(
            select(Cohort)
            .where(Cohort.guild_id == guild_id, Cohort.status == CohortStatus.ACTIVE)
            .order_by(Cohort.id.desc())
            .limit(1)
        )
        since: datetime | None = None
        cutoff = now
        if cohort is not None:
            zone = to_tzinfo(cohort.timezone)
            since = datetime.combine(cohort.start_date, time(0), zone)
            cutoff = min(now, since + timedelta(days=WEEK_DAYS))
        members = await self._roster.members(session, config)
        users = dict(
            (
                await session.execute(
                    select(Learner.id, Learner.user_id).where(Learner.guild_id == guild_id)
                )
            ).all()
        )
        requests = select(PairRequest.requester_id, PairRequest.invitee_id).where(
            PairRequest.guild_id == guild_id
        )
        pairings = select(
            Pairing.id, Pairing.backend_id, Pairing.frontend_id, Pairing.ended_at
        ).where(Pairing.guild_id == guild_id, Pairing.created_at <= cutoff)
        if since is not None:
            requests = requests.where(PairRequest.created_at >= since)
            pairings = pairings.where(or_(Pairing.ended_at.is_(None), Pairing.ended_at >= since))
        asked = {users[i] for row in (await session.execute(requests)).all() for i in row}
        paired: set[int] = set()
        still: set[int] = set()
        met_pairings = set(
            await session.scalars(
                select(CheckIn.pairing_id).where(
                    CheckIn.guild_id == guild_id, CheckIn.answer == CheckInChoice.MET
                )
            )
        )
        met: set[int] = set()
        for pairing_id, backend_id, frontend_id, ended_at in (
            await session.execute(pairings)
        ).all():
            pair = {users[backend_id], users[frontend_id]}
            paired |= pair
            if pairing_id in met_pairings:
                met |= pair
            if ended_at is None or ended_at > cutoff:
                still |= pair
        return WeekFacts(
            cohort=frozenset(m.user_id for m in members),
            announced=frozenset(m.user_id for m in members if m.announced),
            asked=frozenset(asked),
            paired=frozenset(paired),
            met=frozenset(met),
            still_paired=frozenset(still),
            day7_reached=since is not None and now >= since + timedelta(days=WEEK_DAYS),
        )

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
        """Every learner, every pairing and the audit trail of the server, as CSV texts."""
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
                    select(Pairing, backend, frontend, Project.name, CheckIn.status, CheckIn.answer)
                    .join(backend, backend.id == Pairing.backend_id)
                    .join(frontend, frontend.id == Pairing.frontend_id)
                    .outerjoin(Project, Project.id == Pairing.project_id)
                    .outerjoin(CheckIn, CheckIn.pairing_id == Pairing.id)
                    .where(Pairing.guild_id == guild_id)
                    .order_by(Pairing.id)
                )
            ).all()
        names = {learner.id: learner.display_name for learner, _ in learner_rows}
        partners: dict[int, list[str]] = {}
        outcome: dict[int, str] = {}  # learner id -> the current pairing's check-in
        for pairing, _, _, _, checkin_status, checkin_answer in pairing_rows:
            if pairing.ended_at is None:
                partners.setdefault(pairing.backend_id, []).append(names[pairing.frontend_id])
                partners.setdefault(pairing.frontend_id, []).append(names[pairing.backend_id])
                state = checkin_state(checkin_status, checkin_answer)
                outcome[pairing.backend_id] = outcome[pairing.frontend_id] = state
        learners = [
            from_row(
                LearnerRow,
                learner,
                project=project,
                partners=tuple(partners.get(learner.id, ())),
                checkin=outcome.get(learner.id, ""),
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
                checkin=checkin_state(checkin_status, checkin_answer),
            )
            for pairing, b, f, project, checkin_status, checkin_answer in pairing_rows
        ]
        trail = await self._audit.entries(guild_id)
        return ExportFiles(
            learners_csv(learners),
            pairings_csv(pairings),
            len(learners),
            len(pairings),
            audit_csv(trail),
            len(trail),
        )
