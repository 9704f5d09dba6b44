"""``train_models``: split, select, fit, calibrate and grade risk and RUL models.

Pure apart from writing plot files into the folder it is given: no MLflow, no
clock, no environment. The caller (a flow) logs the result with
``forewarn.models.registry.log_and_register``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from forewarn.features.durations import hours, parse_duration
from forewarn.models.baselines import BucketMean, LogisticBaseline
from forewarn.models.config import ModelConfig
from forewarn.models.cv import FoldResult, cross_validate
from forewarn.models.evaluation import ValidationReport, validate_risk, validate_rul, write_plots
from forewarn.models.risk import RiskModel
from forewarn.models.rul import CENSORED_COL, RUL_COL, RulModel, rul_training_rows
from forewarn.models.selection import is_better
from forewarn.models.splits import SplitPlan, plan_split, sample_negatives

LABEL_PREFIX = "fails_within_"


@dataclass
class TrainingResult:
    """Everything a training run produced, ready to be logged and registered.

    Attributes:
        risk: the calibrated LightGBM risk model.
        rul: the LightGBM RUL model (point + interval).
        baselines: ``prevalence_age`` and ``logistic`` (risk), ``mean_life`` (RUL).
        metrics: flat validation metrics (see ``forewarn.models.evaluation``) plus
            ``data.*`` counts and ``time.*`` seconds.
        validation: the raw (risk) validation snapshots, so a champion can be
            re-scored on exactly the same rows.
        predictions: validation rows with every risk model's prediction.
        rul_validation: the raw RUL validation snapshots (an earlier window, see
            ``forewarn.models.splits``).
        rul_predictions: RUL validation rows with LightGBM and mean-life predictions.
        beats_baselines: per task, whether LightGBM beat every baseline.
        notes: human-readable findings (e.g. "LightGBM does not beat ...").
        curves: per risk model, the calibration table (as rows) and the lead times
            (hours) of flagged failures: the data behind the plots, for logging.
    """

    risk: RiskModel
    rul: RulModel
    baselines: dict[str, Any]
    feature_cols: list[str]
    horizon: str
    cfg: ModelConfig
    split: SplitPlan
    metrics: dict[str, float]
    validation: pl.DataFrame
    predictions: pl.DataFrame
    rul_validation: pl.DataFrame
    rul_predictions: pl.DataFrame
    curves: dict[str, dict[str, list]] = field(default_factory=dict)
    cv_folds: list[FoldResult] = field(default_factory=list)
    selected_candidate: int = 0
    plots: dict[str, Path] = field(default_factory=dict)
    beats_baselines: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def label_col(self) -> str:
        """The risk label column, ``fails_within_{horizon}``."""
        return f"{LABEL_PREFIX}{self.horizon}"

    def model_metrics(self, task: str, model: str = "lightgbm") -> dict[str, float]:
        """Metrics of one model without prefix, e.g. ``model_metrics("risk")["pr_auc"]``."""
        prefix = f"{task}.{model}."
        return {k[len(prefix) :]: v for k, v in self.metrics.items() if k.startswith(prefix)}


@contextmanager
def _timer(metrics: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    metrics[f"time.{key}_s"] = time.perf_counter() - start


def check_inputs(
    frame: pl.DataFrame, feature_cols: list[str], label_col: str, oracle_col: str | None
) -> None:
    """Refuse frames that cannot train an honest model, naming the columns.

    Raises:
        ValueError: missing columns, no features, duplicate features, or a label /
            oracle / id column listed as a feature (it would leak the answer).
    """
    if not feature_cols:
        raise ValueError("feature_cols is empty: list the feature columns to train on")
    dupes = sorted({c for c in feature_cols if feature_cols.count(c) > 1})
    if dupes:
        raise ValueError(f"feature_cols lists these columns twice: {dupes}")
    forbidden = {"asset_id", "as_of", RUL_COL, CENSORED_COL, oracle_col}
    leaks = [c for c in feature_cols if c in forbidden or c.startswith(LABEL_PREFIX)]
    if leaks:
        raise ValueError(f"feature_cols includes label, id or oracle columns: {leaks}")
    needed = ["asset_id", "as_of", label_col, RUL_COL, CENSORED_COL, *feature_cols]
    missing = [c for c in [*needed, oracle_col] if c and c not in frame.columns]
    if missing:
        raise ValueError(f"training frame lacks columns: {missing}")


def _fit_risk(
    train: pl.DataFrame,
    cal: pl.DataFrame,
    feature_cols: list[str],
    label_col: str,
    cfg: ModelConfig,
    horizon: str,
    candidate: int,
) -> RiskModel:
    params = [cfg.lightgbm, *cfg.candidates][candidate]
    model = RiskModel(feature_cols, params, cfg.calibration, cfg.seed, horizon)
    sample = sample_negatives(train, label_col, cfg.negative_sample_rate, cfg.seed)
    model.fit(sample, sample[label_col].to_numpy())
    return model.calibrate(cal, cal[label_col].to_numpy())


def _fit_baselines(
    train: pl.DataFrame,
    rul_rows: pl.DataFrame,
    rul_y: np.ndarray,
    numeric: list[str],
    label_col: str,
    cfg: ModelConfig,
) -> dict[str, Any]:
    y = train[label_col].to_numpy()
    return {
        "prevalence_age": BucketMean(cfg.age_feature).fit(train, y),
        "logistic": LogisticBaseline(numeric, cfg.seed).fit(train, y),
        "mean_life": BucketMean(cfg.age_feature).fit(rul_rows, rul_y),
    }


def _compare(metrics: dict[str, float], cfg: ModelConfig) -> tuple[dict[str, bool], list[str]]:
    def of(task: str, model: str) -> dict[str, float]:
        p = f"{task}.{model}."
        return {k[len(p) :]: v for k, v in metrics.items() if k.startswith(p)}

    checks = {
        "risk": (cfg.promotion_metric, cfg.tie_break_metric, ("logistic", "prevalence_age")),
        "rul": (cfg.rul_promotion_metric, None, ("mean_life",)),
    }
    verdict, notes = {}, []
    for task, (metric, tie, baselines) in checks.items():
        ours = of(task, "lightgbm")
        losers = [b for b in baselines if not is_better(ours, of(task, b), metric, tie)]
        verdict[task] = not losers
        for b in losers:
            notes.append(
                f"LightGBM {task} model does NOT beat the {b} baseline on {metric}: "
                f"{ours.get(metric, float('nan')):.4g} vs "
                f"{of(task, b).get(metric, float('nan')):.4g}"
            )
    return verdict, notes


@dataclass(frozen=True)
class _Slices:
    train: pl.DataFrame
    cal: pl.DataFrame
    val: pl.DataFrame
    rul_rows: pl.DataFrame
    rul_y: np.ndarray
    rul_val: pl.DataFrame


def _slice(frame: pl.DataFrame, split: SplitPlan, label_col: str, cfg: ModelConfig) -> _Slices:
    known = pl.col(label_col).is_not_null()
    rul_pool = frame.filter(~pl.col("asset_id").is_in(sorted(split.holdout)))
    rul_rows, rul_y = rul_training_rows(rul_pool, split.rul_validation.start, cfg.rul_cap_hours())
    return _Slices(
        train=frame.filter(split.train_filter() & known),
        cal=frame.filter(split.calibration_filter() & known),
        val=frame.filter(split.validation_filter()),
        rul_rows=rul_rows,
        rul_y=rul_y,
        rul_val=frame.filter(split.rul_validation_filter()),
    )


@dataclass(frozen=True)
class _Fitted:
    risk: RiskModel
    rul: RulModel
    baselines: dict[str, Any]
    folds: list[FoldResult]
    best: int


def _fit_all(
    data: _Slices,
    feature_cols: list[str],
    label_col: str,
    cfg: ModelConfig,
    horizon: str,
    gap: timedelta,
    metrics: dict[str, float],
) -> _Fitted:
    """CV-select, fit and calibrate the risk model, fit RUL and baselines (timed)."""
    folds, best = [], 0
    if cfg.cv_folds:
        with _timer(metrics, "cv"):
            folds, best = cross_validate(
                data.train, feature_cols, label_col, cfg, hours(horizon), gap
            )
    with _timer(metrics, "risk_fit"):
        risk = _fit_risk(data.train, data.cal, feature_cols, label_col, cfg, horizon, best)
    with _timer(metrics, "rul_fit"):
        rul = RulModel(
            feature_cols, cfg.rul_params(), cfg.rul_quantiles, cfg.rul_cap_hours(), cfg.seed
        ).fit(data.rul_rows, data.rul_y)
    numeric = [c for c in feature_cols if c not in risk.encoder_.levels_]
    with _timer(metrics, "baselines_fit"):
        baselines = _fit_baselines(data.train, data.rul_rows, data.rul_y, numeric, label_col, cfg)
    return _Fitted(risk, rul, baselines, folds, best)


def _plan(frame: pl.DataFrame, label_col: str, cfg: ModelConfig, gap: timedelta) -> SplitPlan:
    cap = cfg.rul_cap_hours()
    return plan_split(
        frame,
        label_col,
        validation=parse_duration(cfg.validation_window),
        calibration=parse_duration(cfg.calibration_window),
        gap=gap,
        rul_cap=None if cap is None else timedelta(hours=cap),
        holdout_share=cfg.holdout_assets,
        seed=cfg.seed,
    )


def train_models(
    frame: pl.DataFrame,
    feature_cols: list[str],
    cfg: ModelConfig,
    horizon: str = "7d",
    oracle_col: str | None = None,
    plot_dir: Path | None = None,
) -> TrainingResult:
    """Train, calibrate and grade the risk and RUL models and their baselines.

    Args:
        frame: labelled snapshots (one row per asset and ``as_of``).
        feature_cols: model features; text columns are encoded as categories.
        cfg: model configuration.
        horizon: risk horizon; the label column is ``fails_within_{horizon}``.
        oracle_col: optional column of true failure probabilities (synthetic data),
            graded like a model so the result can be read as a share of the attainable.
        plot_dir: where PNG plots go; ``None`` skips plotting.

    Raises:
        ValueError: bad config for this horizon, missing/leaky columns, too little
            history, or no failures in the training or calibration slice.
    """
    cfg.check_horizon(horizon)
    label_col = f"{LABEL_PREFIX}{horizon}"
    check_inputs(frame, feature_cols, label_col, oracle_col)
    metrics: dict[str, float] = {}
    with _timer(metrics, "total"):
        frame = frame.sort("as_of", "asset_id")
        gap = timedelta(hours=cfg.gap_hours(horizon))
        split = _plan(frame, label_col, cfg, gap)
        data = _slice(frame, split, label_col, cfg)
        fit = _fit_all(data, feature_cols, label_col, cfg, horizon, gap, metrics)
        risk, rul, baselines = fit.risk, fit.rul, fit.baselines
        report = _validate(data, label_col, risk, rul, baselines, oracle_col, cfg, horizon)
    metrics |= report.metrics | _counts(data, label_col, split)
    verdict, notes = _compare(metrics, cfg)
    plots = {}
    if plot_dir is not None:
        plots = write_plots(report, label_col, risk.feature_importance(), cfg, Path(plot_dir))
    return TrainingResult(
        risk=risk,
        rul=rul,
        baselines=baselines,
        feature_cols=list(feature_cols),
        horizon=horizon,
        cfg=cfg,
        split=split,
        metrics=metrics,
        validation=data.val,
        predictions=report.predictions,
        rul_validation=data.rul_val,
        rul_predictions=report.rul_predictions,
        curves={
            name: {"calibration": e.calibration.to_dicts(), "lead_hours": e.lead_hours.tolist()}
            for name, e in report.risk_evals.items()
        },
        cv_folds=fit.folds,
        selected_candidate=fit.best,
        plots=plots,
        beats_baselines=verdict,
        notes=notes,
    )


def _validate(
    data: _Slices,
    label_col: str,
    risk: RiskModel,
    rul: RulModel,
    baselines: dict[str, Any],
    oracle_col: str | None,
    cfg: ModelConfig,
    horizon: str,
) -> ValidationReport:
    val = data.val
    scores = {
        "lightgbm": risk.predict_proba(val),
        "logistic": baselines["logistic"].predict_proba(val),
        "prevalence_age": baselines["prevalence_age"].predict(val),
    }
    if oracle_col is not None:
        scores["oracle"] = val[oracle_col].cast(pl.Float64).fill_null(0.0).to_numpy()
    risk_metrics, predictions, evals = validate_risk(val, label_col, scores, cfg, horizon)
    rul_preds = {
        "lightgbm": rul.predict(data.rul_val),
        "mean_life": (baselines["mean_life"].predict(data.rul_val), None, None),
    }
    rul_metrics, rul_predictions = validate_rul(data.rul_val, rul_preds, cfg)
    return ValidationReport(risk_metrics | rul_metrics, predictions, rul_predictions, evals)


def _counts(data: _Slices, label_col: str, split: SplitPlan) -> dict[str, float]:
    out = {
        "data.rul_train_rows": float(data.rul_rows.height),
        "data.rul_validation_rows": float(data.rul_val.height),
        "data.holdout_assets": float(len(split.holdout)),
    }
    for name, part in (("train", data.train), ("calibration", data.cal), ("validation", data.val)):
        labels = part[label_col].drop_nulls()
        out[f"data.{name}_rows"] = float(labels.len())
        out[f"data.{name}_positives"] = float(labels.sum())
    return out
