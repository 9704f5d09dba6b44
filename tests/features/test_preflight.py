"""The run-preparation checks: every problem at once, each naming its key, and the time
split's needs in step with what ``plan_split`` later enforces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from forewarn.features.empty import judge_empty
from forewarn.features.preflight import (
    DataShape,
    event_problems,
    minimum_history,
    schema_problems,
    span_problems,
)
from forewarn.features.spec import FeatureSpec, LabelSpec
from forewarn.flows.experiment import load_experiment
from forewarn.models.config import ModelConfig
from forewarn.models.splits import plan_split

START = datetime(2025, 1, 1, tzinfo=UTC)
COLUMNS = {"asset_id": "text", "ts": "time", "temp": "number", "mode": "text", "when": "time"}


def _shape(days: float, **kw: object) -> DataShape:
    return DataShape("fleet", COLUMNS, START, START + timedelta(days=days), **kw)  # type: ignore[arg-type]


def test_the_default_experiment_needs_more_than_182_days() -> None:
    # README: the minimum history of the default experiment.
    exp = load_experiment(None)
    needs = exp.model.history_needs(exp.labels.horizon)
    assert minimum_history(exp.features, exp.labels, needs) == timedelta(days=182)


def test_schema_problems_name_every_bad_column_with_a_likely_spelling() -> None:
    spec = FeatureSpec(sensors=("temp", "tmep", "when", "pressure"), regime_column="mod")
    problems = schema_problems(spec, _shape(30))
    assert [p.key for p in problems] == [
        "[features] sensors",
        "[features] sensors",
        "[features] regime_column",
    ]
    assert "'tmep' (did you mean 'temp'?)" in str(problems[0])
    assert "'when' (time)" in str(problems[1])
    assert "(did you mean 'mode'?)" in str(problems[2])
    assert schema_problems(FeatureSpec(sensors=("temp",), regime_column="mode"), _shape(30)) == []


def test_events_refuse_lists_for_other_data_and_note_partly_missing_ones() -> None:
    shape = _shape(30, alarm_codes=frozenset({"E1", "E2"}), components=frozenset({"seal"}))
    spec = FeatureSpec(alarm_codes=("E1", "E9"), components=("bearing",))
    problems, notes = event_problems(spec, LabelSpec(components=("seal",)), shape)
    assert [p.key for p in problems] == ["[features] components", "--data"]
    assert len(notes) == 1 and notes[0].startswith("[features] alarm_codes: no alarm")


def _frame(days: int, horizon: timedelta) -> pl.DataFrame:
    """One asset's daily snapshots over ``days`` of readings, labelled as training does."""
    end = START + timedelta(days=days)
    times = pl.datetime_range(START + timedelta(days=1), end, "1d", eager=True, time_zone="UTC")
    known = times + horizon <= end
    return pl.DataFrame(
        {
            "asset_id": "A",
            "as_of": times,
            "fails_within_7d": pl.Series([False if k else None for k in known]),
            "rul_hours": 24.0 * 90,
            "rul_censored": True,
        }
    )


def _splits(frame: pl.DataFrame, rul_cap: timedelta | None) -> bool:
    try:
        plan_split(
            frame,
            "fails_within_7d",
            validation=timedelta(days=60),
            calibration=timedelta(days=30),
            gap=timedelta(days=7),
            rul_cap=rul_cap,
        )
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("days", [110, 111, 112, 113, 114, 180, 181, 182, 183])
def test_the_history_needs_agree_with_the_time_split(days: int) -> None:
    # Refused before features are built exactly when plan_split would refuse after.
    model = ModelConfig(validation_window="60d", calibration_window="30d", rul_cap="60d")
    needs = model.history_needs("7d")
    problems = span_problems(FeatureSpec(windows=("1d",)), LabelSpec(), needs, _shape(days))
    refused = {p.key for p in problems}
    frame = _frame(days, timedelta(days=7))
    risk_ok = _splits(frame, rul_cap=None)  # no cap: the RUL window always fits here
    assert ("[model] validation_window" not in refused) == risk_ok
    assert ("[model] rul_cap" not in refused) == (risk_ok and _splits(frame, timedelta(days=60)))


def test_a_dead_sensor_is_told_apart_from_an_empty_statistic() -> None:
    spec = FeatureSpec(sensors=("temp", "vib"), windows=("1d",), stats=("mean", "std", "count"))
    columns = ["temp__mean_1d", "temp__std_1d", "temp__count_1d", "vib__mean_1d",
               "vib__std_1d", "vib__count_1d", "plant"]  # fmt: skip
    judged = judge_empty(spec, columns, {"temp__std_1d", "vib__mean_1d", "vib__std_1d", "plant"})
    assert list(judged.dead_sensors) == ["vib"]
    assert judged.empty_stats == ["plant", "temp__std_1d"]
