"""RUL hyper-parameter candidates compared by cross-validation, like the risk model's.

``[model] rul_lightgbm`` and each ``[[model.rul_candidates]]`` are fitted on every fold
(``models.folds``: rolling origins whose labels settle before the fold's window, or
groups of assets) and graded on the fold's rows by ``rul_promotion_metric``; the best
mean wins. Only the median booster is compared: the candidates differ in how well they
place the point estimate, and the interval is calibrated afterwards whatever its raw
width (``models.rul_conformal``), so grading the quantile boosters would triple the
cost without changing the choice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from forewarn.features.durations import hours
from forewarn.models.boosting import train_booster
from forewarn.models.config import LightGBMParams, ModelConfig
from forewarn.models.cv import FoldResult, select_candidate
from forewarn.models.encoding import TRAINING_DTYPE, FeatureEncoder
from forewarn.models.folds import Fold, grouped_folds, rul_time_folds
from forewarn.models.rul import rul_target
from forewarn.models.rul_metrics import evaluate_rul
from forewarn.models.slices import collect, sort_rows


def rul_folds(
    rows: pl.LazyFrame, cfg: ModelConfig, by_assets: bool, label_end: datetime
) -> list[Fold]:
    """Folds of the RUL training rows (``rows``): asset groups, or rolling origins
    ending a cap before ``label_end`` (the start of the RUL validation window)."""
    if by_assets:
        assets = collect(rows.select(pl.col("asset_id").unique()))["asset_id"].to_list()
        return grouped_folds([str(a) for a in assets], cfg.cv_folds, cfg.seed)
    first = collect(rows.select(pl.col("as_of").min())).item()
    window = timedelta(hours=hours(cfg.cv_window or cfg.validation_window))
    cap = cfg.rul_cap_hours()
    return rul_time_folds(first, label_end, folds=cfg.cv_folds, window=window, cap_hours=cap)


def _median_predictions(
    train: pl.DataFrame,
    valid: pl.DataFrame,
    feature_cols: list[str],
    params: LightGBMParams,
    cfg: ModelConfig,
) -> np.ndarray:
    cap = cfg.rul_cap_hours()
    y = train.select(rul_target(cap)).to_series().to_numpy()
    encoder = FeatureEncoder(feature_cols).fit(train)
    booster = train_booster(
        encoder.transform(train, TRAINING_DTYPE),
        y,
        params=params,
        seed=cfg.seed,
        objective="regression_l1",
        feature_names=feature_cols,
        categorical=encoder.categorical_indices_,
    )
    return np.clip(booster.predict(encoder.transform(valid)), 0.0, np.inf if cap is None else cap)


def cross_validate_rul(
    rows: pl.LazyFrame, feature_cols: list[str], cfg: ModelConfig, folds: list[Fold]
) -> tuple[list[FoldResult], int]:
    """Grade every RUL candidate on every fold; return the results and the winner.

    Candidate 0 is ``cfg.rul_params()``. Without ``rul_candidates`` there is nothing to
    choose and no fold is fitted. Folds with no training or graded row are skipped.
    """
    candidates = [cfg.rul_params(), *cfg.rul_candidates]
    if len(candidates) == 1:
        return [], 0
    results = []
    for f, fold in enumerate(folds):
        train = sort_rows(collect(rows.filter(fold.train)))
        valid = sort_rows(collect(rows.filter(fold.valid)))
        if train.height == 0 or valid.height == 0:
            continue
        for c, params in enumerate(candidates):
            pred = _median_predictions(train, valid, feature_cols, params, cfg)
            metrics = evaluate_rul(
                valid, pred, None, None, cfg.rul_cap_hours(), cfg.time_unit_hours()
            )
            names = (fold.train_end, fold.valid_start, fold.valid_end)
            results.append(FoldResult(f, c, *names, metrics))
    best = select_candidate(results, len(candidates), cfg, cfg.rul_promotion_metric, None)
    return results, best
