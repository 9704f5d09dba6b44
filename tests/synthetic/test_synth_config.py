"""FleetConfig: typed, frozen, strict, and refuses grids the simulator cannot honour."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
import pytest

from forewarn.synthetic import FleetConfig


def test_defaults_follow_the_documented_api() -> None:
    cfg = FleetConfig()
    assert (cfg.n_assets, cfg.days, cfg.freq, cfg.scenario) == (200, 120, "1h", "none")
    assert cfg.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert cfg.n_readings == 120 * 24


def test_config_is_frozen_and_rejects_unknown_fields() -> None:
    cfg = FleetConfig()
    with pytest.raises(pydantic.ValidationError):
        cfg.n_assets = 5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        FleetConfig(n_asset=5)  # type: ignore[call-arg]


@pytest.mark.parametrize(("freq", "per_day"), [("10m", 144), ("15m", 96), ("6h", 4), ("1d", 1)])
def test_freq_sets_readings_per_day(freq: str, per_day: int) -> None:
    assert FleetConfig(days=3, freq=freq).n_readings == 3 * per_day


@pytest.mark.parametrize("freq", ["7x", "0h", "11m", "90m"])
def test_freq_must_be_a_duration_that_fits_the_hourly_clock(freq: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        FleetConfig(freq=freq)


def test_start_must_be_midnight_utc_and_timezone_aware() -> None:
    with pytest.raises(pydantic.ValidationError, match="midnight"):
        FleetConfig(start=datetime(2025, 1, 1, 6, tzinfo=UTC))
    with pytest.raises(pydantic.ValidationError):
        FleetConfig(start=datetime(2025, 1, 1))  # naive


def test_drift_start_must_fall_in_the_window() -> None:
    with pytest.raises(pydantic.ValidationError, match="drift_start"):
        FleetConfig(days=10, scenario="seasonal", drift_start=datetime(2025, 3, 1, tzinfo=UTC))
    cfg = FleetConfig(days=10, drift_start=datetime(2025, 1, 4, tzinfo=UTC))
    assert cfg.drift_hour == 72
    assert FleetConfig(days=10).drift_hour == 6 * 24  # default: 60 % into the window


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        FleetConfig(scenario="earthquake")  # type: ignore[arg-type]
