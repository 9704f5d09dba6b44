"""Encoder, calibration, baselines, RUL rows and bundles: small, direct checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forewarn.models.baselines import BucketMean, LogisticBaseline
from forewarn.models.bundle import find_bundle, load_bundle, save_bundle
from forewarn.models.calibration import Calibrator
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import FeatureEncoder, FeatureProfile
from forewarn.models.metrics import calibration_table, expected_calibration_error
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel, rul_training_rows
from forewarn.models.training import TrainingResult


def test_encoder_maps_unseen_and_null_levels_to_missing() -> None:
    train = pl.DataFrame({"asset_type": ["pump", "fan", None], "x": [1.0, None, 3.0]})
    enc = FeatureEncoder(["asset_type", "x"]).fit(train)
    assert enc.levels_ == {"asset_type": ["fan", "pump"]} and enc.categorical_indices_ == [0]
    new = pl.DataFrame({"asset_type": ["fan", "press", None], "x": [5.0, 6.0, None]})
    out = enc.transform(new)
    assert out[0, 0] == 0.0 and np.isnan(out[1, 0]) and np.isnan(out[2, 0])
    assert out[1, 1] == 6.0 and np.isnan(out[2, 1])
    again = FeatureEncoder.from_dict(enc.to_dict())
    np.testing.assert_array_equal(again.transform(new), out)


def test_profile_statistics_match_numpy() -> None:
    values = np.arange(1.0, 101.0)
    profile = FeatureProfile().fit(pl.DataFrame({"v": values}), ["v"])
    stats = profile.get("v")
    assert stats["median"] == pytest.approx(np.median(values))
    assert stats["p90"] == pytest.approx(np.quantile(values, 0.9))
    assert profile.get("unknown")["median"] is None


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_repairs_overconfident_scores(method: str) -> None:
    rng = np.random.default_rng(0)
    true_p = rng.uniform(0, 0.3, 20_000)
    y = rng.random(true_p.size) < true_p
    raw = np.clip(true_p * 3, 0, 1)  # overconfident by a factor of three
    cal = Calibrator(method).fit(raw, y)
    before = expected_calibration_error(calibration_table(y, raw, 10))
    after = expected_calibration_error(calibration_table(y, cal.predict(raw), 10))
    assert after < before / 3
    again = Calibrator.from_dict(cal.to_dict())
    np.testing.assert_allclose(again.predict(raw), cal.predict(raw))


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_keeps_the_ranking(method: str) -> None:
    # A step-function isotonic map ties whole blocks of scores: ranking metrics drop.
    rng = np.random.default_rng(1)
    true_p = 1e-4 + rng.beta(0.3, 20.0, 20_000)
    y = rng.random(true_p.size) < true_p
    raw = np.clip(true_p * 3, 0, 1)
    new = rng.permutation(raw)
    calibrated = Calibrator(method).fit(raw, y).predict(new)
    distinct = np.unique(new).size
    assert np.unique(calibrated).size == distinct
    order = np.argsort(new, kind="stable")
    assert np.all(np.diff(calibrated[order]) >= 0)
    assert np.all((calibrated >= 0) & (calibrated <= 1))


def test_calibration_without_positives_is_refused() -> None:
    with pytest.raises(ValueError, match=r"widen \[model\] calibration_window in the experiment"):
        Calibrator("isotonic").fit(np.array([0.1, 0.2]), np.array([False, False]))


def test_risk_model_refuses_zero_positives(snapshots: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="no positive 'fails_within_7d'"):
        RiskModel(["vibration_rms__mean_7d"]).fit(snapshots, np.zeros(snapshots.height))


def test_bucket_mean_shrinks_small_buckets() -> None:
    frame = pl.DataFrame({"asset_type": ["a"] * 100 + ["b"] * 2, "age": [1.0] * 102})
    y = np.array([0.0] * 100 + [1.0] * 2)
    model = BucketMean("age", prior_rows=20).fit(frame, y)
    p = model.predict(pl.DataFrame({"asset_type": ["a", "b", "zzz"], "age": [1.0, 1.0, None]}))
    assert p[0] < 0.02 and 0.02 < p[1] < 0.2 and p[2] == pytest.approx(model.overall_)


def test_bucket_mean_age_bins_ignore_nan_ages() -> None:
    """NaN ages (no failure on record, after a pandas/numpy round trip) are their own
    bucket; they must not turn every age edge into NaN."""
    age = [float("nan")] * 50 + list(np.arange(50.0))
    frame = pl.DataFrame({"asset_type": ["a"] * 100, "age": age}, nan_to_null=False)
    y = np.array([0.0] * 50 + [0.0] * 25 + [1.0] * 25)
    model = BucketMean("age", n_bins=2, prior_rows=0).fit(frame, y)
    assert model.edges_ == [24.5]
    p = model.predict(pl.DataFrame({"asset_type": ["a"] * 3, "age": [float("nan"), 1.0, 40.0]}))
    assert p.tolist() == [0.0, 0.0, 1.0]


def test_logistic_baseline_learns_a_linear_signal(snapshots: pl.DataFrame) -> None:
    known = snapshots.filter(pl.col("fails_within_7d").is_not_null())
    model = LogisticBaseline(["vibration_rms__mean_7d", "temperature__mean_7d"]).fit(
        known, known["fails_within_7d"].to_numpy()
    )
    p = model.predict_proba(known)
    y = known["fails_within_7d"].to_numpy()
    assert p[y].mean() > 3 * p[~y].mean()


def test_rul_rows_are_known_by_the_split_and_capped(snapshots: pl.DataFrame) -> None:
    end = snapshots["as_of"].min() + timedelta(days=150)
    rows, target = rul_training_rows(snapshots, end, cap_hours=720.0)
    # Leakage guard: every kept label window (as_of, as_of + cap] closes before the split.
    assert (rows["as_of"] + timedelta(hours=720) <= end).all()
    assert target.max() <= 720.0 and target.min() >= 0.0
    # Censored rows are kept only when already censored beyond the cap.
    censored = rows.filter(pl.col("rul_censored"))
    assert (censored["rul_hours"] >= 720.0).all()
    uncapped, _ = rul_training_rows(snapshots, end, cap_hours=None)
    assert not uncapped["rul_censored"].any()
    lives = (uncapped["rul_hours"] * 3600 * 1000).cast(pl.Int64).cast(pl.Duration("ms"))
    failure = uncapped["as_of"] + lives
    assert (failure <= end).all()  # only failures seen before the split


def test_rul_interval_is_ordered_and_within_cap(trained: TrainingResult) -> None:
    point, low, high = trained.rul.predict(trained.validation)
    assert (low <= point).all() and (point <= high).all()
    assert low.min() >= 0 and high.max() <= 720.0


def test_rul_interval_opens_below_the_cap_where_failures_come() -> None:
    # Most targets sit at the cap: the quantile boosters must still learn (they used to
    # stop after one constant tree, giving [cap, cap] everywhere).
    rng = np.random.default_rng(3)
    cap = 720.0
    x = rng.random(20_000)
    fails = (x > 0.8) & (rng.random(x.size) < 0.5)
    target = np.where(fails, rng.uniform(0.0, cap, x.size), cap)
    frame = pl.DataFrame({"x": x})
    params = LightGBMParams(n_estimators=100, num_leaves=7, min_child_samples=200)
    model = RulModel(["x"], params, (0.1, 0.9), cap_hours=cap).fit(frame, target)
    _, low, high = model.predict(frame)
    assert np.median(low[x > 0.8]) < 0.5 * cap and np.median(low[x < 0.5]) > 0.95 * cap
    short = target < cap
    inside = (target >= low) & (target <= high)
    assert inside[short].mean() > 0.6 and inside[~short].mean() > 0.99
    again = RulModel.from_state(*model.to_state())
    np.testing.assert_allclose(again.predict(frame)[1], low)


def test_bundles_round_trip_without_pickle(trained: TrainingResult, tmp_path: Path) -> None:
    frame = trained.validation
    for model, name in ((trained.risk, "risk"), (trained.rul, "rul")):
        folder = save_bundle(model, tmp_path / "deep" / name)
        assert {p.suffix for p in folder.iterdir()} == {".txt", ".json"}
        loaded = load_bundle(find_bundle(tmp_path / "deep" / name))
        assert type(loaded) is type(model)
    risk = load_bundle(tmp_path / "deep" / "risk")
    np.testing.assert_allclose(risk.predict_proba(frame), trained.risk.predict_proba(frame))
    rul = load_bundle(tmp_path / "deep" / "rul")
    assert isinstance(rul, RulModel)
    np.testing.assert_allclose(rul.predict(frame)[0], trained.rul.predict(frame)[0])
