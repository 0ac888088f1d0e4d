from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.knowledge import KnowledgeIndex, MatchKind, build_library, normalize_query
from tests.fixtures.knowledge import article_text, fixture_files


@lru_cache(maxsize=1)
def fixture_index() -> KnowledgeIndex:
    return build_library(fixture_files()).library.index


@pytest.fixture
def index() -> KnowledgeIndex:
    return fixture_index()


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("django", "django"),
        ("Django REST Framework", "django-rest-framework"),
        ("django-rest-framework", "django-rest-framework"),
        ("DRF", "django-rest-framework"),
        ("  ci/cd ", "ci-cd"),
        ("CICD", "ci-cd"),
        ("redis", "caching-redis"),
        ("select_related", "query-optimization"),
    ],
)
def test_exact_names_slugs_and_aliases(index: KnowledgeIndex, query: str, slug: str) -> None:
    resolution = index.resolve(query)
    assert resolution.kind is MatchKind.EXACT
    assert resolution.slug == slug


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("djnago", "django"),
        ("celary", "celery-rabbitmq"),
        ("restframework", "django-rest-framework"),
        ("rabitmq", "celery-rabbitmq"),
        ("dokcer", "docker"),
        ("grapql", "graphql"),
        ("swager", "api-documentation"),
        ("github action", "ci-cd"),
    ],
)
def test_typos_are_confident_matches(index: KnowledgeIndex, query: str, slug: str) -> None:
    resolution = index.resolve(query)
    assert resolution.kind is MatchKind.CONFIDENT, resolution
    assert resolution.slug == slug


def test_phrase_is_ranked_by_content(index: KnowledgeIndex) -> None:
    hits = index.search("how do I stop n+1 queries")
    assert hits[0].slug == "query-optimization"
    resolution = index.resolve("how do I stop n+1 queries")
    assert resolution.kind in (MatchKind.CONFIDENT, MatchKind.WEAK)
    assert resolution.hits[0].slug == "query-optimization"


def test_phrase_with_a_typo_still_finds_the_article(index: KnowledgeIndex) -> None:
    assert index.search("backround tasks in workers")[0].slug == "celery-rabbitmq"


def test_weak_query_offers_a_few_candidates(index: KnowledgeIndex) -> None:
    resolution = index.resolve("permission")
    assert resolution.kind is MatchKind.WEAK
    slugs = [hit.slug for hit in resolution.hits]
    assert "django-rest-framework" in slugs
    assert 1 <= len(slugs) <= 5


@pytest.mark.parametrize("query", ["kubernetes helm charts", "xyzzy", "???", "flutter"])
def test_nothing_found(index: KnowledgeIndex, query: str) -> None:
    resolution = index.resolve(query)
    assert resolution.kind is MatchKind.NONE
    assert resolution.hits == ()


def test_short_nonsense_is_not_a_confident_match(index: KnowledgeIndex) -> None:
    assert index.resolve("pste").kind in (MatchKind.WEAK, MatchKind.NONE)
    assert index.resolve("d").kind in (MatchKind.WEAK, MatchKind.NONE)


def test_an_alias_shared_by_two_articles_asks_which() -> None:
    files = [
        ("a.md", article_text("a", "Alpha", aliases=["shared"])),
        ("b.md", article_text("b", "Beta", aliases=["shared"])),
    ]
    index = build_library(files).library.index
    resolution = index.resolve("shared")
    assert resolution.kind is MatchKind.WEAK
    assert {hit.slug for hit in resolution.hits} == {"a", "b"}


def test_autocomplete_prefix_puts_the_name_first(index: KnowledgeIndex) -> None:
    choices = index.autocomplete("dj")
    assert choices[0].value == "django"
    assert "django-rest-framework" in [c.value for c in choices]


def test_autocomplete_shows_the_alias_that_matched(index: KnowledgeIndex) -> None:
    choices = index.autocomplete("swag")
    assert choices[0].value == "api-documentation"
    assert choices[0].name == "API Documentation (OpenAPI & Swagger)"
    choice = index.autocomplete("prefetch")[0]
    assert choice.value == "query-optimization"
    assert choice.name == "ORM Query Optimization (prefetch_related)"


def test_autocomplete_with_typos_and_phrases(index: KnowledgeIndex) -> None:
    assert index.autocomplete("celary")[0].value == "celery-rabbitmq"
    assert index.autocomplete("how do i stop n+1 que")[0].value == "query-optimization"


def test_autocomplete_empty_lists_topics_alphabetically(index: KnowledgeIndex) -> None:
    names = [c.name for c in index.autocomplete("")]
    assert names == sorted(names, key=str.lower)
    assert len(names) == 10


def test_autocomplete_never_exceeds_25_choices() -> None:
    files = [
        (f"t{i}.md", article_text(f"t{i}", f"Topic {i}", aliases=[f"thing {i}"])) for i in range(60)
    ]
    index = build_library(files).library.index
    for query in ("", "t", "topic", "thing 1", "topc"):
        choices = index.autocomplete(query)
        assert 0 < len(choices) <= 25


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_valid_choices_and_a_resolution(text: str) -> None:
    index = fixture_index()
    choices = index.autocomplete(text)
    assert len(choices) <= 25
    assert all(0 < len(c.name) <= 100 and 0 < len(c.value) <= 100 for c in choices)
    resolution = index.resolve(text)
    assert len(resolution.hits) <= 5
    if resolution.kind in (MatchKind.EXACT, MatchKind.CONFIDENT):
        assert resolution.slug is not None


def test_normalize_query() -> None:
    assert normalize_query("  How   do I  Deploy?? ") == "how do i deploy??"
    assert len(normalize_query("x" * 300)) == 100


def test_warming_the_index_changes_speed_not_results() -> None:
    index = build_library(fixture_files()).library.index
    queries = ["how do I stop n+1 queries", "permission", "celary", "backround tasks", "dj"]
    before = [(index.search(q), index.autocomplete(q)) for q in queries]
    index.warm()
    fresh = build_library(fixture_files()).library.index
    fresh.warm()
    assert [(fresh.search(q), fresh.autocomplete(q)) for q in queries] == before
