"""Session-wide fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database (skips the test when PostgreSQL is not available)."""
    with postgres_server() as url:
        if url is None:
            pytest.skip("PostgreSQL is not available on this machine")
        yield url
