"""Shared fixtures: an isolated workspace per test, and helpers to write small datasets."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh FOREWARN_HOME so tests never touch ./.forewarn or each other."""
    home = tmp_path / "home"
    monkeypatch.setenv("FOREWARN_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return home


def write_csv_dataset(root: Path, **tables: str) -> Path:
    """Write each keyword as ``<name>.csv`` with the given text (dedented lines)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        lines = [line.strip() for line in text.strip().splitlines()]
        (root / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_parquet_dataset(root: Path, **tables: pl.DataFrame) -> Path:
    """Write each keyword as ``<name>.parquet``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.write_parquet(root / f"{name}.parquet")
    return root
