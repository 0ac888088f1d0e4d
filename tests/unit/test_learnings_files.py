"""Every shipped article is valid, linked, findable by name, and fits Discord's embed limits."""

from __future__ import annotations

from functools import lru_cache

import pytest

from bot.domain.knowledge import Library, LoadReport, MatchKind, build_library, paginate
from bot.services.knowledge import read_article_files
from bot.settings import DEFAULT_DATA_DIR
from bot.ui import limits
from bot.ui.learn import article_embed

LEARNINGS = DEFAULT_DATA_DIR / "learnings"
REQUIRED_TOPICS = (
    "python-backend",
    "django",
    "django-rest-framework",
    "graphql",
    "database-design",
    "query-optimization",
    "async-programming",
    "celery-rabbitmq",
    "caching-redis",
    "authentication",
    "security",
    "api-documentation",
    "testing",
    "docker",
    "ci-cd",
    "deployment",
    "system-design",
    "git-workflow",
    "frontend-collaboration",
    "race-conditions-transactions",
    "message-queues-event-driven",
)
REQUIRED_SECTIONS = (
    "what it is",
    "why it matters in a nexus project",
    "key practices",
    "common pitfalls",
    "challenge → solution",
)


@lru_cache(maxsize=1)
def shipped() -> LoadReport:
    files, unreadable = read_article_files(LEARNINGS)
    assert unreadable == []
    return build_library(files)


def library() -> Library:
    return shipped().library


def test_every_file_loads_with_complete_front_matter() -> None:
    report = shipped()
    assert [f"{p.filename}: {p.message}" for p in report.errors] == []
    files, _ = read_article_files(LEARNINGS)
    assert len(report.library) == len(files) >= 24


def test_slugs_unique_and_related_links_resolve() -> None:
    assert [f"{p.filename}: {p.message}" for p in shipped().warnings] == []
    for article in library().articles.values():
        assert len(library().related(article)) == len(article.related) >= 1, article.slug


def test_required_topics_are_covered() -> None:
    missing = [slug for slug in REQUIRED_TOPICS if slug not in library().articles]
    assert missing == []


@pytest.mark.parametrize("slug", sorted(p.stem for p in LEARNINGS.glob("*.md")))
def test_article_has_the_expected_sections_and_sources(slug: str) -> None:
    article = library().articles[slug]
    headings = [s.heading.lower() for s in article.sections]
    for required in REQUIRED_SECTIONS:
        assert required in headings, f"{slug} lacks `## {required}`"
    assert article.sources and all(s.url.startswith("https://") for s in article.sources)


@pytest.mark.parametrize("slug", sorted(p.stem for p in LEARNINGS.glob("*.md")))
def test_every_page_renders_within_embed_limits(slug: str) -> None:
    article = library().articles[slug]
    pages = paginate(article)
    for page in pages:
        embed = article_embed(article, page, len(pages), shared_by="x" * 60)
        assert len(embed.title or "") <= limits.EMBED_TITLE
        assert len(embed.description or "") <= limits.EMBED_DESCRIPTION
        assert len(embed.footer.text or "") <= limits.EMBED_FOOTER
        assert len(embed.fields) <= limits.EMBED_FIELDS
        for field in embed.fields:
            assert len(field.name or "") <= limits.EMBED_FIELD_NAME
            assert len(field.value or "") <= limits.EMBED_FIELD_VALUE
        assert len(embed) <= limits.EMBED_TOTAL
        assert page.text.count("```") % 2 == 0, f"{slug} page {page.number + 1} breaks a fence"


@pytest.mark.parametrize("slug", sorted(p.stem for p in LEARNINGS.glob("*.md")))
def test_each_article_is_found_by_its_title_and_slug(slug: str) -> None:
    article = library().articles[slug]
    index = library().index
    assert index.resolve(article.title).slug == slug
    assert index.resolve(slug).kind is MatchKind.EXACT
    assert slug in [c.value for c in index.autocomplete(article.title)]
