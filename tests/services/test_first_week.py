"""The first-week engine against a real database, a hand-moved clock and a fake transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select

from bot.db.changes import ChangeFeed
from bot.db.engine import Sessions
from bot.db.models import Cohort, Delivery, GuildConfig, Learner, Pairing, Project, Reminder
from bot.db.reads import Reads
from bot.errors import InvalidInput, NoCohort, NotConfigured
from bot.services.catalog import CatalogService
from bot.services.claims import Claims
from bot.services.cohort_members import CohortRoster
from bot.services.cohorts import CohortService
from bot.services.guilds import GuildService
from bot.services.matching import MatchingService, RankedSuggestions
from bot.services.reminder_delivery import NONCE_WINDOW
from bot.services.reminders import ReminderEngine
from tests.services.conftest import GUILD, FakeClock
from tests.services.reminder_fakes import FakeTransport

PLAN = Path(__file__).resolve().parents[2] / "data" / "first_week.yaml"
CATALOG = PLAN.with_name("catalog.yaml")
CHANNEL, MOD_LOG, LEARNER_ROLE = 2000, 3000, 4000
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Directory:
    def __init__(self) -> None:
        self.members: dict[int, list[tuple[int, str]]] = {}

    def role_members(self, guild_id: int, role_id: int) -> list[tuple[int, str]] | None:
        return self.members.get(role_id)


@dataclass
class World:
    sessions: Sessions
    clock: FakeClock
    scheduler: AsyncIOScheduler
    transport: FakeTransport
    directory: Directory
    engine: ReminderEngine
    cohorts: CohortService
    claims: Claims

    def restart(self, transport: FakeTransport | None = None) -> World:
        """A fresh process on the same database (and, unless given, the same Discord)."""
        return build(self.sessions, self.clock, self.scheduler, transport or self.transport)

    async def run_until(self, moment: datetime) -> None:
        self.clock.current = moment
        await self.claims.adopt_orphans()  # as a process does at start (SQLite: one process)
        await self.engine.sweep()
        await self.engine.idle()


def build(
    sessions: Sessions, clock: FakeClock, scheduler: AsyncIOScheduler, transport: FakeTransport
) -> World:
    roster = CohortRoster()
    claims = Claims(sessions, postgres=False)  # a new owner: a fresh process
    claims.register(Delivery, Pairing)
    changes = ChangeFeed("sqlite+aiosqlite://")
    guilds = GuildService(sessions, clock, changes)
    catalog = CatalogService(sessions, clock, CATALOG, changes, guilds)
    matching = MatchingService(sessions, clock, catalog, guilds, claims, Reads.of(sessions))
    engine = ReminderEngine(sessions, clock, scheduler, roster, RankedSuggestions(matching), claims)
    directory = Directory()
    engine.attach(transport, directory)
    cohorts = CohortService(sessions, clock, engine, roster, PLAN)
    return World(sessions, clock, scheduler, transport, directory, engine, cohorts, claims)


def set_clock(clock: FakeClock, moment: datetime) -> None:
    clock.current = moment


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)  # timers are armed but never fire: tests call sweep()
    yield scheduler
    scheduler.shutdown(wait=False)


@pytest.fixture
async def world(sessions: Sessions, clock: FakeClock, scheduler: AsyncIOScheduler) -> World:
    async with sessions.begin() as session:
        config = await session.get(GuildConfig, GUILD)
        assert config is not None
        config.channel_id = CHANNEL
        config.mod_log_channel_id = MOD_LOG
        config.timezone = "Africa/Lagos"
        for key, name in (("ecommerce", "E-Commerce"), ("job-board", "Job Board")):
            session.add(Project(guild_id=GUILD, key=key, name=name, aliases=[], created_at=T0))
    return build(sessions, clock, scheduler, FakeTransport())


async def add_learner(
    world: World,
    user_id: int,
    name: str,
    *,
    project: str | None = None,
    role: str | None = None,
    reminders: str = "on",
    active: bool = True,
) -> int:
    async with world.sessions.begin() as session:
        project_id = None
        if project:
            project_id = await session.scalar(select(Project.id).where(Project.name == project))
        learner = Learner(
            guild_id=GUILD,
            user_id=user_id,
            display_name=name,
            project_id=project_id,
            role=role,
            announced_at=T0 + timedelta(seconds=user_id % 1000) if project else None,
            reminders=reminders,
            active=active,
            first_seen_at=T0,
            updated_at=T0,
        )
        session.add(learner)
        await session.flush()
        return learner.id


async def pair(world: World, backend: int, frontend: int) -> None:
    async with world.sessions.begin() as session:
        session.add(
            Pairing(guild_id=GUILD, backend_id=backend, frontend_id=frontend, created_at=T0)
        )


def lagos(day: int, hour: int = 19, minute: int = 0) -> datetime:
    """Day N of a cohort starting 2026-03-02, local time in Lagos (UTC+1), as UTC."""
    return datetime(2026, 3, 1 + day, hour - 1, minute, tzinfo=UTC)


async def statuses(world: World) -> dict[str, str]:
    async with world.sessions() as session:
        rows = await session.execute(
            select(Reminder.step_key, Reminder.status)
            .join(Cohort, Cohort.id == Reminder.cohort_id)
            .where(Cohort.status == "active")
        )
        return dict(rows.all())


async def test_start_schedules_the_plan_in_the_cohort_time_zone(world: World) -> None:
    overview = await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    assert overview.timezone == "Africa/Lagos" and overview.status == "active"
    due = {r.step_key: r.due_at for r in overview.reminders}
    assert due == {
        "welcome": lagos(1),
        "announce-nudge": lagos(3),
        "partner-nudge": lagos(5),
        "moderator-summary": lagos(7),
    }
    assert all(r.local.hour == 19 and r.status == "scheduled" for r in overview.reminders)
    assert {j.id for j in world.scheduler.get_jobs()} == {
        f"reminder:{r.id}" for r in overview.reminders
    }
    nairobi = await world.cohorts.start(GUILD, "2026-03-02", "Africa/Nairobi", by_user=9)
    assert nairobi.reminders[0].due_at == datetime(2026, 3, 2, 16, tzinfo=UTC)


async def test_a_whole_week(world: World) -> None:
    ada = await add_learner(world, 11, "Ada", project="Job Board", role="backend")
    tobi = await add_learner(world, 12, "Tobi", project="Job Board", role="frontend")
    await add_learner(world, 13, "Chidi", project="E-Commerce", role="backend")
    await add_learner(world, 14, "Wanjiku", project="E-Commerce", role="frontend", reminders="dm")
    await add_learner(world, 15, "Kofi")
    await add_learner(world, 16, "Zola", reminders="off")
    await add_learner(world, 17, "Gone", active=False)
    await pair(world, ada, tobi)
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)

    await world.run_until(lagos(1) - timedelta(minutes=1))
    assert world.transport.sent == []

    await world.run_until(lagos(1))
    welcome = world.transport.of("post")
    assert len(welcome) == 1 and welcome[0].target == CHANNEL
    # only who hasn't announced is welcomed: the announced (and paired) aren't pinged
    assert welcome[0].mentions == (15,)
    assert "Welcome to Project Nexus week one, <@15>!" in welcome[0].content
    assert "E-Commerce, Job Board" in welcome[0].content
    assert world.transport.of("dm") == []  # Wanjiku (by DM) has announced

    await world.run_until(lagos(3))
    nudge = world.transport.of("post")[1]
    assert nudge.mentions == (15,) and "haven't announced" in nudge.content
    assert world.transport.of("dm") == []

    await world.run_until(lagos(5))
    partner = world.transport.of("post")[2]
    assert partner.mentions == (13,)
    assert "<@13> → still looking on your project: **Wanjiku**" in partner.content
    assert "`/find-partner` sends a request" in partner.content
    [dm] = world.transport.of("dm")
    assert "<@14> → still looking on your project: **Chidi**" in dm.content
    assert "press a button below" in dm.content and len(dm.buttons) == 1

    await world.run_until(lagos(7))
    summary = world.transport.of("post")[3]
    assert summary.target == MOD_LOG and summary.mentions == ()
    assert "6 learners" in summary.content and "4 announced, 2 paired, 2 still alone" in (
        summary.content
    )
    assert "**E-Commerce**: 2 announced, 0 paired, 2 still alone (Chidi, Wanjiku)" in (
        summary.content
    )
    assert "**Job Board**: 2 announced, 2 paired" in summary.content
    assert set((await statuses(world)).values()) == {"sent"}
    assert world.transport.of("notice") == []

    overview = await world.cohorts.show(GUILD)
    welcome_view = overview.reminders[0]
    assert welcome_view.title == "Welcome"
    assert (welcome_view.sent, welcome_view.by_dm, welcome_view.note) == (1, 0, "1 opted out")
    assert overview.status == "finished"


async def test_closed_dms_fall_back_to_the_channel(world: World) -> None:
    await add_learner(world, 21, "Ama", reminders="dm")
    await add_learner(world, 22, "Bola", reminders="dm")
    world.transport.dm_closed.add(22)
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1))
    assert [d.target for d in world.transport.of("dm")] == [21]
    posts = world.transport.of("post")
    assert [p.mentions for p in posts] == [(22,)]
    async with world.sessions() as session:
        row = await session.scalar(select(Delivery).where(Delivery.user_id == 22))
        assert row is not None and (row.via, row.status) == ("channel", "sent")


async def test_large_cohorts_are_mentioned_in_chunks_of_fifty(world: World) -> None:
    for i in range(120):
        await add_learner(world, 10**17 + i, f"L{i}")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1))
    posts = world.transport.of("post")
    assert [len(p.mentions) for p in posts] == [50, 50, 20]
    assert sorted(world.transport.mentioned()) == [10**17 + i for i in range(120)]
    for post in posts:
        assert all(f"<@{u}>" in post.content for u in post.mentions)


async def test_partner_nudge_chunks_by_length(world: World) -> None:
    for i in range(60):
        await add_learner(world, 500 + i, "N" * 30 + str(i), project="Job Board", role="backend")
    for i in range(3):
        await add_learner(world, 900 + i, "F" * 60 + str(i), project="Job Board", role="frontend")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    set_clock(world.clock, lagos(5) - timedelta(minutes=1))
    await world.run_until(lagos(5))
    nudges = [p for p in world.transport.of("post") if "Still without" in p.content]
    assert all(len(p.content) <= 2000 for p in nudges) and len(nudges) > 2
    assert sorted(world.transport.mentioned()[-63:]) == sorted(
        [500 + i for i in range(60)] + [900, 901, 902]
    )


async def test_crash_mid_fan_out_then_restart_sends_each_once(world: World) -> None:
    for i in range(230):
        await add_learner(world, 10**17 + i, f"L{i}")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    world.transport.crash_after_posts = 3  # Discord created message 3, then the bot died
    await world.run_until(lagos(1))
    assert len(world.transport.of("post")) == 3
    assert (await statuses(world))["welcome"] == "sending"

    world.transport.crash_after_posts = None
    again = world.restart()
    await again.run_until(lagos(1) + timedelta(seconds=30))
    posts = again.transport.of("post")
    assert len(posts) == 5
    assert sorted(again.transport.mentioned()) == [10**17 + i for i in range(230)]
    assert (await statuses(again))["welcome"] == "sent"


async def test_a_claim_older_than_the_nonce_window_is_not_resent(world: World) -> None:
    for i in range(80):
        await add_learner(world, 10**17 + i, f"L{i}")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    world.transport.crash_after_posts = 1
    await world.run_until(lagos(1))
    world.transport.crash_after_posts = None
    again = world.restart()
    await again.run_until(lagos(1) + NONCE_WINDOW + timedelta(seconds=1))
    assert sorted(again.transport.mentioned()) == [10**17 + i for i in range(80)]
    assert len(again.transport.of("post")) == 2
    assert (await statuses(again))["welcome"] == "sent"
    notice = again.transport.of("notice")
    assert len(notice) == 1 and "50 of 80" in notice[0].content and notice[0].target == MOD_LOG


async def test_down_across_a_step_late_within_grace_skipped_beyond(world: World) -> None:
    await add_learner(world, 31, "Efe")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1) + timedelta(hours=3))  # bot was down at 19:00
    late = world.transport.of("post")
    assert len(late) == 1 and late[0].content.startswith("⏰ *A little late")
    assert (await statuses(world))["welcome"] == "late"

    await world.run_until(lagos(3) + timedelta(hours=13))  # beyond the 12 h grace
    assert len(world.transport.of("post")) == 1
    assert (await statuses(world))["announce-nudge"] == "skipped"
    notice = world.transport.of("notice")
    assert len(notice) == 1 and notice[0].target == MOD_LOG
    assert "Nudge to announce" in notice[0].content and "skipped" in notice[0].content
    overview = await world.cohorts.show(GUILD)
    skipped = next(r for r in overview.reminders if r.step_key == "announce-nudge")
    assert skipped.note and "grace" in skipped.note


async def test_restarting_a_cohort_replaces_the_plan(world: World) -> None:
    await add_learner(world, 41, "Femi")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1) + timedelta(minutes=30))
    assert len(world.transport.of("post")) == 1
    again = await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    assert again.replaced == 1
    assert [r.status for r in again.reminders] == ["skipped", *["scheduled"] * 3]
    assert again.reminders[0].note == "already sent by the plan this one replaced"
    async with world.sessions() as session:
        active = await session.scalar(
            select(func.count()).select_from(Cohort).where(Cohort.status == "active")
        )
        assert active == 1
    await world.run_until(lagos(3))
    assert len(world.transport.of("post")) == 2  # no second welcome, one nudge


async def test_cancel_stops_everything(world: World) -> None:
    await add_learner(world, 51, "Gbenga")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    overview = await world.cohorts.cancel(GUILD)
    assert overview.status == "cancelled"
    assert {r.status for r in overview.reminders} == {"cancelled"}
    assert world.scheduler.get_jobs() == []
    await world.run_until(lagos(8))
    assert world.transport.sent == []
    with pytest.raises(NoCohort):
        await world.cohorts.cancel(GUILD)
    assert (await world.cohorts.show(GUILD)).status == "cancelled"


async def test_channel_refusal_fails_once_and_reports(world: World) -> None:
    for i in range(120):
        await add_learner(world, 10**17 + i, f"L{i}")
    world.transport.refuse_channel = True
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1))
    assert world.transport.requests == 1
    notice = world.transport.of("notice")
    assert len(notice) == 1 and "120 of 120" in notice[0].content
    assert (await statuses(world))["welcome"] == "sent"


async def test_learner_role_defines_the_cohort(world: World) -> None:
    async with world.sessions.begin() as session:
        config = await session.get(GuildConfig, GUILD)
        assert config is not None
        config.learner_role_id = LEARNER_ROLE
    await add_learner(world, 61, "Used Nexus, no role")
    await add_learner(world, 62, "Has role, DM", reminders="dm")
    world.directory.members[LEARNER_ROLE] = [
        (62, "Has role"),
        (63, "New <@&123456789012345678> **x**"),
    ]
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    _, steps = await world.cohorts.preview(GUILD)
    welcome = steps[0]
    assert [m.user_id for m in welcome.channel] == [63]
    assert [m.user_id for m in welcome.dm] == [62]
    assert "<@&" not in welcome.channel[0].name and "\\*\\*" in welcome.channel[0].name
    await world.run_until(lagos(1))
    await world.run_until(lagos(3))
    assert [p.mentions for p in world.transport.of("post")] == [(63,), (63,)]
    assert [d.target for d in world.transport.of("dm")] == [62, 62]


async def test_preview_lists_upcoming_steps_only(world: World) -> None:
    await add_learner(world, 71, "Halima", project="Job Board", role="backend")
    await add_learner(world, 72, "Ike", reminders="off")
    await world.cohorts.start(GUILD, "2026-03-02", "UTC+3", by_user=9)
    await world.run_until(datetime(2026, 3, 2, 16, 1, tzinfo=UTC))
    _, steps = await world.cohorts.preview(GUILD)
    assert [s.reminder.step_key for s in steps] == [
        "announce-nudge",
        "partner-nudge",
        "moderator-summary",
    ]
    assert steps[0].opted_out == 1 and steps[0].channel == ()
    assert [m.name for m in steps[1].channel] == ["Halima"]
    assert steps[2].target_channel_id == MOD_LOG
    assert world.transport.mentioned() == []  # Halima announced (no welcome); preview sent nothing
    assert steps[1].wording.startswith("🤝 Still without a partner?")
    assert "waiting list" in steps[1].wording


async def test_start_validation(world: World) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        await world.cohorts.start(GUILD, "2 March", None, by_user=9)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        await world.cohorts.start(GUILD, "2026-02-30", None, by_user=9)
    with pytest.raises(InvalidInput, match="time zone"):
        await world.cohorts.start(GUILD, "2026-03-02", "Mars/Base", by_user=9)
    with pytest.raises(InvalidInput, match="already over"):
        await world.cohorts.start(GUILD, "2026-01-05", None, by_user=9)
    with pytest.raises(InvalidInput, match="year"):
        await world.cohorts.start(GUILD, "2028-03-02", None, by_user=9)
    with pytest.raises(NotConfigured):
        await world.cohorts.start(GUILD + 1, "2026-03-02", None, by_user=9)
    with pytest.raises(NoCohort):
        await world.cohorts.show(GUILD)
    with pytest.raises(NoCohort):
        await world.cohorts.preview(GUILD)


async def test_past_steps_within_grace_go_out_late_at_start(world: World) -> None:
    await add_learner(world, 81, "Jide")
    set_clock(world.clock, lagos(1) + timedelta(hours=2))
    overview = await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    assert overview.reminders[0].status == "scheduled"
    await world.run_until(world.clock.now())
    assert (await statuses(world))["welcome"] == "late"
    await world.cohorts.cancel(GUILD)
    set_clock(world.clock, lagos(2))
    overview = await world.cohorts.start(GUILD, "2026-03-01", None, by_user=9)
    assert overview.reminders[0].status == "skipped"
    assert overview.reminders[0].note == "already past when the cohort was started"


async def test_a_timer_firing_a_moment_early_still_sends(world: World) -> None:
    await add_learner(world, 91, "Kemi")
    await world.cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    await world.run_until(lagos(1) - timedelta(seconds=1))
    assert len(world.transport.of("post")) == 1
    assert (await statuses(world))["welcome"] == "sent"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("steps: [", "can't be read"),
        ("steps:\n  - {key: a, day: 1, audience: all, template: hi}\n", "step `a`"),
        ("steps:\n  - {key: a, day: 1, audience: everyone, template: '{oops}'}\n", "{oops}"),
    ],
)
async def test_a_broken_plan_file_is_reported_and_nothing_starts(
    world: World, tmp_path: Path, text: str, complaint: str
) -> None:
    plan = tmp_path / "first_week.yaml"
    plan.write_text(text)
    cohorts = CohortService(world.sessions, world.clock, world.engine, CohortRoster(), plan)
    with pytest.raises(InvalidInput, match=r"step|plan") as error:
        await cohorts.start(GUILD, "2026-03-02", None, by_user=9)
    assert complaint in str(error.value)
    with pytest.raises(NoCohort):
        await cohorts.show(GUILD)
