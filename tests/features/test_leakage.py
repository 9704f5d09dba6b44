"""No leakage and no skew: a snapshot depends only on data <= as_of, whichever path built it."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from feature_fleets import SPEC, T0, make_fleet, snapshot_grid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from forewarn.features.snapshots import build_snapshots, scoring_snapshot, summarize_history

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _alter_future(fleet, as_of, seed: int):
    """Perturb, drop and add readings and events strictly after ``as_of``."""
    rng = np.random.default_rng(seed)
    tel = fleet.telemetry
    future = pl.col("ts") > as_of
    noisy = tel.with_columns(
        pl.when(future).then(pl.col("temp") + 50.0).otherwise(pl.col("temp")).alias("temp"),
        pl.when(future).then(pl.lit("run")).otherwise(pl.col("mode")).alias("mode"),
    )
    extra_ts = [as_of + timedelta(minutes=int(m)) for m in rng.integers(1, 5000, 5)]
    extra = pl.DataFrame(
        {"asset_id": "a0", "ts": extra_ts, "temp": 1e6, "vib": -5.0, "mode": "new"},
        schema=tel.schema,
    )
    tel = pl.concat([noisy, extra]).unique(["asset_id", "ts"], keep="first")
    ev = pl.concat(
        [
            fleet.events,
            pl.DataFrame(
                {
                    "asset_id": ["a0", "a0"],
                    "ts": [as_of + timedelta(seconds=1), as_of + timedelta(hours=3)],
                    "kind": ["failure", "alarm"],
                    "component": ["bearing", None],
                    "code": [None, "E1"],
                },
                schema=fleet.events.schema,
            ),
        ]
    )
    return tel, ev


@FAST
@given(seed=st.integers(0, 2**32 - 1), day=st.integers(1, 10))
def test_snapshot_ignores_data_after_as_of(seed: int, day: int) -> None:
    fleet = make_fleet(seed)
    start, end, _ = snapshot_grid()
    as_of = T0 + timedelta(days=day)
    tel, ev, assets = fleet.lazy()
    full = build_snapshots(tel, ev, assets, start, end, SPEC).filter(pl.col("as_of") == as_of)
    absent = scoring_snapshot(
        tel.filter(pl.col("ts") <= as_of), ev.filter(pl.col("ts") <= as_of), assets, as_of, SPEC
    )
    alt_tel, alt_ev = _alter_future(fleet, as_of, seed)
    altered = scoring_snapshot(alt_tel.lazy(), alt_ev.lazy(), assets, as_of, SPEC)
    scored = scoring_snapshot(tel, ev, assets, as_of, SPEC)
    assert_frame_equal(full, scored, check_exact=True)
    assert_frame_equal(full, absent, check_exact=True)
    assert_frame_equal(full, altered, check_exact=True)


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_per_asset_features_do_not_depend_on_other_assets(seed: int) -> None:
    """Fleet-norm features (``z_fleet``) depend on the fleet by design; all others must not."""
    fleet = make_fleet(seed, n_assets=3)
    start, end, _ = snapshot_grid()
    tel, ev, assets = fleet.lazy()
    together = build_snapshots(tel, ev, assets, start, end, SPEC).filter(pl.col("asset_id") == "a1")
    only = [f.filter(pl.col("asset_id") == "a1") for f in (tel, ev, assets)]
    alone = build_snapshots(*only, start, end, SPEC)
    per_asset = [c for c in together.columns if "z_fleet" not in c]
    assert_frame_equal(together.select(per_asset), alone.select(per_asset), check_exact=True)


def test_unsorted_input_gives_the_same_snapshots() -> None:
    fleet = make_fleet(7, n_assets=3)
    start, end, _ = snapshot_grid()
    tel, ev, assets = fleet.lazy()
    base = build_snapshots(tel.sort("asset_id", "ts"), ev, assets, start, end, SPEC)
    shuffled = build_snapshots(
        tel.collect().sample(fraction=1.0, shuffle=True, seed=1).lazy(),
        ev.collect().reverse().lazy(),
        assets.collect().reverse().lazy(),
        start,
        end,
        SPEC,
    )
    assert_frame_equal(base, shuffled, check_exact=True)


@FAST
@given(seed=st.integers(0, 2**32 - 1), day=st.integers(2, 10), back=st.integers(0, 5))
def test_scoring_from_a_history_summary_is_identical(seed: int, day: int, back: int) -> None:
    """Old readings summarised once (``History``) give the same row as a full rebuild."""
    fleet = make_fleet(seed)
    start, end, _ = snapshot_grid()
    as_of = T0 + timedelta(days=day)
    tel, ev, assets = fleet.lazy()
    history = summarize_history(tel, ev, assets, as_of - timedelta(days=back), SPEC)
    full = build_snapshots(tel, ev, assets, start, end, SPEC).filter(pl.col("as_of") == as_of)
    recent = tel.filter(pl.col("ts") > history.until - timedelta(days=2))
    assert_frame_equal(
        full, scoring_snapshot(recent, ev, assets, as_of, SPEC, history=history), check_exact=True
    )


def test_history_off_the_bucket_grid_is_refused() -> None:
    fleet = make_fleet(2, n_assets=2)
    tel, ev, assets = fleet.lazy()
    history = summarize_history(tel, ev, assets, T0 + timedelta(days=3, hours=5), SPEC)
    with pytest.raises(ValueError, match="line up"):
        scoring_snapshot(tel, ev, assets, T0 + timedelta(days=6), SPEC, history=history)
