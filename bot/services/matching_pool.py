"""Loading candidates for ranking without loading a whole cohort.

`best_candidates` asks the database for a short list that provably contains the domain
ranking's top `limit` (see its docstring); `bot.domain.matching.rank` then orders that short
list and stays the single source of truth for who is proposed and why. The short list is read
from the `ix_learners_queue` index (bot/db/models.py) without scoring a row in SQL: the best
few of each group are the group's first index entries. tests/services/test_matching.py checks
that short list + rank equals ranking everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    false,
    not_,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    LEARNER_QUEUE_FLAG,
    LEARNER_QUEUE_SINCE,
    GuildConfig,
    Learner,
    Pairing,
)
from bot.db.reads import Reads
from bot.domain.matching import Candidate, Seeker
from bot.domain.roles import opposite
from bot.services.matching_data import (
    FULL_LEARNERS,
    PENDING_INVITES,
    invite_counts,
    pending_invites,
)
from bot.services.rows import LearnerFields

COLUMNS = (
    Learner.id,
    Learner.user_id,
    Learner.display_name,
    Learner.timezone,
    Learner.waiting_since,
    Learner.announced_at,
    Learner.partner_left_at,
)


PARTNER_COUNTS = select(Pairing.backend_id, Pairing.frontend_id).where(
    Pairing.ended_at.is_(None),
    or_(
        Pairing.backend_id.in_(bindparam("ids", expanding=True)),
        Pairing.frontend_id.in_(bindparam("ids", expanding=True)),
    ),
)
"""The active pairings of the learners `ids` (built once)."""


def _partner_counts(rows: Sequence[Sequence[Any]]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for backend_id, frontend_id in rows:
        counts[backend_id] += 1
        counts[frontend_id] += 1
    return counts


def _as_candidates(
    config: GuildConfig,
    seeker: LearnerFields,
    rows: Sequence[Sequence[Any]],
    invites: Counter[int],
    partners: Counter[int],
) -> list[Candidate]:
    assert seeker.role is not None
    default_zone = config.timezone or "UTC"
    role = opposite(seeker.role)
    return [
        Candidate(
            learner_id=row[0],
            user_id=row[1],
            name=row[2],
            project_id=seeker.project_id,
            role=role,
            timezone=row[3] or default_zone,
            looking_since=row[4] or row[5],
            partner_left_at=row[6],
            partners=partners[row[0]],
            pending_invites=invites.get(row[0], 0),
        )
        for row in rows
    ]


async def candidate_pool(
    session: AsyncSession, config: GuildConfig, seeker: Learner, *, waiting_only: bool = False
) -> list[Candidate]:
    """Every candidate with room (or only those on the waiting list). Room is always the
    aggregate here, so the tests that hold the short list to this pool check its probes."""
    assert seeker.role is not None
    one = config.max_partners <= 1
    query = select(*COLUMNS).where(*_candidates(probes=False))
    if waiting_only:
        query = query.where(Learner.waiting_since.is_not(None))
    parameters = {
        "guild_id": config.guild_id,
        "project_id": seeker.project_id,
        "role": opposite(seeker.role),
        "max_partners": config.max_partners,
    }
    rows = (await session.execute(query, parameters)).all()
    if not rows:
        return []
    invites = await pending_invites(session, config.guild_id)
    # With one partner allowed, anyone eligible has none (the paired have no room).
    partners = Counter[int]()
    if not one:
        ids = [row[0] for row in rows]
        partners = _partner_counts((await session.execute(PARTNER_COUNTS, {"ids": ids})).all())
    return _as_candidates(config, seeker, rows, invites, partners)


def _room(probes: bool) -> Any:
    """Learners with room for a partner. With `probes` (right only when one partner is
    allowed), no active pairing: two index probes per row. Else fewer than `max_partners`:
    one aggregate over the server's pairings per query."""
    if probes:
        active = Pairing.ended_at.is_(None)
        return not_(
            select(Pairing.id).where(Pairing.backend_id == Learner.id, active).exists()
        ) & not_(select(Pairing.id).where(Pairing.frontend_id == Learner.id, active).exists())
    return Learner.id.not_in(FULL_LEARNERS)


