"""Time zones learners type: IANA names ("Africa/Lagos") or offsets ("UTC+1", "GMT-03:30")."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InvalidInput

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)

# Where most learners are; offered first by autocomplete.
COMMON_TIMEZONES = (
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Accra",
    "Africa/Addis_Ababa",
    "Africa/Kigali",
    "Africa/Casablanca",
    "Africa/Kampala",
    "Africa/Dar_es_Salaam",
    "UTC",
)


@lru_cache(maxsize=1)
def all_timezone_names() -> tuple[str, ...]:
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "posix"))}
    names.add("UTC")
    return tuple(sorted(names))


def normalize_timezone(text: str) -> str:
    """Canonical name for what a learner typed; raise `InvalidInput` when it is neither form."""
    value = text.strip()
    if not value:
        raise InvalidInput("Please give a time zone, e.g. `Africa/Lagos` or `UTC+1`.")
    if value.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    match = _OFFSET.match(value)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
            raise InvalidInput(f"`{value[:40]}` is not a valid UTC offset (UTC-12 to UTC+14).")
        if hours == 0 and minutes == 0:
            return "UTC"
        return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
    lookup = {n.lower(): n for n in all_timezone_names()}
    canonical = lookup.get(value.lower().replace(" ", "_"))
    if canonical is None:
        raise InvalidInput(
            f"`{value[:40]}` is not a time zone I know. Use a name like `Africa/Nairobi` "
            "or an offset like `UTC+3`."
        )
    return canonical


def to_tzinfo(name: str) -> tzinfo:
    """A tzinfo for a name produced by `normalize_timezone`."""
    if name == "UTC":
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        return timezone(sign * delta, name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"`{name[:40]}` is not a time zone I know.") from error
