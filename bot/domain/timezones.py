"""Time zones learners type: IANA names ("Africa/Lagos") or offsets ("UTC+1", "GMT-03:30")."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

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


@lru_cache(maxsize=1)
def _by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in all_timezone_names()}


@lru_cache(maxsize=1)
def _search_forms() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names as typed, " africa dar es salaam" (leading space: word starts are " " + word),
    and their last part alone ("dar es salaam"), for typos in the city name."""
    full = tuple(" " + _plain(n) for n in all_timezone_names())
    cities = tuple(_plain(n.rsplit("/", 1)[-1]) for n in all_timezone_names())
    return full, cities


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("/", " ").split())


def suggest_timezones(query: str, limit: int = 25) -> list[str]:
    """Autocomplete: learners' common zones first, then names containing or resembling `query`.

    An offset typed as `UTC+1` (or `+1`, `GMT-3:30`) is offered back in canonical form first.
    Nothing typed: the common zones, then the other names in order, `limit` in all. Names that
    merely resemble the query (typos) are offered only when no name contains it.
    """
    text = query.strip()
    if not text:
        rest = (n for n in all_timezone_names() if n not in COMMON_TIMEZONES)
        return [*COMMON_TIMEZONES, *rest][:limit]
    found: list[str] = []
    if _OFFSET.match(text) or text.upper() in ("UTC", "GMT", "Z"):
        try:
            found.append(normalize_timezone(text))
        except InvalidInput:
            pass
    wanted = _plain(text)
    if not wanted:
        return found
    names = all_timezone_names()
    full, cities = _search_forms()
    at_word = " " + wanted
    found += [n for n in COMMON_TIMEZONES if at_word in " " + _plain(n)]
    found += [names[i] for i, form in enumerate(full) if at_word in form]
    found += [names[i] for i, form in enumerate(full) if wanted in form]
    if not found and len(wanted) >= 3:
        for forms in (cities, full):
            for _, _, index in process.extract(
                wanted, forms, scorer=fuzz.ratio, limit=limit, score_cutoff=70
            ):
                found.append(names[index])
    return list(dict.fromkeys(found))[:limit]


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
    canonical = _by_lower_name().get(value.lower().replace(" ", "_"))
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
