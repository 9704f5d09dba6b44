"""Every feature against the naive pandas reference on small random fleets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from feature_fleets import SPEC, make_fleet, snapshot_grid
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from benchmarks.reference_features import reference_snapshots
from forewarn.features.snapshots import build_snapshots, feature_names, snapshot_times
from forewarn.features.spec import FeatureSpec

SENSORS = ["temp", "vib"]
# Half-day buckets under daily snapshots, odd windows, separate alarm windows, no regime.
HALF_DAY = FeatureSpec(
    sensors=("temp", "vib"),
    windows=("12h", "3d", "5d"),
    stats=("mean", "std", "slope", "ewma", "last", "count"),
    baseline_span="1d",
    alarm_codes=("E2",),
    alarm_windows=("12h", "2d"),
    life_resets=("failure",),
    ewma_half_life_share=0.3,
)


def _compare(got: pl.DataFrame, ref: pl.DataFrame, spec: FeatureSpec = SPEC) -> None:
    assert got.select("asset_id", "as_of").rows() == ref.select("asset_id", "as_of").rows()
    for name in feature_names(spec, SENSORS):
        a = got[name].to_numpy().astype(float)
        b = ref[name].cast(pl.Float64).to_numpy()
        close = np.isclose(a, b, rtol=1e-7, atol=1e-7, equal_nan=True)
        assert close.all(), f"{name}: {list(zip(a[~close][:3], b[~close][:3], strict=True))}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
@example(seed=663375)  # one asset without a single reading: every column still exists
def test_features_match_reference(seed: int) -> None:
    fleet = make_fleet(seed, days=8)
    start, end, times = snapshot_grid(8)
    got = build_snapshots(*fleet.lazy(), start, end, SPEC)
    ref = reference_snapshots(
        fleet.telemetry.to_pandas(),
        fleet.events.to_pandas(),
        fleet.assets.to_pandas(),
        times,
        SPEC,
        SENSORS,
    )
    if got.height == 0:
        assert len(ref) == 0
        return
    _compare(got, pl.from_pandas(ref).sort("asset_id", "as_of"))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_half_day_buckets_match_reference(seed: int) -> None:
    fleet = make_fleet(seed, days=8)
    start, end, times = snapshot_grid(8)
    got = build_snapshots(*fleet.lazy(), start, end, HALF_DAY)
    ref = reference_snapshots(
        fleet.telemetry.to_pandas(),
        fleet.events.to_pandas(),
        fleet.assets.to_pandas(),
        times,
        HALF_DAY,
        SENSORS,
    )
    if got.height:
        _compare(got, pl.from_pandas(ref).sort("asset_id", "as_of"), HALF_DAY)


# Everything optional switched off: only fixed windows, events and context remain.
BARE = FeatureSpec(
    sensors=("temp", "vib"),
    windows=("2d",),
    stats=("min", "max", "count"),
    life_window=False,
    baseline_span=None,
    fleet_norm=False,
    freshness=False,
    snapshot_every="2d",
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bare_spec_matches_reference(seed: int) -> None:
    fleet = make_fleet(seed, days=8)
    start, end, _ = snapshot_grid(8)
    times = snapshot_times(start, end, BARE.snapshot_every)
    got = build_snapshots(*fleet.lazy(), start, end, BARE)
    ref = reference_snapshots(
        fleet.telemetry.to_pandas(),
        fleet.events.to_pandas(),
        fleet.assets.to_pandas(),
        times,
        BARE,
        SENSORS,
    )
    assert got.columns[5:] == feature_names(BARE, SENSORS)
    if got.height:
        _compare(got, pl.from_pandas(ref).sort("asset_id", "as_of"), BARE)


def test_reference_agrees_on_a_hand_checked_window() -> None:
    """Guards the oracle itself: mean/min/max/count/slope of a tiny series by hand."""
    fleet = make_fleet(3, days=8)
    _, _, times = snapshot_grid(8)
    ref = reference_snapshots(
        fleet.telemetry.to_pandas(),
        fleet.events.to_pandas(),
        fleet.assets.to_pandas(),
        times,
        SPEC,
        SENSORS,
    )
    row = ref.dropna(subset=["temp__mean_1d"]).iloc[0]
    tel = fleet.telemetry.filter(
        (pl.col("asset_id") == row["asset_id"])
        & (pl.col("ts") <= row["as_of"])
        & (pl.col("ts") > row["as_of"] - pl.duration(days=1))
    ).drop_nulls("temp")
    assert row["temp__count_1d"] == tel.height
    assert np.isclose(row["temp__mean_1d"], tel["temp"].mean())
    assert np.isclose(row["temp__max_1d"], tel["temp"].max())
