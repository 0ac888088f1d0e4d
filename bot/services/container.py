"""Builds every service once, with its dependencies injected; cogs receive what they need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.db.changes import ChangeFeed
from bot.db.engine import Sessions
from bot.db.models import Delivery, OutboxPost, Pairing
from bot.db.reads import Reads
from bot.services.audit import AuditTrail
from bot.services.catalog import CatalogService
from bot.services.checkins import CheckInService
from bot.services.claims import Claims
from bot.services.cohort_members import CohortRoster
from bot.services.cohorts import CohortService
from bot.services.drafts import DraftService
from bot.services.guilds import GuildService
from bot.services.knowledge import KnowledgeService
from bot.services.learners import LearnerService
from bot.services.matching import MatchingService, RankedSuggestions
from bot.services.outbox import OutboxService
from bot.services.reminders import ReminderEngine
from bot.services.stats import StatsService
from bot.settings import DEFAULT_DATA_DIR, Settings


@dataclass
class Services:
    settings: Settings
    sessions: Sessions
    reads: Reads
    clock: Clock
    scheduler: AsyncIOScheduler
    audit: AuditTrail
    claims: Claims
    changes: ChangeFeed
    guilds: GuildService
    catalog: CatalogService
    learners: LearnerService
    matching: MatchingService
    knowledge: KnowledgeService
    stats: StatsService
    reminders: ReminderEngine
    cohorts: CohortService
    checkins: CheckInService
    outbox: OutboxService
    drafts: DraftService


def data_path(settings: Settings, name: str) -> Path:
    """`name` (the catalog, the first-week plan, the learnings folder) from the operator's data
    directory (`NEXUS_DATA_DIR`) when it has one, else the shipped one."""
    own = settings.data_dir / name
    return own if own.exists() else DEFAULT_DATA_DIR / name


def build_services(
    settings: Settings, sessions: Sessions, clock: Clock, scheduler: AsyncIOScheduler
) -> Services:
    claims = Claims(
        sessions,
        postgres=not settings.is_sqlite,
        lease=timedelta(seconds=settings.claim_lease_seconds),
    )
    claims.register(Delivery, Pairing, OutboxPost)
    outbox = OutboxService(
        sessions, claims, first_retry=timedelta(seconds=settings.outbox_retry_seconds)
    )
    audit = AuditTrail(sessions, clock, outbox)
    changes = ChangeFeed(settings.database_url)
    reads = Reads.of(sessions)
    guilds = GuildService(sessions, clock, changes, audit=audit)
    catalog = CatalogService(
        sessions, clock, data_path(settings, "catalog.yaml"), changes, guilds, audit=audit
    )
    guilds.add_setup_hook(catalog.seed_on_setup)
    learners = LearnerService(sessions, clock, catalog, guilds, changes, reads)
    matching = MatchingService(sessions, clock, catalog, guilds, claims, reads, audit=audit)
    roster = CohortRoster()
    reminders = ReminderEngine(
        sessions,
        clock,
        scheduler,
        roster,
        RankedSuggestions(matching),
        claims,
        sweep_seconds=settings.reminder_sweep_seconds,
        serves=settings.shards.serves,
    )
    stats = StatsService(sessions, clock, roster, audit=audit)
    reminders.use_charts(stats)
    return Services(
        settings=settings,
        sessions=sessions,
        reads=reads,
        clock=clock,
        scheduler=scheduler,
        audit=audit,
        claims=claims,
        changes=changes,
        guilds=guilds,
        catalog=catalog,
        learners=learners,
        matching=matching,
        knowledge=KnowledgeService(
            sessions, clock, data_path(settings, "learnings"), guilds, audit=audit
        ),
        stats=stats,
        reminders=reminders,
        cohorts=CohortService(
            sessions, clock, reminders, roster, data_path(settings, "first_week.yaml"), audit=audit
        ),
        checkins=CheckInService(
            sessions, clock, scheduler, sweep_seconds=settings.reminder_sweep_seconds
        ),
        outbox=outbox,
        drafts=DraftService(sessions, clock),
    )
