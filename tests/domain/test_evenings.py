from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.evenings import (
    Window,
    describe_overlap,
    evening_start_utc,
    overlap_minutes,
    shared_evening,
)

DAY = date(2026, 11, 23)
ZONES = [
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Accra",
    "Africa/Casablanca",
    "UTC",
    "UTC+5:30",
    "UTC-5",
    "America/New_York",
    "Asia/Tokyo",
]


def test_lagos_evening_starts_at_18_utc() -> None:
    assert evening_start_utc("Africa/Lagos", DAY) == 18 * 60


def test_lagos_and_nairobi_share_two_hours() -> None:
    # Lagos 19–23 = 18–22 UTC; Nairobi 19–23 = 16–20 UTC: shared 18–20 UTC.
    assert shared_evening("Africa/Lagos", "Africa/Nairobi", DAY) == Window(18 * 60, 120)


def test_same_zone_shares_the_whole_evening() -> None:
    assert overlap_minutes("Africa/Accra", "Africa/Accra", DAY) == 240


def test_far_zones_share_nothing() -> None:
    assert shared_evening("Africa/Lagos", "Asia/Tokyo", DAY) is None
    assert overlap_minutes("UTC-5", "UTC+5:30", DAY) == 0


def test_window_across_midnight_utc() -> None:
    # UTC-3 evening is 22:00–02:00 UTC; UTC-4 is 23:00–03:00 UTC: shared 23:00–02:00.
    assert shared_evening("UTC-3", "UTC-4", DAY) == Window(23 * 60, 180)


def test_unknown_zone_falls_back_to_utc() -> None:
    assert evening_start_utc("Mars/Olympus", DAY) == 19 * 60


def test_local_times_of_window() -> None:
    window = shared_evening("Africa/Lagos", "Africa/Nairobi", DAY)
    assert window is not None
    from bot.domain.evenings import safe_tzinfo

    start, end = window.local(safe_tzinfo("Africa/Nairobi"), DAY)
    assert (start.hour, end.hour) == (21, 23)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "no evening overlap"),
        (180, "3 h evening overlap"),
        (90, "1 h 30 min evening overlap"),
        (30, "30 min evening overlap"),
    ],
)
def test_describe(minutes: int, text: str) -> None:
    assert describe_overlap(minutes) == text


@given(st.sampled_from(ZONES), st.sampled_from(ZONES))
def test_overlap_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert overlap_minutes(a, b, DAY) == overlap_minutes(b, a, DAY)
    assert 0 <= overlap_minutes(a, b, DAY) <= 240
