"""What the matching service returns, and the queries it shares between its units of work."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    bindparam,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildConfig, Learner, Pairing, PairRequest, Project
from bot.domain.evenings import Window, shared_evening
from bot.domain.learners import PostLocation
from bot.domain.matching import Candidate, Seeker
from bot.domain.pairing import KICKOFF_ITEMS, LearnerInfo, PairingInfo, ProjectInfo, RequestInfo
from bot.domain.statuses import RequestStatus
from bot.services.rows import LearnerFields, from_row

LEARNER_COLUMNS = (
    Learner.id,
    Learner.guild_id,
    Learner.user_id,
    Learner.display_name,
    Learner.project_id,
    Learner.role,
    Learner.timezone,
    Learner.summary,
    Learner.repo,
    Learner.announced_at,
    Learner.waiting_since,
    Learner.partner_left_at,
    Learner.active,
)
"""A learner's columns that `LearnerFields` names."""
SEEKER = select(*LEARNER_COLUMNS).where(
    Learner.guild_id == bindparam("guild_id"), Learner.user_id == bindparam("user_id")
)
"""A member's learner columns, for a read without an ORM session (`bot.db.reads`)."""

_PAIRING_LEGS = union_all(
    select(Pairing.backend_id.label("learner_id")).where(
        Pairing.guild_id == bindparam("guild_id"), Pairing.ended_at.is_(None)
    ),
    select(Pairing.frontend_id.label("learner_id")).where(
        Pairing.guild_id == bindparam("guild_id"), Pairing.ended_at.is_(None)
    ),
).subquery()
FULL_LEARNERS = (
    select(_PAIRING_LEGS.c.learner_id)
    .group_by(_PAIRING_LEGS.c.learner_id)
    .having(func.count() >= bindparam("max_partners"))
)
"""Learners of the server `guild_id` already at `max_partners`: one aggregate over its active
pairings, computed once per query rather than once per candidate row."""


def learner_info(learner: LearnerFields, config: GuildConfig) -> LearnerInfo:
    return LearnerInfo(
        learner_id=learner.id,
        guild_id=learner.guild_id,
        user_id=learner.user_id,
        name=learner.display_name or f"learner {learner.user_id}",
        role=learner.role,
        project_id=learner.project_id,
        timezone=learner.timezone or config.timezone or "UTC",
        summary=learner.summary,
        repo=learner.repo,
    )


def project_info(project: Project | None) -> ProjectInfo:
    if project is None:
        return ProjectInfo(None, "a project that was removed")
    return ProjectInfo(project.id, project.name, project.backend_title, project.frontend_title)


def as_candidate(
    learner: LearnerFields, config: GuildConfig, partners: int, invites: int = 0
) -> Candidate:
    return Candidate(
        learner_id=learner.id,
        name=learner.display_name,
        project_id=learner.project_id,
        role=learner.role,
        timezone=learner.timezone or config.timezone or "UTC",
        looking_since=learner.waiting_since or learner.announced_at,
        partner_left_at=learner.partner_left_at,
        partners=partners,
        pending_invites=invites,
        active=learner.active,
        user_id=learner.user_id,
    )


def involves(learner_id: int) -> ColumnElement[bool]:
    """Pairings (active or ended) that `learner_id` is part of."""
    return or_(Pairing.backend_id == learner_id, Pairing.frontend_id == learner_id)


async def active_partner_ids(session: AsyncSession, learner_id: int) -> list[int]:
    """Learner ids of everyone `learner_id` is currently paired with."""
    rows = await session.execute(
        select(Pairing.backend_id, Pairing.frontend_id).where(
            Pairing.ended_at.is_(None), involves(learner_id)
        )
    )
    return [b if f == learner_id else f for b, f in rows.all()]


