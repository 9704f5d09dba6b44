"""The oracle's maths against references, and its calibration against the simulator."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from synth_helpers import labelled_days

from forewarn.synthetic import Fleet
from forewarn.synthetic.oracle import first_passage_cdf, norm_cdf


def test_norm_cdf_matches_erf() -> None:
    y = np.linspace(-9, 9, 301)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in y])
    np.testing.assert_allclose(norm_cdf(y), ref, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "mu", "sigma"), [(1.0, 0.002, 0.015), (0.05, 0.01, 0.03), (0.6, 0.001, 0.002)]
)
def test_first_passage_is_the_inverse_gaussian_cdf(x: float, mu: float, sigma: float) -> None:
    mean, shape = x / mu, x**2 / sigma**2
    tau = np.linspace(0.0, 3 * mean, 200)
    ref = stats.invgauss.cdf(tau, mean / shape, scale=shape)
    got = first_passage_cdf(tau, np.full_like(tau, x), mu, sigma)
    np.testing.assert_allclose(got, ref, atol=2e-6)


def test_first_passage_is_certain_at_or_beyond_the_barrier() -> None:
    got = first_passage_cdf(np.array([0.0, 1.0]), np.array([0.0, -0.1]), 0.01, 0.02)
    np.testing.assert_array_equal(got, [1.0, 1.0])


def test_probabilities_are_valid_and_grow_with_the_horizon(year_fleet: Fleet) -> None:
    p = year_fleet.truth.select("p_fail_1d", "p_fail_3d", "p_fail_7d", "p_fail_14d").to_numpy()
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    assert (np.diff(p, axis=1) >= 0).all()


def test_oracle_totals_match_observed_failures(year_fleet: Fleet) -> None:
    for days in (1, 7, 14):
        lab = labelled_days(year_fleet, days)
        expected, observed = float(lab["p"].sum()), int(lab["hit"].sum())
        assert observed > 100
        assert abs(observed - expected) / expected < 0.08, (days, expected, observed)


def test_oracle_p7_is_calibrated_in_bins(year_fleet: Fleet) -> None:
    lab = labelled_days(year_fleet, 7)
    edges = [0.0, 0.01, 0.05, 0.2, 0.5, 1.0]
    for lo, hi in itertools.pairwise(edges):
        b = lab.filter((pl.col("p") > lo) & (pl.col("p") <= hi) if lo else pl.col("p") <= hi)
        pred, obs, n = float(b["p"].mean()), float(b["hit"].mean()), b.height
        # Consecutive days of one asset share a label; count three days as one observation.
        se = math.sqrt(pred * (1 - pred) / max(n / 3, 1))
        assert abs(obs - pred) <= 3 * se + 0.05 * pred, (lo, hi, n, pred, obs)


def test_oracle_separates_failing_from_healthy_days(year_fleet: Fleet) -> None:
    lab = labelled_days(year_fleet, 7)
    pos = lab.filter(pl.col("hit"))["p"].to_numpy()
    neg = lab.filter(~pl.col("hit"))["p"].to_numpy()
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, [pos.size, neg.size], size=(20_000, 2))
    auc = float(np.mean(pos[pairs[:, 0]] > neg[pairs[:, 1]]))
    assert auc > 0.85
