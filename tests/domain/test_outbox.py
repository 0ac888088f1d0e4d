from datetime import UTC, datetime, timedelta

from bot.domain.outbox import MAX_ATTEMPTS, RETRY_CAP, new_nonce, retry_at

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
FIRST = timedelta(seconds=5)


def test_retries_double_from_the_first_delay() -> None:
    delays = [retry_at(n, NOW, first_delay=FIRST) for n in (1, 2, 3, 4)]
    assert [d - NOW for d in delays if d] == [FIRST * k for k in (1, 2, 4, 8)]


def test_retries_are_capped() -> None:
    at = retry_at(MAX_ATTEMPTS - 1, NOW, first_delay=timedelta(minutes=2))
    assert at == NOW + RETRY_CAP


def test_gives_up_after_the_last_attempt() -> None:
    assert retry_at(MAX_ATTEMPTS, NOW, first_delay=FIRST) is None
    assert retry_at(MAX_ATTEMPTS - 1, NOW, first_delay=FIRST) is not None


def test_nonce_fits_discord_and_is_stable() -> None:
    assert new_nonce("card", 123456789) == new_nonce("card", 123456789)
    assert len(new_nonce("thread_kickoff", 10**12)) <= 25
    assert new_nonce("card", 1) != new_nonce("card", 2)
