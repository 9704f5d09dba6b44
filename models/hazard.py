"""Discrete-time hazard model: P(fail within h) for several horizons from one LightGBM.

The risk model answers one question, "does it fail within H?". Planners also ask
"today?" and "within two weeks?". Horizons ``h_1 < … < h_K`` cut the future into
intervals; one booster learns the interval hazard

    lambda_k(x) = P(fail in (h_{k-1}, h_k] | no failure by h_{k-1}, snapshot x)

from one row per (snapshot, interval) with the interval's index as a feature, and

    P(fail within h_k | x) = 1 - prod_{i <= k} (1 - lambda_i(x)),

which rises with ``h`` by construction (separately trained classifiers can cross).

Censoring is honest: a snapshot gives a row for interval ``k`` only if it was still
running at ``h_{k-1}`` and either failed inside the interval or was observed to its end.
A snapshot whose data ends inside an interval stops contributing there (its exposure
is partial), so "no failure seen" never counts as "survived". Labels come from the
training frame's ``rul_hours`` / ``rul_censored`` columns, so no horizon may exceed
the RUL cap (beyond it the capped target no longer says when the failure came).

Negatives are sampled (as for the risk model) and the prior shift is undone exactly
on prediction: sampling negatives at rate ``r`` multiplies each row's odds by ``1/r``.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl

from forewarn.models.boosting import train_booster
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder
from forewarn.models.slices import by_chunks
from forewarn.models.splits import seeded_draw

INTERVAL = "hazard_interval"
"""The extra model input: index of the interval a row asks about (0 = the first)."""


def interval_rows(
    rul_hours: np.ndarray, censored: np.ndarray, horizons_h: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person-period rows of the discrete-time hazard: (snapshot, interval, failed in it).

    Args:
        rul_hours: hours to the next failure, or to the end of the data when censored
            (capped at no less than the last horizon).
        censored: no failure was seen after the snapshot.
        horizons_h: interval ends in hours, strictly increasing.

    Returns:
        ``(row, interval, label)`` arrays: the snapshot's position, the interval index
        and whether the failure fell inside that interval.
    """
    rul = np.asarray(rul_hours, dtype=np.float64)
    cens = np.asarray(censored, dtype=bool)
    rows, ks, labels = [], [], []
    lo = 0.0
    for k, hi in enumerate(horizons_h):
        failed_here = ~cens & (rul > lo) & (rul <= hi)
        survived = (~cens & (rul > hi)) | (cens & (rul >= hi))
        idx = np.flatnonzero(failed_here | survived)
        rows.append(idx)
        ks.append(np.full(idx.size, k, dtype=np.int64))
        labels.append(failed_here[idx])
        lo = hi
    return np.concatenate(rows), np.concatenate(ks), np.concatenate(labels)


def cumulative(hazards: np.ndarray) -> np.ndarray:
    """``(n, K)`` interval hazards → ``(n, K)`` P(fail within each horizon)."""
    return 1.0 - np.cumprod(1.0 - hazards, axis=1)


def unsample(p: np.ndarray, rate: float) -> np.ndarray:
    """Undo negative sampling at ``rate``: true odds = rate x odds seen in training."""
    if rate >= 1.0:
        return p
    odds = rate * p / np.maximum(1.0 - p, 1e-12)
    return odds / (1.0 + odds)


class HazardModel:
    """P(fail within h) for every configured horizon, from one LightGBM booster.

    Args:
        feature_cols: snapshot features (text columns are categorical).
        horizons_h: horizons in hours, strictly increasing.
        params: LightGBM settings.
        seed: run seed (booster and negative sampling).
        negative_rate: share of the (snapshot, interval) rows without a failure kept.
    """

    def __init__(
        self,
        feature_cols: list[str],
        horizons_h: tuple[float, ...],
        params: LightGBMParams | None = None,
        seed: int = 42,
        negative_rate: float = 1.0,
    ) -> None:
        if not horizons_h or any(b <= a for a, b in pairwise(horizons_h)):
            raise ValueError(f"horizons must be increasing and non-empty, got {horizons_h}")
        if not 0.0 < negative_rate <= 1.0:
            raise ValueError(f"negative_rate must lie in (0, 1], got {negative_rate}")
        self.feature_cols = list(feature_cols)
        self.horizons_h = tuple(float(h) for h in horizons_h)
        self.params = params if params is not None else LightGBMParams()
        self.seed = seed
        self.negative_rate = negative_rate

    def fit(self, frame: pl.DataFrame) -> HazardModel:
        """Train on a labelled frame (``rul_hours``, ``rul_censored``, ``asset_id``, ``as_of``).

        Raises:
            ValueError: a horizon beyond the frame's RUL cap, or no failure to learn from.
        """
        cap = frame.get_column("rul_hours").max()
        if cap is not None and self.horizons_h[-1] > float(cap):  # type: ignore[arg-type]
            raise ValueError(
                f"horizon {self.horizons_h[-1]:.0f} h exceeds the frame's longest RUL {cap} h: "
                "train on more history or drop the longest horizon"
            )
        row, k, y = interval_rows(
            frame.get_column("rul_hours").to_numpy(),
            frame.get_column("rul_censored").to_numpy(),
            self.horizons_h,
        )
        if self.negative_rate < 1.0:
            draw = frame.select(seeded_draw(self.seed)).to_series().to_numpy()
            # A draw per (snapshot, interval): shift the snapshot's draw by the golden ratio.
            u = np.modf(draw[row] + 0.6180339887498949 * k)[0]
            keep = y | (u < self.negative_rate)
            row, k, y = row[keep], k[keep], y[keep]
        if not y.any():
            raise ValueError(
                "no failure inside any hazard interval in the training rows: nothing to learn"
            )
        self.encoder_ = FeatureEncoder(self.feature_cols).fit(frame)
        x = self.encoder_.transform(frame, TRAINING_DTYPE)
        stacked = np.hstack([x[row], k[:, None].astype(TRAINING_DTYPE)])
        self.training_rows_ = stacked.shape[0]
        self.booster_ = train_booster(
            stacked,
            y.astype(np.float64),
            params=self.params,
            seed=self.seed,
            objective="binary",
            feature_names=[*self.feature_cols, INTERVAL],
            categorical=self.encoder_.categorical_indices_,
        )
        return self

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        """``(rows, horizons)`` P(fail within each horizon), rising along each row."""

        def part(chunk: pl.DataFrame) -> np.ndarray:
            x = self.encoder_.transform(chunk)
            hazards = np.column_stack(
                [
                    self.booster_.predict(np.hstack([x, np.full((x.shape[0], 1), float(k))]))
                    for k in range(len(self.horizons_h))
                ]
            )
            return cumulative(unsample(hazards, self.negative_rate)).ravel()

        return by_chunks(frame, part).reshape(frame.height, len(self.horizons_h))


__all__ = ["INTERVAL", "HazardModel", "cumulative", "interval_rows", "unsample"]
