"""RUL intervals calibrated out of sample (cross-conformal), and the coverage warning."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from forewarn.models.config import LightGBMParams
from forewarn.models.intervals import IntervalCalibration, conformal_quantile, conformity_scores
from forewarn.models.rul import RulModel
from forewarn.models.rul_conformal import asset_folds
from forewarn.models.training import TrainingResult, train_models
from tests.models.conftest import FEATURES, make_snapshots, small_config

# Deep trees on few assets learn each asset's life: raw quantile bounds are then far
# too narrow on assets they never saw (0.61 at a nominal 0.80 on this fleet).
OVERFIT = LightGBMParams(
    n_estimators=150,
    num_leaves=63,
    min_child_samples=3,
    learning_rate=0.2,
    feature_fraction=1.0,
    bagging_fraction=1.0,
)


@pytest.fixture(scope="module")
def small_fleet() -> pl.DataFrame:
    return make_snapshots(n_assets=24)


def _fit(frame: pl.DataFrame, **overrides: object) -> TrainingResult:
    cfg = small_config(cv_folds=0, refit=False, rul_lightgbm=OVERFIT, **overrides)
    return train_models(frame, FEATURES, cfg)


def test_conformal_quantile_is_the_finite_sample_order_statistic() -> None:
    scores = np.arange(1.0, 10.0)  # 9 rows: ceil(10 * 0.8) = 8th smallest
    assert conformal_quantile(scores, 0.8) == 8.0
    assert math.isinf(conformal_quantile(np.array([1.0, 2.0]), 0.8))  # too few rows
    assert conformity_scores(np.array([2.0]), np.array([5.0]), np.array([7.0]))[0] == 2.0
    assert conformity_scores(np.array([2.0]), np.array([5.0]), np.array([3.0]))[0] == -1.0


def test_each_asset_type_with_enough_rows_gets_its_own_offset() -> None:
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(0, 1, 400), rng.normal(10, 1, 400), rng.normal(0, 1, 50)]
    groups = np.array(["calm"] * 400 + ["wild"] * 400 + ["rare"] * 50)
    cal = IntervalCalibration.fit(scores, groups, 0.8, min_rows=200)
    assert set(cal.offsets) == {"calm", "wild"}  # "rare" uses the pooled offset
    assert cal.offsets["wild"] > cal.offsets["calm"] + 8
    offsets = cal.offset_for(np.array(["calm", "wild", "rare"]), 3)
    assert offsets[2] == cal.pooled
    back = IntervalCalibration.from_dict(cal.to_dict())
    assert back.offsets == cal.offsets and back.pooled == cal.pooled


def test_asset_folds_never_split_an_asset() -> None:
    assets = np.array(["a", "b", "c", "d", "e", "a", "b", "c"])
    folds = asset_folds(assets, 3, seed=1)
    for asset in set(assets):
        assert len(set(folds[assets == asset])) == 1
    assert sorted(np.bincount(folds[:5])) == [1, 2, 2]


@pytest.mark.slow
def test_calibrated_interval_holds_its_nominal_coverage_on_validation(
    small_fleet: pl.DataFrame,
) -> None:
    raw = _fit(small_fleet, rul_interval_folds=0).model_metrics("rul")
    calibrated = _fit(small_fleet).model_metrics("rul")
    assert raw["interval_coverage"] < 0.7  # the failure the calibration is there to fix
    assert abs(calibrated["interval_coverage"] - 0.8) <= 0.1
    assert calibrated["interval_width_hours"] > raw["interval_width_hours"]


@pytest.mark.slow
def test_training_warns_when_validation_coverage_is_off(small_fleet: pl.DataFrame) -> None:
    result = _fit(small_fleet, rul_interval_folds=0)
    warnings = [n for n in result.notes if n.startswith("WARNING: RUL interval covers")]
    assert len(warnings) == 1 and "nominal 0.80" in warnings[0] and "too narrow" in warnings[0]
    assert not any("RUL interval" in n for n in _fit(small_fleet).notes)


def test_interval_offsets_survive_the_saved_state(trained: TrainingResult) -> None:
    texts, meta = trained.rul.to_state()
    back = RulModel.from_state(texts, meta)
    assert back.intervals_ is not None and back.intervals_.offsets == trained.rul.intervals_.offsets
    frame = trained.rul_validation
    for ours, theirs in zip(trained.rul.predict(frame), back.predict(frame), strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_a_median_at_the_cap_reads_as_more_than_the_cap(trained: TrainingResult) -> None:
    point, low, high = trained.rul.predict(trained.rul_validation)
    flags = trained.rul.at_cap(point)
    cap = trained.rul.cap_hours
    assert flags.any() and (point[flags] >= cap - 1e-9).all() and (point[~flags] < cap).all()
    assert (low <= point).all() and (point <= high).all()
