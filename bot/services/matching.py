"""Matching: suggestions, pair requests, pairings, the waiting list and unpairing.

Every change that touches a pairing (the pairing row, the request's status, waiting flags,
requests withdrawn because someone is now full) happens in ONE transaction, under a
per-server lock (one process on SQLite) and with the two learner rows locked FOR UPDATE
(several processes on PostgreSQL). Capacity is always re-checked inside that transaction.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import GuildConfig, Learner, Pairing, PairRequest, Project, WaitNotice
from bot.db.reads import Reads
from bot.domain.audit import NOTHING, Change, literal, user_ref
from bot.domain.catalog import CatalogEntry, code, describe
from bot.domain.first_week import PartnerOffer
from bot.domain.matching import (
    DEFAULT_LIMIT,
    Seeker,
    best_for_each,
    history,
    rank,
    why_not,
)
from bot.domain.pairing import (
    KICKOFF_ITEMS,
    FindResult,
    PairingInfo,
    PairResult,
    ProjectInfo,
    RequestInfo,
    WaitMatch,
)
from bot.domain.roles import opposite
from bot.domain.statuses import RequestStatus
from bot.errors import (
    InvalidInput,
    NexusError,
    NoRoom,
    NotAMatch,
    NotPaired,
    NotYourButton,
    RequestClosed,
    UnknownProject,
)
from bot.services.audit import Audited
from bot.services.catalog import CatalogService
from bot.services.claims import Claims
from bot.services.guilds import GuildService
from bot.services.lookups import learner_by_user, server_config
from bot.services.matching_data import (
    HISTORY,
    SEEKER,
    active_partner_ids,
    as_candidate,
    involves,
    learner_info,
    pairing_info,
    pending_invites,
    project_info,
    request_info,
    seeker_for,
    seeker_of,
)
from bot.services.matching_pool import best_candidates, candidate_pool
from bot.services.matching_steps import (
    announced_learner,
    check_announced,
    check_open,
    check_pairable,
    create_pairing,
    full_message,
    lock_learners,
)

REASON_LIMIT = 300

_WAITER = aliased(Learner, name="waiter")
ANYONE_WAITING = (
    select(_WAITER.id)
    .join(
        Learner,
        and_(
            _WAITER.guild_id == Learner.guild_id,
            _WAITER.project_id == Learner.project_id,
            _WAITER.role != Learner.role,  # the opposite track: there are two
        ),
    )
    .where(
        Learner.id == bindparam("learner_id"),
        Learner.guild_id == bindparam("guild_id"),
        Learner.active.is_(True),
        _WAITER.active.is_(True),
        _WAITER.waiting_since.is_not(None),
    )
    .limit(1)
)
"""Whether anyone of the other track on a newcomer's project is on the waiting list (nothing
when the newcomer is not an active learner of the server with a project and a track): built
once, run in a read-only session, since most announces meet nobody waiting."""


@dataclass(eq=False)
class MatchingService(Audited):
    _catalog: CatalogService
    _guilds: GuildService
    _claims: Claims
    _reads: Reads
    _locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock), init=False
    )

    def _lock(self, guild_id: int) -> asyncio.Lock:
        """Serialises pairing decisions within one server (one bot process)."""
        return self._locks[guild_id]

    # ----- suggestions -------------------------------------------------------------------

    async def suggest(
        self, guild_id: int, user_id: int, project: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> FindResult:
        """The caller's best candidates; with none, the caller joins the waiting list.

        Reads only (the server's settings from memory); a write happens only when the caller
        joins the waiting list."""
        now = self._clock.now()
        wanted = await self._resolve(guild_id, project) if project else None
        config = await self._guilds.require(guild_id)
        catalog = await self._catalog.index(guild_id)
        found = await self._reads.rows(SEEKER, {"guild_id": guild_id, "user_id": user_id})
        me = check_announced(found[0] if found else None)
        entry = catalog.by_id(me.project_id)  # active projects are in memory
        if entry is not None:
            own = ProjectInfo(entry.id, entry.name, entry.backend_title, entry.frontend_title)
        else:
            async with self._sessions() as session:
                own = project_info(await session.get(Project, me.project_id))
        if wanted is not None and wanted.id != me.project_id:
            raise NotAMatch(
                f"You announced **{own.name}**, and partners come from the same project. "
                f"To look on **{wanted.name}**, run `/announce-project` with it first."
            )
        history = await self._reads.rows(HISTORY, {"learner_id": me.id})
        seeker = seeker_of(me, history, config)
        if seeker.learner.partners >= config.max_partners:
            async with self._sessions() as session:
                raise NoRoom(await full_message(session, me, config))
        pool = await best_candidates(self._reads, config, seeker, me, limit)
        suggestions = rank(seeker, pool, now=now, max_partners=config.max_partners, limit=limit)
        waiting_since = me.waiting_since
        if not suggestions and waiting_since is None:
            waiting_since = await self._join_waiting_list(me.id, now)
        return FindResult(
            learner_info(me, config),
            own,
            suggestions,
            waiting=not suggestions,
            waiting_since=waiting_since,
        )

    async def _join_waiting_list(self, learner_id: int, now: datetime) -> datetime:
        """The learner is on the waiting list from `now` (unless a click of theirs just put
        them on it)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Learner)
                .where(Learner.id == learner_id, Learner.waiting_since.is_(None))
                .values(waiting_since=now)
            )
        return now

    async def partner_offers(
        self, guild_id: int, user_ids: Sequence[int], limit: int = 3
    ) -> dict[int, list[PartnerOffer]]:
        """Best partners for many learners at once (the day-5 nudge); changes nothing.

        One read of the server's learners and history, then the same ranking as
        /find-partner, off the event loop."""
        now = self._clock.now()
        async with self._sessions() as session:
            config = await server_config(session, guild_id)
            rows = (
                await session.scalars(
                    select(Learner).where(
                        Learner.guild_id == guild_id, Learner.announced_at.is_not(None)
                    )
                )
            ).all()
            pairs = (
                await session.execute(
                    select(Pairing.backend_id, Pairing.frontend_id, Pairing.ended_at).where(
                        Pairing.guild_id == guild_id
                    )
                )
            ).all()
            declines = (
                await session.execute(
                    select(PairRequest.requester_id, PairRequest.invitee_id).where(
                        PairRequest.guild_id == guild_id,
                        PairRequest.status == RequestStatus.DECLINED,
                    )
                )
            ).all()
            invites = await pending_invites(session, guild_id)
        current = Counter(i for b, f, ended in pairs if ended is None for i in (b, f))
        past, declined = history(((b, f) for b, f, _ in pairs), declines)
        pool = [as_candidate(r, config, current[r.id], invites[r.id]) for r in rows]
        wanted = set(user_ids)
        seekers = [
            Seeker(
                c, frozenset(past.get(c.learner_id, ())), frozenset(declined.get(c.learner_id, ()))
            )
            for c in pool
            if c.user_id in wanted
        ]
        best = await asyncio.to_thread(
            best_for_each, seekers, pool, now=now, max_partners=config.max_partners, limit=limit
        )
        offers = {
            s.learner.user_id: [
                PartnerOffer(x.candidate.learner_id, x.candidate.name)
                for x in best[s.learner.learner_id]
            ]
            for s in seekers
        }
        return {user_id: offers.get(user_id, []) for user_id in user_ids}

    async def enlist(self, guild_id: int, user_ids: Sequence[int]) -> None:
        """Put announced learners on the waiting list (those already on it keep their place)."""
        if not user_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(Learner)
                .where(
                    Learner.guild_id == guild_id,
                    Learner.user_id.in_(list(user_ids)),
                    Learner.announced_at.is_not(None),
                    Learner.waiting_since.is_(None),
                )
                .values(waiting_since=self._clock.now())
            )

    # ----- requests ----------------------------------------------------------------------

    async def request(self, requester_user_id: int, candidate_id: int) -> RequestInfo:
        """Ask `candidate_id` (a learner id) to pair; they have the server's expiry to answer."""
        guild_id = await self._guild_of_learner(candidate_id)
        now = self._clock.now()
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            me = await announced_learner(session, guild_id, requester_user_id)
            other = await session.get(Learner, candidate_id)
            if other is None or other.announced_at is None:
                raise NotAMatch("That learner is no longer on Nexus. Run `/find-partner` again.")
            await check_pairable(session, config, me, other)
            open_requests = await session.scalars(
                select(PairRequest).where(
                    PairRequest.status == RequestStatus.PENDING,
                    or_(
                        and_(PairRequest.requester_id == me.id, PairRequest.invitee_id == other.id),
                        and_(PairRequest.requester_id == other.id, PairRequest.invitee_id == me.id),
                    ),
                )
            )
            for existing in open_requests:
                if existing.requester_id == me.id:
                    raise RequestClosed(
                        f"You already asked <@{other.user_id}>; they have until "
                        f"<t:{int(existing.expires_at.timestamp())}:f> to answer."
                    )
                raise NotAMatch(
                    f"<@{other.user_id}> already asked you to pair! Accept their request "
                    "in your DMs (or in the Nexus channel)."
                )
            request = PairRequest(
                guild_id=guild_id,
                requester_id=me.id,
                invitee_id=other.id,
                project_id=me.project_id,
                status=RequestStatus.PENDING,
                created_at=now,
                expires_at=now + timedelta(hours=config.request_expiry_hours),
            )
            session.add(request)
            await session.flush()
            return await request_info(session, request, config)

    async def pending_request(self, request_id: int) -> RequestInfo | None:
        """A request still waiting for its answer (None once answered, expired or erased)."""
        async with self._sessions() as session:
            request = await session.get(PairRequest, request_id)
            if request is None or request.status != RequestStatus.PENDING:
                return None
            config = await server_config(session, request.guild_id)
            return await request_info(session, request, config)

    async def record_notification(self, request_id: int, channel_id: int, message_id: int) -> None:
        """Where the invitation was posted (a DM or the Nexus channel), to edit it later."""
        async with self._sessions.begin() as session:
            request = await session.get(PairRequest, request_id)
            if request is not None:
                request.notify_channel_id = channel_id
                request.notify_message_id = message_id

    async def accept(self, request_id: int, by_user_id: int) -> PairResult:
        """The invitee accepts: the pairing is created, or nothing changes."""
        guild_id = await self._guild_of_request(request_id)
        now = self._clock.now()
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            request, requester, invitee = await self._open_request(
                session, config, request_id, by_user_id, now
            )
            partners = await check_pairable(session, config, invitee, requester)
            request.status = RequestStatus.ACCEPTED
            request.decided_at = now
            result = await create_pairing(session, config, requester, invitee, now, partners, None)
            info = await request_info(session, request, config)
            return PairResult(result.pairing, result.withdrawn, request=info)

    async def decline(self, request_id: int, by_user_id: int) -> RequestInfo:
        """The invitee declines: neither will be proposed to the other again."""
        guild_id = await self._guild_of_request(request_id)
        now = self._clock.now()
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            request, _, _ = await self._open_request(session, config, request_id, by_user_id, now)
            request.status = RequestStatus.DECLINED
            request.decided_at = now
            return await request_info(session, request, config)

    @staticmethod
    async def _open_request(
        session: AsyncSession,
        config: GuildConfig,
        request_id: int,
        by_user_id: int,
        now: datetime,
    ) -> tuple[PairRequest, Learner, Learner]:
        """The request and both learners, locked; only its invitee may answer it, while open."""
        request = await session.scalar(
            select(PairRequest).where(PairRequest.id == request_id).with_for_update()
        )
        assert request is not None
        requester, invitee = await lock_learners(session, request.requester_id, request.invitee_id)
        if invitee.user_id != by_user_id:
            raise NotYourButton()
        await check_open(session, request, requester, config, now)
        return request, requester, invitee

    async def expire_requests(
        self, now: datetime, serves: Callable[[int], bool] = lambda guild_id: True
    ) -> list[RequestInfo]:
        """Close every pending request whose time is up in the servers `serves` accepts; the
        requesters are to be told. Claimed and closed in one transaction (rows another
        process is closing are skipped), so each expiry is told once, by one process."""
        async with self._sessions.begin() as session:
            due = [
                request
                for request in await session.scalars(
                    self._claims.lock(
                        select(PairRequest)
                        .where(
                            PairRequest.status == RequestStatus.PENDING,
                            PairRequest.expires_at <= now,
                        )
                        .order_by(PairRequest.id)
                    )
                )
                if serves(request.guild_id)
            ]
            expired = []
            for request in due:
                request.status = RequestStatus.EXPIRED
                request.decided_at = now
                config = await session.get(GuildConfig, request.guild_id)
                if config is not None:
                    expired.append(await request_info(session, request, config))
            return expired

    # ----- pairings ----------------------------------------------------------------------

    async def tick(self, pairing_id: int, user_id: int, item: str) -> PairingInfo:
        """Tick (or untick) a kickoff checklist item; only the pair may, while paired."""
        if item not in KICKOFF_ITEMS:
            raise InvalidInput("That is not an item of the kickoff checklist.")
        async with self._sessions.begin() as session:
            pairing = await session.get(Pairing, pairing_id, with_for_update=True)
            if pairing is None or pairing.ended_at is not None:
                raise NotPaired("This pairing has ended: its checklist is closed.")
            users = set(
                await session.scalars(
                    select(Learner.user_id).where(
                        Learner.id.in_([pairing.backend_id, pairing.frontend_id])
                    )
                )
            )
            if user_id not in users:
                raise NotYourButton()
            ticked = set(pairing.checklist or [])
            ticked ^= {item}
            pairing.checklist = [k for k in KICKOFF_ITEMS if k in ticked]
            config = await server_config(session, pairing.guild_id)
            return await pairing_info(session, pairing, config)

    async def active_pairing(self, pairing_id: int) -> PairingInfo | None:
        """A pairing as it is now (its checklist ticks included); None once it has ended."""
        async with self._sessions() as session:
            pairing = await session.get(Pairing, pairing_id)
            if pairing is None or pairing.ended_at is not None:
                return None
            config = await server_config(session, pairing.guild_id)
            return await pairing_info(session, pairing, config)

    async def set_thread(self, pairing_id: int, thread_id: int) -> None:
        async with self._sessions.begin() as session:
            pairing = await session.get(Pairing, pairing_id)
            if pairing is not None:
                pairing.thread_id = thread_id
                pairing.claimed_by = pairing.claim_expires_at = None

    async def release_thread_retry(self, pairing_id: int) -> None:
        """A retried thread failed again: let the next sweep (of any process) try."""
        async with self._sessions.begin() as session:
            await self._claims.release(session, Pairing, Pairing.id == pairing_id)

    async def pairings_without_thread(
        self,
        created_before: datetime,
        created_after: datetime,
        serves: Callable[[int], bool] = lambda guild_id: True,
    ) -> list[PairingInfo]:
        """Recent active pairings whose private thread could not be created yet, claimed for
        this process to retry (another process's sweep skips them while it holds them)."""
        async with self._sessions.begin() as session:
            candidates = (
                await session.scalars(
                    self._claims.lock(
                        select(Pairing)
                        .where(
                            Pairing.ended_at.is_(None),
                            Pairing.thread_id.is_(None),
                            Pairing.created_at <= created_before,
                            Pairing.created_at >= created_after,
                            self._claims.free(Pairing),
                        )
                        .order_by(Pairing.id)
                        .limit(20)
                    )
                )
            ).all()
            ids = [p.id for p in candidates if serves(p.guild_id)]
            await self._claims.take(session, Pairing, ids)
            rows = await session.scalars(
                select(Pairing)
                .where(Pairing.id.in_(ids), Pairing.claimed_by == self._claims.owner)
                .order_by(Pairing.id)
                .execution_options(populate_existing=True)
            )
            result = []
            for pairing in rows.all():
                config = await session.get(GuildConfig, pairing.guild_id)
                if config is not None:
                    result.append(await pairing_info(session, pairing, config))
            return result

    async def unpair(
        self, guild_id: int, user_id: int, reason: str | None, *, by_user_id: int | None = None
    ) -> list[PairingInfo]:
        """End every current pairing of `user_id`; both sides go back to looking, with priority.

        `by_user_id` is the moderator doing it for them, if any."""
        if reason and len(reason) > REASON_LIMIT:
            raise InvalidInput(f"Please keep the reason under {REASON_LIMIT} characters.")
        now = self._clock.now()
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            me = await learner_by_user(session, guild_id, user_id)
            pairings = []
            if me is not None:
                pairings = list(
                    await session.scalars(
                        select(Pairing)
                        .where(Pairing.ended_at.is_(None), involves(me.id))
                        .order_by(Pairing.id)
                        .with_for_update()
                    )
                )
            if not pairings:
                if by_user_id is None:
                    raise NotPaired()
                raise NotPaired("That member has no partner right now: nothing to end.")
            ended = []
            for pairing in pairings:
                pairing.ended_at = now
                pairing.ended_by = by_user_id or user_id
                pairing.end_reason = reason or None
                for learner_id in (pairing.backend_id, pairing.frontend_id):
                    learner = await session.get(Learner, learner_id)
                    if learner is not None:
                        learner.partner_left_at = now
                        learner.waiting_since = learner.waiting_since or now
                ended.append(await pairing_info(session, pairing, config))
            if by_user_id is not None:
                changes = [Change("unpair", pair_text(p), NOTHING) for p in ended]
                await self._audit.record(guild_id, by_user_id, changes, session=session)
        return ended

    async def moderator_pair(
        self, guild_id: int, backend_user_id: int, frontend_user_id: int, *, by_user_id: int
    ) -> PairResult:
        """Pair two learners by hand: same project and tracks as always; may exceed capacity."""
        now = self._clock.now()
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await server_config(session, guild_id)
            found = [
                await learner_by_user(session, guild_id, u)
                for u in (backend_user_id, frontend_user_id)
            ]
            for learner, role in zip(found, ("backend", "frontend"), strict=True):
                if learner is None or learner.announced_at is None or learner.role is None:
                    raise NotAMatch(
                        f"The {role} member hasn't announced a project with `/announce-project`."
                    )
                if learner.role != role:
                    raise NotAMatch(
                        f"<@{learner.user_id}> announced as {learner.role}, not {role}."
                    )
            backend, frontend = found
            assert backend is not None and frontend is not None
            backend, frontend = await lock_learners(session, backend.id, frontend.id)
            if backend.project_id != frontend.project_id:
                raise NotAMatch(
                    f"<@{backend.user_id}> and <@{frontend.user_id}> announced "
                    "different projects: partners share a project."
                )
            if not backend.active or not frontend.active:
                raise NotAMatch("One of them is no longer active on Nexus.")
            if frontend.id in await active_partner_ids(session, backend.id):
                raise NotAMatch("They are already paired together.")
            notes = []
            partners = {}
            for learner in (backend, frontend):
                partners[learner.id] = len(await active_partner_ids(session, learner.id))
                if partners[learner.id] + 1 > config.max_partners:
                    notes.append(
                        f"<@{learner.user_id}> now has {partners[learner.id] + 1} partners "
                        f"(the server's limit is {config.max_partners})."
                    )
            result = await create_pairing(
                session, config, backend, frontend, now, partners, by_user_id
            )
            change = Change("pair", NOTHING, pair_text(result.pairing))
            await self._audit.record(guild_id, by_user_id, [change], session=session)
        return PairResult(result.pairing, result.withdrawn, notes)

    # ----- waiting list ------------------------------------------------------------------

    async def announced(self, guild_id: int, learner_id: int) -> WaitMatch | None:
        """A learner announced: the waiting learners they fit, each recorded so it's told once."""
        now = self._clock.now()
        async with self._sessions() as session:
            params = {"guild_id": guild_id, "learner_id": learner_id}
            if await session.scalar(ANYONE_WAITING, params) is None:
                return None
        async with self._lock(guild_id), self._sessions.begin() as session:
            config = await session.get(GuildConfig, guild_id)
            newcomer = await session.get(Learner, learner_id)
            if config is None or newcomer is None or newcomer.guild_id != guild_id:
                return None
            if newcomer.role is None or newcomer.project_id is None or not newcomer.active:
                return None
            # Most announces meet nobody waiting: find that out first, with one indexed query.
            anyone_waiting = await session.scalar(
                select(Learner.id)
                .where(
                    Learner.guild_id == guild_id,
                    Learner.project_id == newcomer.project_id,
                    Learner.role == opposite(newcomer.role),
                    Learner.active.is_(True),
                    Learner.waiting_since.is_not(None),
                )
                .limit(1)
            )
            if anyone_waiting is None:
                return None
            waiting = await candidate_pool(session, config, newcomer, waiting_only=True)
            if not waiting:
                return None
            seeker = await seeker_for(session, newcomer, config)
            if seeker.learner.partners >= config.max_partners:
                return None
            told = set(
                await session.scalars(
                    select(WaitNotice.waiter_id).where(WaitNotice.newcomer_id == newcomer.id)
                )
            )
            pool = {c.learner_id: c for c in waiting}
            waiters = list(
                await session.scalars(
                    select(Learner)
                    .where(Learner.id.in_(pool))
                    .order_by(Learner.waiting_since, Learner.id)
                )
            )
            fresh = [
                w
                for w in waiters
                if w.id not in told and why_not(seeker, pool[w.id], config.max_partners) is None
            ]
            for waiter in fresh:
                session.add(
                    WaitNotice(waiter_id=waiter.id, newcomer_id=newcomer.id, created_at=now)
                )
            if not fresh:
                return None
            project = project_info(await session.get(Project, newcomer.project_id))
            return WaitMatch(
                config.channel_id,
                project,
                learner_info(newcomer, config),
                [learner_info(w, config) for w in fresh],
            )

    # ----- helpers -----------------------------------------------------------------------

    async def _resolve(self, guild_id: int, text: str) -> CatalogEntry:
        """The catalog entry for a typed project (either track title, an alias, a typo)."""
        resolution = (await self._catalog.index(guild_id)).resolve(text)
        if resolution.entry is None:
            raise UnknownProject(code(text), describe(resolution.suggestions))
        return resolution.entry

    async def _guild_of_learner(self, learner_id: int) -> int:
        query = select(Learner.guild_id).where(Learner.id == learner_id)
        gone = NotAMatch("That learner is no longer on Nexus. Run `/find-partner` again.")
        return await self._guild_of(query, gone)

    async def _guild_of_request(self, request_id: int) -> int:
        query = select(PairRequest.guild_id).where(PairRequest.id == request_id)
        gone = RequestClosed("This request no longer exists. Run `/find-partner` to look again.")
        return await self._guild_of(query, gone)

    async def _guild_of(self, query: Select[int], gone: NexusError) -> int:
        """The server a learner or request belongs to (read before taking its lock)."""
        async with self._sessions() as session:
            guild_id = await session.scalar(query)
        if guild_id is None:
            raise gone
        return guild_id


class RankedSuggestions:
    """The day-5 nudge's `SuggestionSource`: the same ranking as /find-partner."""

    def __init__(self, matching: MatchingService, limit: int = 3) -> None:
        self._matching = matching
        self._limit = limit

    async def suggest(
        self, guild_id: int, user_ids: Sequence[int]
    ) -> dict[int, list[PartnerOffer]]:
        offers = await self._matching.partner_offers(guild_id, user_ids, self._limit)
        # nobody to suggest: the nudge says they're on the waiting list, so make it true
        await self._matching.enlist(guild_id, [u for u, found in offers.items() if not found])
        return offers


def pair_text(pairing: PairingInfo) -> str:
    """A pairing as the audit trail shows it: both people and the project."""
    backend, frontend = user_ref(pairing.backend.user_id), user_ref(pairing.frontend.user_id)
    return f"{backend} & {frontend} on {literal(pairing.project.name)}"
