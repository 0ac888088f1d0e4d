"""NEXUS_DATA_DIR: the operator's catalog, plan and learnings where present, else the shipped."""

from __future__ import annotations

from pathlib import Path

from bot.services.container import data_path
from bot.settings import DEFAULT_DATA_DIR, Settings


def test_each_data_file_falls_back_to_the_shipped_one(tmp_path: Path) -> None:
    settings = Settings(token="t" * 40, database_url="sqlite:///:memory:", data_dir=tmp_path)
    for name in ("catalog.yaml", "first_week.yaml", "learnings"):
        assert data_path(settings, name) == DEFAULT_DATA_DIR / name
    (tmp_path / "learnings").mkdir()
    (tmp_path / "catalog.yaml").write_text("[]", encoding="utf-8")
    assert data_path(settings, "learnings") == tmp_path / "learnings"
    assert data_path(settings, "catalog.yaml") == tmp_path / "catalog.yaml"
    assert data_path(settings, "first_week.yaml") == DEFAULT_DATA_DIR / "first_week.yaml"
