"""When a post that failed is tried again, and when Nexus gives up on it (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

#: Tries in all (the first one included) before a post is reported as undeliverable.
MAX_ATTEMPTS = 8
RETRY_CAP = timedelta(minutes=5)


def retry_at(
    failed_attempts: int, now: datetime, *, first_delay: timedelta, cap: timedelta = RETRY_CAP
) -> datetime | None:
    """The time of the next try after `failed_attempts` failures (1 → now + first_delay, then
    doubling up to `cap`), or None once `MAX_ATTEMPTS` tries have failed: give up."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    delay = min(cap, first_delay * 2 ** max(0, failed_attempts - 1))
    return now + delay


def new_nonce(kind: str, row_id: int) -> str:
    """A Discord nonce (at most 25 characters) that stays the same across retries."""
    return f"o{row_id}-{kind}"[:25]