def _candidates(probes: bool) -> tuple[Any, ...]:
    """The hard rules SQL checks: announced, active learners of the track `role` on the
    project `project_id` of the server `guild_id`, with room for a partner (see `_room`)."""
    return (
        Learner.guild_id == bindparam("guild_id"),
        Learner.project_id == bindparam("project_id"),
        Learner.role == bindparam("role"),
        Learner.active.is_(True),
        Learner.announced_at.is_not(None),
        _room(probes),
    )


LOOP_ENTRIES = 400
"""The most index entries a short list may ask for and still be read on the event loop."""


@cache
def short_list(zones: int, max_partners_one: bool) -> CompoundSelect[Any]:
    """The first `k` eligible candidates of each group (time zone `zone0`… or none, partner
    left or not), in the order they have been looking. Built once per shape."""
    candidates = _candidates(probes=max_partners_one)
    arms: list[Select[Any]] = []
    for zone in [*(Learner.timezone == bindparam(f"zone{i}") for i in range(zones)), None]:
        in_zone = Learner.timezone.is_(None) if zone is None else zone
        for left in (false(), true()):
            arm = (
                select(*COLUMNS)
                .where(*candidates, in_zone, LEARNER_QUEUE_FLAG == left)
                .order_by(LEARNER_QUEUE_SINCE, Learner.id)
                .limit(bindparam("k", type_=Integer))
            )
            arms.append(select(*arm.subquery().c))
    return union_all(*arms)


async def best_candidates(
    reads: Reads,
    config: GuildConfig,
    seeker: Seeker,
    learner: LearnerFields,
    limit: int,
) -> list[Candidate]:
    """A short list that contains the ranking's top `limit` among all stored candidates.

    Within one group (same time zone, same partner-left flag) every part of the score but the
    waiting time is the same, and the waiting time only grows the earlier a learner started
    looking; ties go to the earlier start, then the lower id. So, leaving pending requests
    aside, a learner of the group is ranked below everyone of the group ahead of them in
    (looking since, id) order. A learner of the true top `limit` therefore has ahead of them,
    in their group, fewer than `limit` learners of the top, plus at most every learner with a
    pending request (the only ones whose score can drop below that order) and every learner
    the seeker may not be proposed again (past partners, declines; `rank` drops them): the
    first `limit + len(invites) + len(those)` of each group contain the top.

    Every statement is an index read (`bot.db.reads`): the time zones of the project's other
    track (one index seek each), then the groups' first entries, skipping learners without
    room.
    """
    assert learner.role is not None
    invites = invite_counts(await reads.rows(PENDING_INVITES, {"guild_id": config.guild_id}))
    group = {
        "guild_id": config.guild_id,
        "project_id": learner.project_id,
        "role": opposite(learner.role),
    }
    zones = [row[0] for row in await reads.rows(GROUP_ZONES, group)]
    one = config.max_partners <= 1
    parameters: dict[str, Any] = {
        **group,
        # Past partners and declines are left to `rank` (the seeker is of the other track).
        "k": limit + len(invites) + len(seeker.past_partners | seeker.declined),
        "max_partners": config.max_partners,
        **{f"zone{i}": zone for i, zone in enumerate(zones)},
    }
    # On the event loop only while it stays a few index entries per group: with several
    # partners allowed "room" is an aggregate over the server's pairings, and many pending
    # requests make every group's list long.
    entries = parameters["k"] * 2 * (len(zones) + 1)
    rows = await reads.rows(
        short_list(len(zones), one), parameters, bounded=one and entries <= LOOP_ENTRIES
    )
    # With one partner allowed, anyone eligible has none (the paired have no room).
    partners = Counter[int]()
    if not one and rows:
        ids = [row[0] for row in rows]
        partners = _partner_counts(await reads.rows(PARTNER_COUNTS, {"ids": ids}))
    return _as_candidates(config, learner, rows, invites, partners)


GROUP_ZONES = text(
    """
    WITH RECURSIVE zones(zone) AS (
        SELECT min(timezone) FROM learners
        WHERE guild_id = :guild_id AND project_id = :project_id AND role = :role
        UNION ALL
        SELECT (
            SELECT min(timezone) FROM learners
            WHERE guild_id = :guild_id AND project_id = :project_id AND role = :role
            AND timezone > zones.zone
        )
        FROM zones WHERE zones.zone IS NOT NULL
    )
    SELECT zone FROM zones WHERE zone IS NOT NULL
    """
)
"""The distinct time zones set by learners of one project and track, in order: a loose scan
of `ix_learners_queue`, one seek per zone instead of reading every learner."""
