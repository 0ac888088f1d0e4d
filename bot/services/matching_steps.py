"""Steps of the matching service's units of work: each runs inside the caller's transaction.

The checks here raise the friendly errors learners see; `create_pairing` is the one place a
pairing is created, so waiting flags and withdrawn requests always change with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildConfig, Learner, Pairing, PairRequest
from bot.domain.matching import why_not
from bot.domain.pairing import PairResult, RequestInfo
from bot.domain.statuses import RequestStatus
from bot.errors import NoRoom, NotAMatch, NotAnnounced, RequestClosed
from bot.services.checkins import schedule_checkin
from bot.services.lookups import learner_by_user
from bot.services.matching_data import (
    active_partner_ids,
    as_candidate,
    pairing_info,
    request_info,
    seeker_for,
)
from bot.services.rows import LearnerFields

L = TypeVar("L", bound=LearnerFields)


async def announced_learner(session: AsyncSession, guild_id: int, user_id: int) -> Learner:
    return check_announced(await learner_by_user(session, guild_id, user_id))


def check_announced(learner: L | None) -> L:
    """The learner, if they announced a project that is still theirs; else why not."""
    if learner is None or learner.announced_at is None or learner.role is None:
        raise NotAnnounced(
            "You haven't announced a project yet. Run `/announce-project` with your project and "
            "role first, then `/find-partner`."
        )
    if learner.project_id is None:
        raise NotAMatch(
            "Your project was removed from the catalog. Announce again with `/announce-project`."
        )
    return learner


async def lock_learners(session: AsyncSession, first: int, second: int) -> tuple[Learner, Learner]:
    """Both learner rows, locked in id order (no deadlocks between two accepts)."""
    rows = await session.scalars(
        select(Learner)
        .where(Learner.id.in_((first, second)))
        .order_by(Learner.id)
        .with_for_update()
    )
    by_id = {row.id: row for row in rows.all()}
    return by_id[first], by_id[second]


async def full_message(session: AsyncSession, me: LearnerFields, config: GuildConfig) -> str:
    """Why a learner who already has all the partners allowed can't look for another."""
    partner_ids = await active_partner_ids(session, me.id)
    users = await session.scalars(select(Learner.user_id).where(Learner.id.in_(partner_ids)))
    who = ", ".join(f"<@{user_id}>" for user_id in users) or "a partner"
    limit = config.max_partners
    allowed = f"{limit} partners" if limit > 1 else "one partner"
    return (
        f"You're already paired with {who} (this server allows {allowed} each). "
        "Use `/unpair` first if you want a different partner."
    )


async def check_pairable(
    session: AsyncSession, config: GuildConfig, me: Learner, other: Learner
) -> dict[int, int]:
    """Raise the reason `me` and `other` can't pair now (hard rules, capacity re-checked);
    else return how many partners each has now."""
    seeker = await seeker_for(session, me, config)
    partners = len(await active_partner_ids(session, other.id))
    reason = why_not(seeker, as_candidate(other, config, partners), config.max_partners)
    name = f"<@{other.user_id}>"
    if reason is None:
        return {me.id: seeker.learner.partners, other.id: partners}
    if reason == "seeker-full":
        raise NoRoom(await full_message(session, me, config))
    if reason == "full":
        raise NoRoom(
            f"{name} has just paired with someone else. Run `/find-partner` to see who else "
            "is looking."
        )
    messages = {
        "self": "You can't pair with yourself 🙂",
        "other-project": f"{name} is no longer on your project. Run `/find-partner` again.",
        "same-role": f"{name} is on the same track as you: a pair is one backend and one "
        "frontend learner.",
        "inactive": f"{name} is not looking for a partner any more.",
        "past-partner": f"You and {name} have already been partners. Nexus looks for a new "
        "partner; a moderator can pair you again with `/nexus pair`.",
        "declined": f"A request between you and {name} was declined, so Nexus won't propose "
        "it again. Run `/find-partner` to see others.",
    }
    raise NotAMatch(messages.get(reason, f"You can't pair with {name} right now."))


async def check_open(
    session: AsyncSession,
    request: PairRequest,
    requester: Learner,
    config: GuildConfig,
    now: datetime,
) -> None:
    """Raise a clear message when the request can no longer be answered."""
    name = f"<@{requester.user_id}>"
    if request.status == RequestStatus.ACCEPTED:
        raise RequestClosed(f"You already accepted this request: you and {name} are partners 🎉")
    if request.status == RequestStatus.DECLINED:
        raise RequestClosed(f"You already declined {name}'s request.")
    if request.status == RequestStatus.EXPIRED or (
        request.status == RequestStatus.PENDING and now >= request.expires_at
    ):
        raise RequestClosed(
            f"This request from {name} has expired. You can ask them yourself with `/find-partner`."
        )
    if request.status != RequestStatus.PENDING:
        partners = len(await active_partner_ids(session, requester.id))
        if partners >= config.max_partners:
            raise RequestClosed(
                f"{name} has just paired with someone else, so this request is closed. Run "
                "`/find-partner` to see who else is looking."
            )
        raise RequestClosed(
            "This request was withdrawn because you have since paired. Use `/unpair` first if "
            "you want a different partner."
        )


async def create_pairing(
    session: AsyncSession,
    config: GuildConfig,
    one: Learner,
    other: Learner,
    now: datetime,
    partners: dict[int, int],
    created_by: int | None,
) -> PairResult:
    """Create the pairing and settle both learners' waiting state, in the caller's transaction.

    `partners` is how many partners each had before this pairing."""
    backend, frontend = (one, other) if one.role == "backend" else (other, one)
    pairing = Pairing(
        guild_id=config.guild_id,
        project_id=backend.project_id,
        backend_id=backend.id,
        frontend_id=frontend.id,
        created_by=created_by,
        created_at=now,
    )
    session.add(pairing)
    await session.flush()
    schedule_checkin(session, config, pairing, now)
    withdrawn: list[RequestInfo] = []
    for learner in (backend, frontend):
        learner.partner_left_at = None
        if partners[learner.id] + 1 < config.max_partners:
            continue
        learner.waiting_since = None
        stale = await session.scalars(
            select(PairRequest).where(
                PairRequest.status == RequestStatus.PENDING,
                or_(PairRequest.requester_id == learner.id, PairRequest.invitee_id == learner.id),
            )
        )
        for request in stale.all():
            request.status = RequestStatus.CANCELLED
            request.decided_at = now
            withdrawn.append(await request_info(session, request, config))
    return PairResult(await pairing_info(session, pairing, config), withdrawn)
