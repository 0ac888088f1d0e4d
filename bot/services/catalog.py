"""Each server's project catalog: seeded on setup, managed by moderators, indexed in memory.

Autocomplete must answer from memory, so every server's active catalog is kept as a
`CatalogIndex`, loaded at start and rebuilt after each write. A write made by another process
(PostgreSQL NOTIFY, see `bot.db.changes`) marks the server's index stale: the next lookup reads
it again, and autocomplete keeps answering from the old one until the new one is built.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.changes import ChangeFeed
from bot.db.models import GuildConfig, Learner, Project
from bot.domain.audit import NOTHING, Change, literal
from bot.domain.catalog import (
    CatalogEntry,
    CatalogIndex,
    Choice,
    code,
    conflicts,
    describe,
    make_entry,
    parse_catalog,
    slugify,
)
from bot.errors import InvalidInput, UnknownProject
from bot.services.audit import Audited, AuditTrail
from bot.services.guilds import GuildService
from bot.services.rows import from_row

log = logging.getLogger(__name__)

EMPTY = CatalogIndex()


def entry_from_row(row: Project) -> CatalogEntry:
    return from_row(
        CatalogEntry, row, description=row.description or "", aliases=tuple(row.aliases or ())
    )


def _apply(row: Project, entry: CatalogEntry) -> None:
    row.name = entry.name
    row.backend_title = entry.backend_title
    row.frontend_title = entry.frontend_title
    row.description = entry.description
    row.aliases = list(entry.aliases)
    row.custom = entry.custom


@dataclass(frozen=True)
class Removal:
    entry: CatalogEntry
    learners: int  # learners who announced it (they keep it on their profile)


@dataclass(eq=False)
class CatalogService(Audited):
    _catalog_file: Path
    _changes: ChangeFeed
    _guilds: GuildService

    def __post_init__(self, audit: AuditTrail | None) -> None:
        super().__post_init__(audit)
        self._indexes: dict[int, CatalogIndex] = {}
        self._stale: set[int] = set()
        self._generations: dict[int, int] = {}
        self._refreshing: dict[int, asyncio.Task[CatalogIndex]] = {}
        self._seed: list[CatalogEntry] | None = None
        self._changes.subscribe("catalog", self._changed)

    def _changed(self, guild_id: int | None) -> None:
        """Some process changed the server's catalog (None: any server's may have changed)."""
        for guild in list(self._indexes) if guild_id is None else [guild_id]:
            self._generations[guild] = self._generations.get(guild, 0) + 1
            self._stale.add(guild)
            self._refresh_soon(guild)

    def _refresh_soon(self, guild_id: int) -> None:
        """Rebuild a stale index in the background (one rebuild per server at a time)."""
        if guild_id in self._refreshing:
            return
        try:
            task = asyncio.get_running_loop().create_task(self.reload(guild_id))
        except RuntimeError:  # no loop (a synchronous caller): the next lookup reloads
            return
        self._refreshing[guild_id] = task

        def done(task: asyncio.Task[CatalogIndex]) -> None:
            self._refreshing.pop(guild_id, None)
            if not task.cancelled() and task.exception() is not None:
                log.warning("catalog of %s: rebuild failed: %r", guild_id, task.exception())

        task.add_done_callback(done)

    # ---- in-memory index -------------------------------------------------------------------

    async def load_all(self) -> None:
        """Index every server's active catalog (once at start, before commands arrive)."""
        generations = dict(self._generations)
        async with self._sessions() as session:
            rows = (await session.scalars(self._active_rows())).all()
        grouped: dict[int, list[CatalogEntry]] = {}
        for row in rows:
            grouped.setdefault(row.guild_id, []).append(entry_from_row(row))
        self._indexes = {guild: CatalogIndex(tuple(entries)) for guild, entries in grouped.items()}
        for guild, generation in self._generations.items():  # changed while we were reading
            if generations.get(guild) != generation:
                self._stale.add(guild)

    async def reload(self, guild_id: int) -> CatalogIndex:
        generation = self._generations.get(guild_id, 0)
        async with self._sessions() as session:
            rows = (await session.scalars(self._active_rows(guild_id))).all()
        entries = tuple(entry_from_row(row) for row in rows)
        # Indexing a large catalog takes tens of ms: off the event loop, so it stays responsive.
        index = await asyncio.to_thread(CatalogIndex, entries)
        if self._generations.get(guild_id, 0) == generation:  # not overtaken by a change
            self._indexes[guild_id] = index
            self._stale.discard(guild_id)
        return index

    async def index(self, guild_id: int) -> CatalogIndex:
        """The server's catalog, read from the database if this process has not indexed it
        or another process changed it."""
        cached = self._indexes.get(guild_id)
        if cached is not None and guild_id not in self._stale:
            return cached
        return await self.reload(guild_id)

    def suggest(self, guild_id: int | None, query: str, *, role: str | None = None) -> list[Choice]:
        """Autocomplete choices from memory only (never touches the database)."""
        if guild_id is None:
            return []
        if guild_id in self._stale:
            self._refresh_soon(guild_id)
        return self._indexes.get(guild_id, EMPTY).suggest(query, role=role)

    @staticmethod
    def _active_rows(guild_id: int | None = None) -> Select[Project]:
        query = select(Project).where(Project.active.is_(True))
        if guild_id is not None:
            query = query.where(Project.guild_id == guild_id)
        return query.order_by(Project.guild_id, Project.custom, Project.id)

    # ---- seeding -----------------------------------------------------------------------------

    def seed_entries(self) -> list[CatalogEntry]:
        """The catalog every new server starts with (read once from the data directory)."""
        if self._seed is None:
            self._seed = parse_catalog(self._catalog_file.read_text(encoding="utf-8"))
        return self._seed

    async def seed_on_setup(
        self, session: AsyncSession, config: GuildConfig, created: bool
    ) -> None:
        """Setup hook: a server with no catalog yet gets the shipped one, in the same transaction.

        A server that already has rows (even removed ones) is left alone, so re-running
        `/nexus setup` never brings back projects a moderator removed.
        """
        existing = await session.scalar(
            select(func.count(Project.id)).where(Project.guild_id == config.guild_id)
        )
        if existing:
            return
        now = self._clock.now()
        rows = [self._new_row(config.guild_id, entry, now, None) for entry in self.seed_entries()]
        session.add_all(rows)
        await session.flush()
        await self._changes.publish(session, "catalog", config.guild_id)

    @staticmethod
    def _new_row(guild_id: int, entry: CatalogEntry, now: datetime, by: int | None) -> Project:
        row = Project(guild_id=guild_id, key=entry.key, active=True, created_by=by, created_at=now)
        _apply(row, entry)
        return row

    # ---- moderator commands ------------------------------------------------------------------

    async def entries(self, guild_id: int) -> list[CatalogEntry]:
        await self._require_config(guild_id)
        return list((await self.index(guild_id)).entries)

    async def add(
        self,
        guild_id: int,
        by_user: int,
        name: str,
        *,
        aliases: str | None = None,
        description: str | None = None,
        backend_title: str | None = None,
        frontend_title: str | None = None,
    ) -> CatalogEntry:
        """Add a project (or bring back a removed one with the same name)."""
        entry = make_entry(
            name,
            aliases=aliases,
            description=description,
            backend_title=backend_title,
            frontend_title=frontend_title,
        )
        await self._require_config(guild_id)
        index = await self.index(guild_id)
        clash = conflicts(entry, index)
        if clash:
            term, other = clash[0]
            raise InvalidInput(
                f"{code(term)} already leads to {code(other.name)}. "
                "Choose another name or alias, or remove that project first."
            )
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(Project).where(Project.guild_id == guild_id, Project.key == entry.key)
            )
            if row is None:
                row = self._new_row(guild_id, entry, self._clock.now(), by_user)
                session.add(row)
            elif row.active and not row.custom:
                raise InvalidInput(f"{code(row.name)} is already in the catalog.")
            else:  # a removed project, or a learner's custom idea made official
                _apply(row, entry)
                row.active = True
            await session.flush()
            added = entry_from_row(row)
            await self._changes.publish(session, "catalog", guild_id)
            change = Change("projects · add", NOTHING, literal(added.name))
            await self._audit.record(guild_id, by_user, [change], session=session)
        await self.reload(guild_id)
        return added

    async def remove(self, guild_id: int, project: str, *, by_user: int | None = None) -> Removal:
        """Take a project out of the catalog; learners who announced it keep it."""
        await self._require_config(guild_id)
        index = await self.index(guild_id)
        entry = index.exact(project) or index.by_key(slugify(project))
        if entry is None:
            resolution = index.resolve(project)
            raise UnknownProject(code(project), describe(resolution.suggestions))
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(Project).where(Project.guild_id == guild_id, Project.key == entry.key)
            )
            if row is None or not row.active:
                raise UnknownProject(code(project))
            row.active = False
            learners = await session.scalar(
                select(func.count(Learner.id)).where(Learner.project_id == row.id)
            )
            await self._changes.publish(session, "catalog", guild_id)
            change = Change("projects · remove", literal(entry.name), NOTHING)
            await self._audit.record(guild_id, by_user, [change], session=session)
        await self.reload(guild_id)
        return Removal(entry, int(learners or 0))

    async def _require_config(self, guild_id: int) -> None:
        await self._guilds.require(guild_id)


async def find_or_create_custom(
    session: AsyncSession, guild_id: int, typed: str, by_user: int, now: datetime
) -> tuple[Project, bool]:
    """A learner's own project idea as a catalog entry (matched like any other project).

    Returns the row and whether it was created now.
    """
    entry = make_entry(typed, custom=True)
    row = await session.scalar(
        select(Project).where(Project.guild_id == guild_id, Project.key == entry.key)
    )
    if row is not None:
        if not row.active:
            raise InvalidInput(
                f"{code(row.name)} was removed from this server's catalog by a moderator."
            )
        return row, False
    row = CatalogService._new_row(guild_id, entry, now, by_user)
    session.add(row)
    await session.flush()
    return row, True
