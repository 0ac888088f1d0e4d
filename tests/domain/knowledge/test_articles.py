from __future__ import annotations

from datetime import date

import pytest

from bot.domain.knowledge import ArticleError, parse_article
from bot.domain.knowledge.articles import split_sections
from tests.fixtures.knowledge import FIXTURES, article_text


def test_parses_every_field() -> None:
    article = parse_article(FIXTURES["django"], "django.md")
    assert article.slug == "django"
    assert article.title == "Django"
    assert article.aliases == ("django orm", "mvt")
    assert article.related == ("django-rest-framework", "query-optimization")
    assert article.level == "beginner"
    assert article.sources[0].url == "https://docs.example.org/django/"
    assert article.last_reviewed == date(2026, 11, 1)
    assert article.summary.startswith("Django in one sentence")
    assert [s.heading for s in article.sections] == [
        "What it is",
        "Key practices",
        "Common pitfalls",
    ]
    assert "ORM" in article.body


def test_headings_inside_code_fences_are_not_sections() -> None:
    summary, sections = split_sections(
        "Intro.\n\n## One\n```markdown\n## not a heading\n```\n\n## Two\ntext"
    )
    assert summary == "Intro."
    assert [s.heading for s in sections] == ["One", "Two"]
    assert "## not a heading" in sections[0].body


def _problems(text: str, filename: str = "x.md") -> list[str]:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, filename)
    assert caught.value.filename == filename
    return caught.value.problems


def test_missing_fields_are_all_listed() -> None:
    text = "---\ntitle: Only a title\n---\nSummary.\n\n## A\nbody"
    problems = _problems(text)
    for field in ("slug", "category", "aliases", "tags", "related", "level", "sources"):
        assert f"`{field}` is missing" in problems
    assert "`last_reviewed` is missing" in problems


def test_no_front_matter() -> None:
    assert "no YAML front matter" in _problems("# Just markdown\n\n## A\nb")[0]


def test_broken_yaml_names_the_line() -> None:
    text = "---\ntitle: Django\nslug: [unclosed\n---\nSummary\n\n## A\nb"
    assert "not valid YAML" in _problems(text)[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"slug": "Django_Web"}, "lower-case words joined by hyphens"),
        ({"slug": "flask"}, "must match the file name"),
        ({"level": "expert"}, "`level` must be one of"),
        ({"aliases": "djnago"}, "`aliases` must be a list"),
        ({"related": ["django"]}, "must not list the article itself"),
        ({"sources": []}, "`sources` must be a non-empty list"),
        ({"sources": [{"title": "Docs", "url": "http://insecure.example"}]}, "https://"),
        ({"last_reviewed": "last week"}, "`last_reviewed` must be a date"),
        ({"title": "x" * 120}, "`title` is longer than"),
    ],
)
def test_field_rules(change: dict[str, object], expected: str) -> None:
    import yaml

    meta: dict[str, object] = {
        "title": "Django",
        "slug": "django",
        "category": "Foundations",
        "aliases": [],
        "tags": [],
        "related": [],
        "level": "beginner",
        "sources": [{"title": "Docs", "url": "https://docs.djangoproject.com/"}],
        "last_reviewed": "2026-11-01",
    }
    meta.update(change)
    text = f"---\n{yaml.safe_dump(meta)}---\nSummary.\n\n## A\nbody\n"
    problems = _problems(text, "django.md")
    assert any(expected in p for p in problems), problems


def test_body_needs_summary_and_sections() -> None:
    no_summary = article_text("a", "A", body="## Only\ntext", summary=" ")
    assert any("summary" in p for p in _problems(no_summary.replace(" \n", "\n"), "a.md"))
    no_sections = article_text("a", "A", body="Just prose, no sections.")
    assert any("at least one `## ` section" in p for p in _problems(no_sections, "a.md"))
    empty_section = article_text("a", "A", body="## Empty\n\n## Full\ntext")
    assert any("`Empty` is empty" in p for p in _problems(empty_section, "a.md"))


def test_numbers_in_lists_are_text_and_duplicates_collapse() -> None:
    text = article_text("a", "A", aliases=["2fa", "2fa"], tags=["3"])
    article = parse_article(text, "a.md")
    assert article.aliases == ("2fa",)
    assert article.tags == ("3",)
