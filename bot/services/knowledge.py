"""The knowledge base behind `/learn`: loading the article files, search, votes and misses.

The library (articles + search index) lives in memory and is swapped whole on reload, so
autocomplete and lookups never touch the database or the disk. Reading files is the only I/O
here; parsing and validation are pure (bot.domain.knowledge).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base
from bot.db.models import LearnFeedback, LearnMiss
from bot.domain.audit import Change
from bot.domain.knowledge import (
    Article,
    Choice,
    FileProblem,
    Library,
    LibraryChanges,
    LoadReport,
    Page,
    Resolution,
    build_library,
    compare,
    empty_library,
    normalize_query,
    paginate,
)
from bot.errors import ArticleNotFound
from bot.services.audit import Audited
from bot.services.guilds import GuildService

log = logging.getLogger(__name__)


class ReloadResult(NamedTuple):
    report: LoadReport
    changes: LibraryChanges


@dataclass(frozen=True)
class Answer:
    """What `/learn <query>` found: one article, a few candidates, or nothing."""

    resolution: Resolution
    article: Article | None
    candidates: tuple[Article, ...]


@dataclass(frozen=True)
class Votes:
    helpful: int
    not_helpful: int


def read_article_files(directory: Path) -> tuple[list[tuple[str, str]], list[FileProblem]]:
    """(file name, text) of every `*.md` in `directory`; unreadable files become problems."""
    if not directory.is_dir():
        return [], [FileProblem(str(directory), "the knowledge base folder does not exist")]
    files: list[tuple[str, str]] = []
    problems: list[FileProblem] = []
    for path in sorted(directory.glob("*.md")):
        try:
            files.append((path.name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(FileProblem(path.name, f"can't be read as UTF-8 text ({error})"))
    return files, problems


async def _upsert(
    session: AsyncSession,
    model: type[Base],
    values: dict[str, Any],
    index: list[str],
    update: dict[str, Any],
) -> None:
    """INSERT … ON CONFLICT DO UPDATE, so concurrent writers never collide on the unique key."""
    # The dialect's own module: importing PostgreSQL's costs ~80 ms, not paid on SQLite.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        await session.execute(
            postgresql.insert(model)
            .values(**values)
            .on_conflict_do_update(index_elements=index, set_=update)
        )
    else:
        from sqlalchemy.dialects import sqlite

        await session.execute(
            sqlite.insert(model)
            .values(**values)
            .on_conflict_do_update(index_elements=index, set_=update)
        )


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while the index is built: it allocates hundreds of thousands
    of small, acyclic objects, and collections triggered by them are a sixth of the build."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(eq=False)
class KnowledgeService(Audited):
    _directory: Path
    _guilds: GuildService
    _library: Library = field(default_factory=empty_library, init=False)
    _pages: dict[str, tuple[Page, ...]] = field(default_factory=dict, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _warming: asyncio.Future[None] | None = field(default=None, init=False)
    _initial: asyncio.Future[LoadReport] | None = field(default=None, init=False)

    @property
    def library(self) -> Library:
        return self._library

    def _build(self, previous: Library | None) -> LoadReport:
        files, unreadable = read_article_files(self._directory)
        with _no_cycle_collection():
            report = build_library(files, previous)
        if unreadable:
            report = LoadReport(
                report.library, (*unreadable, *report.errors), report.warnings, report.kept
            )
        return report

    def _install(self, report: LoadReport) -> None:
        """Serve the new library now; finish its full-text lists in the background."""
        self._library = report.library
        self._pages = {}
        self._warming = asyncio.ensure_future(asyncio.to_thread(report.library.index.warm))
        for problem in report.errors:
            log.warning("knowledge base: %s: %s", problem.filename, problem.message)
        for problem in report.warnings:
            log.info("knowledge base: %s: %s", problem.filename, problem.message)

    def start_loading(self) -> None:
        """Load in the background, so the bot connects meanwhile; `/learn` waits for it."""
        self._initial = asyncio.ensure_future(self.load())

    async def ready(self) -> None:
        """Wait for the load started by `start_loading`, if any."""
        # Once loaded, no await at all: shielding a finished future on every /learn cost
        # about a tenth of the command.
        if self._initial is not None and not self._initial.done():
            await asyncio.shield(self._initial)

    async def load(self) -> LoadReport:
        """Read and index every article (off the event loop); bad files are logged and skipped."""
        async with self._lock:
            report = await asyncio.to_thread(self._build, None)
            self._install(report)
        log.info("knowledge base: %d articles loaded", len(report.library))
        return report

    async def reload(
        self, guild_id: int | None = None, *, by_user: int | None = None
    ) -> ReloadResult:
        """Re-read the files; a file that broke keeps its last good version online.

        The knowledge base is shared; `guild_id` is the server whose moderator asked (its
        audit trail records the reload)."""
        await self.ready()
        async with self._lock:
            previous = self._library
            report = await asyncio.to_thread(self._build, previous)
            self._install(report)
        result = ReloadResult(report, compare(previous, report.library))
        if guild_id is not None:
            await self._audit.record(guild_id, by_user, [_reload_change(previous, result)])
        return result

    async def warmed(self) -> None:
        """Wait until the background part of the last (re)load is done."""
        if self._warming is not None:
            await self._warming

    # Lookups: memory only.

    def autocomplete(self, query: str) -> list[Choice]:
        return self._library.index.autocomplete(query)

    def article(self, slug: str) -> Article:
        article = self._library.get(slug)
        if article is None:
            raise ArticleNotFound()
        return article

    def pages(self, article: Article) -> tuple[Page, ...]:
        pages = self._pages.get(article.slug)
        if pages is None:
            pages = self._pages[article.slug] = paginate(article)
        return pages

    def related(self, article: Article) -> list[Article]:
        return self._library.related(article)

    # Commands: these touch the database.

    async def lookup(self, guild_id: int, query: str) -> Answer:
        """Resolve a `/learn` query; a query that opened no article (nothing found, or only a
        choice offered) is counted for moderators: both mean the article they wanted is missing
        or hard to find.

        Memory only (the server's configuration is cached), except to count a miss."""
        await self.ready()
        await self._guilds.require(guild_id)
        library = self._library
        resolution = library.index.resolve(query)
        article = library.get(resolution.slug) if resolution.slug else None
        if article is None:
            async with self._sessions.begin() as session:
                await self._count_miss(session, guild_id, query)
        candidates = tuple(
            a for a in (library.get(hit.slug) for hit in resolution.hits) if a is not None
        )
        return Answer(resolution, article, () if article else candidates)

    async def _count_miss(self, session: AsyncSession, guild_id: int, query: str) -> None:
        normalized = normalize_query(query)
        if not normalized:
            return
        now = self._clock.now()
        await _upsert(
            session,
            LearnMiss,
            {"guild_id": guild_id, "query": normalized, "count": 1, "last_at": now},
            ["guild_id", "query"],
            {"count": LearnMiss.count + 1, "last_at": now},
        )

    async def vote(self, guild_id: int, user_id: int, slug: str, helpful: bool) -> None:
        """Record a Helpful / Not helpful vote; a member's later vote on the same article wins."""
        self.article(slug)
        now = self._clock.now()
        async with self._sessions.begin() as session:
            await _upsert(
                session,
                LearnFeedback,
                {
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "slug": slug,
                    "helpful": helpful,
                    "created_at": now,
                },
                ["guild_id", "user_id", "slug"],
                {"helpful": helpful, "created_at": now},
            )

    async def votes(self, guild_id: int, slug: str) -> Votes:
        async with self._sessions() as session:
            rows = await session.execute(
                select(LearnFeedback.helpful, func.count())
                .where(LearnFeedback.guild_id == guild_id, LearnFeedback.slug == slug)
                .group_by(LearnFeedback.helpful)
            )
            counts = {bool(helpful): int(count) for helpful, count in rows.all()}
        return Votes(counts.get(True, 0), counts.get(False, 0))


def _reload_change(previous: Library, result: ReloadResult) -> Change:
    changes = result.changes
    counts = [
        f"{len(names)} {what}"
        for names, what in (
            (changes.added, "added"),
            (changes.updated, "updated"),
            (changes.removed, "removed"),
            (result.report.errors, "bad files"),
        )
        if names
    ]
    detail = f" ({', '.join(counts)})" if counts else " (no change)"
    return Change(
        "learn · reload",
        f"{len(previous)} articles",
        f"{len(result.report.library)} articles{detail}",
    )
