"""Evening overlap: when two learners in different time zones are both likely to be online.

Learners mostly work on Nexus after their day jobs, 19:00–23:00 local time. Each learner's
evening is placed on the UTC clock for a given day, and two evenings overlap where those
four-hour windows meet. Everything is in minutes since 00:00 UTC, modulo one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from bot.domain.timezones import to_tzinfo
from bot.errors import InvalidInput

EVENING_START = time(19, 0)
EVENING_MINUTES = 4 * 60
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Window:
    """A span of the UTC day: starts `start` minutes after 00:00 UTC, lasts `minutes`."""

    start: int
    minutes: int

    def local(self, zone: tzinfo, on: date) -> tuple[datetime, datetime]:
        """The window as local start and end datetimes in `zone`, for the UTC day `on`."""
        begin = datetime.combine(on, time(0, 0), UTC) + timedelta(minutes=self.start)
        return begin.astimezone(zone), (begin + timedelta(minutes=self.minutes)).astimezone(zone)


def safe_tzinfo(name: str | None, fallback: str = "UTC") -> tzinfo:
    """The learner's zone, or the fallback when it is missing or unknown."""
    for candidate in (name, fallback):
        if candidate:
            try:
                return to_tzinfo(candidate)
            except InvalidInput:
                continue
    return UTC


@lru_cache(maxsize=4096)
def evening_start_utc(zone_name: str, on: date) -> int:
    """Minute of the UTC day at which 19:00 local falls in `zone_name` on `on`."""
    local = datetime.combine(on, EVENING_START, safe_tzinfo(zone_name))
    utc = local.astimezone(UTC)
    return (utc.hour * 60 + utc.minute) % DAY_MINUTES


def shared_evening(zone_a: str, zone_b: str, on: date) -> Window | None:
    """Where both learners' evenings meet on the UTC clock, or None when they don't."""
    a = evening_start_utc(zone_a, on)
    b = evening_start_utc(zone_b, on)
    if (b - a) % DAY_MINUTES > (a - b) % DAY_MINUTES:
        a, b = b, a  # make `a` the earlier start, going round the clock the short way
    gap = (b - a) % DAY_MINUTES
    if gap >= EVENING_MINUTES:
        return None
    return Window(start=b, minutes=EVENING_MINUTES - gap)


def overlap_minutes(zone_a: str, zone_b: str, on: date) -> int:
    """Minutes of shared evening (0 to 240)."""
    window = shared_evening(zone_a, zone_b, on)
    return window.minutes if window else 0


def describe_overlap(minutes: int) -> str:
    """'3 h evening overlap', '1 h 30 min evening overlap', 'no evening overlap'."""
    if minutes <= 0:
        return "no evening overlap"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min evening overlap"
    return f"{hours} h {rest} min evening overlap" if rest else f"{hours} h evening overlap"
