"""Cross-validation inside the training period, for model selection.

With a time split each fold trains on snapshots up to a cutoff and is graded on the
window after a label-sized gap, exactly like the final split; with a split by assets
(``[model] split = "assets"``) each fold is a group of whole assets (``models.folds``).
Candidates are compared by the mean of the promotion metric over folds. Scores are the
booster's raw probabilities: the selection metrics rank, so calibration would not
change them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from forewarn.features.durations import hours
from forewarn.models.config import LightGBMParams, ModelConfig
from forewarn.models.folds import Fold, grouped_folds, time_folds
from forewarn.models.metrics import evaluate_risk
from forewarn.models.risk import RiskModel
from forewarn.models.selection import is_better
from forewarn.models.slices import collect, sort_rows
from forewarn.models.splits import negatives_filter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldResult:
    """Metrics of one candidate on one fold."""

    fold: int
    candidate: int
    train_end: str
    valid_start: str
    valid_end: str
    metrics: dict[str, float]


def _fold_frames(
    train: pl.LazyFrame, sample: pl.Expr, label_col: str, folds: list[Fold]
) -> Iterator[tuple[Fold, pl.DataFrame, pl.DataFrame]]:
    """Each fold's (sampled) training rows and validation rows, read from ``train`` when
    the fold is reached, so one fold's slices are in memory at a time."""
    for fold in folds:
        fold_train = sort_rows(collect(train.filter(sample & fold.train)))
        valid = sort_rows(collect(train.filter(fold.valid)))
        if fold_train[label_col].any() and valid[label_col].any():
            yield fold, fold_train, valid


def plan_folds(
    train: pl.LazyFrame, cfg: ModelConfig, gap: timedelta, by_assets: bool
) -> list[Fold]:
    """The folds of the training slice: rolling origins, or groups of assets."""
    if by_assets:
        assets = collect(train.select(pl.col("asset_id").unique()))["asset_id"].to_list()
        return grouped_folds([str(a) for a in assets], cfg.cv_folds, cfg.seed)
    window = timedelta(hours=hours(cfg.cv_window or cfg.validation_window))
    span = train.select(pl.col("as_of").min().alias("first"), pl.col("as_of").max().alias("last"))
    first, last = collect(span).row(0)
    return time_folds(first, last, folds=cfg.cv_folds, window=window, gap=gap)


def cross_validate(
    train: pl.DataFrame | pl.LazyFrame,
    feature_cols: list[str],
    label_col: str,
    cfg: ModelConfig,
    horizon_h: float,
    gap: timedelta,
    by_assets: bool = False,
) -> tuple[list[FoldResult], int]:
    """Score every candidate on every fold; return the results and the winner's index.

    Candidate 0 is ``cfg.lightgbm``; the rest are ``cfg.candidates``. Folds whose
    training or validation slice holds no failure are skipped (nothing to grade).

    Args:
        train: the labelled training slice (in memory or a lazy scan). A fold trains on
            the negative sample (``splits.negatives_filter``) of its rows up to the
            cutoff: the training sample's rows there, since the draw depends on the row.
    """
    train = train.lazy()
    sample = negatives_filter(label_col, cfg.negative_sample_rate, cfg.seed)
    candidates: list[LightGBMParams] = [cfg.lightgbm, *cfg.candidates]
    folds = plan_folds(train, cfg, gap, by_assets)
    results = []
    for f, (fold, fold_train, valid) in enumerate(_fold_frames(train, sample, label_col, folds)):
        for c, params in enumerate(candidates):
            model = RiskModel(feature_cols, params, cfg.calibration, cfg.seed)
            model.fit(fold_train, fold_train[label_col].to_numpy())
            scored = valid.with_columns(pl.Series("_p", model.predict_raw(valid)))
            metrics = evaluate_risk(
                scored,
                "_p",
                label_col,
                horizon_h=horizon_h,
                lead_h=hours(cfg.lead_time),
                budget=cfg.inspection_budget,
                bins=cfg.calibration_bins,
            ).metrics
            names = (fold.train_end, fold.valid_start, fold.valid_end)
            results.append(FoldResult(f, c, *names, metrics))
        # The CLI shows this as a "CV folds" bar (flows.progress reads ``progress``).
        done = ("CV folds", f + 1, len(folds))
        log.debug("CV fold %d of %d done", f + 1, len(folds), extra={"progress": done})
    return results, select_candidate(results, len(candidates), cfg)


def mean_metrics(results: list[FoldResult], candidate: int) -> dict[str, float]:
    """Mean of each metric over the folds of one candidate (NaNs ignored)."""
    rows = [r.metrics for r in results if r.candidate == candidate]
    if not rows:
        return {}
    keys = rows[0].keys()
    means = {}
    for k in keys:
        values = np.array([r[k] for r in rows], dtype=float)
        means[k] = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    return means


def select_candidate(
    results: list[FoldResult],
    n_candidates: int,
    cfg: ModelConfig,
    metric: str | None = None,
    tie_break: str | None = None,
) -> int:
    """Index of the candidate with the best mean ``metric`` (default: the risk promotion
    metric and its tie-break), 0 if there are no folds."""
    metric, tie_break = (
        (cfg.promotion_metric, cfg.tie_break_metric) if metric is None else (metric, tie_break)
    )
    best = 0
    for c in range(1, n_candidates):
        if is_better(mean_metrics(results, c), mean_metrics(results, best), metric, tie_break):
            best = c
    return best
