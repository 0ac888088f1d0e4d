from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import RedactingFilter, SettingsError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.fake-token-for-tests-only"


def test_defaults_to_sqlite_under_data() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("data/nexus.db")
    assert settings.log_level == "INFO" and settings.dev_guild_id is None


def test_unsharded_by_default_one_process_runs_everything() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert settings.shards.count == 1 and settings.shards.ids == (0,)
    assert settings.shards.serves(1 << 22) and settings.shards.serves_dms
    assert settings.http_port is None and settings.claim_lease_seconds == 30


def test_shards_route_servers_as_discord_does() -> None:
    env = {"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "3", "SHARD_IDS": " 2, 1 "}
    plan = load_settings(env).shards
    assert plan.ids == (1, 2) and plan.label == "1,2/3"
    assert [plan.shard_of(n << 22) for n in range(4)] == [0, 1, 2, 0]
    assert not plan.serves(0) and plan.serves(1 << 22) and plan.serves(5 << 22)
    assert not plan.serves_dms  # DMs go to shard 0
    every = load_settings({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "2"}).shards
    assert every.ids == (0, 1)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "x y"}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DISCORD_TOKEN": TOKEN, "DEV_GUILD_ID": "abc"}, "DEV_GUILD_ID"),
        ({"DISCORD_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": "ftp://x"}, "DISCORD_API_BASE"),
        ({"DISCORD_TOKEN": TOKEN, "DISCORD_GATEWAY_URL": "http://x"}, "DISCORD_GATEWAY_URL"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_IDS": "0"}, "SHARD_COUNT"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": TOKEN, "SHARD_COUNT": "2", "SHARD_IDS": "one"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": TOKEN, "NEXUS_HTTP_PORT": "http"}, "NEXUS_HTTP_PORT"),
        ({"DISCORD_TOKEN": TOKEN, "NEXUS_HTTP_PORT": "70000"}, "NEXUS_HTTP_PORT"),
        ({"DISCORD_TOKEN": TOKEN, "NEXUS_CLAIM_LEASE_SECONDS": "0"}, "NEXUS_CLAIM_LEASE_SECONDS"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_token_never_in_repr_or_errors() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    with pytest.raises(SettingsError) as error:
        load_settings({"DISCORD_TOKEN": TOKEN + " tail"})
    assert TOKEN not in str(error.value)


def test_log_records_are_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", (TOKEN,), None)
    RedactingFilter([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage() and "[redacted]" in record.getMessage()


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _cli(["check"], {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/n.db"}, tmp_path)
    assert result.returncode == 2
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_migrate_then_check_ok_and_token_not_printed(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/n.db",
        "DISCORD_TOKEN": TOKEN,
        "LOG_LEVEL": "DEBUG",
    }
    migrated = _cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    checked = _cli(["check"], env, tmp_path)
    assert checked.returncode == 0 and "ok" in checked.stdout
    assert TOKEN not in migrated.stdout + migrated.stderr + checked.stdout + checked.stderr
    live = _cli(["check", "--live"], env, tmp_path)
    assert live.returncode == 1 and "heartbeat" in live.stdout
