"""Check-ins in pair threads: stored like reminders, sent exactly once, answered by the pair.

A pairing made while `checkin_hours` > 0 gets one `checkins` row, due that many hours later
(written in the pairing's own transaction). The sweep, every few seconds to a minute, sends what
is due: it claims a row (`scheduled` → `sending` with a fresh nonce, one committed
compare-and-set), posts it with that nonce (Discord drops a duplicate sent with the same nonce),
then marks it `sent` (or `late`, when it went out more than a few minutes behind). A process
killed between claim and mark resends with the same nonce on the next start while Discord still
de-duplicates, and otherwise gives up (`failed`, "outcome unknown"): at most once wins. A row
whose pairing ended first is `cancelled`; one found past the grace period is `skipped`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db.engine import Sessions
from bot.db.models import CheckIn, GuildConfig, Learner, Pairing, Project
from bot.domain.checkins import (
    ANSWERS,
    CheckInAnswer,
    CheckInCounts,
    CheckInPair,
    CheckInPrompt,
    checkin_due,
)
from bot.domain.first_week import LATE_AFTER, timeliness
from bot.domain.statuses import SENT_STATUSES, CheckInChoice, StepStatus
from bot.domain.text import user_text
from bot.errors import InvalidInput, NexusError
from bot.services.reminder_delivery import NONCE_WINDOW, Undeliverable, changed
from bot.services.sweeps import SweepTimer, due_rows

log = logging.getLogger(__name__)

DEFAULT_GRACE_HOURS = 12
SWEEP_JOB = "checkins:sweep"


class CheckInClosed(NexusError):
    """The check-in can't be answered any more (its pairing ended)."""

    def __init__(self, message: str = "This pairing has already ended: nothing to answer.") -> None:
        super().__init__(message)


class NotInThisPair(NexusError):
    def __init__(self) -> None:
        super().__init__("Only the two learners of this pair can answer its check-in.")


class CheckInTransport(Protocol):
    async def post_checkin(self, prompt: CheckInPrompt, nonce: str) -> int:
        """Post the check-in with its buttons in the pair thread, pinging only the two; the
        message id. Raise `Undeliverable` when Discord refuses it for good."""
        ...

    async def notify(self, channel_id: int, content: str) -> None:
        """A best-effort notice for moderators, pinging nobody."""
        ...


def schedule_checkin(
    session: AsyncSession, config: GuildConfig, pairing: Pairing, now: datetime
) -> None:
    """Add the pairing's check-in in the caller's transaction (nothing when they are off)."""
    due = checkin_due(now, config.checkin_hours)
    if due is not None:
        session.add(
            CheckIn(
                guild_id=config.guild_id,
                pairing_id=pairing.id,
                due_at=due,
                status=StepStatus.SCHEDULED,
            )
        )


