"""The wall clock, injected so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClockError(Exception):
    """The clock file is missing or does not hold an aware ISO 8601 time."""


class FileClock:
    """Reads "now" from a file holding an ISO 8601 time with an offset (tests only).

    Lets a test drive the time of a bot running in another process: write a new time into the
    file and the bot's next `now()` sees it. Enabled by `NEXUS_CLOCK_FILE`; never in production.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise FileClockError(f"can't read {self._path}: {error.strerror}") from None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise FileClockError(
                f"{self._path} must hold an ISO 8601 time, got {text[:40]!r}"
            ) from None
        if moment.tzinfo is None:
            raise FileClockError(f"{self._path} must give a UTC offset, e.g. 2026-03-02T19:00Z")
        return moment.astimezone(UTC)


def clock_for(clock_file: Path | None) -> Clock:
    """The system clock, or a `FileClock` when a clock file is configured."""
    return FileClock(clock_file) if clock_file else SystemClock()
