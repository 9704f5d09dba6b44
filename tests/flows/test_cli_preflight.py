"""`forewarn train` / `score` refuse an experiment that does not fit the data, as a user
runs them: every problem at once, exit code 2, before Prefect starts or a feature is built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.flows.conftest import FAST_EXPERIMENT
from tests.flows.test_cli_data import run

HEAVY = ("prefect", "mlflow", "lightgbm", "sklearn", "evidently")


def _no_prefect_started(home: Path) -> bool:
    # Prefect's ephemeral API creates its database in the workspace on the first flow run.
    return not (home / "prefect" / "prefect.db").exists() and not list(home.glob("runs/*"))


def test_misspelt_sensors_and_regime_are_refused_together_before_any_work(
    small_fleet: Path, tmp_path: Path
) -> None:
    # Observation 1: a misspelt sensor used to become all-null features, train and be
    # crowned champion. Now train names each name, its likely spelling and exits 2.
    config = tmp_path / "typo.toml"
    text = FAST_EXPERIMENT.replace('"vibration_mm_s"', '"vibraton_mm_s"').replace(
        'regime_column = "operating_mode"', 'regime_column = "operating_mod"'
    )
    config.write_text(text.replace('"BRG-A3", "GBX-A3"', '"BRG-A9", "GBX-A9"'))
    home = tmp_path / "home"

    out = run("train", "--data", str(small_fleet), "-c", str(config), home=home)

    assert out.returncode == 2, out.stdout + out.stderr
    err = " ".join(out.stderr.split())
    assert "3 problems" in err
    assert "[features] sensors" in err and "'vibraton_mm_s' (did you mean 'vibration_mm_s'?)" in err
    assert "[features] regime_column: 'operating_mod'" in err
    assert "[features] alarm_codes" in err and "'BRG-A9'" in err
    assert "Traceback" not in out.stderr
    assert _no_prefect_started(home)


def test_a_short_history_reports_every_constraint_and_the_minimum(
    small_fleet: Path, tmp_path: Path
) -> None:
    # Observation 3: the default experiment on 100 days failed after a minute of feature
    # building, one constraint per attempt. Now all of them at once, with the minimum.
    home = tmp_path / "home"

    out = run("train", "--data", str(small_fleet), home=home)

    assert out.returncode == 2, out.stdout + out.stderr
    err = " ".join(out.stderr.split())
    assert "[model] validation_window: [labels] horizon 7d + [model] validation_window 60d" in err
    assert "[model] rul_cap: 2 x [model] rul_cap 60d" in err
    assert "needs more than 182 days of readings to train" in err and "has 100 days" in err
    assert _no_prefect_started(home)


def test_until_before_the_data_and_out_of_range_dates_exit_two(
    small_fleet: Path, tmp_path: Path, fast_config: Path
) -> None:
    home = tmp_path / "home"
    args = ("train", "--data", str(small_fleet), "-c", str(fast_config))
    for until, says in (
        ("1960-01-01", "outside 1970-01-01 .. 2100-01-01"),
        ("2024-06-01", "before the first reading"),
        ("99999-01-01", "is not a date/time"),
    ):
        out = run(*args, "--until", until, home=home)
        assert out.returncode == 2, (until, out.stderr)
        assert says in " ".join(out.stderr.split()), until
        assert "Traceback" not in out.stderr
    assert _no_prefect_started(home)


@pytest.mark.parametrize("value", ['"99999999999d"', '"36501d"'])
def test_absurd_durations_are_a_config_error_naming_the_key(tmp_path: Path, value: str) -> None:
    config = tmp_path / "long.toml"
    config.write_text(f"[labels]\nhorizon = {value}\n")
    out = run("config", "show", str(config), home=tmp_path / "home")
    assert out.returncode == 2, out.stdout
    assert "labels.horizon" in out.stderr and "longer than 100 years" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("features", "says"),
    [
        ('regime_column = "ts"', "regime_column: 'ts' is a key column"),
        (
            'sensors = ["temperature_c", "operating_mode"]\nregime_column = "operating_mode"',
            "'operating_mode' is also listed in sensors",
        ),
        ('sensors = ["asset_id", "temperature_c"]', "['asset_id'] is a key column"),
        ("[model.lightgbm]\nnum_threads = 100000", "less than or equal to 1024"),
    ],
)
def test_keys_as_features_and_absurd_threads_are_refused_at_load(
    tmp_path: Path, features: str, says: str
) -> None:
    # Observation 6: a key or a sensor as regime_column printed 111 lines of Polars query
    # plan; num_threads = 100000 segfaulted LightGBM.
    config = tmp_path / "bad.toml"
    config.write_text(f"[features]\n{features}\n")
    out = run("config", "show", str(config), home=tmp_path / "home")
    assert out.returncode == 2, out.stdout
    assert says in " ".join(out.stderr.split())
    assert len(out.stderr.splitlines()) < 6


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "FOREWARN_HOME": str(tmp_path), "FOREWARN_REJECT_THRESHOLD": "lots"}
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "config", "show"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2, out.stdout
    assert "FOREWARN_REJECT_THRESHOLD" in out.stderr and "'lots'" in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_start_up_imports_no_heavy_library() -> None:
    # Observation 7: `forewarn --help` took 3.3 s, most of it importing scikit-learn.
    code = (
        "import sys; from forewarn.flows.cli import register; register(); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_retraining_backtest_checks_its_first_training_cut(
    small_fleet: Path, tmp_path: Path
) -> None:
    # The first retrain trains on the data known at --start: 30 days of a 100-day fleet.
    home = tmp_path / "home"
    out = run("backtest", "--data", str(small_fleet), "--start", "2025-01-31",
              "--end", "2025-02-10", home=home)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "[model] rul_cap" in out.stderr and "has 30 days" in " ".join(out.stderr.split())
    assert _no_prefect_started(home) and not (home / "backtests").exists()
