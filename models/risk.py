"""Failure-risk model: a LightGBM classifier for ``fails_within_{H}`` plus calibration."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import polars as pl

from forewarn.models.boosting import booster_from_text, gain_importance, train_booster
from forewarn.models.calibration import Calibrator
from forewarn.models.component_risk import (
    ComponentModel,
    component_label_columns,
    component_table,
)
from forewarn.models.config import LightGBMParams
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder, FeatureProfile
from forewarn.models.slices import PartRows, by_chunks


class RiskModel:
    """Calibrated probability that an asset fails within the horizon.

    ``fit`` trains the booster on the training slice; ``calibrate`` fits the
    probability map on a later slice. Until calibrated, ``predict_proba`` returns
    the booster's raw probabilities (used inside cross-validation, where only the
    ranking is scored).

    Args:
        feature_cols: model features; text columns are treated as categorical.
        params: LightGBM settings.
        calibration: ``"isotonic"`` or ``"platt"``.
        seed: run seed.
        horizon: the label horizon, e.g. ``"7d"`` (kept with the model for scoring).
    """

    def __init__(
        self,
        feature_cols: list[str],
        params: LightGBMParams | None = None,
        calibration: Literal["isotonic", "platt"] = "isotonic",
        seed: int = 42,
        horizon: str = "7d",
    ) -> None:
        self.feature_cols = list(feature_cols)
        self.params = params if params is not None else LightGBMParams()
        self.calibration = calibration
        self.seed = seed
        self.horizon = horizon

    def fit(self, frame: pl.DataFrame, y: np.ndarray, parts: PartRows | None = None) -> RiskModel:
        """Train the booster on ``frame`` with boolean labels ``y``.

        ``parts``: the same rows as Parquet parts, for a trainer that reads them on its
        workers (Dask); ``frame`` still gives the encoder's levels and the profile.

        Raises:
            ValueError: if ``y`` has no positive label (a model that can only say
                "never fails" is worse than no model).
        """
        y = np.asarray(y, dtype=bool)
        if not y.any():
            raise ValueError(
                f"no positive 'fails_within_{self.horizon}' labels in the {y.size} training "
                "rows: there is no failure to learn from (check the data or widen the window)"
            )
        self.encoder_ = FeatureEncoder(self.feature_cols).fit(frame)
        numeric = [c for c in self.feature_cols if c not in self.encoder_.levels_]
        self.profile_ = FeatureProfile().fit(frame, numeric)
        x = (
            self.encoder_.transform(frame, TRAINING_DTYPE)
            if parts is None
            else parts.with_encoder(self.encoder_)
        )
        self.booster_ = train_booster(
            x,
            y.astype(np.float64),
            params=self.params,
            seed=self.seed,
            objective="binary",
            feature_names=self.feature_cols,
            categorical=self.encoder_.categorical_indices_,
        )
        self.calibrator_: Calibrator | None = None
        self.components_ = self._fit_components(frame, y)
        return self

    def _fit_components(self, frame: pl.DataFrame, y: np.ndarray) -> ComponentModel | None:
        """The component model, when ``frame`` carries per-component labels
        (``fails_within_{H}__{component}``, from ``[labels] components``)."""
        cols = component_label_columns(frame.columns, f"fails_within_{self.horizon}")
        if not cols or not y.any():
            return None
        positives = frame.filter(pl.Series(y))
        labels = positives.select(pl.col(cols).fill_null(False)).to_numpy().astype(bool)
        names = [c.split("__", 1)[1] for c in cols]
        return ComponentModel(names, self.params, self.seed).fit(positives, labels, self.encoder_)

    def predict_components(
        self, frame: pl.DataFrame, p_fail: np.ndarray | None = None
    ) -> pl.DataFrame | None:
        """Per asset: each component's risk, the likely component and its share of the
        risk (``component_risk.component_table``); ``None`` for a model without them."""
        if getattr(self, "components_", None) is None:
            return None
        p = self.predict_proba(frame) if p_fail is None else p_fail
        shares = by_chunks(
            frame, lambda part: self.components_.shares(self.encoder_.transform(part))
        )
        return component_table(frame["asset_id"], p, self.components_.classes_, shares)

    def calibrate(self, frame: pl.DataFrame, y: np.ndarray) -> RiskModel:
        """Fit the probability map on a slice that lies after the training slice."""
        self.calibrator_ = Calibrator(self.calibration).fit(self.predict_raw(frame), y)
        return self

    def predict_raw(self, frame: pl.DataFrame) -> np.ndarray:
        """Uncalibrated booster probabilities (encoded a chunk of rows at a time)."""
        return by_chunks(frame, lambda part: self.booster_.predict(self.encoder_.transform(part)))

    def predict_proba(self, frame: pl.DataFrame) -> np.ndarray:
        """Calibrated failure probabilities, one per row of ``frame``."""
        raw = self.predict_raw(frame)
        return raw if self.calibrator_ is None else self.calibrator_.predict(raw)

    def contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """Per-feature log-odds contributions (SHAP values); last column is the bias.

        Slow (about 1.6 ms per row): call it for the rows a planner will read only.
        """
        return self.booster_.predict(self.encoder_.transform(frame), pred_contrib=True)

    def feature_importance(self) -> dict[str, float]:
        """Total gain per feature."""
        return gain_importance(self.booster_, self.feature_cols)

    def to_state(self) -> tuple[str, dict[str, Any]]:
        """The booster's text model and a JSON-ready dict of everything else."""
        meta = {
            "kind": "risk",
            "feature_cols": self.feature_cols,
            "params": self.params.model_dump(),
            "calibration": self.calibration,
            "seed": self.seed,
            "horizon": self.horizon,
            "encoder": self.encoder_.to_dict(),
            "profile": self.profile_.to_dict(),
            "calibrator": None if self.calibrator_ is None else self.calibrator_.to_dict(),
            "components": None if self.components_ is None else self.components_.to_dict(),
        }
        return self.booster_.model_to_string(), meta

    @classmethod
    def from_state(cls, model_text: str, meta: dict[str, Any]) -> RiskModel:
        """Rebuild a fitted model from :meth:`to_state` output."""
        model = cls(
            meta["feature_cols"],
            LightGBMParams(**meta["params"]),
            meta["calibration"],
            meta["seed"],
            meta["horizon"],
        )
        model.encoder_ = FeatureEncoder.from_dict(meta["encoder"])
        model.profile_ = FeatureProfile.from_dict(meta["profile"])
        model.booster_ = booster_from_text(model_text)
        cal = meta["calibrator"]
        model.calibrator_ = None if cal is None else Calibrator.from_dict(cal)
        parts = meta.get("components")  # absent in models trained before components
        model.components_ = None if parts is None else ComponentModel.from_dict(parts)
        return model
