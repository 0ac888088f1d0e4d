"""Migrations bring an empty database to exactly the models' schema, and back down."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db import migrate
from bot.db.engine import create_engine
from bot.db.models import Base
from tests.postgres import fresh_database

REPO = Path(__file__).resolve().parents[2]


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _upgrade_downgrade_roundtrip(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            assert set(Base.metadata.tables) <= await connection.run_sync(_tables)

        await migrate.downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}

        await migrate.upgrade(engine)  # and up again: downgrades leave no debris
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


# SQLite's reflection cannot read an index on expressions, so the comparison skips it (with
# these warnings); the test below checks that index itself.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_sqlite_upgrade_gives_models_schema_and_downgrade_empties(tmp_path: Path) -> None:
    await _upgrade_downgrade_roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


async def test_sqlite_has_the_learner_queue_index_on_its_expressions(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            sql = (
                await connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'ix_learners_queue'"
                )
            ).scalar()
    finally:
        await engine.dispose()
    assert sql is not None
    columns = sql[sql.index("(") + 1 : sql.rindex(")")].replace(" ", "").lower()
    assert columns == (
        "guild_id,project_id,role,timezone,(partner_left_atisnotnull),"
        "coalesce(waiting_since,announced_at),id"
    )


async def test_postgres_upgrade_gives_models_schema_and_downgrade_empties(
    postgres_url: str,
) -> None:
    await _upgrade_downgrade_roundtrip(postgres_url)


async def test_processes_starting_together_migrate_one_after_the_other(
    postgres_url: str,
) -> None:
    """Processes migrating an empty PostgreSQL database at once take turns under the advisory
    lock (rather than racing to create `alembic_version`) and all end at head."""
    async with fresh_database(postgres_url) as url:
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "migrate",
                cwd=REPO,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for _ in range(4)
        ]
        outputs = [(await p.communicate())[0].decode() for p in processes]
        assert [p.returncode for p in processes] == [0] * 4, outputs
        engine = create_engine(url)
        try:
            assert await migrate.current_revision(engine) == migrate.head_revision()
            async with engine.connect() as connection:
                assert await connection.run_sync(_diff) == []
        finally:
            await engine.dispose()


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    """The start-up fast path names the head from the migration files without Alembic."""
    assert migrate.declared_heads() == {migrate.head_revision()}


async def test_a_start_on_a_database_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    check = (
        "import asyncio, sys\n"
        "from bot.db import migrate\n"
        "from bot.db.engine import create_engine\n"
        "async def main():\n"
        f"    engine = create_engine({url!r})\n"
        "    await migrate.upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", check, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    assert out.decode().strip() == "[]"
