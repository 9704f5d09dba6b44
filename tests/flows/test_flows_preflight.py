"""The training flow prepares its run first, and refuses a frame a sensor left empty."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from forewarn.flows.prepare import PreflightError
from forewarn.flows.settings import load_settings
from forewarn.flows.tasks import StepFailedError
from forewarn.flows.training import training_flow
from forewarn.models.registry import list_models
from tests.flows.conftest import TRAIN_UNTIL, Trained


def test_a_sensor_without_any_reading_stops_training_naming_it(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    # Observation 1: the column exists (so the names check passes) but holds no value:
    # every vibration feature was null, and the model trained and became champion.
    fleet = tmp_path / "fleet"
    shutil.copytree(trained.fleet, fleet, ignore=shutil.ignore_patterns("telemetry"))
    (fleet / "telemetry").mkdir()
    for part in sorted((trained.fleet / "telemetry").glob("*.parquet")):
        frame = pl.read_parquet(part)
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("vibration_mm_s"))
        frame.write_parquet(fleet / "telemetry" / part.name)

    with pytest.raises(StepFailedError) as info:
        training_flow(str(fleet), str(trained.config), str(home), until=TRAIN_UNTIL)

    assert info.value.step == "train, evaluate and register"
    assert isinstance(info.value.error, ValueError)  # the CLI exits 2
    assert "[features] sensors: 'vibration_mm_s'" in str(info.value)
    uri = load_settings(home=home).tracking_uri
    assert [v.version for v in list_models(uri, ("flowtest-risk",))] == ["1"]


def test_the_flow_prepares_the_run_before_anything_else(trained: Trained, home: Path) -> None:
    # Called from Python (the demo, a schedule), the flow runs the same checks first.
    with pytest.raises(StepFailedError) as info:
        training_flow(str(trained.fleet), None, str(home))  # the default needs ~182 days

    assert info.value.step == "prepare the run"
    assert isinstance(info.value.error, PreflightError)
    assert {p.key for p in info.value.error.problems} >= {"[model] rul_cap"}
    assert not list((home / "runs").glob("default-*"))
