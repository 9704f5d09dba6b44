"""The models that score tonight's snapshots: risk + RUL, with feature checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS
from forewarn.models.component_risk import COMPONENT_SCHEMA
from forewarn.models.explain import drivers_table, top_drivers
from forewarn.models.risk import RiskModel
from forewarn.models.rul import CENSORED_COL, RUL_COL, RulModel

NON_FEATURE_COLUMNS = frozenset({*ID_COLUMNS, *CONTEXT_COLUMNS, RUL_COL, CENSORED_COL})
"""Columns a snapshot may carry without being model features (ids, context, labels)."""
NON_FEATURE_PREFIXES = ("fails_within_",)

PREDICTION_SCHEMA = {
    "asset_id": pl.String,
    "p_fail": pl.Float64,
    "p_raw": pl.Float64,
    "rul_hours": pl.Float64,
    "rul_low_hours": pl.Float64,
    "rul_high_hours": pl.Float64,
    "rul_censored": pl.Boolean,
    "rul_cap_hours": pl.Float64,
    **{k: v for k, v in COMPONENT_SCHEMA.items() if k != "asset_id"},
}


class FeatureMismatchError(ValueError):
    """The snapshot's columns do not match what the model was trained on."""


def check_features(frame: pl.DataFrame, feature_cols: list[str], *, strict: bool = True) -> None:
    """Fail loudly when a snapshot was built with a different feature spec.

    Args:
        frame: the snapshot to score.
        feature_cols: the model's features.
        strict: also refuse extra feature-like columns (a sign the snapshot came
            from another experiment config); id, context and label columns are fine.

    Raises:
        FeatureMismatchError: naming every missing and extra column.
    """
    missing = [c for c in feature_cols if c not in frame.columns]
    known = set(feature_cols) | NON_FEATURE_COLUMNS
    extra = [
        c
        for c in frame.columns
        if strict and c not in known and not c.startswith(NON_FEATURE_PREFIXES)
    ]
    if missing or extra:
        parts = [f"missing columns {missing}"] if missing else []
        parts += [f"extra columns {extra}"] if extra else []
        raise FeatureMismatchError(
            "snapshot does not match the model's features: "
            + "; ".join(parts)
            + " (build the snapshot with the experiment config the model was trained with)"
        )


@dataclass
class ChampionModels:
    """A risk model and a RUL model loaded together for scoring.

    Attributes:
        risk: calibrated risk model.
        rul: RUL model with interval.
        versions: registered model name → version, for provenance in score stores.
    """

    risk: RiskModel
    rul: RulModel
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def feature_cols(self) -> list[str]:
        """Every feature either model needs, risk model order first."""
        extra = [c for c in self.rul.feature_cols if c not in self.risk.feature_cols]
        return [*self.risk.feature_cols, *extra]

    @property
    def horizon(self) -> str:
        """The risk horizon, e.g. ``"7d"``."""
        return self.risk.horizon

    def predict(self, frame: pl.DataFrame, *, strict: bool = True) -> pl.DataFrame:
        """Probability of failure within the horizon and RUL with its interval.

        Returns:
            One row per input row, in input order: ``asset_id, p_fail, p_raw``
            (the uncalibrated score, which breaks ties in ``p_fail``), ``rul_hours,
            rul_low_hours, rul_high_hours``, ``rul_censored`` (the median reached the
            cap: the life is "more than ``rul_cap_hours``"), ``rul_cap_hours`` and the
            per-component columns ``component_risk, likely_component,
            likely_component_share`` (empty/null for a model without components).
        """
        check_features(frame, self.feature_cols, strict=strict)
        if frame.height == 0:
            return pl.DataFrame(schema=PREDICTION_SCHEMA)
        point, low, high = self.rul.predict(frame)
        p_fail = self.risk.predict_proba(frame)
        parts = self.risk.predict_components(frame, p_fail)
        out = pl.DataFrame(
            {
                "asset_id": frame["asset_id"].cast(pl.String),
                "p_fail": p_fail,
                "p_raw": self.risk.predict_raw(frame),
                "rul_hours": point,
                "rul_low_hours": low,
                "rul_high_hours": high,
                "rul_censored": self.rul.at_cap(point),
                "rul_cap_hours": [self.rul.cap_hours] * frame.height,
            }
        )
        if parts is not None:
            out = pl.concat([out, parts.drop("asset_id")], how="horizontal")
        return out.select(
            pl.col(c).cast(t) if c in out.columns else pl.lit(None, t).alias(c)
            for c, t in PREDICTION_SCHEMA.items()
        )

    def explain(self, frame: pl.DataFrame, top_k: int = 5) -> list[list[str]]:
        """Driver sentences per row (the features that raised its risk most).

        Slow per row: pass only the assets a planner will read (the top of the list).
        """
        check_features(frame, self.feature_cols, strict=False)
        return [[d.sentence for d in row] for row in top_drivers(self.risk, frame, top_k)]

    def drivers(self, frame: pl.DataFrame, top_k: int = 5) -> pl.DataFrame:
        """Drivers as a long table: ``asset_id, rank, feature, contribution, sentence``."""
        check_features(frame, self.feature_cols, strict=False)
        return drivers_table(self.risk, frame, top_k)
