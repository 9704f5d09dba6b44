"""Each drift scenario changes exactly what its metadata says, and nothing else.

Scenario fleets share every random stream with the ``none`` fleet of the same seed,
so differences can be checked exactly, asset by asset and sensor by sensor.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from forewarn.synthetic import Fleet, FleetConfig, scenarios, simulate_fleet
from forewarn.synthetic.catalog import SENSOR_NAMES
from forewarn.synthetic.simulate import simulate_asset

BASE = FleetConfig(
    n_assets=80, days=40, freq="6h", seed=8, drift_start=datetime(2025, 1, 25, tzinfo=UTC)
)
KEYS = ["asset_id", "ts"]


@pytest.fixture(scope="module")
def fleets() -> dict[str, Fleet]:
    names = ("none", "recalibration", "supplier", "seasonal")
    return {s: simulate_fleet(BASE.model_copy(update={"scenario": s})) for s in names}


def _changed_assets(a: pl.DataFrame, b: pl.DataFrame) -> set[str]:
    """Assets whose rows differ in any way between two tables."""
    return {
        asset
        for (asset,), rows in a.partition_by("asset_id", as_dict=True).items()
        if not rows.equals(b.filter(pl.col("asset_id") == asset))
    }


def _sensor_diff(fleets: dict[str, Fleet], scenario: str) -> pl.DataFrame:
    """Scenario minus baseline for every sensor, on rows present in both."""
    joined = fleets[scenario].telemetry.join(fleets["none"].telemetry, on=KEYS, suffix="_base")
    return joined.select(*KEYS, *[(pl.col(s) - pl.col(f"{s}_base")).alias(s) for s in SENSOR_NAMES])


def test_none_records_no_drift(fleets: dict[str, Fleet]) -> None:
    drift = fleets["none"].metadata["drift"]
    assert drift["scenario"] == "none" and drift["start"] is None
    assert drift["asset_ids"] == [] and drift["sensors"] == []


@pytest.mark.parametrize(("scenario", "offset"), [("recalibration", 5.0), ("seasonal", 6.0)])
def test_sensor_shifts_hit_only_the_named_assets_sensors_and_dates(
    fleets: dict[str, Fleet], scenario: str, offset: float
) -> None:
    drift = fleets[scenario].metadata["drift"]
    assert drift["start"] == "2025-01-25T00:00:00+00:00"
    affected = set(drift["asset_ids"])
    assert len(affected) >= 5
    diff = _sensor_diff(fleets, scenario)
    assert diff.height == fleets["none"].telemetry.height  # same rows: wear is untouched
    moved = diff.filter(pl.any_horizontal(pl.col(SENSOR_NAMES).abs() > 1e-9))
    assert set(moved["asset_id"]) == affected
    assert (moved["ts"] >= datetime(2025, 1, 25, tzinfo=UTC)).all()
    untouched = [s for s in SENSOR_NAMES if s not in drift["sensors"]]
    assert moved.select(pl.col(untouched).abs().max()).to_numpy().max() == 0.0
    after = diff.filter(
        pl.col("asset_id").is_in(list(affected))
        & (pl.col("ts") >= datetime(2025, 1, 25, tzinfo=UTC))
    )
    for sensor in drift["sensors"]:
        assert after[sensor].median() == pytest.approx(offset, abs=0.11)
    assert_frame_equal(fleets[scenario].events, fleets["none"].events)
    assert_frame_equal(fleets[scenario].truth, fleets["none"].truth)


def test_recalibration_and_seasonal_pick_their_eligible_assets(fleets: dict[str, Fleet]) -> None:
    assets = fleets["none"].assets
    recal = fleets["recalibration"].metadata["drift"]
    types = assets.filter(pl.col("asset_id").is_in(recal["asset_ids"]))["asset_type"]
    assert set(types) == set(recal["asset_types"]) <= {"cnc_spindle", "paint_pump"}
    seasonal = fleets["seasonal"].metadata["drift"]
    plants = assets.filter(pl.col("asset_id").is_in(seasonal["asset_ids"]))["plant"]
    assert set(plants) == set(seasonal["plants"]) <= {"Baoshan", "Jiading"}


def test_supplier_retrofits_the_named_assets_and_component(fleets: dict[str, Fleet]) -> None:
    drift = fleets["supplier"].metadata["drift"]
    assert drift["components"] == ["bearing"] and drift["wear_factor"] == 2.5
    retrofits = fleets["supplier"].events.filter(pl.col("code") == "RETROFIT")
    assert set(retrofits["asset_id"]) == set(drift["asset_ids"]) and len(drift["asset_ids"]) >= 5
    assert (retrofits["component"] == "bearing").all()
    assert (retrofits["ts"] > datetime(2025, 1, 25, tzinfo=UTC)).all()
    changed = _changed_assets(fleets["supplier"].telemetry, fleets["none"].telemetry)
    assert changed == set(drift["asset_ids"])
    types = fleets["none"].assets.filter(pl.col("asset_id").is_in(drift["asset_ids"]))["asset_type"]
    assert set(types) <= {"conveyor_drive", "air_compressor"}


def test_supplier_parts_are_new_then_wear_faster(fleets: dict[str, Fleet]) -> None:
    drift = fleets["supplier"].metadata["drift"]
    cfg = BASE.model_copy(update={"scenario": "supplier"})
    index = int(drift["asset_ids"][0].rsplit("-", 1)[1])
    history = simulate_asset(cfg, index).history
    retrofit = next(iv for iv in history.executed if iv.code == "RETROFIT")
    comps = [c.name for c in simulate_asset(cfg, index).spec.kind.components]
    bearing = comps.index("bearing")
    after = retrofit.start + retrofit.hours
    assert np.all(history.mult[bearing, after:] == 2.5)
    assert np.all(history.mult[bearing, : retrofit.start] == 1.0)
    truth = fleets["supplier"].truth.filter(
        pl.col("asset_id").is_in(drift["asset_ids"])
        & (pl.col("ts") == datetime(2025, 1, 26, tzinfo=UTC))
    )
    assert truth["health_bearing"].min() > 0.98  # a brand-new bearing the next midnight


def test_supplier_parts_read_15_percent_more_vibration(
    fleets: dict[str, Fleet], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = dataclasses.replace(scenarios.SPECS["supplier"], sensor_factors={})
    monkeypatch.setitem(scenarios.SPECS, "supplier", plain)
    without = simulate_fleet(BASE.model_copy(update={"scenario": "supplier"}))
    joined = fleets["supplier"].telemetry.join(without.telemetry, on=KEYS, suffix="_plain")
    assert joined.height == without.telemetry.height  # the factor changes no row or event
    start = datetime(2025, 1, 26, tzinfo=UTC)
    differs = {s: pl.col(s).ne_missing(pl.col(f"{s}_plain")) for s in SENSOR_NAMES}
    moved = joined.filter(pl.any_horizontal(differs.values()))
    assert set(moved["asset_id"]) == set(fleets["supplier"].metadata["drift"]["asset_ids"])
    assert (moved["ts"] >= start).all()
    others = [v for k, v in differs.items() if k != "vibration_mm_s"]
    assert not moved.select(pl.any_horizontal(others)).to_series().any()
    ratio = moved.filter(pl.col("vibration_mm_s_plain") > 0).select(
        pl.col("vibration_mm_s") / pl.col("vibration_mm_s_plain")
    )
    assert ratio.to_series().median() == pytest.approx(1.15, abs=0.01)
