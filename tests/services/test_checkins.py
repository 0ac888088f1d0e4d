"""Check-ins against a real database and a hand-moved clock: due `checkin_hours` after the
pairing, sent exactly once across restarts and crashes, late within grace, skipped beyond."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db.models import CheckIn, GuildConfig, Learner, Project
from bot.domain.checkins import CheckInPrompt
from bot.services.checkins import CheckInService, NotInThisPair
from bot.services.container import Services
from bot.services.reminder_delivery import NONCE_WINDOW, Undeliverable
from tests.services.conftest import GUILD, FakeClock

THREAD = 777


@dataclass
class FakeThreads:
    """Posts check-ins; de-duplicates nonces like Discord; can fail after creating one."""

    posted: list[CheckInPrompt] = field(default_factory=list)
    nonces: dict[str, int] = field(default_factory=dict)
    crash_after_post: bool = False
    refuse: bool = False
    notices: list[str] = field(default_factory=list)

    async def post_checkin(self, prompt: CheckInPrompt, nonce: str) -> int:
        if self.refuse:
            raise Undeliverable("no permission to post in the thread")
        if nonce not in self.nonces:
            self.posted.append(prompt)
            self.nonces[nonce] = 9000 + len(self.posted)
        if self.crash_after_post:
            self.crash_after_post = False
            raise ConnectionResetError("the process died after Discord created the message")
        return self.nonces[nonce]

    async def notify(self, channel_id: int, content: str) -> None:
        self.notices.append(content)


async def learner(services: Services, user_id: int, role: str) -> None:
    now = services.clock.now()
    async with services.sessions.begin() as session:
        project_id = await session.scalar(
            select(Project.id).where(Project.guild_id == GUILD, Project.key == "ecommerce")
        )
        session.add(
            Learner(
                guild_id=GUILD,
                user_id=user_id,
                display_name=f"user{user_id}",
                project_id=project_id,
                role=role,
                timezone="Africa/Lagos",
                announced_at=now,
                reminders="on",
                active=True,
                first_seen_at=now,
                updated_at=now,
            )
        )


async def paired(services: Services) -> int:
    """Two learners paired by a moderator, with their thread; the pairing id."""
    await learner(services, 1, "backend")
    await learner(services, 2, "frontend")
    result = await services.matching.moderator_pair(GUILD, 1, 2, by_user_id=99)
    await services.matching.set_thread(result.pairing.pairing_id, THREAD)
    return result.pairing.pairing_id


async def checkin_row(services: Services) -> CheckIn:
    async with services.sessions() as session:
        row = await session.scalar(select(CheckIn))
    assert row is not None
    return row


def engine(services: Services, threads: FakeThreads) -> CheckInService:
    """A fresh process's check-in engine on the same database."""
    fresh = CheckInService(services.sessions, services.clock)
    fresh.attach(threads)
    return fresh


async def test_a_pairing_gets_one_checkin_48_hours_later(
    services: Services, clock: FakeClock
) -> None:
    start = clock.now()
    await paired(services)
    row = await checkin_row(services)
    assert row.due_at == start + timedelta(hours=48) and row.status == "scheduled"
    threads = FakeThreads()
    checkins = engine(services, threads)
    clock.advance(hours=47, minutes=59)
    await checkins.sweep()
    assert threads.posted == []
    clock.advance(minutes=1)
    await checkins.sweep()
    [prompt] = threads.posted
    assert prompt.thread_id == THREAD and prompt.user_ids == (1, 2) and not prompt.late
    assert (await checkin_row(services)).status == "sent"
    await checkins.sweep()
    await engine(services, threads).sweep()  # a restart sends nothing again
    assert len(threads.posted) == 1


async def test_the_setting_turns_checkins_off_or_moves_them(services: Services) -> None:
    await services.guilds.update_settings(GUILD, {"checkin_hours": 0})
    await paired(services)
    async with services.sessions() as session:
        assert (await session.scalars(select(CheckIn))).all() == []
    with pytest.raises(Exception, match="checkin_hours"):
        await services.guilds.update_settings(GUILD, {"checkin_hours": -1})
    config = await services.guilds.update_settings(GUILD, {"checkin_hours": 24})
    assert config.checkin_hours == 24


