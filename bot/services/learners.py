"""Learners' own records: announce, profile, reminder preference, data export and erasure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.db.changes import ChangeFeed
from bot.db.engine import Sessions
from bot.db.models import (
    AnnounceDraftRow,
    Delivery,
    GuildConfig,
    Learner,
    LearnFeedback,
    Pairing,
    PairRequest,
    Project,
    Reminder,
    WaitNotice,
    as_dict,
)
from bot.db.reads import Reads
from bot.domain.catalog import CatalogEntry, code, describe
from bot.domain.learners import (
    Announcement,
    AnnounceOutcome,
    Erasure,
    Looking,
    Person,
    PostedAnnouncement,
    PostLocation,
    Profile,
    ProfileChanges,
    ProjectTitles,
    is_looking,
    json_value,
)
from bot.domain.roles import opposite
from bot.domain.statuses import RequestStatus
from bot.errors import InvalidInput, NotAnnounced, UnknownProject
from bot.services.catalog import CatalogService, find_or_create_custom
from bot.services.drafts import FIELDS as DRAFT_FIELDS
from bot.services.drafts import discard_drafts
from bot.services.guilds import GuildService
from bot.services.lookups import learner_by_user
from bot.services.matching_data import FULL_LEARNERS, LEARNER_COLUMNS
from bot.services.rows import LearnerFields

REMINDER_SETTINGS = ("on", "off", "dm")
LOOKING_SHOWN = 5


async def get_or_create_learner(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    display_name: str,
    clock: Clock,
    *,
    flush: bool = True,
) -> Learner:
    """The learner row for a member, created on first use (they then count as 'used Nexus').

    `flush=False` leaves a new row pending, for callers that set more fields and flush once.
    """
    found = await learner_by_user(session, guild_id, user_id)
    learner = adopt_learner(session, found, guild_id, user_id, display_name, clock)
    if found is None and flush:
        await session.flush()
    return learner


def adopt_learner(
    session: AsyncSession,
    learner: Learner | None,
    guild_id: int,
    user_id: int,
    display_name: str,
    clock: Clock,
) -> Learner:
    """The member's learner row as looked up (`learner`), or a new pending one; the display
    name kept current."""
    now = clock.now()
    if learner is None:
        learner = Learner(
            guild_id=guild_id,
            user_id=user_id,
            display_name=display_name[:100],
            reminders="on",
            active=True,
            first_seen_at=now,
            updated_at=now,
        )
        session.add(learner)
    elif display_name and learner.display_name != display_name[:100]:
        learner.display_name = display_name[:100]
    return learner


def _in_pairing(learner_id: Any) -> ColumnElement[bool]:
    return or_(Pairing.backend_id == learner_id, Pairing.frontend_id == learner_id)


# Hot-path statements, built once (building them costs more than running them on SQLite).
# Everyone the learner may never be proposed again: past and current partners, and anyone a
# declined request stands between (the hard rules of bot.domain.matching, as /find-partner).
_NEVER_AGAIN = union_all(
    select(Pairing.frontend_id).where(Pairing.backend_id == bindparam("learner_id")),
    select(Pairing.backend_id).where(Pairing.frontend_id == bindparam("learner_id")),
    select(PairRequest.invitee_id).where(
        PairRequest.requester_id == bindparam("learner_id"),
        PairRequest.status == RequestStatus.DECLINED,
    ),
    select(PairRequest.requester_id).where(
        PairRequest.invitee_id == bindparam("learner_id"),
        PairRequest.status == RequestStatus.DECLINED,
    ),
)
STILL_LOOKING = (
    select(Learner.user_id, Learner.display_name, func.count().over().label("total"))
    .where(
        Learner.guild_id == bindparam("guild_id"),
        Learner.project_id == bindparam("project_id"),
        Learner.role == bindparam("role"),
        Learner.active.is_(True),
        Learner.announced_at.is_not(None),
        Learner.user_id != bindparam("user_id"),
        Learner.id.not_in(FULL_LEARNERS),
        Learner.id.not_in(_NEVER_AGAIN),
    )
    .order_by(Learner.announced_at, Learner.id)
    .limit(LOOKING_SHOWN)
)
"""Learners of `role` on a project who still have room and whom /find-partner could propose
to the learner: the first few, with the total count."""

_PARTNER_IDS = union_all(
    select(Pairing.frontend_id).where(
        Pairing.backend_id == bindparam("learner_id"), Pairing.ended_at.is_(None)
    ),
    select(Pairing.backend_id).where(
        Pairing.frontend_id == bindparam("learner_id"), Pairing.ended_at.is_(None)
    ),
)
PARTNERS = (
    select(Learner.user_id, Learner.display_name)
    .where(Learner.id.in_(_PARTNER_IDS))
    .order_by(Learner.id)
)
"""The learner's current partners (active pairings)."""

