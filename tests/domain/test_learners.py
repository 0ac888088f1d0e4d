"""What a learner types into /announce-project, validated before anything is stored."""

from __future__ import annotations

import pytest

from bot.domain.learners import (
    clean_repo,
    clean_summary,
    is_looking,
    profile_changes,
)
from bot.domain.roles import opposite as opposite_role
from bot.errors import InvalidInput


def test_summary_limit_is_300_after_tidying() -> None:
    assert clean_summary("  building   the\nAPI  ") == "building the API"
    assert clean_summary("x" * 300) == "x" * 300
    assert clean_summary("   ") is None
    with pytest.raises(InvalidInput, match="301 characters"):
        clean_summary("x" * 301)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/wanjiku/alx-project-nexus",
        "https://gitlab.com/a/b_c~d?tab=readme#top",
        "HTTPS://github.com/x/y",
    ],
)
def test_good_repos(url: str) -> None:
    assert clean_repo(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://github.com/x/y",
        "github.com/x/y",
        "https://localhost/x",
        "https://user:pw@github.com/x",
        "https://github.com/x y",
        "https://github.com/x)[y](https://evil.example",
        "javascript:alert(1)",
        "https://github.com/" + "x" * 190,
    ],
)
def test_bad_repos(url: str) -> None:
    with pytest.raises(InvalidInput):
        clean_repo(url)


def test_profile_changes_validate_everything_and_dash_clears() -> None:
    changes = profile_changes(" Job  Board ", "Backend", "-", "-", "utc+1")
    assert changes.project_text == "Job Board"
    assert changes.role == "backend"
    assert (changes.summary, changes.repo, changes.timezone) == ("", "", "UTC+1")
    kept = profile_changes("Job Board", "frontend", None, None, None)
    assert (kept.summary, kept.repo, kept.timezone) == (None, None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "backend", None, None, None), "which project"),
        (("x", "fullstack", None, None, None), "backend"),
        (("x", "backend", None, None, "Mars/Base"), "time zone"),
        (("x", "backend", None, "ftp://x.y", None), "https"),
    ],
)
def test_profile_changes_reject_bad_input(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        profile_changes(*args)  # type: ignore[arg-type]


def test_roles_and_room() -> None:
    assert opposite_role("backend") == "frontend" and opposite_role("frontend") == "backend"
    assert is_looking(0, 1) and not is_looking(1, 1) and is_looking(1, 2)


@pytest.mark.parametrize(
    ("options", "refused"),
    [
        ({"project": "  "}, "project"),
        ({"role": "designer"}, "role"),
        ({"summary": "x" * 301}, "summary"),
        ({"repo": "http://x.y"}, "repo"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_a_refused_option_is_named(options: dict[str, str], refused: str) -> None:
    typed = {"project": "ecommerce", "role": "backend", "summary": None, "repo": None}
    typed |= {"timezone": None} | options
    with pytest.raises(InvalidInput) as caught:
        profile_changes(**typed)  # type: ignore[arg-type]
    assert caught.value.field == refused
