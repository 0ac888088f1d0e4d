"""A throwaway PostgreSQL server for tests, when the machine has one installed.

`NEXUS_TEST_POSTGRES_URL` (a `postgresql+asyncpg://` URL to an empty database) wins; otherwise
`initdb` + `pg_ctl` start a private cluster on a free port in a temporary folder, owned by the
`postgres` user when running as root. Without either, PostgreSQL tests are skipped.

`python -m tests.postgres COMMAND…` runs COMMAND with a throwaway cluster, passing its URL as
`NEXUS_TEST_POSTGRES_URL` and `NEXUS_E2E_POSTGRES_URL` (the end-to-end harness then gives every
test a fresh database on it); without PostgreSQL it says so and exits 0.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


@dataclass
class Cluster:
    """A private PostgreSQL cluster: its URL, and a restart (the fault tests use it)."""

    url: str
    restart: Callable[[], None]


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yields an asyncpg URL to a fresh database, or None when PostgreSQL is unavailable."""
    url = os.environ.get("NEXUS_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    with postgres_cluster() as cluster:
        yield cluster.url if cluster else None


@contextmanager
def postgres_cluster() -> Iterator[Cluster | None]:
    """A private cluster on a free port (None when PostgreSQL is not installed)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        yield None
        return
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="nexus-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-U", "nexus", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "log"),
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return

    def restart() -> None:
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "log"),
                "-m",
                "fast",
                "restart",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    try:
        yield Cluster(f"postgresql+asyncpg://nexus@127.0.0.1:{port}/postgres", restart)
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    import asyncpg

    name = f"nexus_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        connection = await asyncpg.connect(_dsn(server_url))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.postgres COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with postgres_server() as url:
        if url is None:
            print("PostgreSQL is not available on this machine: skipping", " ".join(argv))
            return 0
        env = {**os.environ, "NEXUS_TEST_POSTGRES_URL": url, "NEXUS_E2E_POSTGRES_URL": url}
        return subprocess.run(argv, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
