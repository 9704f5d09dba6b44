"""Which part fails: P(component | failure within H), so the list can say "bearing, 62 %".

The overall risk model answers *whether* an asset fails within the horizon; this model
answers *which component* it will be, given that it fails. It is a multi-class LightGBM
fitted on the positive training rows only (the snapshots that fail within H), with
the component of each failure as its class. Per-component risk is then

    P(component c fails within H) = P(any failure within H) x P(c | failure within H)

which keeps the components consistent with the calibrated overall probability by
construction: they sum to it, none exceeds it, and the overall ranking (and so the
nightly list and its promotion metric) is untouched. Chosen over one binary booster per
component by measurement (``benchmarks/bench_components.py``): separately calibrated
per-component boosters need a positive-rich calibration window *per component* and give
a P(any) that disagrees with their own parts, while the conditional model learns from
every failure at once.

A snapshot whose horizon holds failures of several components is a positive example of
each (one row per component). Failures with no listed component (or none at all) form
the ``unspecified`` class, so the named components' shares stay honest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from forewarn.models.boosting import booster_from_text, train_booster, trained_here
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import FeatureEncoder

UNSPECIFIED = "unspecified"
"""Class of failures whose component is not one of the listed components."""

MIN_POSITIVES = 10
"""Fewer positive rows than this: no booster, the shares are the training frequencies."""


def component_label_columns(columns: list[str] | tuple[str, ...], label_col: str) -> list[str]:
    """The per-component label columns of ``label_col`` (``{label}__{component}``), in order."""
    prefix = f"{label_col}__"
    return [c for c in columns if c.startswith(prefix) and len(c) > len(prefix)]


def _params_for(base: LightGBMParams, positives: int) -> LightGBMParams:
    """Leaf sizes that fit a few hundred positives (the risk model's sizes are set for
    hundreds of thousands of rows and would make this booster constant)."""
    return base.model_copy(
        update={
            "num_leaves": min(base.num_leaves, 15),
            "min_child_samples": max(3, min(base.min_child_samples, positives // 20)),
            "n_estimators": min(base.n_estimators, 200),
            "learning_rate": max(base.learning_rate, 0.05),
            "bagging_fraction": 1.0,
            "bagging_freq": 0,
        }
    )


class ComponentModel:
    """Multi-class share of the failure risk per component.

    Args:
        components: the listed components (from ``[labels] components``), in order.
        params: the risk model's LightGBM settings; leaf sizes are scaled to the
            number of positive rows.
        seed: run seed.
    """

    def __init__(
        self, components: list[str], params: LightGBMParams | None = None, seed: int = 42
    ) -> None:
        self.components = list(components)
        self.params = params if params is not None else LightGBMParams()
        self.seed = seed

    def fit(self, positives: pl.DataFrame, labels: np.ndarray, encoder: FeatureEncoder):
        """Fit on positive rows.

        Args:
            positives: the training rows that fail within the horizon.
            labels: boolean matrix ``(rows, components)``: which listed components
                fail within the horizon of each row.
            encoder: the risk model's fitted encoder (same features, same codes).

        Returns:
            ``self``.
        """
        labels = np.asarray(labels, dtype=bool).reshape(positives.height, len(self.components))
        rows, classes = _expand(labels)
        names = [*self.components, UNSPECIFIED]
        present = sorted(set(classes.tolist()))
        self.classes_ = [names[i] for i in present]
        counts = np.bincount(classes, minlength=len(names))[present].astype(float)
        self.prior_ = (counts / counts.sum()).tolist() if counts.sum() else []
        self.booster_ = None
        if len(present) > 1 and rows.size >= MIN_POSITIVES:
            x = encoder.transform(positives)[rows]
            y = np.searchsorted(present, classes).astype(np.float64)
            with trained_here():  # a few hundred rows: not worth shipping to workers
                self.booster_ = train_booster(
                    x,
                    y,
                    params=_params_for(self.params, rows.size),
                    seed=self.seed,
                    objective="multiclass",
                    feature_names=encoder.feature_cols,
                    categorical=encoder.categorical_indices_,
                    num_class=len(present),
                )
        return self

    def shares(self, x: np.ndarray) -> np.ndarray:
        """``(rows, len(classes_))`` shares of the risk per class; rows sum to 1."""
        if self.booster_ is None:
            return np.tile(np.asarray(self.prior_, dtype=float), (x.shape[0], 1))
        out = np.asarray(self.booster_.predict(x), dtype=float)
        return out.reshape(x.shape[0], len(self.classes_))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state; the booster is kept as its text model (no pickle)."""
        return {
            "components": self.components,
            "params": self.params.model_dump(),
            "seed": self.seed,
            "classes": self.classes_,
            "prior": self.prior_,
            "booster": None if self.booster_ is None else self.booster_.model_to_string(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ComponentModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        model = cls(state["components"], LightGBMParams(**state["params"]), state["seed"])
        model.classes_ = list(state["classes"])
        model.prior_ = list(state["prior"])
        text = state["booster"]
        model.booster_ = None if text is None else booster_from_text(text)
        return model


def _expand(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row index, class index) pairs: one per failing listed component, or one
    ``unspecified`` pair (class ``k``) for a row none of whose listed components fails."""
    k = labels.shape[1]
    rows, comps = np.nonzero(labels)
    none = np.flatnonzero(~labels.any(axis=1))
    rows = np.concatenate([rows, none])
    classes = np.concatenate([comps, np.full(none.size, k)])
    order = np.argsort(rows, kind="stable")
    return rows[order], classes[order].astype(int)


def component_table(
    asset_ids: pl.Series, p_fail: np.ndarray, classes: list[str], shares: np.ndarray
) -> pl.DataFrame:
    """Per asset: ``component_risk`` (each named component's P, highest first),
    ``likely_component`` and ``likely_component_share`` (its share of ``p_fail``).

    ``unspecified`` is never named as the likely component: a planner cannot inspect it.
    """
    named = [i for i, c in enumerate(classes) if c != UNSPECIFIED]
    p = np.asarray(p_fail, dtype=float)
    risk_rows, likely, share = [], [], []
    for r in range(len(p)):
        parts = sorted(((classes[i], float(shares[r, i])) for i in named), key=lambda t: -t[1])
        ok = not np.isnan(p[r])
        risk_rows.append([{"component": c, "p_fail": s * p[r]} for c, s in parts] if ok else [])
        likely.append(parts[0][0] if parts and ok else None)
        share.append(parts[0][1] if parts and ok else None)
    return pl.DataFrame(
        {
            "asset_id": asset_ids.cast(pl.String),
            "component_risk": risk_rows,
            "likely_component": likely,
            "likely_component_share": share,
        },
        schema=COMPONENT_SCHEMA,
    )


COMPONENT_RISK_TYPE = pl.List(pl.Struct({"component": pl.String, "p_fail": pl.Float64}))
COMPONENT_SCHEMA = {
    "asset_id": pl.String,
    "component_risk": COMPONENT_RISK_TYPE,
    "likely_component": pl.String,
    "likely_component_share": pl.Float64,
}
