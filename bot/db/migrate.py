"""Bring a database to the current schema with Alembic, from inside the running event loop.

Alembic is imported only when there is something to do: a start on a database already at
head reads `alembic_version` with one query and compares it with the head named by the files
in `migrations/versions` (each declares `revision = "…"` and `down_revision = …`), which
saves importing Alembic (about a quarter of a second of CPU) on every ordinary start."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.locks import MIGRATIONS, lock_transaction
from bot.settings import ROOT

if TYPE_CHECKING:
    from alembic.config import Config

VERSIONS = ROOT / "migrations" / "versions"
_DECLARATION = re.compile(r"^(revision|down_revision)\b[^=]*=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def declared_heads() -> set[str]:
    """The revisions no migration file revises, read from the files without Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        found = dict(_DECLARATION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(found["revision"].strip("\"'"))
        revised.update(re.findall(r"[\"']([^\"']+)[\"']", found.get("down_revision", "")))
    return revisions - revised


async def _stored_revisions(engine: AsyncEngine) -> set[str] | None:
    """What `alembic_version` holds, or None when the table is not there (a new database)."""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    except DBAPIError:
        return None


async def _with_alembic(engine: AsyncEngine, run: Callable[[Config], None]) -> None:
    def _run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        run(config)

    async with engine.begin() as connection:
        await lock_transaction(connection, MIGRATIONS)
        await connection.run_sync(_run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate under a cluster-wide lock: processes starting together take turns, and the
    ones after the first find the schema already at head."""
    if revision == "head" and (await _stored_revisions(engine)) == declared_heads():
        return
    from alembic import command

    await _with_alembic(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    await _with_alembic(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
