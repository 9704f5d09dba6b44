"""Failure, censoring and label rates land where the configuration says."""

from __future__ import annotations

import polars as pl
import pytest
from synth_helpers import failures, labelled_days

from forewarn.synthetic import Fleet, FleetConfig, simulate_fleet


def test_a_minority_of_assets_fail_in_a_year(year_fleet: Fleet) -> None:
    failing = failures(year_fleet)["asset_id"].n_unique() / year_fleet.assets.height
    assert 0.2 <= failing <= 0.5
    assert failing == pytest.approx(year_fleet.metadata["rates"]["failing_asset_share"])


def test_some_assets_fail_more_than_once(year_fleet: Fleet) -> None:
    per_asset = failures(year_fleet).group_by("asset_id").len()
    assert per_asset.filter(pl.col("len") >= 2).height >= 10


def test_seven_day_prevalence_is_learnable_but_rare(year_fleet: Fleet) -> None:
    prevalence = float(labelled_days(year_fleet, 7)["hit"].mean())
    assert 0.005 <= prevalence <= 0.02
    assert prevalence == pytest.approx(year_fleet.metadata["rates"]["prevalence_7d"], rel=1e-9)


def test_realised_failure_rate_matches_the_configured_rate(year_fleet: Fleet) -> None:
    cfg = FleetConfig.model_validate(year_fleet.metadata["config"])
    realised = failures(year_fleet).height / (year_fleet.assets.height * cfg.days / 365)
    assert realised == pytest.approx(cfg.failures_per_asset_year, rel=0.25)


def test_the_rate_knob_moves_the_realised_rate() -> None:
    busy = simulate_fleet(
        FleetConfig(n_assets=150, days=365, freq="1d", seed=4, failures_per_asset_year=1.5)
    )
    rate = busy.metadata["rates"]["failures_per_asset_year"]
    assert rate == pytest.approx(1.5, rel=0.25)
    assert busy.metadata["rates"]["failing_asset_share"] > 0.5


def test_every_failure_names_a_component_of_its_asset_type(year_fleet: Fleet) -> None:
    types = year_fleet.metadata["asset_types"]
    joined = failures(year_fleet).join(year_fleet.assets, on="asset_id")
    assert joined.height == failures(year_fleet).height
    for asset_type, component in joined.select("asset_type", "component").iter_rows():
        assert component in types[asset_type]
    # Every type fails through more than one failure mode.
    modes = joined.group_by("asset_type").agg(pl.col("component").n_unique())
    assert (modes["component"] >= 2).all()
