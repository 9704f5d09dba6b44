"""Remaining-useful-life model: a LightGBM point estimate plus quantile bounds.

Censoring choice (documented once, here): a snapshot whose asset has not failed by
the end of the observed data (``rul_censored``) only says "RUL is at least this
long". With a cap ``C`` the target is ``min(RUL, C)``, and a censored snapshot is
fully known when its censoring time already reaches ``C``; such rows are kept with
target ``C``. Censored rows below the cap are excluded. Training rows also need
their whole label window ``(as_of, as_of + C]`` to end before the split, so no
training label uses a failure that happens in the validation period; this keeps
the exclusion from biasing towards short lives (every kept row's fate up to the
cap is known). Without a cap, only failures observed before the split are used,
which biases towards short lives; the cap is therefore the default.

Quantile bounds and the atom at the cap: with a cap most targets equal it (92 % on the
quality benchmark), so LightGBM's quantile objective starts every row at the cap, where
all rows share one gradient; no split has any gain and the booster stops after one
constant tree (the 80 % interval was [cap, cap] for every row). The quantile boosters
therefore learn the target minus an origin just below the cap (``ATOM_OFFSET_HOURS``)
and start from it: rows at the cap then pull up, rows failing earlier pull down, and
trees can separate them. The origin is stored with the model and added back; a bound
above the origin means "at the cap" (the boosters approach the atom from below and stop
a hair short of it) and is set to the cap.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from forewarn.models.boosting import booster_from_text, gain_importance, train_booster
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder
from forewarn.models.intervals import IntervalCalibration
from forewarn.models.slices import PartRows, by_chunks

RUL_COL = "rul_hours"
CENSORED_COL = "rul_censored"
ATOM_OFFSET_HOURS = 1.0
"""The quantile boosters start this far below the cap (see the module docstring)."""


def rul_span() -> pl.Expr:
    """``rul_hours`` as a Polars duration (whole seconds), to add to ``as_of``."""
    return pl.duration(seconds=(pl.col(RUL_COL) * 3600).round(0).cast(pl.Int64))


def rul_target(cap_hours: float | None) -> pl.Expr:
    """Expression for the (capped) target; null where the row is not usable.

    A row is usable when its RUL is observed, or when it is censored at or beyond
    the cap (then its capped value is known to be the cap).
    """
    rul = pl.col(RUL_COL)
    censored = pl.col(CENSORED_COL).fill_null(True)
    if cap_hours is None:
        return pl.when(~censored).then(rul).otherwise(None)
    known = ~censored | (rul >= cap_hours)
    return pl.when(known).then(pl.min_horizontal(rul, pl.lit(cap_hours))).otherwise(None)


def rul_rows_filter(label_end: datetime, cap_hours: float | None) -> pl.Expr:
    """Filter for rows whose capped RUL is fully known by ``label_end`` (see
    ``rul_training_rows``); an expression, so it can be pushed into a Parquet scan."""
    if cap_hours is not None:
        # Leakage guard: the label window (as_of, as_of + cap] ends before the split.
        settled = pl.col("as_of") + timedelta(hours=cap_hours) <= label_end
    else:
        # Leakage guard: only failures that happened before the split are used.
        settled = pl.col("as_of") + rul_span() <= label_end
    return settled & rul_target(cap_hours).is_not_null()


def rul_training_rows(
    frame: pl.DataFrame, label_end: datetime, cap_hours: float | None
) -> tuple[pl.DataFrame, np.ndarray]:
    """Rows whose capped RUL is fully known by ``label_end``, and their targets.

    Args:
        frame: snapshots with ``as_of``, ``rul_hours`` and ``rul_censored``.
        label_end: the first instant the model must not learn from (split start).
        cap_hours: the RUL cap, or ``None`` for uncapped.
    """
    usable = frame.filter(rul_rows_filter(label_end, cap_hours))
    return usable, usable.select(rul_target(cap_hours)).to_series().to_numpy()


class RulModel:
    """Median RUL with lower and upper quantile models (three LightGBM quantile boosters).

    The median, not the mean, is the point estimate: with a cap most targets sit at
    the cap, so the conditional mean can fall below even the lower quantile, and an
    interval that does not contain its own point estimate confuses every planner.

    Args:
        feature_cols: model features; text columns are treated as categorical.
        params: LightGBM settings.
        quantiles: lower and upper quantile, e.g. ``(0.1, 0.9)`` for an 80 % interval.
        cap_hours: the target cap; predictions are clipped to ``[0, cap]``.
        seed: run seed.
    """

    def __init__(
        self,
        feature_cols: list[str],
        params: LightGBMParams | None = None,
        quantiles: tuple[float, float] = (0.1, 0.9),
        cap_hours: float | None = None,
        seed: int = 42,
    ) -> None:
        self.feature_cols = list(feature_cols)
        self.params = params if params is not None else LightGBMParams()
        self.quantiles = quantiles
        self.cap_hours = cap_hours
        self.seed = seed
        self.quantile_origin = 0.0 if cap_hours is None else cap_hours - ATOM_OFFSET_HOURS
        self.group_col = "asset_type"
        self.intervals_: IntervalCalibration | None = None

    def fit(self, frame: pl.DataFrame, target_hours: np.ndarray) -> RulModel:
        """Train the three boosters on the same rows and (capped) target."""
        if len(target_hours) == 0:
            raise ValueError(
                "no snapshot has a known RUL in the training window: "
                "add history or lower [model] rul_cap"
            )
        encoder = FeatureEncoder(self.feature_cols).fit(frame)
        return self.fit_encoded(encoder, encoder.transform(frame, TRAINING_DTYPE), target_hours)

    def fit_encoded(
        self, encoder: FeatureEncoder, x: np.ndarray | PartRows, target_hours: np.ndarray
    ) -> RulModel:
        """``fit`` on rows already encoded by the fitted ``encoder`` (``x``): the training
        slice of a big frame is encoded chunk by chunk (``models.slices``), never held as
        a frame and a matrix at once; or, for a trainer that reads Parquet parts on its
        workers (Dask), the slice's ``PartRows``."""
        if isinstance(x, PartRows):
            x = x.with_encoder(encoder)
        if len(target_hours) == 0:
            raise ValueError(
                "no snapshot has a known RUL in the training window: "
                "add history or lower [model] rul_cap"
            )
        self.encoder_ = encoder
        self.boosters_ = {
            # L1 is the median objective; LightGBM's quantile objective at alpha=0.5 stalls
            # when most targets tie at the cap (ties push up with full weight).
            "point": train_booster(x, target_hours, objective="regression_l1", **self._common()),
            **self.quantile_boosters(x, target_hours),
        }
        return self

    def _common(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "seed": self.seed,
            "feature_names": self.feature_cols,
            "categorical": self.encoder_.categorical_indices_,
        }

    def quantile_boosters(self, x: np.ndarray | PartRows, target_hours: np.ndarray) -> dict:
        """The ``low`` and ``high`` quantile boosters on encoded rows (also used on the
        folds of the cross-conformal calibration, ``models.rul_conformal``)."""
        low, high = self.quantiles
        # Quantile boosters start just below the atom at the cap (module docstring).
        shifted = np.asarray(target_hours, dtype=np.float64) - self.quantile_origin
        if isinstance(x, PartRows):  # the workers read the target: shift it there too
            xq: np.ndarray | PartRows = replace(x, target=x.target - self.quantile_origin)
        else:
            xq = x
        start = {"boost_from_average": False} if self.cap_hours is not None else {}
        common = self._common()
        return {
            "low": train_booster(xq, shifted, objective="quantile", alpha=low, **start, **common),
            "high": train_booster(xq, shifted, objective="quantile", alpha=high, **start, **common),
        }

    def raw_bounds(self, boosters: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated bounds of encoded rows from ``boosters`` (origin added, the atom
        at the cap restored, clipped to ``[0, cap]``)."""
        upper = np.inf if self.cap_hours is None else self.cap_hours
        bounds = np.column_stack(
            [boosters[k].predict(x) + self.quantile_origin for k in ("low", "high")]
        )
        if self.cap_hours is not None and self.quantile_origin > 0:
            # Bounds between the origin and the cap sit on the atom (module docstring).
            bounds = np.where(bounds > self.quantile_origin, upper, bounds)
        bounds = np.clip(bounds, 0.0, upper)
        return bounds[:, 0], bounds[:, 1]

    def groups_of(self, frame: pl.DataFrame) -> np.ndarray | None:
        """Each row's interval group (its asset type), or None when the frame has none."""
        if self.group_col not in frame.columns:
            return None
        return frame[self.group_col].cast(pl.String).fill_null("").to_numpy()

    def predict(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median RUL, lower and upper bound in hours, with ``low <= point <= high``.

        The bounds are widened (or narrowed) by the conformal offsets of each row's group
        when the model holds them (``intervals_``). Separately trained quantile models
        can cross; sorting each row's quantiles (rearrangement) restores a valid
        interval and never makes them worse.
        """

        def raw(part: pl.DataFrame) -> np.ndarray:
            x = self.encoder_.transform(part)
            low, high = self.raw_bounds(self.boosters_, x)
            if self.intervals_ is not None:
                offset = self.intervals_.offset_for(self.groups_of(part), part.height)
                low, high = low - offset, high + offset
            return np.column_stack([low, self.boosters_["point"].predict(x), high])

        preds = by_chunks(frame, raw)  # a chunk of rows at a time
        upper = np.inf if self.cap_hours is None else self.cap_hours
        preds = np.sort(np.clip(preds, 0.0, upper), axis=1)
        return preds[:, 1], preds[:, 0], preds[:, 2]

    def at_cap(self, point: np.ndarray) -> np.ndarray:
        """True where the median reaches the cap: the life is "more than <cap>", not a
        number that looks exact (the store's ``rul_censored``)."""
        if self.cap_hours is None:
            return np.zeros(len(point), dtype=bool)
        return np.asarray(point) >= self.cap_hours - 1e-9

    def feature_importance(self) -> dict[str, float]:
        """Total gain per feature of the median model."""
        return gain_importance(self.boosters_["point"], self.feature_cols)

    def to_state(self) -> tuple[dict[str, str], dict[str, Any]]:
        """Text model per booster and a JSON-ready dict of everything else."""
        texts = {name: b.model_to_string() for name, b in self.boosters_.items()}
        meta = {
            "kind": "rul",
            "feature_cols": self.feature_cols,
            "params": self.params.model_dump(),
            "quantiles": list(self.quantiles),
            "cap_hours": self.cap_hours,
            "quantile_origin": self.quantile_origin,
            "seed": self.seed,
            "encoder": self.encoder_.to_dict(),
            "group_col": self.group_col,
            "intervals": None if self.intervals_ is None else self.intervals_.to_dict(),
        }
        return texts, meta

    @classmethod
    def from_state(cls, texts: dict[str, str], meta: dict[str, Any]) -> RulModel:
        """Rebuild a fitted model from :meth:`to_state` output."""
        low, high = meta["quantiles"]
        model = cls(
            meta["feature_cols"],
            LightGBMParams(**meta["params"]),
            (low, high),
            meta["cap_hours"],
            meta["seed"],
        )
        # Models saved before the origin existed learned the target itself.
        model.quantile_origin = float(meta.get("quantile_origin", 0.0))
        model.encoder_ = FeatureEncoder.from_dict(meta["encoder"])
        model.boosters_ = {name: booster_from_text(text) for name, text in texts.items()}
        model.group_col = str(meta.get("group_col", "asset_type"))
        intervals = meta.get("intervals")
        model.intervals_ = None if intervals is None else IntervalCalibration.from_dict(intervals)
        return model
