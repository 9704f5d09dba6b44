"""The discrete-time hazard model: honest person-period rows, monotone horizons, real signal."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score

from forewarn.models.config import LightGBMParams
from forewarn.models.hazard import HazardModel, cumulative, interval_rows, unsample
from tests.models.conftest import FEATURES, make_snapshots

HORIZONS = (24.0, 72.0, 168.0)


def test_interval_rows_never_count_unseen_time_as_survival() -> None:
    rul = np.array([30.0, 10.0, 50.0, 1440.0, 200.0, 72.0])
    censored = np.array([False, False, True, True, False, True])
    row, k, y = interval_rows(rul, censored, HORIZONS)
    got = sorted(zip(row.tolist(), k.tolist(), y.tolist(), strict=True))
    assert got == [
        (0, 0, False),  # fails at 30 h: survived the first day,
        (0, 1, True),  # failed in (24, 72], and asks nothing after
        (1, 0, True),  # fails at 10 h
        (2, 0, False),  # data ends at 50 h: the first day was seen, (24, 72] was not
        (3, 0, False),  # watched for 60 days without a failure
        (3, 1, False),
        (3, 2, False),
        (4, 0, False),  # fails at 200 h, after the last horizon
        (4, 1, False),
        (4, 2, False),
        (5, 0, False),  # data ends exactly at 72 h: (24, 72] was seen to its end
        (5, 1, False),
    ]


def test_cumulative_probabilities_rise_and_unsampling_restores_odds() -> None:
    hazards = np.array([[0.1, 0.2, 0.5], [0.0, 0.0, 0.0]])
    cum = cumulative(hazards)
    np.testing.assert_allclose(cum[0], [0.1, 1 - 0.9 * 0.8, 1 - 0.9 * 0.8 * 0.5])
    assert (cum[1] == 0).all()
    seen = np.array([0.5, 0.2])  # odds 1 and 0.25 among rows with a quarter of negatives
    np.testing.assert_allclose(unsample(seen, 0.25), [0.2, 0.25 * 0.25 / 1.0625])
    assert unsample(seen, 1.0) is seen


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = make_snapshots(n_assets=60, n_days=200, seed=3)
    split = frame["as_of"].min() + (frame["as_of"].max() - frame["as_of"].min()) * 0.7
    return frame.filter(pl.col("as_of") <= split), frame.filter(pl.col("as_of") > split)


def _model(rate: float = 1.0) -> HazardModel:
    params = LightGBMParams(n_estimators=60, num_leaves=7, min_child_samples=20)
    return HazardModel(FEATURES, HORIZONS, params=params, seed=1, negative_rate=rate)


def test_predictions_rise_with_the_horizon_and_rank_failures(frames) -> None:
    train, valid = frames
    p = _model(rate=0.5).fit(train).predict_proba(valid)
    assert p.shape == (valid.height, 3)
    assert ((p >= 0) & (p <= 1)).all() and (np.diff(p, axis=1) >= 0).all()
    rul, censored = valid["rul_hours"].to_numpy(), valid["rul_censored"].to_numpy()
    for k, h in enumerate(HORIZONS):
        known = ~censored | (rul >= h)
        y = ~censored[known] & (rul[known] <= h)
        # The failure signal is learnable: far above the prevalence of a random ranking.
        assert average_precision_score(y, p[known, k]) > 3 * y.mean()


def test_sampled_negatives_keep_probabilities_on_scale(frames) -> None:
    train, valid = frames
    full = _model().fit(train).predict_proba(valid)[:, -1].mean()
    sampled = _model(rate=0.3).fit(train).predict_proba(valid)[:, -1].mean()
    assert sampled == pytest.approx(full, rel=0.25)


def test_bad_settings_and_data_fail_clearly(frames) -> None:
    train, _ = frames
    with pytest.raises(ValueError, match="increasing"):
        HazardModel(FEATURES, (72.0, 24.0))
    capped = train.with_columns(pl.col("rul_hours").clip(upper_bound=100.0))
    with pytest.raises(ValueError, match="exceeds the frame's longest RUL"):
        _model().fit(capped)
    healthy = train.with_columns(pl.lit(True).alias("rul_censored"))
    with pytest.raises(ValueError, match="no failure"):
        _model().fit(healthy)
