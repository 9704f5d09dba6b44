"""A trained workspace for the fault and security tests, built once per session.

Small fleet, fast experiment (two sensors, two windows, ten LightGBM rounds, no CV),
one Prefect API shared with any other suite's harness, and last night already scored,
so every test can check that a failure tonight leaves last night, the score store and
the registry intact. Tests that score work on a private copy of the workspace.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.workspace import (
    FAST_EXPERIMENT,
    FLEET,
    NIGHT,
    PREV,
    TRAIN_UNTIL,
    Trained,
)

_USER_PREFECT_API = "PREFECT_API_URL" in os.environ  # a developer's own server: never used
_QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "CRITICAL",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The URL of a test Prefect API: another suite's harness if one is up, else our own."""
    from prefect.settings import PREFECT_API_URL

    patch = pytest.MonkeyPatch()
    for key in ("MLFLOW_TRACKING_URI", "FOREWARN_HOME", "FOREWARN_FAULT"):
        patch.delenv(key, raising=False)
    for key, value in _QUIET.items():
        patch.setenv(key, value)
    try:
        current = PREFECT_API_URL.value()
        if current and not _USER_PREFECT_API:
            yield current
            return
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120):
            yield PREFECT_API_URL.value()
    finally:
        patch.undo()


@pytest.fixture(scope="session")
def trained(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """Fleet + experiment + a workspace whose champion is trained and whose PREV night is
    scored (with its report); plus tonight's scores from an untouched copy, the reference
    every re-run must reproduce exactly."""
    from forewarn.flows.scoring import scoring_flow
    from forewarn.flows.training import training_flow
    from forewarn.serving.store import ScoreStore
    from forewarn.synthetic import write_fleet

    root = tmp_path_factory.mktemp("reliability")
    fleet, config, home = root / "fleet", root / "reltest.toml", root / "home"
    write_fleet(FLEET, fleet)
    config.write_text(FAST_EXPERIMENT, encoding="utf-8")
    training_flow(str(fleet), str(config), str(home), until=TRAIN_UNTIL, max_reject_share=1.0)
    scoring_flow(str(fleet), PREV, str(config), str(home), max_reject_share=1.0)
    reference_home = root / "reference"
    shutil.copytree(home, reference_home, ignore=shutil.ignore_patterns("prefect"))
    scoring_flow(str(fleet), NIGHT, str(config), str(reference_home), 1.0, report=False)
    reference = ScoreStore(reference_home / "scores").night(NIGHT)
    return Trained(fleet=fleet, config=config, home=home, api=prefect_api, reference=reference)


@pytest.fixture
def home(trained: Trained, tmp_path: Path) -> Path:
    """A private copy of the trained workspace (the registry's artifacts stay shared and
    read-only: no test writes a model)."""
    target = tmp_path / "home"
    shutil.copytree(trained.home, target, ignore=shutil.ignore_patterns("prefect", "runs"))
    return target


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """Undo whatever a code path under test sets in ``os.environ`` (prepare_environment)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
