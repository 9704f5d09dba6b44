"""Fitting the RUL model on a slice, and refitting both models for service.

Refit for service (``[model] refit = true``, the default): validation chooses the
settings and grades the *held-out* fit; the models registered for service are then
refit with the same settings on every labelled row up to the end of the training data
(the calibration and validation windows are the newest failures, which a held-out fit
never learns from). What is kept from the held-out fit, and why:

- the risk model's probability map (``calibrator_``): it needs rows the booster never
  saw, and after a refit no such rows are left. The refit booster is trained the same
  way on more of the same data (same negative sampling), so its raw scores keep their
  scale; the map is then slightly conservative, never fitted on its own training rows.
- the RUL interval offsets (``intervals_``): they come from cross-fitting over asset
  folds (``models.rul_conformal``), i.e. from boosters trained on fewer rows than
  the refit ones, so they err on the wide side.

The logged validation metrics stay those of the held-out fit (``TrainingResult.refit``
says so and counts the refit rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from forewarn.models.baselines import GROUP_COL
from forewarn.models.component_risk import component_label_columns
from forewarn.models.config import LightGBMParams, ModelConfig
from forewarn.models.encoding import FeatureEncoder
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel, rul_rows_filter, rul_target
from forewarn.models.rul_conformal import cross_conformal
from forewarn.models.slices import FrameSource, collect, encode_rows
from forewarn.models.splits import SplitPlan, negatives_filter


@dataclass(frozen=True)
class RulFit:
    """A fitted RUL model and what it was fitted on (keys: ``asset_id``, ``as_of``,
    ``asset_type``, the age feature, ``_target``)."""

    model: RulModel
    keys: pl.DataFrame
    notes: tuple[str, ...] = ()


def fit_rul(
    source: FrameSource,
    where: pl.Expr,
    feature_cols: list[str],
    params: LightGBMParams,
    cfg: ModelConfig,
    *,
    conformal: bool,
) -> RulFit:
    """Fit the RUL model on the rows ``where``; with ``conformal``, also calibrate its
    interval by cross-fitting (skipped, with a note, when the boosters train on Dask
    workers: the out-of-fold refits need the matrix in this process)."""
    cap = cfg.rul_cap_hours()
    rows = source.rows.filter(where)
    keys = source.narrow(where, [GROUP_COL, cfg.age_feature], _target=rul_target(cap))
    y = keys["_target"].to_numpy()
    encoder = FeatureEncoder(feature_cols).fit(rows)
    x = source.part_rows(where, rul_target(cap))
    if x is None:  # trained in this process: encode here, chunk by chunk
        x = encode_rows(encoder, rows, keys)
    model = RulModel(feature_cols, params, cfg.rul_quantiles, cap, cfg.seed)
    model.fit_encoded(encoder, x, y)
    notes: list[str] = []
    if conformal and cfg.rul_interval_folds:
        if not isinstance(x, np.ndarray):
            notes.append("RUL interval left uncalibrated: cross-fitting needs in-process boosting")
        else:
            groups = keys[GROUP_COL].cast(pl.String).to_numpy() if GROUP_COL in keys else None
            assets = keys["asset_id"].cast(pl.String).to_numpy()
            model.intervals_ = cross_conformal(model, x, y, assets, groups, cfg.rul_interval_folds)
            if model.intervals_ is None:
                notes.append(
                    f"RUL interval left uncalibrated: fewer than rul_interval_folds="
                    f"{cfg.rul_interval_folds} assets with a known RUL"
                )
    return RulFit(model, keys, tuple(notes))


def refit_filters(
    source: FrameSource, split: SplitPlan, label_col: str, cfg: ModelConfig
) -> tuple[pl.Expr, pl.Expr]:
    """Rows of the service refit: every labelled risk row (negatives sampled as in
    training), and every row whose capped RUL is known by the end of the data."""
    risk = pl.col(label_col).is_not_null() & negatives_filter(
        label_col, cfg.negative_sample_rate, cfg.seed
    )
    cap = cfg.rul_cap_hours()
    if split.by_assets:
        return risk, rul_target(cap).is_not_null()
    last = collect(source.rows.select(pl.col("as_of").max())).item()
    return risk, rul_rows_filter(last + timedelta(microseconds=1), cap)


def refit_for_service(
    source: FrameSource,
    split: SplitPlan,
    risk: RiskModel,
    rul: RulModel,
    label_col: str,
    cfg: ModelConfig,
) -> tuple[RiskModel, RulModel, dict[str, float]]:
    """The models for service: same settings, all labelled rows, kept calibrations."""
    risk_where, rul_where = refit_filters(source, split, label_col, cfg)
    parts = component_label_columns(source.columns, label_col)  # refit the component model too
    sample = source.wide(risk_where, ["asset_id", "as_of", label_col, *parts, *risk.feature_cols])
    served = RiskModel(risk.feature_cols, risk.params, risk.calibration, risk.seed, risk.horizon)
    on_workers = source.part_rows(risk_where, pl.col(label_col).cast(pl.Float64))
    served.fit(sample, sample[label_col].to_numpy(), on_workers)
    served.calibrator_ = risk.calibrator_
    fit = fit_rul(source, rul_where, rul.feature_cols, rul.params, cfg, conformal=False)
    fit.model.intervals_ = rul.intervals_
    counts = {
        "data.refit_risk_rows": float(sample.height),
        "data.refit_rul_rows": float(fit.keys.height),
    }
    return served, fit.model, counts
