"""Rolling-origin cross-validation inside the training period, for model selection.

Each fold trains on snapshots up to a cutoff and is graded on the window after a
label-sized gap, exactly like the final split; candidates are compared by the mean
of the promotion metric over folds. Scores are the booster's raw probabilities:
the selection metrics rank, so calibration would not change them.
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
from forewarn.models.metrics import evaluate_risk
from forewarn.models.risk import RiskModel
from forewarn.models.selection import is_better
from forewarn.models.slices import collect, sort_rows
from forewarn.models.splits import negatives_filter, rolling_origins

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
    train: pl.LazyFrame, sample: pl.Expr, label_col: str, folds: list
) -> Iterator[tuple]:
    """Each fold's (sampled) training rows and validation rows, read from ``train`` when
    the fold is reached, so one fold's slices are in memory at a time."""
    for cutoff, window in folds:
        fold_train = sort_rows(collect(train.filter(sample & (pl.col("as_of") <= cutoff))))
        valid = sort_rows(collect(train.filter(window.contains())))
        if fold_train[label_col].any() and valid[label_col].any():
            yield cutoff, window, fold_train, valid


def cross_validate(
    train: pl.DataFrame | pl.LazyFrame,
    feature_cols: list[str],
    label_col: str,
    cfg: ModelConfig,
    horizon_h: float,
    gap: timedelta,
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
    window = timedelta(hours=hours(cfg.cv_window or cfg.validation_window))
    span = train.select(pl.col("as_of").min().alias("first"), pl.col("as_of").max().alias("last"))
    first, last = collect(span).row(0)
    origins = rolling_origins(first, last, folds=cfg.cv_folds, window=window, gap=gap)
    results = []
    for f, (cutoff, win, fold_train, valid) in enumerate(
        _fold_frames(train, sample, label_col, origins)
    ):
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
            results.append(FoldResult(f, c, str(cutoff), str(win.start), str(win.end), metrics))
        # The CLI shows this as a "CV folds" bar (flows.progress reads ``progress``).
        done = ("CV folds", f + 1, len(origins))
        log.debug("CV fold %d of %d done", f + 1, len(origins), extra={"progress": done})
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


def select_candidate(results: list[FoldResult], n_candidates: int, cfg: ModelConfig) -> int:
    """Index of the candidate with the best mean promotion metric (0 if no folds)."""
    best = 0
    for c in range(1, n_candidates):
        if is_better(
            mean_metrics(results, c),
            mean_metrics(results, best),
            cfg.promotion_metric,
            cfg.tie_break_metric,
        ):
            best = c
    return best
