"""The data commands as a user runs them: a real `forewarn` process, exit codes, output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from tests.conftest import write_csv_dataset

FOREWARN = [sys.executable, "-m", "forewarn.flows"]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOREWARN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [*FOREWARN, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


ASSETS = "asset_id,asset_type\nA1,press\nA2,robot"
TELEMETRY = "asset_id,ts,temp\nA1,2025-01-01T00:00:00Z,1\nA2,2025-01-01T00:00:00Z,2"


def test_help_lists_commands_with_examples(tmp_path: Path) -> None:
    out = run("--help", home=tmp_path)
    assert out.returncode == 0
    for command in ("generate", "validate"):
        assert command in out.stdout
    sub = run("validate", "--help", home=tmp_path)
    assert "Example:" in sub.stdout


def test_validate_clean_dataset_exits_zero(tmp_path: Path) -> None:
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY)
    out = run("validate", str(root), home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert "no rejected rows" in out.stdout
    assert "sensors (1): temp" in out.stdout


def test_validate_too_many_rejects_exits_one_and_writes_rejects(tmp_path: Path) -> None:
    root = write_csv_dataset(
        tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY + "\nA3,2025-01-01T00:00:00Z,1"
    )
    out = run("validate", str(root), home=tmp_path / "home")
    assert out.returncode == 1
    assert "threshold" in out.stderr
    rejects = pl.read_parquet(tmp_path / "home" / "rejects" / "d.parquet")
    assert rejects["reason"].to_list() == ["unknown asset_id (not in assets table)"]
    relaxed = run("validate", str(root), "--max-reject-share", "0.5", home=tmp_path / "home")
    assert relaxed.returncode == 0


def test_validate_structural_fault_exits_two_naming_the_column(tmp_path: Path) -> None:
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry="asset_id,time,t\nA1,x,1")
    out = run("validate", str(root), home=tmp_path / "home")
    assert out.returncode == 2
    assert "telemetry.csv" in out.stderr and "ts" in out.stderr
    missing = run("validate", str(tmp_path / "nope"), home=tmp_path / "home")
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_validate_rejects_future_rows_relative_to_as_of(tmp_path: Path) -> None:
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY)
    out = run("validate", str(root), "--as-of", "2024-12-31", home=tmp_path / "home")
    assert out.returncode == 1
    assert "ts after as_of" in out.stdout
    assert "table 'telemetry' has no accepted row (2 rejected: 'ts after as_of' 2)" in out.stderr
    bad = run("validate", str(root), "--as-of", "yesterday", home=tmp_path / "home")
    assert bad.returncode == 2


def test_generate_then_validate_as_a_user_would(tmp_path: Path) -> None:
    home = tmp_path / "home"
    args = ("generate", "--assets", "12", "--days", "10", "--seed", "3")
    first = run(*args, "--out", str(tmp_path / "a"), home=home)
    assert first.returncode == 0, first.stderr
    assert "12 assets x 10 days" in first.stdout
    again = run(*args, "--out", str(tmp_path / "a"), home=home)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    second = run(*args, "--out", str(tmp_path / "b"), home=home)
    assert second.returncode == 0
    for table in ("assets.parquet", "events.parquet", "telemetry/part-00000.parquet"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes()
    checked = run("validate", str(tmp_path / "a"), "--as-of", "2026-01-01", home=home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no rejected rows" in checked.stdout
    bad = run("generate", "--scenario", "bogus", "--out", str(tmp_path / "c"), home=home)
    assert bad.returncode == 2 and "invalid fleet settings" in bad.stderr


def test_validate_gate_is_the_flows_gate_rows_after_as_of_are_not_faults(tmp_path: Path) -> None:
    # A backfill check: 2 of 3 readings lie after --as-of; they are set aside, not faults,
    # exactly as the scoring and training flows count them (ValidationReport.gate_failure).
    later = "\nA1,2025-01-02T00:00:00Z,3\nA2,2025-01-02T00:00:00Z,4"
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY + later)
    out = run("validate", str(root), "--as-of", "2025-01-01T12:00", home=tmp_path / "home")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ts after as_of" in out.stdout
    faulty = write_csv_dataset(
        tmp_path / "f", assets=ASSETS, telemetry=TELEMETRY + later + "\nA1,2025-01-01T01:00:00Z,inf"
    )
    bad = run("validate", str(faulty), "--as-of", "2025-01-01T12:00", home=tmp_path / "home")
    assert bad.returncode == 1
    assert "33.33% of table 'telemetry' was rejected as faulty" in bad.stderr
