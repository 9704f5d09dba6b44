"""Shared flow fixtures: a small synthetic fleet, a fast experiment, one Prefect test
harness and one trained workspace per session (training is the slow part; tests that
score work on a copy so they never see each other's nights).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

FLEET_START = datetime(2025, 1, 1, tzinfo=UTC)
FLEET_DAYS = 100
FLEET_ASSETS = 48
TRAIN_UNTIL = datetime(2025, 4, 1, tzinfo=UTC)
NIGHT = datetime(2025, 4, 8, tzinfo=UTC)

# Few, short windows and 20 rounds: the whole training flow takes seconds. The risk
# list budget is wide so a 48-asset fleet puts several assets on each night's list.
FAST_EXPERIMENT = """
name = "flowtest"

[features]
sensors = ["temperature_c", "vibration_mm_s", "current_a"]
windows = ["1d", "7d"]
stats = ["mean", "max", "last", "slope"]
snapshot_every = "1d"
baseline_span = "3d"
regime_column = "operating_mode"
alarm_codes = ["BRG-A3", "GBX-A3"]
alarm_windows = ["1d"]

[labels]
horizon = "7d"

[model]
calibration = "platt"
validation_window = "20d"
calibration_window = "15d"
cv_folds = 0
inspection_budget = 0.05
rul_cap = "30d"
risk_model_name = "flowtest-risk"
rul_model_name = "flowtest-rul"

[model.lightgbm]
n_estimators = 20
num_leaves = 15
min_child_samples = 10
num_threads = 1

[risk_list]
budget = 0.1
p3_threshold = 0.05
p2_threshold = 0.3
"""

_QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "CRITICAL",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@dataclass(frozen=True)
class Trained:
    """The session's trained workspace and what the training flow returned."""

    home: Path
    fleet: Path
    config: Path
    out: dict[str, Any]


@pytest.fixture(scope="session")
def flow_env() -> Iterator[None]:
    """No outside MLflow/Prefect server leaks into the flows under test; Prefect is quiet."""
    patch = pytest.MonkeyPatch()
    for key in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "FOREWARN_HOME"):
        patch.delenv(key, raising=False)
    for key, value in _QUIET.items():
        patch.setenv(key, value)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def prefect_harness(flow_env: None) -> Iterator[None]:
    """One temporary Prefect API and database for every flow run of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def small_fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 assets x 100 days hourly, with failures frequent enough to grade a few weeks."""
    from forewarn.synthetic import FleetConfig, write_fleet

    root = tmp_path_factory.mktemp("fleet") / "fleet"
    cfg = FleetConfig(
        n_assets=FLEET_ASSETS,
        days=FLEET_DAYS,
        freq="1h",
        seed=3,
        start=FLEET_START,
        failures_per_asset_year=3.0,
    )
    write_fleet(cfg, root)
    return root


@pytest.fixture(scope="session")
def fast_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("experiments") / "flowtest.toml"
    path.write_text(FAST_EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained(
    prefect_harness: None,
    small_fleet: Path,
    fast_config: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Trained:
    """A workspace whose registry holds a champion trained on data until TRAIN_UNTIL."""
    from forewarn.flows.training import training_flow

    home = tmp_path_factory.mktemp("trained") / "home"
    out = training_flow(str(small_fleet), str(fast_config), str(home), until=TRAIN_UNTIL)
    return Trained(home, small_fleet, fast_config, out)


@pytest.fixture
def home(trained: Trained, tmp_path: Path) -> Path:
    """A private copy of the trained workspace (its registry still reads the session's
    artifacts, which no test changes)."""
    target = tmp_path / "home"
    shutil.copytree(trained.home, target, ignore=shutil.ignore_patterns("runs", "prefect"))
    assert not os.environ.get("MLFLOW_TRACKING_URI")
    return target