class CheckInService:
    def __init__(
        self,
        sessions: Sessions,
        clock: Clock,
        scheduler: AsyncIOScheduler | None = None,
        *,
        sweep_seconds: float = 60.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._timer = (
            SweepTimer(scheduler, SWEEP_JOB, sweep_seconds, self.sweep)
            if scheduler is not None
            else None
        )
        self._lock = asyncio.Lock()
        self.transport: CheckInTransport | None = None

    # ----- timers ------------------------------------------------------------------------

    def attach(self, transport: CheckInTransport) -> None:
        self.transport = transport

    async def start(self) -> None:
        """Sweep now (catching up on anything missed while down), then every few seconds."""
        if self._timer is not None:
            self._timer.start()
        await self.sweep()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    async def sweep(self) -> None:
        """Resume interrupted sends, then send (or skip, or cancel) what is due."""
        if self.transport is None:
            return
        async with self._lock:
            try:
                await self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("check-in sweep failed; it runs again soon")

    async def _sweep(self) -> None:
        now = self._clock.now()
        async with self._sessions() as session:
            rows = await due_rows(session, CheckIn, now)
        for checkin, grace_hours in rows:
            if checkin.status == StepStatus.SENDING:
                await self._resume(checkin, now)
                continue
            grace = timedelta(hours=DEFAULT_GRACE_HOURS if grace_hours is None else grace_hours)
            await self._due(checkin, now, grace, configured=grace_hours is not None)

    async def _due(
        self, checkin: CheckIn, now: datetime, grace: timedelta, *, configured: bool
    ) -> None:
        prompt, ended = await self._prompt(checkin.id, late=False)
        if ended or not configured:
            why = "the pairing ended first" if ended else "the server is no longer configured"
            await self._finish(
                checkin.id, StepStatus.SCHEDULED, StepStatus.CANCELLED, now, note=why
            )
            return
        verdict = timeliness(checkin.due_at, now, grace)
        if verdict == "too_late":
            behind = (now - checkin.due_at).total_seconds() / 3600
            why = f"Nexus was offline at its time and came back {behind:.1f} h later"
            if await self._finish(
                checkin.id, StepStatus.SCHEDULED, StepStatus.SKIPPED, now, note=why
            ):
                log.warning("check-in %s skipped: %s", checkin.id, why)
            return
        if prompt is None:
            return  # no thread yet (it is being retried): try again on the next sweep
        nonce = secrets.token_hex(12)  # ≤ 25 characters, as Discord wants
        async with self._sessions.begin() as session:
            claimed = await changed(
                session,
                update(CheckIn)
                .where(CheckIn.id == checkin.id, CheckIn.status == StepStatus.SCHEDULED)
                .values(status=StepStatus.SENDING, nonce=nonce, started_at=now),
            )
        if claimed != 1:
            return
        late = now - checkin.due_at > LATE_AFTER
        await self._send(replace(prompt, late=late), nonce, late)

    async def _resume(self, checkin: CheckIn, now: datetime) -> None:
        """A send interrupted by a crash: again with the same nonce, or give up if too old."""
        assert checkin.nonce is not None and checkin.started_at is not None
        if now - checkin.started_at > NONCE_WINDOW:
            log.warning("check-in %s: outcome unknown; not resent", checkin.id)
            await self._finish(
                checkin.id,
                StepStatus.SENDING,
                StepStatus.FAILED,
                now,
                note="outcome unknown: interrupted",
            )
            return
        late = checkin.started_at - checkin.due_at > LATE_AFTER
        prompt, ended = await self._prompt(checkin.id, late=late)
        if prompt is None or ended:
            await self._finish(
                checkin.id, StepStatus.SENDING, StepStatus.CANCELLED, now, note="pairing ended"
            )
            return
        await self._send(prompt, checkin.nonce, late)

    async def _send(self, prompt: CheckInPrompt, nonce: str, late: bool) -> None:
        assert self.transport is not None
        try:
            message_id = await self.transport.post_checkin(prompt, nonce)
        except Undeliverable as error:
            await self._finish(
                prompt.checkin_id,
                StepStatus.SENDING,
                StepStatus.FAILED,
                self._clock.now(),
                str(error),
            )
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # outcome unknown: the next sweep resends with the nonce
            log.warning("check-in %s: send outcome unknown (%s)", prompt.checkin_id, error)
            return
        await self._finish(
            prompt.checkin_id,
            StepStatus.SENDING,
            StepStatus.LATE if late else StepStatus.SENT,
            self._clock.now(),
            message_id=message_id,
        )
        log.info("check-in %s sent in thread %s", prompt.checkin_id, prompt.thread_id)

    async def _finish(
        self,
        checkin_id: int,
        expected: str,
        status: str,
        now: datetime,
        note: str | None = None,
        *,
        message_id: int | None = None,
    ) -> bool:
        values: dict[str, object] = {"status": status, "finished_at": now}
        if note is not None:
            values["note"] = note[:300]
        if message_id is not None:
            values["message_id"] = message_id
        async with self._sessions.begin() as session:
            done = await changed(
                session,
                update(CheckIn)
                .where(CheckIn.id == checkin_id, CheckIn.status == expected)
                .values(**values),
            )
        return done == 1

    async def _prompt(self, checkin_id: int, *, late: bool) -> tuple[CheckInPrompt | None, bool]:
        """The prompt for a check-in (None without a thread yet) and whether its pairing ended."""
        async with self._sessions() as session:
            checkin = await session.get(CheckIn, checkin_id)
            pairing = await session.get(Pairing, checkin.pairing_id) if checkin else None
            if checkin is None or pairing is None:
                return None, True
            if pairing.ended_at is not None:
                return None, True
            if pairing.thread_id is None:
                return None, False
            pair = await _pair(session, checkin, pairing)
        hours = round((checkin.due_at - pairing.created_at).total_seconds() / 3600)
        prompt = CheckInPrompt(**vars(pair), thread_id=pairing.thread_id, hours=hours, late=late)
        return prompt, False

    # ----- answers -----------------------------------------------------------------------

    async def answer(self, checkin_id: int, user_id: int, answer: str) -> CheckInAnswer:
        """Record what one of the pair answered (the latest answer stands)."""
        if answer not in ANSWERS:
            raise InvalidInput("That is not an answer to this check-in.")
        now = self._clock.now()
        async with self._sessions.begin() as session:
            checkin = await session.get(CheckIn, checkin_id)
            if checkin is None:
                raise CheckInClosed("This check-in no longer exists.")
            pairing = await session.get(Pairing, checkin.pairing_id)
            if pairing is None:
                raise CheckInClosed()
            pair = await _pair(session, checkin, pairing)
            if user_id not in pair.user_ids:
                raise NotInThisPair()
            if pairing.ended_at is not None:
                raise CheckInClosed()
            first = checkin.answer != answer
            # a new partner is recorded once the unpair is done
            if answer != CheckInChoice.NEW_PARTNER:
                checkin.answer = answer
                checkin.answered_by = user_id
                checkin.answered_at = now
            config = await session.get(GuildConfig, checkin.guild_id)
        return CheckInAnswer(
            **vars(pair),
            answer=answer,
            by_user_id=user_id,
            mod_log_channel_id=config.mod_log_channel_id if config else None,
            thread_id=pairing.thread_id,
            first=first,
        )

    async def record_new_partner(self, checkin_id: int, user_id: int) -> None:
        """The pair was ended from the check-in: remember it for stats and export."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(CheckIn)
                .where(CheckIn.id == checkin_id)
                .values(
                    answer=CheckInChoice.NEW_PARTNER,
                    answered_by=user_id,
                    answered_at=self._clock.now(),
                )
            )

    async def counts(self, guild_id: int) -> CheckInCounts:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(CheckIn.answer).where(
                        CheckIn.guild_id == guild_id,
                        CheckIn.status.in_(SENT_STATUSES),
                    )
                )
            ).all()
        return CheckInCounts.of([answer for (answer,) in rows])


async def _pair(session: AsyncSession, checkin: CheckIn, pairing: Pairing) -> CheckInPair:
    backend = await session.get(Learner, pairing.backend_id)
    frontend = await session.get(Learner, pairing.frontend_id)
    assert backend is not None and frontend is not None  # rows cascade with the pairing
    project = await session.get(Project, pairing.project_id) if pairing.project_id else None
    return CheckInPair(
        checkin_id=checkin.id,
        guild_id=checkin.guild_id,
        pairing_id=pairing.id,
        project=user_text(project.name if project else "your project", 100),
        backend_user_id=backend.user_id,
        frontend_user_id=frontend.user_id,
        backend_name=user_text(backend.display_name, 80),
        frontend_name=user_text(frontend.display_name, 80),
    )
