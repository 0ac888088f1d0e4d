from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.timezones import normalize_timezone, to_tzinfo
from bot.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Africa/Lagos", "Africa/Lagos"),
        ("africa/nairobi", "Africa/Nairobi"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+1", "UTC+1"),
        ("UTC+01:00", "UTC+1"),
        ("utc-3:30", "UTC-3:30"),
        ("+3", "UTC+3"),
        ("UTC+0", "UTC"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize_timezone(text) == expected


@pytest.mark.parametrize("text", ["", "Mars/Olympus", "UTC+15", "UTC+3:75", "lagos time"])
def test_rejects(text: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_timezone(text)


def test_offsets_and_names_give_the_right_local_time() -> None:
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert noon.astimezone(to_tzinfo("UTC+1")).hour == 13
    assert noon.astimezone(to_tzinfo("UTC-3:30")).utcoffset() == -timedelta(hours=3, minutes=30)
    assert noon.astimezone(to_tzinfo("Africa/Nairobi")).hour == 15


def test_suggestions_start_with_where_learners_are() -> None:
    from bot.domain.timezones import COMMON_TIMEZONES, suggest_timezones

    blank = suggest_timezones("")  # the common zones first, then others to fill the list
    assert blank[: len(COMMON_TIMEZONES)] == list(COMMON_TIMEZONES) and len(blank) == 25
    assert suggest_timezones("nairbi")[0] == "Africa/Nairobi"  # typo
    assert suggest_timezones("lag")[0] == "Africa/Lagos"
    assert suggest_timezones("new york")[0] == "America/New_York"


@pytest.mark.parametrize(
    ("typed", "first"), [("utc+1", "UTC+1"), ("+3", "UTC+3"), ("GMT-3:30", "UTC-3:30")]
)
def test_offsets_are_offered_in_canonical_form(typed: str, first: str) -> None:
    from bot.domain.timezones import suggest_timezones

    assert suggest_timezones(typed)[0] == first


def test_suggestions_stay_within_discord_limits() -> None:
    from bot.domain.timezones import suggest_timezones

    for typed in ("a", "america", "x" * 100, "/"):
        names = suggest_timezones(typed)
        assert len(names) <= 25 and all(len(n) <= 100 for n in names)
