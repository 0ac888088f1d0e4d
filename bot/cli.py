"""`nexus-bot run | migrate | check | sync-commands | health` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dotenv import load_dotenv

from bot.settings import ROOT, Settings, SettingsError, configure_logging, load_settings

EXIT_CONFIG = 2

# A SIGTERM before the event loop takes over (while importing, reading settings) only sets this
# flag: nothing has started yet, so the run stops before it begins, without a traceback.
_early_stop: list[int] = []


def _remember_stop(signum: int, _frame: object) -> None:
    _early_stop.append(signum)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nexus-bot", description="The Project Nexus Discord bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (default)")
    sub.add_parser("migrate", help="bring the database to the current schema")
    check = sub.add_parser("check", help="validate settings and database; connects to nothing")
    check.add_argument(
        "--live",
        action="store_true",
        help="also require a recent heartbeat from a running bot (for container health checks)",
    )
    sub.add_parser("sync-commands", help="register the slash commands with Discord now")
    sub.add_parser(
        "health", help="ask the running bot's /healthz (NEXUS_HTTP_PORT); exit 0 when ready"
    )
    return parser


def _health(settings: Settings) -> int:
    """GET /healthz of the bot on this machine: its JSON report, and 0 only for a 200."""
    import urllib.error
    import urllib.request

    if settings.http_port is None:
        print("NEXUS_HTTP_PORT is not set: the bot serves no /healthz")
        return 1
    url = f"http://127.0.0.1:{settings.http_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            print(response.read().decode())
            return 0
    except urllib.error.HTTPError as error:
        print(error.read().decode())
    except OSError as error:
        print(f"no answer from {url}: {error}")
    return 1


async def _migrate(settings: Settings) -> str | None:
    from bot.db import migrate
    from bot.db.engine import create_engine

    if settings.sqlite_path:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        return await migrate.current_revision(engine)
    finally:
        await engine.dispose()


async def _check(settings: Settings, live: bool) -> int:
    from sqlalchemy import text

    from bot.db import migrate
    from bot.db.engine import create_engine, create_sessionmaker
    from bot.services.state import AppStateService

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current, head = await migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            print(
                f"database is at revision {current}, code expects {head}: run `nexus-bot migrate`"
            )
            return 1
        if live:
            raw = await AppStateService(create_sessionmaker(engine)).get("heartbeat")
            beat = json.loads(raw) if raw else None
            at = datetime.fromisoformat(beat["at"]) if beat else None
            if at is None or datetime.now(UTC) - at > timedelta(minutes=2):
                print("no heartbeat from a running bot in the last 2 minutes")
                return 1
    except Exception as error:  # report, don't trace: this is a health check
        print(f"database check failed: {type(error).__name__}: {error}".splitlines()[0])
        return 1
    finally:
        await engine.dispose()
    print(f"ok: settings valid, database at revision {head}")
    return 0


async def _sync(settings: Settings) -> None:
    from bot.app import build_bot

    bot = await build_bot(settings, force_sync=True)
    async with bot:
        await bot.login(settings.token)  # setup_hook loads cogs and syncs


def main(argv: Sequence[str] | None = None, *, early_stops: list[int] | None = None) -> int:
    if early_stops:
        _early_stop.extend(early_stops)
    previous = signal.signal(signal.SIGTERM, _remember_stop)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    load_dotenv(ROOT / ".env")
    load_dotenv()  # a .env in the working directory, if different
    try:
        settings = load_settings(require_token=command in ("run", "check", "sync-commands"))
    except SettingsError as error:
        print(f"nexus-bot: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings)
    if command == "health":
        return _health(settings)
    if command == "migrate":
        revision = asyncio.run(_migrate(settings))
        print(f"database at revision {revision}")
        return 0
    if command == "check":
        return asyncio.run(_check(settings, args.live))
    if command == "sync-commands":
        asyncio.run(_sync(settings))
        return 0
    from bot.app import run_bot

    try:
        return asyncio.run(run_bot(settings, stop_requested=bool(_early_stop)))
    except KeyboardInterrupt:
        return 0
