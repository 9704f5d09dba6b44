"""MLflow unreachable: training fails in seconds with a clear message, scoring fails
clearly instead of scoring with no model, and a down registry is never mistaken for an
empty one (which would promote a new model without comparing it with the champion)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE

from forewarn.flows import scoring
from forewarn.flows.scoring import scoring_flow
from forewarn.flows.settings import load_settings, prepare_environment
from forewarn.flows.tasks import StepFailedError
from forewarn.flows.training import training_flow
from forewarn.models import registry_versions
from forewarn.models.registry import RegistryUnavailableError
from forewarn.serving.store import ScoreStore
from tests.reliability.workspace import NIGHT, TRAIN_UNTIL, Snapshot, Trained

MLFLOW_HTTP = (
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def cli_defaults(monkeypatch: pytest.MonkeyPatch, home: Path) -> dict[str, str]:
    """The environment the CLI prepares, computed on a copy (the test process keeps its own)."""
    fake = {k: v for k, v in os.environ.items() if k not in MLFLOW_HTTP}
    monkeypatch.setattr(os, "environ", fake)
    prepare_environment(load_settings(home=home))
    monkeypatch.undo()
    return {k: fake[k] for k in MLFLOW_HTTP}


def test_cli_bounds_mlflow_http_retries_unless_the_operator_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = cli_defaults(monkeypatch, tmp_path)
    assert defaults == dict(zip(MLFLOW_HTTP, ("2", "1", "30"), strict=True))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    fake = dict(os.environ)
    monkeypatch.setattr(os, "environ", fake)
    prepare_environment(load_settings(home=tmp_path))
    assert fake["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"


def test_training_with_mlflow_down_fails_fast_before_any_work(
    trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for key, value in cli_defaults(monkeypatch, home).items():
        monkeypatch.setenv(key, value)
    uri = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    started = time.monotonic()
    with pytest.raises(StepFailedError) as info:
        training_flow(str(trained.fleet), str(trained.config), str(home), TRAIN_UNTIL, 1.0)
    assert time.monotonic() - started < 30  # MLflow's own defaults retry for minutes
    assert info.value.step == "connect to MLflow"
    assert f"cannot reach the MLflow tracking store at {uri}" in str(info.value)
    assert "MLFLOW_TRACKING_URI" in str(info.value)  # says what to do
    assert not (home / "runs").exists()  # nothing was built before the check


def test_scoring_with_mlflow_down_fails_clearly_and_scores_nothing(
    trained: Trained, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Snapshot.take(home)
    uri = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    fast = scoring.score_night.with_options(retry_delay_seconds=0)  # still retried twice
    monkeypatch.setattr(scoring, "score_night", fast)
    with pytest.raises(StepFailedError) as info:
        scoring_flow(str(trained.fleet), NIGHT, str(trained.config), str(home), 1.0)
    assert info.value.step == "load the champion's config"
    assert f"cannot reach the MLflow tracking store at {uri}" in str(info.value)
    assert "train" not in str(info.value)  # not mistaken for an empty registry
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    before.assert_intact(home)
    assert NIGHT not in ScoreStore(home / "scores").nights()


def test_scoring_without_a_champion_says_train_first(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    config = tmp_path / "untrained.toml"  # models of these names were never registered
    config.write_text(trained.config.read_text().replace("reltest-", "untrained-"))
    with pytest.raises(StepFailedError, match="run `forewarn train` first") as info:
        scoring_flow(str(trained.fleet), NIGHT, str(config), str(home), 1.0)
    assert info.value.step == "score the fleet"
    assert NIGHT not in ScoreStore(home / "scores").nights()


class _Client:
    """An MlflowClient stand-in whose alias lookup fails with a given error code."""

    def __init__(self, code: int) -> None:
        self.code = code

    def get_model_version_by_alias(self, name: str, alias: str) -> None:
        raise MlflowException(f"lookup of {name}@{alias} failed", error_code=self.code)


def test_a_down_registry_is_not_an_empty_one(tmp_path: Path) -> None:
    missing = registry_versions._download(
        _Client(INVALID_PARAMETER_VALUE), "sqlite:///x", "m", "champion", tmp_path
    )
    assert missing is None  # really no champion: the first model gets promoted
    with pytest.raises(RegistryUnavailableError, match="cannot reach the MLflow tracking store"):
        registry_versions._download(
            _Client(INTERNAL_ERROR), "http://h:1", "m", "champion", tmp_path
        )
