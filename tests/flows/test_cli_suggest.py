"""`forewarn config suggest` as a user runs it: stdout is the experiment, stderr the rest."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from forewarn.flows.experiment import load_experiment
from tests.conftest import write_csv_dataset
from tests.flows.handmade_fleet import write_handmade_fleet


def forewarn(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "--home", str(home), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_handmade_fleet(tmp_path_factory.mktemp("pumps") / "pumps")


def test_suggest_prints_an_experiment_that_loads_as_it_stands(pumps: Path, tmp_path: Path) -> None:
    out = forewarn(tmp_path / "home", "config", "suggest", "--data", str(pumps), "--horizon", "3d")
    assert out.returncode == 0, out.stderr
    path = tmp_path / "mine.toml"
    path.write_text(out.stdout, encoding="utf-8")
    exp = load_experiment(path)
    assert exp.labels.horizon == "3d" and exp.name == "suggested"
    assert exp.features.sensors == ("bearing_temp", "vibration_rms")
    assert "# left out: firmware (constant)" in out.stdout or "firmware (constant)" in out.stdout
    assert tomllib.loads(out.stdout)["model"]["lightgbm"]["num_threads"] == 1


def test_suggest_on_data_without_failures_says_so_and_exits_two(tmp_path: Path) -> None:
    data = write_csv_dataset(
        tmp_path / "d",
        telemetry="""asset_id,ts,temp
        a,2025-01-01T00:00:00Z,1.0
        a,2025-01-02T00:00:00Z,2.0""",
        assets="asset_id,asset_type\na,pump",
    )
    out = forewarn(tmp_path / "home", "config", "suggest", "--data", str(data))
    assert out.returncode == 2
    assert out.stdout == ""  # nothing half-written into experiments/mine.toml
    assert "error:" in out.stderr


def test_train_without_config_on_foreign_sensors_points_to_suggest(
    pumps: Path, tmp_path: Path
) -> None:
    # The default experiment lists the synthetic fleet's sensors; on other data most of its
    # features would be empty. The answer comes at once, before any flow starts.
    out = forewarn(tmp_path / "home", "train", "--data", str(pumps), timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    err = _flat(out.stderr)
    assert "temperature_c" in err and "bearing_temp" in err
    assert f"forewarn config suggest --data {pumps}" in err
    assert not (tmp_path / "home" / "runs").exists()


@pytest.mark.slow
def test_suggest_train_score_through_the_cli_on_a_handmade_csv_fleet(
    pumps: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    out = forewarn(home, "config", "suggest", "--data", str(pumps))
    assert out.returncode == 0, out.stderr
    config = tmp_path / "pumps.toml"
    config.write_text(out.stdout, encoding="utf-8")
    exp = load_experiment(config)
    assert exp.features.sensors == ("bearing_temp", "vibration_rms")  # firmware is constant
    assert exp.features.alarm_codes == ("VIB-HIGH",) and exp.features.components == ("seal",)
    trained = forewarn(home, "train", "--data", str(pumps), "-c", str(config))
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert "→ champion" in trained.stdout
    scored = forewarn(home, "score", "--data", str(pumps), "--as-of", "2024-05-15")
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert "scored 10 assets" in _flat(scored.stdout)