HISTORY: CompoundSelect[Any] = union_all(
    select(
        literal(True).label("paired"), Pairing.backend_id, Pairing.frontend_id, Pairing.ended_at
    ).where(
        or_(
            Pairing.backend_id == bindparam("learner_id"),
            Pairing.frontend_id == bindparam("learner_id"),
        )
    ),
    select(literal(False), PairRequest.requester_id, PairRequest.invitee_id, null()).where(
        PairRequest.status == RequestStatus.DECLINED,
        or_(
            PairRequest.requester_id == bindparam("learner_id"),
            PairRequest.invitee_id == bindparam("learner_id"),
        ),
    ),
)
"""A learner's pairings (active or ended) and declined requests either way, in one query
built once: (paired, one side, the other side, ended_at)."""


async def seeker_for(session: AsyncSession, learner: Learner, config: GuildConfig) -> Seeker:
    """The learner with their history: everyone they were ever paired with, every decline."""
    rows = await session.execute(HISTORY, {"learner_id": learner.id})
    return seeker_of(learner, rows.all(), config)


def seeker_of(
    learner: LearnerFields, history: Sequence[Sequence[Any]], config: GuildConfig
) -> Seeker:
    """The learner with their history, from the rows of `HISTORY`."""
    partners: set[int] = set()
    declined: set[int] = set()
    current = 0
    for paired, first, second, ended_at in history:
        other = second if first == learner.id else first
        if paired:
            partners.add(other)
            current += ended_at is None
        else:
            declined.add(other)
    return Seeker(
        as_candidate(learner, config, current),
        past_partners=frozenset(partners),
        declined=frozenset(declined),
    )


PENDING_INVITES = (
    select(PairRequest.invitee_id, func.count(PairRequest.id).label("invites"))
    .where(
        PairRequest.guild_id == bindparam("guild_id"),
        PairRequest.status == RequestStatus.PENDING,
    )
    .group_by(PairRequest.invitee_id)
)
"""How many pending requests each learner of a server has received (built once)."""


def invite_counts(rows: Sequence[Sequence[Any]]) -> Counter[int]:
    return Counter({invitee: count for invitee, count in rows})


async def pending_invites(session: AsyncSession, guild_id: int) -> Counter[int]:
    """How many pending requests each learner of the server has received."""
    rows = await session.execute(PENDING_INVITES, {"guild_id": guild_id})
    return invite_counts(rows.all())


def sync_window(a: LearnerInfo, b: LearnerInfo, now: datetime) -> Window | None:
    return shared_evening(a.timezone, b.timezone, now.date())


async def _two(
    session: AsyncSession, config: GuildConfig, one_id: int, other_id: int
) -> tuple[LearnerInfo, LearnerInfo]:
    one = await session.get(Learner, one_id)
    other = await session.get(Learner, other_id)
    assert one is not None and other is not None  # rows cascade with their request or pairing
    return learner_info(one, config), learner_info(other, config)


async def request_info(
    session: AsyncSession, request: PairRequest, config: GuildConfig
) -> RequestInfo:
    one, two = await _two(session, config, request.requester_id, request.invitee_id)
    return from_row(
        RequestInfo,
        request,
        request_id=request.id,
        channel_id=config.channel_id,
        requester=one,
        invitee=two,
        project=project_info(await session.get(Project, request.project_id)),
        overlap=sync_window(one, two, request.created_at),
        invitation=PostLocation.of(request.notify_channel_id, request.notify_message_id),
    )


async def pairing_info(session: AsyncSession, pairing: Pairing, config: GuildConfig) -> PairingInfo:
    one, two = await _two(session, config, pairing.backend_id, pairing.frontend_id)
    return from_row(
        PairingInfo,
        pairing,
        pairing_id=pairing.id,
        channel_id=config.channel_id,
        project=project_info(await session.get(Project, pairing.project_id)),
        backend=one,
        frontend=two,
        sync_window=sync_window(one, two, pairing.created_at),
        checklist=tuple(k for k in KICKOFF_ITEMS if k in (pairing.checklist or [])),
    )
