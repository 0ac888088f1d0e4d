from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FileClock, FileClockError, SystemClock, clock_for
from bot.settings import SettingsError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.fake-token-for-tests-only"


def test_production_defaults() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN})
    assert settings.reminder_sweep_seconds == 60.0 and settings.clock_file is None
    assert isinstance(clock_for(settings.clock_file), SystemClock)


@pytest.mark.parametrize("value", ["0", "abc", "7200", "-1"])
def test_sweep_interval_is_validated(value: str) -> None:
    with pytest.raises(SettingsError, match="NEXUS_REMINDER_SWEEP_SECONDS"):
        load_settings({"DISCORD_TOKEN": TOKEN, "NEXUS_REMINDER_SWEEP_SECONDS": value})


def test_clock_file_drives_now(tmp_path: Path) -> None:
    path = tmp_path / "now"
    path.write_text("2026-03-02T19:00:00+01:00\n")
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "NEXUS_CLOCK_FILE": str(path),
            "NEXUS_REMINDER_SWEEP_SECONDS": "0.2",
        }
    )
    clock = clock_for(settings.clock_file)
    assert clock.now() == datetime(2026, 3, 2, 18, tzinfo=UTC)
    path.write_text("2026-03-04T18:00:00Z")
    assert clock.now() == datetime(2026, 3, 4, 18, tzinfo=UTC)
    assert settings.reminder_sweep_seconds == 0.2


@pytest.mark.parametrize("content", [None, "yesterday", "2026-03-02T19:00:00"])
def test_bad_clock_files_are_named(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "now"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SettingsError, match="NEXUS_CLOCK_FILE"):
        load_settings({"DISCORD_TOKEN": TOKEN, "NEXUS_CLOCK_FILE": str(path)})
    with pytest.raises(FileClockError):
        FileClock(path).now()
