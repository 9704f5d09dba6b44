"""`config suggest`'s rules on hand-built profiles: each choice fits the data it is given."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from forewarn.features.dataset import load_dataset
from forewarn.features.durations import parse_duration
from forewarn.features.profile import DataProfile, SensorProfile, profile_dataset
from forewarn.features.suggest import classify_sensors, suggest
from forewarn.features.suggest_toml import render
from forewarn.flows.experiment import ExperimentConfig
from tests.conftest import write_parquet_dataset

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _sensor(name: str, **kw: object) -> SensorProfile:
    base = {"readings": 1000, "std": 1.0, "uniques": 900, "top_share": 0.01, "whole": False}
    return SensorProfile(name=name, **{**base, **kw})  # type: ignore[arg-type]


def _profile(days: float, assets: int, interval_h: float, n: int, **kw: object) -> DataProfile:
    """``assets`` observed all along, ``n`` failures spread evenly over ``days``."""
    end = T0 + timedelta(days=days)
    step = (end - T0) / (n + 1)
    base = {
        "assets": assets,
        "asset_types": 1,
        "start": T0,
        "end": end,
        "interval_s": interval_h * 3600,
        "sensors": (_sensor("temp"), _sensor("vib")),
        "failures": tuple(T0 + step * (i + 1) for i in range(n)),
        "spans": tuple((T0, end) for _ in range(assets)),
    }
    return DataProfile(**{**base, **kw})  # type: ignore[arg-type]


def _seconds(text: str) -> int:
    return int(parse_duration(text).total_seconds())


def _loaded(profile: DataProfile, horizon: str | None = None) -> tuple[ExperimentConfig, dict]:
    s = suggest(profile, horizon)
    text = render(s, "fleet")
    return ExperimentConfig.model_validate(tomllib.loads(text)).check(), s.values()


def test_constant_near_constant_and_empty_sensors_are_left_out_with_the_reason() -> None:
    sensors = (
        _sensor("temp"),
        _sensor("s1", std=0.0, uniques=1, top_share=1.0),
        _sensor("s6", std=0.001, uniques=2, top_share=0.98),
        _sensor("dead", readings=0),
        _sensor("mode", uniques=3, top_share=0.4, whole=True),
        _sensor("s17", uniques=13, top_share=0.26, whole=True),  # a whole-number measurement
    )
    kept, regime, dropped = classify_sensors(sensors)
    assert kept == ["temp", "s17"] and regime == "mode"
    assert dropped == [
        "s1 (constant)",
        "s6 (near-constant: 98.0% of readings hold one value)",
        "dead (no readings)",
    ]
    text = render(suggest(_profile(120, 20, 1, 40, sensors=sensors)), "fleet")
    assert "# left out: s1 (constant), s6 (near-constant" in text
    assert tomllib.loads(text)["features"]["regime_column"] == "mode"


@pytest.mark.parametrize(
    ("days", "interval_h", "assets"),
    [
        (14, 1, 100),
        (60, 1, 30),
        (90, 1, 20),
        (120, 1, 20),
        (365, 3, 10),
        (730, 24, 50),
        (30, 1 / 60, 5),
    ],
)
def test_windows_and_spacing_scale_with_the_span_and_sampling(
    days: float, interval_h: float, assets: int
) -> None:
    exp, _ = _loaded(_profile(days, assets, interval_h, 60))
    f, m = exp.features, exp.model
    span = days * 86400
    snap = _seconds(f.snapshot_every)
    assert snap >= interval_h * 3600 - 1
    assert f.bucket_seconds == snap  # every window a whole number of snapshot steps
    assert max(_seconds(w) for w in f.windows) <= span / 6
    assert min(_seconds(w) for w in f.windows) >= 2 * interval_h * 3600
    assert span / snap * assets <= 1_600_000
    # Validation + calibration + two gaps leave most of the history to training.
    used = (
        _seconds(m.validation_window)
        + _seconds(m.calibration_window)
        + 2 * _seconds(exp.labels.horizon)
    )
    assert used <= 0.75 * span
    assert 2 * _seconds(m.rul_cap) + _seconds(m.validation_window) < span


def test_validation_and_calibration_windows_grow_until_they_hold_failures() -> None:
    # Failures every 2 days until day 280 of 365, none after: the default share of the
    # span (15 %, 55 days) holds none, so the validation window must reach back.
    early = tuple(T0 + timedelta(days=2 * i) for i in range(1, 141))
    p = _profile(365, 20, 1, 0, failures=early)
    exp, _ = _loaded(p)
    val = timedelta(seconds=_seconds(exp.model.validation_window))
    last = p.end - timedelta(seconds=_seconds(exp.labels.horizon))
    assert val > timedelta(days=56)
    assert sum(1 for t in early if last - val < t) >= 10
    cal_end = last - val - timedelta(seconds=_seconds(exp.labels.horizon))
    cal = timedelta(seconds=_seconds(exp.model.calibration_window))
    assert sum(1 for t in early if cal_end - cal < t <= cal_end + (last - cal_end)) >= 10


def test_too_few_failures_in_the_latest_spans_is_a_warning_not_a_silent_config() -> None:
    only_early = tuple(T0 + timedelta(days=i) for i in range(1, 30))
    s = suggest(_profile(365, 20, 1, 0, failures=only_early))
    assert any("failures in the validation window" in w for w in s.warnings)
    assert "# WARNING: only 0 failures in the validation window" in render(s)


def test_leaf_sizes_fit_a_small_frame() -> None:
    # 602 labelled rows: min_child_samples = 200 made the model constant (issue #14).
    p = _profile(60, 10, 24, 12)
    lgb = suggest(p).values()["model"]["lightgbm"]
    assert 5 <= lgb["min_child_samples"] <= 20  # type: ignore[operator]
    assert lgb["num_threads"] == 1


def test_horizon_option_is_kept_and_lead_time_stays_inside_it() -> None:
    exp, _ = _loaded(_profile(120, 20, 1, 40), "2d")
    assert exp.labels.horizon == "2d"
    assert _seconds(exp.model.lead_time) < _seconds("2d")
    assert _seconds(exp.features.snapshot_every) * 2 <= _seconds("2d")


def test_no_failure_or_no_usable_sensor_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no failure"):
        suggest(_profile(120, 20, 1, 0))
    flat = (_sensor("s1", std=0.0, uniques=1, top_share=1.0),)
    with pytest.raises(ValueError, match="every sensor is constant"):
        suggest(_profile(120, 20, 1, 10, sensors=flat))


def test_run_to_failure_fleets_are_not_compared_with_same_time_peers() -> None:
    exp, _ = _loaded(_profile(15, 100, 1, 100, ends_at_failure=1.0))
    assert exp.features.fleet_norm is False


def test_profile_of_a_small_dataset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    ts = [T0 + timedelta(hours=2 * i) for i in range(100)]
    tel = pl.DataFrame(
        {
            "asset_id": ["a"] * 100 + ["b"] * 100,
            "ts": ts + ts,
            "temp": rng.normal(50, 2, 200),
            "const": [7.0] * 200,
            "mode": [1.0, 2.0] * 100,
        }
    )
    events = pl.DataFrame(
        {
            "asset_id": ["a", "b", "b"],
            "ts": [ts[-1], ts[50], ts[60]],
            "kind": ["failure", "maintenance", "alarm"],
            "component": ["pump", "seal", None],
            "code": [None, None, "E1"],
        }
    )
    assets = pl.DataFrame({"asset_id": ["a", "b"], "asset_type": ["p", "p"]})
    root = write_parquet_dataset(tmp_path / "d", telemetry=tel, events=events, assets=assets)
    p = profile_dataset(load_dataset(str(root)))
    assert (p.assets, p.interval_s, p.span_s) == (2, 7200.0, 99 * 7200.0)
    by = {s.name: s for s in p.sensors}
    assert by["const"].uniques == 1 and by["mode"].whole and by["mode"].uniques == 2
    assert not by["temp"].whole and by["temp"].std > 1
    assert p.alarm_codes == (("E1", 1),) and p.components == (("seal", 1),)
    assert p.failures == (ts[-1],) and p.failure_components == {"pump": (ts[-1],)}
    assert p.ends_at_failure == 0.5  # asset a's data ends at its failure


def test_few_validation_failures_break_recall_ties_on_ranking() -> None:
    few = suggest(_profile(60, 10, 1, 12)).values()["model"]
    many = suggest(_profile(365, 200, 1, 600)).values()["model"]
    assert few["promotion_metric"] == many["promotion_metric"] == "event_recall"
    assert few["tie_break_metric"] == "roc_auc" and many["tie_break_metric"] == "pr_auc"
    assert "rul_cap" not in suggest(_profile(60, 10, 1, 12)).values()["labels"]  # one cap