_PARTNER = aliased(Learner, name="partner")
_Row = TypeVarTuple("_Row")


def _with_partners(query: Select[*_Row]) -> Select[*_Row]:
    """`query` on a member's learner row, joined to each current partner (a row per partner)."""
    return (
        query.outerjoin(
            Pairing,
            and_(
                or_(Pairing.backend_id == Learner.id, Pairing.frontend_id == Learner.id),
                Pairing.ended_at.is_(None),
            ),
        )
        .outerjoin(
            _PARTNER,
            _PARTNER.id
            == case(
                (Pairing.backend_id == Learner.id, Pairing.frontend_id), else_=Pairing.backend_id
            ),
        )
        .where(Learner.guild_id == bindparam("guild_id"), Learner.user_id == bindparam("user_id"))
        .order_by(_PARTNER.id)
    )


PROFILE = _with_partners(
    select(
        *LEARNER_COLUMNS,
        Learner.reminders,
        Learner.announcement_channel_id,
        Learner.announcement_message_id,
        Project.name,
        Project.backend_title,
        Project.frontend_title,
        Project.custom,
        _PARTNER.user_id.label("partner_user_id"),
        _PARTNER.display_name.label("partner_name"),
    ).outerjoin(Project, Project.id == Learner.project_id)
)
"""The columns of a member's card: learner, project and current partners, in one Core query
(a row per partner; a point read, see `bot.db.reads`)."""

LEARNER_AND_PARTNERS = _with_partners(select(Learner, _PARTNER.user_id, _PARTNER.display_name))
"""A member's learner row and current partners, in one query (a row per partner)."""


class ShownProject(Protocol):
    """A project's titles: a `Project` row, a catalog entry or a row of `PROFILE`."""

    @property
    def name(self) -> str: ...
    @property
    def backend_title(self) -> str | None: ...
    @property
    def frontend_title(self) -> str | None: ...
    @property
    def custom(self) -> bool: ...


def announcement_of(
    learner: LearnerFields,
    project: ShownProject,
    config: GuildConfig,
    partners: tuple[Person, ...],
) -> Announcement:
    assert learner.role is not None and learner.announced_at is not None
    return Announcement(
        learner_id=learner.id,
        user_id=learner.user_id,
        display_name=learner.display_name,
        project=ProjectTitles(
            project.name, project.backend_title, project.frontend_title, project.custom
        ),
        role=learner.role,
        summary=learner.summary,
        repo=learner.repo,
        timezone=learner.timezone or config.timezone,
        timezone_is_server_default=learner.timezone is None,
        partners=partners,
        looking=is_looking(len(partners), config.max_partners),
        announced_at=learner.announced_at,
        active=learner.active,
    )


