"""Turn a snapshot frame into the numeric matrix the models see, and remember how.

The encoder owns the categorical encoding (``asset_type``, ``plant``, ``line``):
levels are stored at fit, unseen or null levels become missing at predict time,
so a plant that opens after training cannot crash or silently shift scoring.
Fleet statistics per feature are stored beside it for planner-language explanations.
Both serialise to plain JSON (no pickle).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

_CATEGORICAL_TYPES = (pl.String, pl.Categorical, pl.Enum)

TRAINING_DTYPE = np.float32
"""Boosters train on float32 matrices: half the memory of float64 (the 10k-asset RUL
matrix, 1.8M x 283, is 2.0 GB instead of 4.1 GB). LightGBM bins each feature (at most
255 bins) and places thresholds between binned values, so the float32 rounding of the
training values (relative 6e-8) can move a threshold by about that much and no more.
Predictions encode float64, as nightly scoring does."""


def is_categorical(dtype: pl.DataType) -> bool:
    """True for text-like columns that LightGBM must treat as categories."""
    return isinstance(dtype, _CATEGORICAL_TYPES) or dtype == pl.String


class FeatureEncoder:
    """Map feature columns to a float matrix with stable categorical codes.

    Args:
        feature_cols: the model's features, in the order the matrix uses.
    """

    def __init__(self, feature_cols: list[str] | tuple[str, ...]) -> None:
        self.feature_cols = list(feature_cols)

    def fit(self, frame: pl.DataFrame | pl.LazyFrame) -> FeatureEncoder:
        """Record which features are categorical and the levels seen in training.

        A ``LazyFrame`` (a scan of the training frame's parts) reads the categorical
        columns only, so the levels of a frame too big for memory cost one narrow pass.
        """
        schema = frame.collect_schema()
        missing = [c for c in self.feature_cols if c not in schema]
        if missing:
            raise ValueError(f"feature columns missing from the training frame: {missing}")
        cats = [c for c in self.feature_cols if is_categorical(schema[c])]
        seen = frame.lazy().select(pl.col(c).cast(pl.String).unique().implode() for c in cats)
        row = seen.collect(engine="streaming").row(0, named=True) if cats else {}
        self.levels_: dict[str, list[str]] = {
            c: sorted(v for v in row[c] if v is not None) for c in cats
        }
        return self

    @property
    def categorical_indices_(self) -> list[int]:
        """Column positions of categorical features in the encoded matrix."""
        return [i for i, c in enumerate(self.feature_cols) if c in self.levels_]

    def transform(self, frame: pl.DataFrame, dtype: type = np.float64) -> np.ndarray:
        """Encode ``frame``; categories become codes, unseen levels NaN.

        ``dtype``: float64 for predictions; boosters train on ``TRAINING_DTYPE``.
        """
        return frame.select(self.exprs()).to_numpy().astype(dtype, copy=False)

    def exprs(self) -> list[pl.Expr]:
        """One Float64 expression per feature, in matrix order (usable inside a scan)."""
        return [self._expr(col) for col in self.feature_cols]

    def _expr(self, col: str) -> pl.Expr:
        if col not in self.levels_:
            return pl.col(col).cast(pl.Float64)
        levels = self.levels_[col]
        return (
            pl.col(col)
            .cast(pl.String)
            .replace_strict(levels, list(range(len(levels))), default=None)
            .cast(pl.Float64)
            .alias(col)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"feature_cols": self.feature_cols, "levels": self.levels_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureEncoder:
        """Rebuild a fitted encoder from :meth:`to_dict` output."""
        encoder = cls(state["feature_cols"])
        encoder.levels_ = {k: list(v) for k, v in state["levels"].items()}
        return encoder


class FeatureProfile:
    """Training-distribution statistics per numeric feature.

    Explanations compare an asset's value with these ("4.1 vs fleet median 2.2"),
    so they must come from the training data the model learned from.
    """

    def fit(self, frame: pl.DataFrame, numeric_cols: list[str]) -> FeatureProfile:
        """Store median, 10th/90th percentiles, mean and std of each column."""
        self.stats_: dict[str, dict[str, float | None]] = {}
        for col in numeric_cols:
            values = frame.get_column(col).cast(pl.Float64).drop_nulls().drop_nans()
            self.stats_[col] = _summary(values)
        return self

    def get(self, col: str) -> dict[str, float | None]:
        """Statistics for ``col`` (all ``None`` if the column was never seen)."""
        return self.stats_.get(col, _summary(pl.Series(col, [], dtype=pl.Float64)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        return {"stats": self.stats_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureProfile:
        """Rebuild a fitted profile from :meth:`to_dict` output."""
        profile = cls()
        profile.stats_ = {k: dict(v) for k, v in state["stats"].items()}
        return profile


def _summary(values: pl.Series) -> dict[str, float | None]:
    if values.len() == 0:
        return {"median": None, "p10": None, "p90": None, "mean": None, "std": None}
    return {
        "median": float(values.median()),
        "p10": float(values.quantile(0.1, interpolation="linear")),
        "p90": float(values.quantile(0.9, interpolation="linear")),
        "mean": float(values.mean()),
        "std": float(values.std()) if values.len() > 1 else 0.0,
    }
