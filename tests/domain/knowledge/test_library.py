from __future__ import annotations

from bot.domain.knowledge import build_library, compare
from tests.fixtures.knowledge import FIXTURES, article_text, fixture_files


def test_all_fixtures_load_without_problems() -> None:
    report = build_library(fixture_files())
    assert len(report.library) == len(FIXTURES)
    assert report.errors == ()
    assert report.warnings == ()


def test_a_bad_file_is_reported_by_name_and_the_rest_load() -> None:
    files = [*fixture_files(), ("broken.md", "---\ntitle: [oops\n---\ntext")]
    report = build_library(files)
    assert len(report.library) == len(FIXTURES)
    assert [p.filename for p in report.errors] == ["broken.md"]
    assert "not valid YAML" in report.errors[0].message


def test_duplicate_slug_keeps_the_first_file() -> None:
    copy = FIXTURES["docker"].replace("title: Docker & Docker Compose", "title: Containers")
    report = build_library([("a/docker.md", FIXTURES["docker"]), ("b/docker.md", copy)])
    assert report.library.get("docker") is not None
    assert report.library.articles["docker"].title == "Docker & Docker Compose"
    assert any("already used by a/docker.md" in p.message for p in report.errors)


def test_dangling_related_and_shared_aliases_are_warnings() -> None:
    files = [
        ("a.md", article_text("a", "Alpha", aliases=["shared"], related=["b", "ghost"])),
        ("b.md", article_text("b", "Beta", aliases=["shared", "alpha"])),
    ]
    report = build_library(files)
    assert len(report.library) == 2
    messages = [f"{p.filename}: {p.message}" for p in report.warnings]
    assert "a.md: `related` names `ghost`, which doesn't exist" in messages
    assert "b.md: alias 'shared' is also a name of `a`" in messages
    assert "b.md: alias 'alpha' is also a name of `a`" in messages
    article = report.library.articles["a"]
    assert [r.slug for r in report.library.related(article)] == ["b"]


def test_reload_keeps_last_good_version_of_a_broken_file_and_reports_changes() -> None:
    first = build_library(fixture_files()).library
    files = dict(fixture_files())
    files["docker.md"] = "---\ntitle: Docker\n---\nhalf-written"
    files["testing.md"] = files["testing.md"].replace("Tests that depend", "Tests that share")
    del files["graphql.md"]
    files["redis-streams.md"] = article_text("redis-streams", "Redis Streams")
    report = build_library(files.items(), previous=first)
    assert report.kept == ("docker",)
    assert report.library.get("docker") is first.get("docker")
    assert {p.filename for p in report.errors} == {"docker.md"}
    changes = compare(first, report.library)
    assert changes.added == ("redis-streams",)
    assert changes.removed == ("graphql",)
    assert changes.updated == ("testing",)
    assert changes.unchanged == len(FIXTURES) - 2
    assert changes.any


def test_broken_new_file_has_nothing_to_keep() -> None:
    report = build_library([("new.md", "no front matter")], previous=build_library([]).library)
    assert report.kept == ()
    assert len(report.library) == 0
