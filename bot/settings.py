"""Settings read once from the environment (and `.env`) into one validated object."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class ShardPlan:
    """Which of Discord's shards this process runs. Discord sends server `g` to shard
    `(g >> 22) % count` and DMs to shard 0."""

    count: int
    ids: tuple[int, ...]

    def shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % self.count

    def serves(self, guild_id: int) -> bool:
        return self.shard_of(guild_id) in self.ids

    @property
    def serves_dms(self) -> bool:
        return 0 in self.ids

    @property
    def label(self) -> str:
        return ",".join(map(str, self.ids)) + f"/{self.count}"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and never echoes secrets."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)
    database_url: str
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    api_base: str | None = None
    gateway_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR  # shipped content: catalog, first-week plan, learnings
    reminder_sweep_seconds: float = 60.0  # how often due reminders are looked for
    outbox_retry_seconds: float = 5.0  # first wait before a post Discord refused is tried again
    clock_file: Path | None = None  # tests only: read "now" from this file instead of the clock
    shard_count: int | None = None  # total shards across every process (None: one, unsharded)
    shard_ids: tuple[int, ...] | None = None  # the shards this process runs (None: all of them)
    http_port: int | None = None  # /healthz and /metrics (None: off)
    claim_lease_seconds: float = 30.0  # background-work claims of a dead process expire after this

    @property
    def shards(self) -> ShardPlan:
        count = self.shard_count or 1
        return ShardPlan(count, self.shard_ids or tuple(range(count)))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)


def default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'nexus.db'}"


def _http_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise SettingsError(f"{name} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(f"{name} must be a number of seconds from {low} to {high}, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None, *, require_token: bool = True) -> Settings:
    """Validate the environment into `Settings`; raise `SettingsError` naming the bad setting."""
    env = os.environ if env is None else env

    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token and not token:
        raise SettingsError("DISCORD_TOKEN is not set (put it in .env or the environment)")
    if token and (len(token) < 20 or any(c.isspace() for c in token)):
        raise SettingsError("DISCORD_TOKEN does not look like a bot token (check .env)")

    data_dir = Path(env.get("NEXUS_DATA_DIR", "") or DEFAULT_DATA_DIR)

    database_url = env.get("DATABASE_URL", "").strip() or default_database_url(DEFAULT_DATA_DIR)
    if not (
        database_url.startswith("sqlite+aiosqlite://")
        or database_url.startswith("postgresql+asyncpg://")
    ):
        raise SettingsError(
            "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
        )

    dev_guild_raw = env.get("DEV_GUILD_ID", "").strip()
    dev_guild_id: int | None = None
    if dev_guild_raw:
        if not dev_guild_raw.isdigit():
            raise SettingsError(f"DEV_GUILD_ID must be a numeric server ID, got {dev_guild_raw!r}")
        dev_guild_id = int(dev_guild_raw)

    log_level = (env.get("LOG_LEVEL", "") or "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    api_base = env.get("DISCORD_API_BASE", "").strip() or None
    if api_base:
        api_base = _http_url("DISCORD_API_BASE", api_base, ("http", "https"))
    gateway_url = env.get("DISCORD_GATEWAY_URL", "").strip() or None
    if gateway_url:
        gateway_url = _http_url("DISCORD_GATEWAY_URL", gateway_url, ("ws", "wss"))

    sweep_raw = env.get("NEXUS_REMINDER_SWEEP_SECONDS", "").strip()
    sweep_seconds = 60.0
    if sweep_raw:
        try:
            sweep_seconds = float(sweep_raw)
        except ValueError:
            sweep_seconds = -1.0
        if not 0.05 <= sweep_seconds <= 3600:
            raise SettingsError(
                f"NEXUS_REMINDER_SWEEP_SECONDS must be a number of seconds from 0.05 to 3600, "
                f"got {sweep_raw!r}"
            )

    retry_seconds = _seconds(env, "NEXUS_OUTBOX_RETRY_SECONDS", 5.0, 0.01, 600)

    clock_raw = env.get("NEXUS_CLOCK_FILE", "").strip()
    clock_file = Path(clock_raw) if clock_raw else None
    if clock_file is not None:
        from bot.clock import FileClock, FileClockError

        try:
            FileClock(clock_file).now()
        except FileClockError as error:
            raise SettingsError(f"NEXUS_CLOCK_FILE: {error}") from None

    shard_count, shard_ids = _shards(env)
    http_port = _int_setting(env, "NEXUS_HTTP_PORT", 1, 65535)
    lease = _int_setting(env, "NEXUS_CLAIM_LEASE_SECONDS", 1, 3600)

    return Settings(
        token=token,
        database_url=database_url,
        dev_guild_id=dev_guild_id,
        log_level=log_level,
        api_base=api_base,
        gateway_url=gateway_url,
        data_dir=data_dir,
        reminder_sweep_seconds=sweep_seconds,
        outbox_retry_seconds=retry_seconds,
        clock_file=clock_file,
        shard_count=shard_count,
        shard_ids=shard_ids,
        http_port=http_port,
        claim_lease_seconds=float(lease or 30),
    )


def _int_setting(env: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _shards(env: Mapping[str, str]) -> tuple[int | None, tuple[int, ...] | None]:
    """`SHARD_COUNT` (total) and `SHARD_IDS` (this process's, comma-separated)."""
    count = _int_setting(env, "SHARD_COUNT", 1, 1024)
    ids_raw = env.get("SHARD_IDS", "").strip()
    if not ids_raw:
        return count, None
    if count is None:
        raise SettingsError("SHARD_IDS needs SHARD_COUNT (the total number of shards)")
    parts = [part.strip() for part in ids_raw.split(",")]
    if not all(part.isdigit() for part in parts):
        raise SettingsError(f"SHARD_IDS must be comma-separated shard numbers, got {ids_raw!r}")
    ids = tuple(sorted({int(part) for part in parts}))
    if ids[-1] >= count:
        raise SettingsError(
            f"SHARD_IDS must be below SHARD_COUNT ({count}): shards are numbered 0 to {count - 1}"
        )
    return count, ids


class RedactingFilter(logging.Filter):
    """Replaces any occurrence of the secrets it knows with `[redacted]` in log records."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _not_voice_notice(record: logging.LogRecord) -> bool:
    """Nexus never joins voice: discord.py's "PyNaCl is not installed" warnings are noise."""
    return not str(record.msg).endswith("voice will NOT be supported")


def configure_logging(settings: Settings) -> None:
    """Plain, greppable log lines on stderr, with the token redacted everywhere."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactingFilter([settings.token]))
    handler.addFilter(_not_voice_notice)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
