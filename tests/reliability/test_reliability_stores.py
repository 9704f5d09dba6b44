"""Damaged, locked, moved and copied stores: one clear error in seconds, or a night that
works, never a traceback, a hang, or another workspace's model.

Each case runs ``forewarn`` as a user does (a subprocess) on a private copy of the
trained workspace: the MLflow database locked by another process, truncated or
overwritten; the champion's booster truncated, its ``meta.json`` garbage; the score
store truncated or corrupted; and the whole workspace moved or copied.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forewarn.serving.store import ScoreStore
from tests.reliability.workspace import NIGHT, PREV, RISK, Trained

# Before Prefect starts, so seconds on an idle machine (benchmarks/bench_reliability.py);
# the bound leaves room for the CLI's own start-up on a 2-core machine shared by CI jobs.
CLEAR_WITHIN_S = 60.0
NOISE = ("Traceback", "[LightGBM] [Fatal]", "nanobind", "sqlalchemy")


def forewarn(
    trained: Trained, home: Path, *args: str, timeout: float = 300
) -> tuple[int, str, float]:
    """Run ``forewarn --home home …``; (exit code, stdout + stderr on one line, seconds)."""
    env = {**os.environ, "PREFECT_API_URL": trained.api, "COLUMNS": "200"}
    env.pop("MLFLOW_TRACKING_URI", None)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "--home", str(home), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split()), time.monotonic() - start


def score(trained: Trained, home: Path) -> tuple[int, str, float]:
    argv = ["score", "--data", str(trained.fleet), "--as-of", NIGHT.isoformat()]
    return forewarn(trained, home, *argv, "-c", str(trained.config), "--max-reject-share", "1")


def booster(home: Path) -> Path:
    found = sorted((home / "mlflow" / "artifacts").rglob("risk_bundle/booster.txt"))
    assert len(found) == 1, found
    return found[0]


def truncate(path: Path, keep: float = 0.4) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def assert_clear(
    code: int, out: str, seconds: float, *needles: str, within: float = CLEAR_WITHIN_S
) -> None:
    assert code == 2, out
    for needle in needles:
        assert needle in out, (needle, out)
    assert not [n for n in NOISE if n.lower() in out.lower()], out
    assert seconds < within, (seconds, out)


def scores_untouched(home: Path, before: bytes) -> None:
    store = ScoreStore(home / "scores")
    assert store.db_path.read_bytes() == before
    assert store.nights() == [PREV]


@pytest.mark.slow
def test_a_locked_mlflow_store_is_named_in_seconds(trained: Trained, home: Path) -> None:
    db = home / "mlflow" / "mlflow.db"
    before = (home / "scores" / "scores.duckdb").read_bytes()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a training run or a backup writing to it
    try:
        code, out, seconds = score(trained, home)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clear(code, out, seconds, f"the MLflow store {db} is locked", "fuser")
    scores_untouched(home, before)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_mlflow_store_is_named_with_what_to_do(
    trained: Trained, home: Path, damage: str
) -> None:
    db = home / "mlflow" / "mlflow.db"
    before = (home / "scores" / "scores.duckdb").read_bytes()
    if damage == "truncated":
        truncate(db, 0.3)
    else:
        db.write_bytes(b"\x00garbage" * 4096)
    for argv in (["models"], ["score", "--data", str(trained.fleet)]):
        code, out, seconds = forewarn(trained, home, *argv)
        assert_clear(code, out, seconds, f"the MLflow store {db} is damaged", "restore")
        assert "forewarn models" in out and "forewarn train" in out
    scores_untouched(home, before)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["booster truncated", "meta.json garbage"])
def test_damaged_champion_files_are_named_not_lightgbm_noise(
    trained: Trained, home: Path, damage: str
) -> None:
    before = (home / "scores" / "scores.duckdb").read_bytes()
    target = booster(home)
    if damage == "booster truncated":
        truncate(target)
    else:
        target = target.with_name("meta.json")
        target.write_text('{"format": "forewarn-bundle/1", "boosters": [', encoding="utf-8")
    code, out, seconds = score(trained, home)
    needles = (f"model {RISK!r} version 1", str(target.parent), target.name, "retrain")
    assert_clear(code, out, seconds, *needles)
    scores_untouched(home, before)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_a_damaged_score_store_is_named_by_score_and_report(
    trained: Trained, home: Path, damage: str
) -> None:
    db = home / "scores" / "scores.duckdb"
    if damage == "truncated":
        truncate(db, 0.5)
    else:
        data = bytearray(db.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 4096] = os.urandom(4096)  # a bad block
        db.write_bytes(bytes(data))
    for argv in (["report"], ["score", "--data", str(trained.fleet)]):
        code, out, seconds = forewarn(trained, home, *argv)
        assert_clear(code, out, seconds, f"the score store {db} is damaged", "restore", "Parquet")


@pytest.mark.slow
def test_a_moved_and_a_copied_workspace_score_with_their_own_models(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "elsewhere" / "moved-home"
    moved.parent.mkdir()
    shutil.move(home, moved)  # the original path is gone
    code, out, _ = score(trained, moved)
    assert code == 0, out
    assert NIGHT in ScoreStore(moved / "scores").nights()

    copy = tmp_path / "copy-home"
    shutil.copytree(moved, copy)
    truncate(booster(moved))  # the original's files: a copy must never read them
    code, out, _ = score(trained, copy)
    assert code == 0, out
    code, out, _ = score(trained, moved)
    assert code == 2 and str(booster(moved)) in out, out
