"""Every table the simulator writes follows the data contract (and the truth layout)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.contract import ASSET_OPTIONAL, ASSET_REQUIRED, EVENT_COLUMNS, EVENT_KINDS
from forewarn.features.dataset import load_dataset, summarize
from forewarn.synthetic import Fleet, FleetConfig, write_fleet
from forewarn.synthetic.catalog import COMPONENT_NAMES, SENSOR_NAMES

UTC_US = pl.Datetime(time_unit="us", time_zone="UTC")


def test_telemetry_schema(hourly_fleet: Fleet) -> None:
    schema = hourly_fleet.telemetry.schema
    assert schema["asset_id"] == pl.String and schema["ts"] == UTC_US
    assert schema["operating_mode"] == pl.Int8
    assert list(schema)[3:] == list(SENSOR_NAMES) and len(SENSOR_NAMES) >= 6
    assert all(schema[s] == pl.Float64 for s in SENSOR_NAMES)


def test_telemetry_rows_are_keyed_on_the_grid_inside_the_window(hourly_fleet: Fleet) -> None:
    tel = hourly_fleet.telemetry
    cfg = FleetConfig.model_validate(hourly_fleet.metadata["config"])
    assert tel.select(pl.struct("asset_id", "ts").is_unique().all()).item()
    assert tel["ts"].min() >= cfg.start and tel["ts"].max() < cfg.end
    assert (tel["ts"].dt.minute() == 0).all() and (tel["ts"].dt.second() == 0).all()
    assert set(tel["operating_mode"].unique()) == {0, 1, 2}
    assert set(tel["asset_id"].unique()) == set(hourly_fleet.assets["asset_id"])


def test_telemetry_has_dropouts_but_no_nan(hourly_fleet: Fleet) -> None:
    tel = hourly_fleet.telemetry.select(SENSOR_NAMES)
    nulls = tel.null_count().sum_horizontal().item() / (tel.height * tel.width)
    assert 0.0005 < nulls < 0.05
    assert not tel.select(pl.any_horizontal(pl.all().is_nan())).to_series().any()


def test_events_schema_and_kinds(year_fleet: Fleet) -> None:
    ev = year_fleet.events
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert ev.schema["ts"] == UTC_US
    assert all(ev.schema[c] == pl.String for c in ("asset_id", "kind", "component", "code"))
    assert set(ev["kind"].unique()) == set(EVENT_KINDS)
    assert ev.filter(pl.col("kind") == "failure")["component"].null_count() == 0
    assert ev["code"].null_count() == 0
    assert ev.select(pl.struct("asset_id", "ts").is_unique().all()).item()
    assert set(ev["asset_id"].unique()) <= set(year_fleet.assets["asset_id"])


def test_assets_describe_a_varied_shanghai_fleet(year_fleet: Fleet) -> None:
    assets = year_fleet.assets
    assert set(ASSET_REQUIRED + ASSET_OPTIONAL) <= set(assets.columns)
    assert assets["asset_id"].is_unique().all()
    assert assets.schema["installed_at"] == UTC_US
    assert assets["asset_type"].n_unique() >= 5
    assert {"Lingang", "Pudong", "Jiading", "Baoshan", "Songjiang"} == set(assets["plant"])
    start = FleetConfig.model_validate(year_fleet.metadata["config"]).start
    ages = (start - assets["installed_at"]).dt.total_days()
    assert ages.min() > 0 and ages.max() - ages.min() > 3 * 365


def test_truth_is_daily_with_health_only_for_real_components(year_fleet: Fleet) -> None:
    truth = year_fleet.truth
    days = FleetConfig.model_validate(year_fleet.metadata["config"]).days
    assert truth.height == days * year_fleet.assets.height
    assert (truth["ts"].dt.hour() == 0).all() and truth.schema["ts"] == UTC_US
    assert truth.schema["in_downtime"] == pl.Boolean
    present = truth.join(year_fleet.assets, on="asset_id")
    for asset_type, comps in year_fleet.metadata["asset_types"].items():
        rows = present.filter(pl.col("asset_type") == asset_type)
        for comp in COMPONENT_NAMES:
            col = rows[f"health_{comp}"]
            if comp in comps:
                assert col.null_count() == 0 and col.min() >= 0 and col.max() <= 1
            else:
                assert col.null_count() == rows.height


@pytest.mark.slow
def test_written_fleet_passes_the_contract_validator(tmp_path: Path) -> None:
    cfg = FleetConfig(n_assets=12, days=20, freq="1h", seed=3, failures_per_asset_year=3.0)
    write_fleet(cfg, tmp_path / "fleet", batch_assets=5)
    report = summarize(load_dataset(str(tmp_path / "fleet")))
    assert report.total_rejected == 0
    assert report.n_assets == 12 and set(SENSOR_NAMES) <= set(report.sensors)
    assert report.end - report.start == timedelta(days=20) - timedelta(hours=1)
