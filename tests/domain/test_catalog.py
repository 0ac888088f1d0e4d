"""Catalog matching: both track titles and aliases lead to one project, typos forgiven."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.catalog import (
    CatalogIndex,
    code,
    compact,
    conflicts,
    describe,
    make_entry,
    normalize,
    parse_catalog,
    slugify,
)
from bot.errors import InvalidInput

CATALOG_FILE = Path(__file__).resolve().parents[2] / "data" / "catalog.yaml"


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(tuple(parse_catalog(CATALOG_FILE.read_text())))


def test_shipped_catalog_has_the_five_case_studies(index: CatalogIndex) -> None:
    assert [e.key for e in index.entries] == [
        "ecommerce",
        "job-board",
        "movie-recommendation",
        "online-poll",
        "social-media-feed",
    ]
    assert all(e.backend_title and e.frontend_title and e.description for e in index.entries)


@pytest.mark.parametrize(
    ("backend", "frontend"),
    [
        ("E-Commerce Backend", "Dynamic E-Commerce Product Catalog"),
        ("Job Board Backend", "Job Board Platform"),
        ("Movie Recommendation Backend", "Movie Recommendation App"),
        ("Online Poll System Backend", "Interactive Online Polling Platform"),
        ("Social Media Feed Backend", "Dynamic Social Media Feed"),
    ],
)
def test_both_track_titles_are_one_project(
    index: CatalogIndex, backend: str, frontend: str
) -> None:
    first, second = index.resolve(backend).entry, index.resolve(frontend).entry
    assert first is not None and first == second


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ecommerce", "ecommerce"),
        ("E-COMMERCE API", "ecommerce"),
        ("e commerce api", "ecommerce"),
        ("movie app", "movie-recommendation"),
        ("e-comerce backend", "ecommerce"),  # typo
        ("movie recomendation app", "movie-recommendation"),
        ("job bord platfrom", "job-board"),
        ("backend ecommerce", "ecommerce"),  # words in another order
        ("  Job   Board  ", "job-board"),
    ],
)
def test_resolves_aliases_case_spacing_and_typos(index: CatalogIndex, typed: str, key: str) -> None:
    entry = index.resolve(typed).entry
    assert entry is not None and entry.key == key


def test_unknown_name_gets_suggestions_not_a_guess(index: CatalogIndex) -> None:
    resolution = index.resolve("social")
    assert resolution.entry is None
    assert [e.key for e in resolution.suggestions] == ["social-media-feed"]


def test_unrelated_name_resolves_to_nothing(index: CatalogIndex) -> None:
    assert index.resolve("Movie Night Planner").entry is None
    assert index.resolve("!!!").entry is None


def test_autocomplete_empty_lists_titles_in_catalog_order(index: CatalogIndex) -> None:
    names = [c.name for c in index.suggest("")]
    assert names[:2] == ["E-Commerce Backend", "Dynamic E-Commerce Product Catalog"]
    assert len(names) == 10


def test_autocomplete_with_a_typo_and_role_order(index: CatalogIndex) -> None:
    choices = index.suggest("movei recom", role="frontend")
    assert [c.value for c in choices[:2]] == [
        "Movie Recommendation App",
        "Movie Recommendation Backend",
    ]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ecom", "ecommerce"),
        ("job bor", "job-board"),
        ("pol", "online-poll"),
        ("feeed", "social-media-feed"),
        ("shop", "ecommerce"),
        ("recommend", "movie-recommendation"),
    ],
)
def test_autocomplete_finds_partial_input(index: CatalogIndex, typed: str, key: str) -> None:
    first = index.suggest(typed)[0].value
    entry = index.exact(first)
    assert entry is not None and entry.key == key


def test_autocomplete_respects_discord_limits() -> None:
    entries = tuple(
        make_entry(f"Project {i} " + "x" * 85, backend_title=f"B{i} " + "y" * 95) for i in range(60)
    )
    choices = CatalogIndex(entries).suggest("project")
    assert 0 < len(choices) <= 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)


def test_custom_projects_are_labelled_in_autocomplete() -> None:
    index = CatalogIndex((make_entry("Recipe Sharing", custom=True),))
    assert index.suggest("recipe")[0].name == "Recipe Sharing (custom)"
    assert index.suggest("recipe")[0].value == "Recipe Sharing"


def test_normal_forms() -> None:
    assert normalize("Dynamic  E-Commerce_Catalog!") == "dynamic e commerce catalog"
    assert compact("Café & Co") == "cafeandco"
    assert slugify("Job Board") == "job-board"


def test_make_entry_validates() -> None:
    with pytest.raises(InvalidInput):
        make_entry("")
    with pytest.raises(InvalidInput):
        make_entry("x" * 101)
    with pytest.raises(InvalidInput):
        make_entry("Fine", aliases=",".join(f"a{i}" for i in range(21)))
    entry = make_entry("Library", aliases="books,  Books , lib,,")
    assert entry.aliases == ("books", "lib")


def test_conflicts_name_the_other_project(index: CatalogIndex) -> None:
    clash = conflicts(make_entry("Shop Two", aliases="shop"), index)
    assert [(term, other.key) for term, other in clash] == [("shop", "ecommerce")]


def test_parse_catalog_rejects_duplicates_and_garbage() -> None:
    with pytest.raises(InvalidInput):
        parse_catalog("projects: [{name: A1}, {name: a1}]")
    with pytest.raises(InvalidInput):
        parse_catalog("not: a list")
    with pytest.raises(InvalidInput):
        parse_catalog("projects: [")


def test_code_and_describe_keep_user_text_inert(index: CatalogIndex) -> None:
    assert code("a`b @everyone") == "`aˋb @everyone`"
    text = describe(index.entries[:3])
    assert text.startswith("`E-Commerce Backend` / `Dynamic E-Commerce Product Catalog`, ")
    assert text.endswith(" or `Movie Recommendation Backend` / `Movie Recommendation App`")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_input_is_safe(text: str) -> None:
    index = CatalogIndex(tuple(parse_catalog(CATALOG_FILE.read_text())))
    choices = index.suggest(text, role="backend")
    assert len(choices) <= 25
    resolution = index.resolve(text)
    assert resolution.entry is None or resolution.entry in index.entries
    assert len(resolution.suggestions) <= 3


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["E-Commerce Backend", "Job Board Platform", "Movie Recommendation App"]),
    st.data(),
)
def test_titles_survive_case_and_punctuation_noise(title: str, data: st.DataObject) -> None:
    noisy = "".join(
        data.draw(st.sampled_from([c.upper(), c.lower(), c + " " if c.isalpha() else "-"]))
        if not c.isspace()
        else data.draw(st.sampled_from([" ", "  ", "-", "_"]))
        for c in title
    )
    index = CatalogIndex(tuple(parse_catalog(CATALOG_FILE.read_text())))
    entry = index.resolve(noisy).entry
    assert entry is not None and title in entry.titles
