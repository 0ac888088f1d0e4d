"""Loading candidates for ranking without loading a whole cohort.

`best_candidates` asks the database for a short list that provably contains the domain
ranking's top `limit` (see its docstring); `bot.domain.matching.rank` then orders that
short list and stays the single source of truth for who is proposed and why. The SQL ordering
is built from the domain's constants and `overlap_points`, never from numbers of its own;
tests/services/test_matching.py checks that short list + rank equals ranking everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Float,
    Select,
    case,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.db.base import UTCDateTime
from bot.db.models import GuildConfig, Learner, Pairing
from bot.domain import matching as rules
from bot.domain.evenings import EVENING_MINUTES, overlap_minutes
from bot.domain.matching import Candidate, Seeker
from bot.domain.roles import opposite
from bot.services.matching_data import pending_invites

# Extra rows beyond the proof's bound, to absorb rounding differences between SQL's and
# Python's arithmetic on near-ties.
SLACK = 10
MAX_OVERLAP_POINTS = rules.overlap_points(EVENING_MINUTES)


class waited_days(FunctionElement[float]):  # lower case, like SQL functions
    """Days from `since` to `now`, clamped to [0, cap], on SQLite and PostgreSQL.

    Same as the ranking's `min(max(days, 0), cap)`, computed once per row."""

    type = Float()
    inherit_cache = True
    name = "waited_days"


@compiles(waited_days, "sqlite")
def _waited_sqlite(element: waited_days, compiler: Any, **kw: Any) -> str:
    now, since, cap = (compiler.process(c, **kw) for c in element.clauses)
    return f"max(0.0, min({cap}, julianday({now}) - julianday({since})))"


@compiles(waited_days)
def _waited_default(element: waited_days, compiler: Any, **kw: Any) -> str:
    now, since, cap = (compiler.process(c, **kw) for c in element.clauses)
    return f"GREATEST(0.0, LEAST({cap}, EXTRACT(EPOCH FROM ({now} - {since})) / 86400.0))"


def _full_learners(config: GuildConfig) -> Select | CompoundSelect:
    """Ids of learners who already have `max_partners` active pairings (computed once)."""
    active = (Pairing.guild_id == config.guild_id, Pairing.ended_at.is_(None))
    legs = union_all(
        select(Pairing.backend_id.label("learner_id")).where(*active),
        select(Pairing.frontend_id.label("learner_id")).where(*active),
    )
    if config.max_partners <= 1:
        return legs  # anyone paired at all is full
    subquery = legs.subquery()
    return (
        select(subquery.c.learner_id)
        .group_by(subquery.c.learner_id)
        .having(func.count() >= config.max_partners)
    )


def _eligible(config: GuildConfig, seeker: Learner, excluded: frozenset[int]) -> list[Any]:
    """Announced, active learners of the other track on the seeker's project who have room."""
    assert seeker.role is not None
    conditions = [
        Learner.guild_id == config.guild_id,
        Learner.project_id == seeker.project_id,
        Learner.role == opposite(seeker.role),
        Learner.active.is_(True),
        Learner.announced_at.is_not(None),
        not_(Learner.id.in_(_full_learners(config))),
    ]
    if excluded:
        conditions.append(not_(Learner.id.in_(excluded)))
    return conditions


COLUMNS = (
    Learner.id,
    Learner.user_id,
    Learner.display_name,
    Learner.timezone,
    Learner.waiting_since,
    Learner.announced_at,
    Learner.partner_left_at,
)


async def _partner_counts(session: AsyncSession, learner_ids: list[int]) -> Counter[int]:
    if not learner_ids:
        return Counter()
    rows = await session.execute(
        select(Pairing.backend_id, Pairing.frontend_id).where(
            Pairing.ended_at.is_(None),
            or_(Pairing.backend_id.in_(learner_ids), Pairing.frontend_id.in_(learner_ids)),
        )
    )
    counts: Counter[int] = Counter()
    for backend_id, frontend_id in rows.all():
        counts[backend_id] += 1
        counts[frontend_id] += 1
    return counts


async def _as_candidates(
    session: AsyncSession,
    config: GuildConfig,
    seeker: Learner,
    rows: Sequence[Sequence[Any]],
    invites: Counter[int],
) -> list[Candidate]:
    assert seeker.role is not None
    # With one partner allowed, anyone eligible has none (the paired are excluded as full).
    partners = (
        await _partner_counts(session, [row[0] for row in rows])
        if config.max_partners > 1
        else Counter[int]()
    )
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
    """Every candidate with room (or only those on the waiting list)."""
    query = select(*COLUMNS).where(*_eligible(config, seeker, frozenset()))
    if waiting_only:
        query = query.where(Learner.waiting_since.is_not(None))
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    invites = await pending_invites(session, config.guild_id)
    return await _as_candidates(session, config, seeker, rows, invites)


async def best_candidates(
    session: AsyncSession,
    config: GuildConfig,
    seeker: Seeker,
    learner: Learner,
    now: datetime,
    limit: int,
    zones: set[str],
) -> list[Candidate]:
    """A short list that contains the ranking's top `limit` among all stored candidates.

    The database orders candidates by the soft score, with two kinds of rows whose score
    it can only over-estimate: learners with pending requests (the penalty is left out) and
    learners in a time zone missing from `zones` (given the largest overlap). A learner of the
    true top `limit` is then preceded only by true-top learners ahead of it (fewer than
    `limit`) or by over-estimated rows, so when the first N rows hold at most N - `limit`
    over-estimated rows they contain the true top. Otherwise the new zones are learned
    (`zones` is the caller's cache, per server) and the query runs again.
    """
    excluded = seeker.past_partners | seeker.declined | {learner.id}
    default_zone = config.timezone or "UTC"
    zone = func.coalesce(Learner.timezone, default_zone)
    if not zones:
        zones.update(
            await session.scalars(
                select(func.distinct(zone)).where(Learner.guild_id == config.guild_id)
            )
        )
    since = func.coalesce(Learner.waiting_since, Learner.announced_at)
    waited = waited_days(
        literal(now, UTCDateTime()), since, literal_column(repr(float(rules.WAIT_CAP_DAYS)))
    )
    rest = rules.WAIT_POINTS_PER_DAY * waited + case(
        (Learner.partner_left_at.is_not(None), rules.PARTNER_LEFT_POINTS), else_=0.0
    )
    invites = await pending_invites(session, config.guild_id)
    wanted = limit + len(invites) + SLACK
    eligible = _eligible(config, learner, excluded)
    today = now.date()
    while True:
        overlap = (
            case(
                {name: _overlap_points(seeker.learner.timezone, name, today) for name in zones},
                value=zone,
                else_=MAX_OVERLAP_POINTS,
            )
            if zones
            else literal(MAX_OVERLAP_POINTS)
        )
        query = (
            select(*COLUMNS, zone)
            .where(*eligible)
            .order_by((overlap + rest).desc(), since, Learner.id)
            .limit(wanted)
        )
        rows = (await session.execute(query)).all()
        unknown = {row[-1] for row in rows} - zones
        doubtful = sum(1 for row in rows if row[-1] in unknown or row[0] in invites)
        if not unknown or len(rows) < wanted or doubtful <= wanted - limit:
            break
        zones.update(unknown)
    return await _as_candidates(session, config, learner, [row[:-1] for row in rows], invites)


def _overlap_points(seeker_zone: str, zone: str, today: date) -> float:
    return rules.overlap_points(overlap_minutes(seeker_zone, zone, today))
