"""Questions learners actually type open the one article that answers them; excerpts stay
readable markdown."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.knowledge import KnowledgeIndex, MatchKind, build_library
from bot.domain.knowledge.text import excerpt
from bot.services.knowledge import read_article_files
from bot.settings import DEFAULT_DATA_DIR


@lru_cache(maxsize=1)
def shipped_index() -> KnowledgeIndex:
    files, _ = read_article_files(DEFAULT_DATA_DIR / "learnings")
    return build_library(files).library.index


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("how do I stop n+1 queries", "query-optimization"),
        ("select_related vs prefetch_related", "query-optimization"),
        ("what is celery", "celery-rabbitmq"),
        ("why are my tests slow", "testing"),
        ("how do I write tests for my api", "testing"),
        ("how do I paginate results", "pagination-filtering"),
        ("jwt auth", "authentication"),
        ("what is an ERD", "database-design"),
        ("how to deploy", "deployment"),
        ("how do i use docker with postgres", "docker"),
    ],
)
def test_a_clear_question_opens_its_article(question: str, slug: str) -> None:
    resolution = shipped_index().resolve(question)
    assert resolution.kind is MatchKind.CONFIDENT
    assert resolution.slug == slug


def test_a_question_about_two_topics_still_offers_a_choice() -> None:
    resolution = shipped_index().resolve("how to dockerize django")
    assert resolution.kind is MatchKind.WEAK
    assert len(resolution.hits) > 1


def test_a_single_unknown_word_is_a_miss() -> None:
    assert shipped_index().resolve("kubernetes").kind is MatchKind.NONE


TEXT = (
    "Use `select_related()` for foreign keys and `prefetch_related()` for many-to-many. "
    "It cuts queries. Then measure with [the toolbar](https://example.com/a b) and more."
)


def test_excerpt_prefers_a_sentence_end() -> None:
    assert excerpt(TEXT, 100) == (
        "Use `select_related()` for foreign keys and `prefetch_related()` for many-to-many. "
        "It cuts queries."
    )


def test_excerpt_cuts_at_a_word_end_with_an_ellipsis() -> None:
    assert excerpt(TEXT, 60) == "Use `select_related()` for foreign keys and…"


def test_short_text_is_kept_on_one_line() -> None:
    assert excerpt("one\ntwo  three", 50) == "one two three"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["word", "`a code span`", "[a link](https://x.y/z w)", "end.", "x"]),
        max_size=40,
    ),
    st.integers(min_value=5, max_value=120),
)
def test_excerpt_never_cuts_inside_code_or_links(parts: list[str], limit: int) -> None:
    text = " ".join(parts)
    cut = excerpt(text, limit)
    assert len(cut) <= limit
    assert cut.count("`") % 2 == 0
    assert cut.count("[") == cut.count("]")
    assert cut.count("(") == cut.count(")")
    body = cut.removesuffix("…")
    assert text.startswith(body)
    assert not body or len(body) == len(text) or text[len(body)] == " " or body.endswith(".")
