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
