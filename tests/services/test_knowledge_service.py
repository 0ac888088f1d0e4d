from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.changes import ChangeFeed
from bot.db.engine import Sessions
from bot.db.models import LearnFeedback, LearnMiss
from bot.domain.knowledge import MatchKind
from bot.errors import ArticleNotFound, NotConfigured
from bot.services.guilds import GuildService
from bot.services.knowledge import KnowledgeService
from tests.fixtures.knowledge import FIXTURES, article_text
from tests.services.conftest import GUILD, FakeClock


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "learnings"
    path.mkdir()
    for slug, text in FIXTURES.items():
        (path / f"{slug}.md").write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def knowledge(sessions: Sessions, clock: FakeClock, folder: Path) -> KnowledgeService:
    service = KnowledgeService(sessions, clock, folder, guilds(sessions, clock))
    await service.load()
    return service


def guilds(sessions: Sessions, clock: FakeClock) -> GuildService:
    return GuildService(sessions, clock, ChangeFeed("sqlite+aiosqlite://"))


async def test_load_indexes_every_file(knowledge: KnowledgeService) -> None:
    assert len(knowledge.library) == len(FIXTURES)
    assert knowledge.autocomplete("djnago")[0].value == "django"
    assert knowledge.pages(knowledge.article("django"))[0].number == 0
    with pytest.raises(ArticleNotFound):
        knowledge.article("nope")


async def test_unreadable_and_broken_files_are_reported(
    sessions: Sessions, clock: FakeClock, folder: Path
) -> None:
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "broken.md").write_text("---\ntitle: x\n---\nno", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored: not markdown", encoding="utf-8")
    service = KnowledgeService(sessions, clock, folder, guilds(sessions, clock))
    report = await service.load()
    assert {p.filename for p in report.errors} == {"latin1.md", "broken.md"}
    assert len(service.library) == len(FIXTURES)


async def test_missing_folder_is_an_error_not_a_crash(
    sessions: Sessions, clock: FakeClock, tmp_path: Path
) -> None:
    report = await KnowledgeService(
        sessions, clock, tmp_path / "nowhere", guilds(sessions, clock)
    ).load()
    assert len(report.library) == 0
    assert "does not exist" in report.errors[0].message


async def test_reload_reports_changes(knowledge: KnowledgeService, folder: Path) -> None:
    (folder / "graphql.md").unlink()
    (folder / "docker.md").write_text("---\nbroken: [\n---\n", encoding="utf-8")
    (folder / "redis-streams.md").write_text(
        article_text("redis-streams", "Redis Streams"), encoding="utf-8"
    )
    result = await knowledge.reload()
    assert result.changes.added == ("redis-streams",)
    assert result.changes.removed == ("graphql",)
    assert result.report.kept == ("docker",)
    assert knowledge.article("docker").title == "Docker & Docker Compose"
    assert knowledge.library.index.resolve("redis streams").slug == "redis-streams"


async def test_lookup_counts_misses_per_normalised_query(
    knowledge: KnowledgeService, sessions: Sessions, clock: FakeClock
) -> None:
    answer = await knowledge.lookup(GUILD, "djnago")
    assert answer.article is not None and answer.article.slug == "django"
    for text in ("Kubernetes  Helm", "kubernetes helm", "flutter"):
        answer = await knowledge.lookup(GUILD, text)
        assert answer.resolution.kind is MatchKind.NONE
        assert answer.article is None and answer.candidates == ()
        clock.advance(minutes=1)
    async with sessions() as session:
        misses = {m.query: m.count for m in (await session.scalars(select(LearnMiss))).all()}
    assert misses == {"kubernetes helm": 2, "flutter": 1}


async def test_lookup_needs_a_configured_server(knowledge: KnowledgeService) -> None:
    with pytest.raises(NotConfigured):
        await knowledge.lookup(999, "django")


async def test_weak_lookup_returns_candidates(knowledge: KnowledgeService) -> None:
    answer = await knowledge.lookup(GUILD, "permission")
    assert answer.article is None
    assert "django-rest-framework" in [a.slug for a in answer.candidates]


async def test_votes_last_one_wins(knowledge: KnowledgeService, sessions: Sessions) -> None:
    await knowledge.vote(GUILD, 7, "django", True)
    await knowledge.vote(GUILD, 7, "django", False)
    await knowledge.vote(GUILD, 8, "django", True)
    votes = await knowledge.votes(GUILD, "django")
    assert (votes.helpful, votes.not_helpful) == (1, 1)
    async with sessions() as session:
        rows = (await session.scalars(select(LearnFeedback))).all()
    assert len(rows) == 2
    with pytest.raises(ArticleNotFound):
        await knowledge.vote(GUILD, 7, "removed-article", True)
