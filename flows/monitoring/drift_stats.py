"""Drift statistics: one fixed distance per column type, thresholds calibrated on training.

Why this method. Evidently's default switches test with sample size (KS / chi-squared
p-values up to 1,000 rows, distances above), so the same shift is "drift" on a 300-asset
fleet and "no drift" on a 3,000-asset one, and any p-value flags a negligible shift once
the fleet is large. We therefore fix the method per column type whatever the size:

- numeric: Wasserstein-1 distance divided by the reference standard deviation (Evidently's
  ``wasserstein``), an effect size in "reference std" units;
- categorical: Jensen-Shannon distance (Evidently's ``jensenshannon``), in [0, 1].

A fixed effect-size threshold alone is still wrong in two ways, both measured on the
synthetic fleets: a night's cross-section of 30-50 assets of one type has a sampling noise
of 0.1-0.3 std on its own, and sensors wander with seasons and weather inside the training
window. So each column's threshold is ``max(threshold, noise_margin x floor)``, where
``floor`` is the largest distance between one training night and the pooled reference, for
the same scope (fleet, asset type, plant) and so at about the same sample size. A column
drifts when tonight moves further from the reference than any training night did.

What this cannot see: a shift smaller than the training window's own seasonal and weather
swing (measured: a +5 °C recalibration of some machines, a +6 °C warm hall), because the
floor had to accept that swing. The step detector (``step``) judges those against the
recent past instead.
Distances here use a quantile grid (``GRID`` points), which is Wasserstein-1 up to the grid's
resolution and lets a whole feature matrix be scored with one sort per column.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

GRID = 200
"""Quantile points used to approximate Wasserstein-1 (error well under 1 % of a std)."""
MIN_STD = 0.001
"""Same floor on the reference std as Evidently, so constant columns do not divide by 0."""
_U = (np.arange(GRID) + 0.5) / GRID


def as_matrix(frame: pl.DataFrame, columns: list[str]) -> np.ndarray:
    """Numeric columns as a float64 matrix, nulls as NaN."""
    if not columns:
        return np.empty((frame.height, 0))
    return frame.select(pl.col(c).cast(pl.Float64) for c in columns).to_numpy().astype(float)


def quantiles(matrix: np.ndarray) -> np.ndarray:
    """Per-column quantile function on ``GRID`` points (NaN for all-null columns)."""
    if matrix.shape[0] == 0:
        return np.full((GRID, matrix.shape[1]), np.nan)
    finite = ~np.isnan(matrix)
    out = np.full((GRID, matrix.shape[1]), np.nan)
    full = finite.all(axis=0)
    if full.any():
        out[:, full] = np.quantile(matrix[:, full], _U, axis=0)
    partial = ~full & finite.any(axis=0)
    if partial.any():  # one vectorised call: a loop per column costs more than the sort
        out[:, partial] = np.nanquantile(matrix[:, partial], _U, axis=0)
    return out


class Reference:
    """Quantile functions and spreads of the reference, computed once per scope."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.q = quantiles(matrix)
        with np.errstate(invalid="ignore"):
            std = np.nanstd(matrix, axis=0) if matrix.shape[0] else np.full(matrix.shape[1], 0.0)
        self.scale = np.maximum(np.nan_to_num(std, nan=0.0), MIN_STD)

    def distance(self, matrix: np.ndarray) -> np.ndarray:
        """Normed Wasserstein-1 of each column of ``matrix`` from the reference (NaN: no data)."""
        return np.mean(np.abs(quantiles(matrix) - self.q), axis=0) / self.scale


def normed_wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """One column's normed Wasserstein-1 distance (NaN when either side has no values)."""
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if ref.size == 0 or cur.size == 0:
        return math.nan
    return float(Reference(ref[:, None]).distance(cur[:, None])[0])


def jensen_shannon(reference: pl.Series, current: pl.Series) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of two categorical samples."""
    ref = reference.drop_nulls().cast(pl.String).value_counts()
    cur = current.drop_nulls().cast(pl.String).value_counts()
    if ref.height == 0 or cur.height == 0:
        return math.nan
    cols = ref.columns
    joined = ref.join(cur, on=cols[0], how="full", coalesce=True, suffix="_c").fill_null(0)
    p = joined[cols[1]].to_numpy().astype(float)
    q = joined[f"{cols[1]}_c"].to_numpy().astype(float)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    return float(math.sqrt(max((_kl(p, m) + _kl(q, m)) / 2, 0.0)))


def _kl(a: np.ndarray, m: np.ndarray) -> float:
    """Kullback-Leibler divergence (bits) of ``a`` from the mixture ``m`` (m > 0 where a > 0)."""
    mask = a > 0
    return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))


def noise_floor(
    reference: Reference, nights: pl.DataFrame, columns: list[str], night_col: str = "as_of"
) -> np.ndarray:
    """Largest distance of any one night's rows from the pooled reference, per column.

    Args:
        reference: the pooled reference of the scope.
        nights: full cross-sections of a few training nights, same scope.
        columns: numeric columns, in the reference's order.
        night_col: column naming the night.

    Returns:
        One floor per column (0 where no night had data).
    """
    floor = np.zeros(len(columns))
    for part in nights.partition_by(night_col, maintain_order=True):
        dist = reference.distance(as_matrix(part, columns))
        floor = np.fmax(floor, np.nan_to_num(dist, nan=0.0))
    return floor


def thresholds(floor: np.ndarray, threshold: float, margin: float) -> np.ndarray:
    """Per-column thresholds: the effect-size floor, raised above the measured noise."""
    return np.maximum(threshold, margin * floor)
