"""Specs reject impossible values with messages naming the key; experiment configs load."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from forewarn.features.naming import feature_names, label_columns
from forewarn.features.spec import FeatureSpec, LabelSpec, load_specs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"windows": []}, "windows"),
        ({"windows": ["0d"]}, "windows"),
        ({"windows": ["-3d"]}, "windows"),
        ({"windows": ["7 days"]}, "windows"),
        ({"stats": ["mean", "median"]}, "stats"),
        ({"stats": ["mean", "mean"]}, "stats"),
        ({"snapshot_every": "0h"}, "snapshot_every"),
        ({"ewma_half_life_share": 0}, "ewma_half_life_share"),
        ({"baseline_span": "0d"}, "baseline_span"),
        ({"alarm_windows": []}, "alarm_windows"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_feature_spec_rejects_bad_values_naming_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ValidationError) as err:
        FeatureSpec(**kwargs)
    assert key in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"horizon": "0d"}, "horizon"),
        ({"rul_cap": "-1d"}, "rul_cap"),
        ({"downtime": "x"}, "downtime"),
    ],
)
def test_label_spec_rejects_bad_values(kwargs: dict, key: str) -> None:
    with pytest.raises(ValidationError) as err:
        LabelSpec(**kwargs)
    assert key in str(err.value)


def test_specs_are_frozen() -> None:
    spec = FeatureSpec()
    with pytest.raises(ValidationError):
        spec.windows = ("1d",)  # type: ignore[misc]


def test_bucket_is_the_common_divisor_of_windows_and_step() -> None:
    assert FeatureSpec(windows=("6h", "1d"), snapshot_every="1d").bucket_seconds == 6 * 3600
    assert FeatureSpec(windows=("7d", "30d"), snapshot_every="1d").bucket_seconds == 86400


def test_windows_longer_than_a_span_lists_sensor_and_alarm_windows() -> None:
    spec = FeatureSpec(windows=("1d", "30d"), alarm_windows=("7d", "60d"))
    day = 86_400
    assert spec.windows_longer_than(45 * day) == ["60d"]
    assert spec.windows_longer_than(10 * day) == ["30d", "60d"]
    assert spec.windows_longer_than(30 * day) == ["60d"]  # exactly the span fits


def test_feature_names_follow_the_convention() -> None:
    spec = FeatureSpec(
        windows=("7d",), stats=("mean", "ewma"), alarm_codes=("E101",), components=("bearing",)
    )
    names = feature_names(spec, ["vibration_rms"])
    assert names[:2] == ["vibration_rms__mean_7d", "vibration_rms__ewma_7d"]
    assert "vibration_rms__mean_life" in names and "vibration_rms__ewma_life" not in names
    assert "vibration_rms__z_baseline_7d" in names and "vibration_rms__z_fleet_7d" in names
    assert {
        "alarms__E101_7d",
        "alarms__all_7d",
        "hours_since_failure",
        "hours_since_maintenance__bearing",
    } <= set(names)
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="sensors"):
        feature_names(spec)


@pytest.mark.parametrize("name", ["default", "short_horizon", "long_windows"])
def test_experiment_configs_load(name: str) -> None:
    spec, labels = load_specs(ROOT / "experiments" / f"{name}.toml")
    assert spec.sensors and len(spec.windows) >= 1
    names = feature_names(spec)
    assert len(names) == len(set(names)) > 50
    assert label_columns(labels)[0].startswith("fails_within_")
