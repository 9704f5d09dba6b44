"""Baselines trained beside every LightGBM model, so "better" always has a reference.

- ``BucketMean`` as a prevalence/age heuristic: the failure rate of training
  snapshots of the same asset type and age decile ("pumps this old fail 4 % of weeks").
- ``BucketMean`` on the capped RUL as a mean-life heuristic: the mean remaining life
  of training snapshots of the same type and age (mean residual life; unlike a plain
  mean life it stays honest under censoring because it averages the capped target).
- ``LogisticBaseline``: a scikit-learn logistic regression on the numeric features.

All state is small and JSON-ready, so it is logged beside the run for inspection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from forewarn.models.slices import by_chunks

GROUP_COL = "asset_type"


class BucketMean:
    """Mean target per (asset type, age decile), shrunk towards the overall mean.

    Args:
        age_col: the age feature (e.g. ``hours_since_failure``); if the frame lacks it,
            buckets are by asset type only. Null ages form their own bucket.
        n_bins: number of age quantile bins.
        prior_rows: pseudo-rows of the overall mean added to each bucket, so a bucket
            with three snapshots cannot claim a 100 % failure rate.
    """

    def __init__(
        self, age_col: str = "hours_since_failure", n_bins: int = 10, prior_rows: float = 20.0
    ) -> None:
        self.age_col = age_col
        self.n_bins = n_bins
        self.prior_rows = prior_rows

    def fit(self, frame: pl.DataFrame, target: np.ndarray) -> BucketMean:
        """Learn bin edges on the training ages and the mean target per bucket."""
        target = np.asarray(target, dtype=np.float64)
        self.overall_ = float(target.mean())
        self.edges_: list[float] = []
        if self.age_col in frame.columns:
            age = frame.get_column(self.age_col).cast(pl.Float64).to_numpy()
            age = age[np.isfinite(age)]  # null and NaN ages have their own bucket
            qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
            self.edges_ = sorted(set(np.quantile(age, qs).tolist())) if age.size else []
        # numpy sums in row order; Polars' parallel group-by adds partial sums in an order
        # that varies from run to run (measured: 2 results in 300 runs differing in the
        # last bit), and a baseline must be reproducible to compare training paths.
        names, inverse = np.unique(np.asarray(self._keys(frame), dtype=object), return_inverse=True)
        sums = np.bincount(inverse, weights=target, minlength=len(names))
        counts = np.bincount(inverse, minlength=len(names))
        shrunk = (sums + self.prior_rows * self.overall_) / (counts + self.prior_rows)
        self.means_ = dict(zip(names.tolist(), shrunk.tolist(), strict=True))
        return self

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Bucket means for each row; unseen buckets get the overall mean."""
        keys = self._keys(frame)
        return np.array([self.means_.get(k, self.overall_) for k in keys], dtype=np.float64)

    def _keys(self, frame: pl.DataFrame) -> list[str]:
        group = (
            frame.get_column(GROUP_COL).cast(pl.String).fill_null("?").to_list()
            if GROUP_COL in frame.columns
            else ["*"] * frame.height
        )
        if self.age_col not in frame.columns:
            return group
        age = frame.get_column(self.age_col).cast(pl.Float64).to_numpy()
        bins = np.searchsorted(np.asarray(self.edges_), age, side="right")
        bins = np.where(np.isnan(age), -1, bins)
        return [f"{g}|{b}" for g, b in zip(group, bins.tolist(), strict=True)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (logged for inspection)."""
        return {
            "age_col": self.age_col,
            "edges": self.edges_,
            "overall": self.overall_,
            "means": self.means_,
        }


class LogisticBaseline:
    """Logistic regression on the numeric features (median-imputed, standardised).

    Missing-value indicators are added because a dead sensor is often a signal.

    Args:
        numeric_cols: numeric feature columns (categoricals are left to LightGBM).
        seed: run seed.
        c: inverse regularisation strength.
    """

    def __init__(self, numeric_cols: list[str], seed: int = 42, c: float = 1.0) -> None:
        self.numeric_cols = list(numeric_cols)
        self.seed = seed
        self.c = c

    def fit(self, frame: pl.DataFrame, y: np.ndarray) -> LogisticBaseline:
        """Fit the pipeline on the training rows."""
        self.pipeline_ = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(C=self.c, max_iter=500, random_state=self.seed),
        )
        self.pipeline_.fit(self._matrix(frame), np.asarray(y, dtype=int))
        return self

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        """Probability of the positive class (a chunk of rows at a time: the imputer's
        indicators and the scaler copy the matrix, four times the frame's floats)."""
        return by_chunks(frame, lambda part: self.pipeline_.predict_proba(self._matrix(part))[:, 1])

    def _matrix(self, frame: pl.DataFrame) -> np.ndarray:
        cols = [pl.col(c).cast(pl.Float64) for c in self.numeric_cols]
        return frame.select(cols).to_numpy().astype(np.float64, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready coefficients (logged for inspection)."""
        lr = self.pipeline_[-1]
        return {
            "numeric_cols": self.numeric_cols,
            "coef": lr.coef_[0].tolist(),
            "intercept": float(lr.intercept_[0]),
        }