async def test_a_crash_after_posting_resends_with_the_same_nonce_only(
    services: Services, clock: FakeClock
) -> None:
    await paired(services)
    threads = FakeThreads(crash_after_post=True)
    clock.advance(hours=48)
    await engine(services, threads).sweep()
    assert (await checkin_row(services)).status == "sending"  # outcome unknown
    clock.advance(seconds=30)
    await engine(services, threads).sweep()  # the restarted process
    assert len(threads.posted) == 1  # Discord dropped the duplicate
    row = await checkin_row(services)
    assert row.status == "sent" and row.message_id == 9001


async def test_an_interrupted_send_too_old_to_dedupe_is_never_resent(
    services: Services, clock: FakeClock
) -> None:
    await paired(services)
    threads = FakeThreads(crash_after_post=True)
    clock.advance(hours=48)
    await engine(services, threads).sweep()
    clock.advance(seconds=NONCE_WINDOW.total_seconds() + 1)
    await engine(services, FakeThreads()).sweep()
    row = await checkin_row(services)
    assert row.status == "failed" and "outcome unknown" in (row.note or "")


async def test_down_at_its_time_late_within_grace_skipped_beyond(
    services: Services, clock: FakeClock
) -> None:
    await paired(services)
    threads = FakeThreads()
    clock.advance(hours=48 + 3)
    await engine(services, threads).sweep()
    [prompt] = threads.posted
    assert prompt.late and (await checkin_row(services)).status == "late"

    async with services.sessions.begin() as session:  # a second pair, found too late
        row = await session.scalar(select(CheckIn))
        assert row is not None
        row.status, row.due_at = "scheduled", clock.now() - timedelta(hours=13)
    await engine(services, threads).sweep()
    assert len(threads.posted) == 1
    assert (await checkin_row(services)).status == "skipped"


async def test_an_ended_pairing_gets_no_checkin(services: Services, clock: FakeClock) -> None:
    await paired(services)
    await services.matching.unpair(GUILD, 1, None)
    clock.advance(hours=48)
    threads = FakeThreads()
    await engine(services, threads).sweep()
    assert threads.posted == [] and (await checkin_row(services)).status == "cancelled"


async def test_no_thread_yet_waits_for_it(services: Services, clock: FakeClock) -> None:
    await learner(services, 1, "backend")
    await learner(services, 2, "frontend")
    result = await services.matching.moderator_pair(GUILD, 1, 2, by_user_id=99)
    clock.advance(hours=48)
    threads = FakeThreads()
    await engine(services, threads).sweep()
    assert threads.posted == [] and (await checkin_row(services)).status == "scheduled"
    await services.matching.set_thread(result.pairing.pairing_id, THREAD)
    await engine(services, threads).sweep()
    assert len(threads.posted) == 1


async def test_a_refused_post_is_marked_failed(services: Services, clock: FakeClock) -> None:
    await paired(services)
    clock.advance(hours=48)
    await engine(services, FakeThreads(refuse=True)).sweep()
    assert (await checkin_row(services)).status == "failed"


async def test_answers_are_recorded_only_from_the_pair(
    services: Services, clock: FakeClock
) -> None:
    await paired(services)
    clock.advance(hours=48)
    await engine(services, FakeThreads()).sweep()
    row = await checkin_row(services)
    with pytest.raises(NotInThisPair):
        await services.checkins.answer(row.id, 3, "met")
    answer = await services.checkins.answer(row.id, 2, "met")
    assert answer.first and answer.project == "E-Commerce"
    again = await services.checkins.answer(row.id, 1, "met")
    assert not again.first
    stuck = await services.checkins.answer(row.id, 1, "stuck")
    assert stuck.first and stuck.mod_log_channel_id is None
    counts = await services.checkins.counts(GUILD)
    assert (counts.sent, counts.stuck, counts.met) == (1, 1, 0)
    async with services.sessions() as session:
        config = await session.get(GuildConfig, GUILD)
        assert config is not None and config.checkin_hours == 48