@dataclass(eq=False)
class LearnerService:
    _sessions: Sessions
    _clock: Clock
    _catalog: CatalogService
    _guilds: GuildService
    _changes: ChangeFeed
    _reads: Reads

    async def set_reminders(
        self, guild_id: int, user_id: int, display_name: str, setting: str
    ) -> Learner:
        if setting not in REMINDER_SETTINGS:
            raise InvalidInput("Reminders can be `on`, `off` or `dm`.")
        await self._guilds.require(guild_id)
        async with self._sessions.begin() as session:
            learner = await get_or_create_learner(
                session, guild_id, user_id, display_name, self._clock
            )
            learner.reminders = setting
            learner.updated_at = self._clock.now()
        return learner

    # ---- announce ----------------------------------------------------------------------------

    async def announce(
        self, guild_id: int, user_id: int, display_name: str, changes: ProfileChanges
    ) -> AnnounceOutcome:
        """Record (or update) the learner's project and role; one active project per server."""
        config = await self._guilds.require(guild_id)
        index = await self._catalog.index(guild_id)
        resolution = index.resolve(changes.project_text)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            custom_created = False
            # the server's active catalog is in memory (dropped whenever it changes)
            project: Project | CatalogEntry | None = resolution.entry
            if project is None or project.id is None:
                if not config.allow_custom_projects:
                    raise UnknownProject(
                        code(changes.project_text), describe(resolution.suggestions)
                    )
                project, custom_created = await find_or_create_custom(
                    session, guild_id, changes.project_text, user_id, now
                )
                if custom_created:
                    await self._changes.publish(session, "catalog", guild_id)
            rows = (
                await session.execute(
                    LEARNER_AND_PARTNERS, {"guild_id": guild_id, "user_id": user_id}
                )
            ).all()
            learner = adopt_learner(
                session, rows[0][0] if rows else None, guild_id, user_id, display_name, self._clock
            )
            # announcing changes no pairing: the partners read with the row stay true
            partners = tuple(Person(r[1], r[2]) for r in rows if r[1] is not None)
            first_time = learner.announced_at is None
            previous_post = _post(learner)
            learner.project_id = project.id
            learner.role = changes.role
            if changes.summary is not None:
                learner.summary = changes.summary or None
            if changes.repo is not None:
                learner.repo = changes.repo or None
            if changes.timezone is not None:
                learner.timezone = changes.timezone
            learner.active = True
            learner.announced_at = learner.announced_at or now
            learner.updated_at = now
            await discard_drafts(session, guild_id, user_id)  # what was refused is done with
            await session.flush()
            announcement = await self._announcement(session, learner, project, config, partners)
            looking = await self._looking(session, learner, config)
            if announcement.looking and looking.count == 0 and learner.waiting_since is None:
                # nobody to ask yet: announcing is enough to be on the waiting list
                learner.waiting_since = now
            role_ids = {"backend": config.backend_role_id, "frontend": config.frontend_role_id}
            outcome = AnnounceOutcome(
                announcement=announcement,
                nexus_channel_id=config.channel_id,
                previous_post=previous_post,
                give_role_id=role_ids[changes.role],
                remove_role_id=role_ids[opposite(changes.role)],
                first_time=first_time,
                looking=looking,
                waiting=announcement.looking and learner.waiting_since is not None,
                custom_created=custom_created,
                near_misses=describe(resolution.suggestions) if custom_created else "",
            )
        if custom_created:
            await self._catalog.reload(guild_id)
        return outcome

    async def record_post(self, learner_id: int, post: PostLocation | None) -> None:
        """Remember where the learner's announcement is, so the next announce edits it."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Learner)
                .where(Learner.id == learner_id)
                .values(
                    announcement_channel_id=post.channel_id if post else None,
                    announcement_message_id=post.message_id if post else None,
                )
            )

    async def announcement_view(self, guild_id: int, learner_id: int) -> PostedAnnouncement | None:
        """The learner's current card and where it is posted (None if never announced).

        Other capabilities call this after a pairing changes, then re-render the post with
        `bot.ui.learners.announcement_embed`.
        """
        async with self._sessions() as session:
            learner = await session.get(Learner, learner_id)
            if learner is None or learner.guild_id != guild_id or learner.announced_at is None:
                return None
            config = await self._guilds.get(guild_id)
            project = await session.get(Project, learner.project_id) if learner.project_id else None
            if config is None or project is None:
                return None
            announcement = await self._announcement(session, learner, project, config)
            return PostedAnnouncement(announcement, _post(learner))

    async def _announcement(
        self,
        session: AsyncSession,
        learner: Learner,
        project: Project | CatalogEntry,
        config: GuildConfig,
        partners: tuple[Person, ...] | None = None,
    ) -> Announcement:
        if partners is None:
            partners = await self._partners(session, learner.id)
        return announcement_of(learner, project, config, partners)

    @staticmethod
    async def _partners(session: AsyncSession, learner_id: int) -> tuple[Person, ...]:
        rows = await session.execute(PARTNERS, {"learner_id": learner_id})
        return tuple(Person(user_id, name) for user_id, name in rows)

    @staticmethod
    async def _looking(session: AsyncSession, learner: Learner, config: GuildConfig) -> Looking:
        """Announced, active, same project, opposite role, with room for a partner, never paired
        with the learner and with no decline between them."""
        assert learner.role is not None
        role = opposite(learner.role)
        params = {
            "guild_id": learner.guild_id,
            "project_id": learner.project_id,
            "role": role,
            "user_id": learner.user_id,
            "learner_id": learner.id,
            "max_partners": config.max_partners,
        }
        rows = (await session.execute(STILL_LOOKING, params)).all()
        total = rows[0].total if rows else 0
        return Looking(role, int(total), tuple(Person(r.user_id, r.display_name) for r in rows))

    # ---- profile -----------------------------------------------------------------------------

    async def profile(self, guild_id: int, user_id: int, *, viewer_id: int) -> Profile:
        """A learner's card; `NotAnnounced` (worded for the viewer) if they never announced."""
        config = await self._guilds.require(guild_id)
        rows = await self._reads.rows(PROFILE, {"guild_id": guild_id, "user_id": user_id})
        if not rows or rows[0].announced_at is None or rows[0].name is None:
            if user_id == viewer_id:
                raise NotAnnounced(
                    "You haven't announced a project yet. Use `/announce-project` to say "
                    "what you're building and find a partner."
                )
            raise NotAnnounced(f"<@{user_id}> hasn't announced a project yet.")
        row = rows[0]
        partners = tuple(
            Person(r.partner_user_id, r.partner_name) for r in rows if r.partner_user_id
        )
        return Profile(
            announcement_of(row, row, config, partners),
            row.reminders,
            row.waiting_since,
            PostLocation.of(row.announcement_channel_id, row.announcement_message_id),
        )

    # ---- membership --------------------------------------------------------------------------

    async def set_present(self, guild_id: int, user_id: int, present: bool) -> int | None:
        """A member left (inactive: not matched, kept for stats) or came back.

        Returns the learner id when something changed, else None.
        """
        async with self._sessions.begin() as session:
            learner = await learner_by_user(session, guild_id, user_id)
            if learner is None or learner.active == present:
                return None
            learner.active = present
            learner.updated_at = self._clock.now()
            return learner.id

    # ---- my data -----------------------------------------------------------------------------

    async def export(
        self, guild_id: int, user_id: int, *, server: str | None = None
    ) -> dict[str, Any]:
        """Everything stored about the member on this server, JSON-ready, naming people (by
        display name and Discord id) and projects instead of internal row ids."""
        await self._guilds.require(guild_id)
        async with self._sessions() as session:
            learner = await learner_by_user(session, guild_id, user_id)
            document: dict[str, Any] = {
                "about": "Everything Nexus stores about you on this server.",
                "exported_at": self._clock.now(),
                "server": server,
                "guild_id": guild_id,
                "user_id": user_id,
                "profile": None,
                "project": None,
                "pair_requests": [],
                "pairings": [],
                "wait_notices": [],
            }
            if learner is not None:
                document.update(await self._learner_records(session, learner))
            deliveries = await session.execute(
                select(Delivery, Reminder.step_key)
                .join(Reminder, Reminder.id == Delivery.reminder_id)
                .where(Delivery.guild_id == guild_id, Delivery.user_id == user_id)
                .order_by(Delivery.id)
            )
            document["reminder_deliveries"] = [
                {
                    "step": step,
                    "via": delivery.via,
                    "status": delivery.status,
                    "sent_at": delivery.sent_at,
                    "error": delivery.error,
                }
                for delivery, step in deliveries
            ]
            feedback = await session.scalars(
                select(LearnFeedback)
                .where(LearnFeedback.guild_id == guild_id, LearnFeedback.user_id == user_id)
                .order_by(LearnFeedback.id)
            )
            document["learn_feedback"] = [
                {"article": row.slug, "helpful": row.helpful, "at": row.created_at}
                for row in feedback
            ]
            drafts = await session.scalars(
                select(AnnounceDraftRow)
                .where(AnnounceDraftRow.guild_id == guild_id, AnnounceDraftRow.user_id == user_id)
                .order_by(AnnounceDraftRow.created_at)
            )
            document["announce_drafts"] = [  # refused announcements kept for "Fix and announce"
                {
                    **{name: getattr(row, name) for name in DRAFT_FIELDS},
                    "refused_field": row.refused,
                    "saved_at": row.created_at,
                    "expires_at": row.expires_at,
                }
                for row in drafts
            ]
        return _jsonable(document)

    async def _learner_records(self, session: AsyncSession, learner: Learner) -> dict[str, Any]:
        people = await self._people(session, learner.guild_id)
        projects = dict(
            (
                await session.execute(
                    select(Project.id, Project.name).where(Project.guild_id == learner.guild_id)
                )
            ).all()
        )
        project = await session.get(Project, learner.project_id) if learner.project_id else None
        requests = await session.scalars(
            select(PairRequest)
            .where(
                or_(PairRequest.requester_id == learner.id, PairRequest.invitee_id == learner.id)
            )
            .order_by(PairRequest.id)
        )
        pairings = await session.scalars(
            select(Pairing).where(_in_pairing(learner.id)).order_by(Pairing.id)
        )
        notices = await session.scalars(
            select(WaitNotice)
            .where(or_(WaitNotice.waiter_id == learner.id, WaitNotice.newcomer_id == learner.id))
            .order_by(WaitNotice.id)
        )
        by_user = {person["user_id"]: person for person in people.values()}

        def moderator(user_id: int | None) -> dict[str, Any] | None:
            if user_id is None:
                return None
            return by_user.get(user_id, {"name": None, "user_id": user_id})

        profile = {
            k: v for k, v in as_dict(learner).items() if k not in {"id", "guild_id", "project_id"}
        }
        return {
            "profile": profile,
            "project": (
                {
                    "name": project.name,
                    "backend_title": project.backend_title,
                    "frontend_title": project.frontend_title,
                    "custom": project.custom,
                }
                if project
                else None
            ),
            "pair_requests": [
                {
                    "from": people.get(r.requester_id),
                    "to": people.get(r.invitee_id),
                    "project": projects.get(r.project_id) if r.project_id else None,
                    "status": r.status,
                    "created_at": r.created_at,
                    "expires_at": r.expires_at,
                    "decided_at": r.decided_at,
                }
                for r in requests
            ],
            "pairings": [
                {
                    "backend": people.get(p.backend_id),
                    "frontend": people.get(p.frontend_id),
                    "project": projects.get(p.project_id) if p.project_id else None,
                    "created_at": p.created_at,
                    "paired_by_moderator": moderator(p.created_by),
                    "ended_at": p.ended_at,
                    "ended_by": moderator(p.ended_by),
                    "end_reason": p.end_reason,
                }
                for p in pairings
            ],
            "wait_notices": [
                {
                    "waiting": people.get(n.waiter_id),
                    "newcomer": people.get(n.newcomer_id),
                    "at": n.created_at,
                }
                for n in notices
            ],
        }

    @staticmethod
    async def _people(session: AsyncSession, guild_id: int) -> dict[int, dict[str, Any]]:
        """Learner row id -> the person: display name and Discord user id."""
        rows = await session.execute(
            select(Learner.id, Learner.user_id, Learner.display_name).where(
                Learner.guild_id == guild_id
            )
        )
        return {
            learner_id: {"name": name, "user_id": user_id} for learner_id, user_id, name in rows
        }

    async def erase(self, guild_id: int, user_id: int) -> Erasure:
        """Delete everything about the member on this server, in one transaction.

        Pairings are deleted too (they are this learner's history as much as the partner's);
        a partner of an active pairing is left free to pair again, with `partner_left_at`
        set, and is not notified. The private thread, if any, stays as it is.
        """
        now = self._clock.now()
        await self._guilds.require(guild_id)
        async with self._sessions.begin() as session:
            learner = await learner_by_user(session, guild_id, user_id)
            removed: dict[str, int] = {}
            post: PostLocation | None = None
            freed: list[int] = []
            if learner is not None:
                post = _post(learner)
                active = await session.scalars(
                    select(Pairing).where(_in_pairing(learner.id), Pairing.ended_at.is_(None))
                )
                for pairing in active:
                    partner_id = (
                        pairing.frontend_id
                        if pairing.backend_id == learner.id
                        else pairing.backend_id
                    )
                    partner = await session.get(Learner, partner_id)
                    if partner is not None:
                        partner.partner_left_at = now
                        freed.append(partner_id)
                removed["pair_requests"] = await _delete(
                    session,
                    PairRequest,
                    or_(
                        PairRequest.requester_id == learner.id,
                        PairRequest.invitee_id == learner.id,
                    ),
                )
                removed["pairings"] = await _delete(session, Pairing, _in_pairing(learner.id))
                removed["wait_notices"] = await _delete(
                    session,
                    WaitNotice,
                    or_(WaitNotice.waiter_id == learner.id, WaitNotice.newcomer_id == learner.id),
                )
                removed["profile"] = await _delete(session, Learner, Learner.id == learner.id)
            removed["reminder_deliveries"] = await _delete(
                session, Delivery, and_(Delivery.guild_id == guild_id, Delivery.user_id == user_id)
            )
            removed["learn_feedback"] = await _delete(
                session,
                LearnFeedback,
                and_(LearnFeedback.guild_id == guild_id, LearnFeedback.user_id == user_id),
            )
            removed["announce_drafts"] = await _delete(
                session,
                AnnounceDraftRow,
                and_(AnnounceDraftRow.guild_id == guild_id, AnnounceDraftRow.user_id == user_id),
            )
        return Erasure({k: v for k, v in removed.items() if v}, post, tuple(freed))


async def _delete(session: AsyncSession, model: Any, condition: ColumnElement[bool]) -> int:
    result = await session.execute(delete(model).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


def _post(learner: Learner) -> PostLocation | None:
    return PostLocation.of(learner.announcement_channel_id, learner.announcement_message_id)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return json_value(value)
