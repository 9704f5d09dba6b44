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

import polars as pl

from forewarn.features.durations import hours, parse_duration
from forewarn.models.baselines import GROUP_COL, BucketMean, LogisticBaseline
from forewarn.models.component_eval import grade_components
from forewarn.models.component_risk import UNSPECIFIED, component_label_columns
from forewarn.models.config import ModelConfig
from forewarn.models.cv import FoldResult, cross_validate
from forewarn.models.evaluation import ValidationReport, validate_risk, validate_rul, write_plots
from forewarn.models.refit import fit_rul, refit_for_service
from forewarn.models.risk import RiskModel
from forewarn.models.rul import CENSORED_COL, RUL_COL, RulModel
from forewarn.models.rul_conformal import coverage_warning
from forewarn.models.rul_cv import cross_validate_rul, rul_folds
from forewarn.models.selection import is_better
from forewarn.models.slices import FrameSource
from forewarn.models.splits import (
    SplitPlan,
    negatives_filter,
    plan_asset_split,
    plan_split,
    seeded_draw,
)

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
    rul_cv_folds: list[FoldResult] = field(default_factory=list)
    selected_rul_candidate: int = 0
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
    frame: pl.DataFrame | pl.LazyFrame,
    feature_cols: list[str],
    label_col: str,
    oracle_col: str | None,
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
    columns = frame.collect_schema().names()
    missing = [c for c in [*needed, oracle_col] if c and c not in columns]
    if missing:
        raise ValueError(f"training frame lacks columns: {missing}")


@dataclass(frozen=True)
class _Filters:
    """Each slice as a row filter on the whole frame (pushed into the scan)."""

    train: pl.Expr
    sample: pl.Expr
    calibration: pl.Expr
    validation: pl.Expr
    rul: pl.Expr
    rul_validation: pl.Expr

    @classmethod
    def of(cls, split: SplitPlan, label_col: str, cfg: ModelConfig) -> _Filters:
        known = pl.col(label_col).is_not_null()
        train = split.train_filter() & known
        return cls(
            train=train,
            sample=train & negatives_filter(label_col, cfg.negative_sample_rate, cfg.seed),
            calibration=split.calibration_filter() & known,
            validation=split.validation_filter(),
            rul=split.rul_train_filter(cfg.rul_cap_hours()),
            rul_validation=split.rul_validation_filter(),
        )


def _baseline_rows(
    source: FrameSource, where: pl.Expr, rows: int, columns: list[str], cfg: ModelConfig
) -> pl.DataFrame:
    """The logistic baseline's training rows: the whole slice, or a seeded hash sample of
    about ``cfg.baseline_max_rows`` rows when the slice is bigger."""
    if rows > cfg.baseline_max_rows:
        where = where & (seeded_draw(cfg.seed + 1) < cfg.baseline_max_rows / rows)
    return source.wide(where, columns)


@dataclass(frozen=True)
class _Fitted:
    risk: RiskModel
    rul: RulModel
    baselines: dict[str, Any]
    folds: list[FoldResult]
    best: int
    counts: dict[str, float]
    rul_folds: list[FoldResult]
    rul_best: int
    notes: tuple[str, ...]


def _fit_all(
    source: FrameSource,
    split: SplitPlan,
    feature_cols: list[str],
    label_col: str,
    cfg: ModelConfig,
    horizon: str,
    gap: timedelta,
    metrics: dict[str, float],
) -> _Fitted:
    """CV-select, fit and calibrate the risk model, fit RUL and baselines (timed).

    Slices are read one after another and dropped when done, so memory holds one wide
    slice (plus its matrix) at a time, not the frame.
    """
    where = _Filters.of(split, label_col, cfg)
    parts = component_label_columns(source.columns, label_col)  # per-component risk
    wide = ["asset_id", "as_of", label_col, *parts, *feature_cols]
    folds, best, rul_folds_, rul_best = [], 0, [], 0
    if cfg.cv_folds:
        with _timer(metrics, "cv"):
            train = source.rows.filter(where.train)
            folds, best = cross_validate(
                train, feature_cols, label_col, cfg, hours(horizon), gap, split.by_assets
            )
            held = pl.col("asset_id").is_in(sorted(split.holdout))
            rul_rows = source.rows.filter(where.rul if split.by_assets else ~held)
            plan = rul_folds(rul_rows, cfg, split.by_assets, split.rul_validation.start)
            rul_folds_, rul_best = cross_validate_rul(rul_rows, feature_cols, cfg, plan)
    with _timer(metrics, "risk_fit"):
        sample = source.wide(where.sample, wide)
        params = [cfg.lightgbm, *cfg.candidates][best]
        risk = RiskModel(feature_cols, params, cfg.calibration, cfg.seed, horizon)
        on_workers = source.part_rows(where.sample, pl.col(label_col).cast(pl.Float64))
        risk.fit(sample, sample[label_col].to_numpy(), on_workers)
        del sample
        cal = source.wide(where.calibration, wide)
        risk.calibrate(cal, cal[label_col].to_numpy())
        del cal
    with _timer(metrics, "rul_fit"):
        rul_params = [cfg.rul_params(), *cfg.rul_candidates][rul_best]
        rul_fit = fit_rul(source, where.rul, feature_cols, rul_params, cfg, conformal=True)
        rul, rul_keys = rul_fit.model, rul_fit.keys
        rul_y = rul_keys["_target"].to_numpy()
        age = [GROUP_COL, cfg.age_feature]
    numeric = [c for c in feature_cols if c not in risk.encoder_.levels_]
    with _timer(metrics, "baselines_fit"):
        train = source.narrow(where.train, [*age, label_col])
        logit = _baseline_rows(source, where.train, train.height, [label_col, *numeric], cfg)
        baselines = {
            "prevalence_age": BucketMean(cfg.age_feature).fit(train, train[label_col].to_numpy()),
            "logistic": LogisticBaseline(numeric, cfg.seed).fit(logit, logit[label_col].to_numpy()),
            "mean_life": BucketMean(cfg.age_feature).fit(rul_keys, rul_y),
        }
    counts = {"data.rul_train_rows": float(len(rul_y))}
    counts |= _label_counts("train", train[label_col])
    counts |= _label_counts("calibration", source.narrow(where.calibration, [label_col])[label_col])
    return _Fitted(risk, rul, baselines, folds, best, counts, rul_folds_, rul_best, rul_fit.notes)


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


def _plan(frame: pl.DataFrame, label_col: str, cfg: ModelConfig, gap: timedelta) -> SplitPlan:
    cap = cfg.rul_cap_hours()
    if cfg.split == "assets":
        return plan_asset_split(frame, label_col, share=cfg.holdout_assets, seed=cfg.seed)
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
    frame: pl.DataFrame | pl.LazyFrame | FrameSource,
    feature_cols: list[str],
    cfg: ModelConfig,
    horizon: str = "7d",
    oracle_col: str | None = None,
    plot_dir: Path | None = None,
) -> TrainingResult:
    """Train, calibrate and grade the risk and RUL models and their baselines.

    Args:
        frame: labelled snapshots (one row per asset and ``as_of``), in memory or as a
            lazy scan (``pl.scan_parquet`` of the frame's parts): slices are read from it
            one at a time with their filters pushed into the scan (``models.slices``), so
            a frame bigger than memory trains. Both give the same models. A
            ``FrameSource.parquet(path)`` also knows the Parquet parts: inside
            ``boosting_on(client)`` the Dask workers then read the risk and RUL boosters'
            rows from the parts themselves instead of receiving them from this process.
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
    source = FrameSource.of(frame)
    check_inputs(source.rows, feature_cols, label_col, oracle_col)
    metrics: dict[str, float] = {}
    with _timer(metrics, "total"):
        gap = timedelta(hours=cfg.gap_hours(horizon))
        split = _plan(source.narrow(pl.lit(True), [label_col]), label_col, cfg, gap)
        where = _Filters.of(split, label_col, cfg)
        fit = _fit_all(source, split, feature_cols, label_col, cfg, horizon, gap, metrics)
        risk, rul, baselines = fit.risk, fit.rul, fit.baselines
        val, rul_val = source.wide(where.validation), source.wide(where.rul_validation)
        report = _validate(val, rul_val, label_col, risk, rul, baselines, oracle_col, cfg, horizon)
        served_risk, served_rul, refit = risk, rul, {"data.refit": 0.0}
        if cfg.refit:
            with _timer(metrics, "refit"):
                served_risk, served_rul, refit = refit_for_service(
                    source, split, risk, rul, label_col, cfg
                )
            refit["data.refit"] = 1.0
    metrics |= report.metrics | fit.counts | _label_counts("validation", val[label_col]) | refit
    metrics |= {
        "data.rul_validation_rows": float(rul_val.height),
        "data.holdout_assets": float(len(split.holdout)),
        "data.selected_rul_candidate": float(fit.rul_best),
    }
    verdict, notes = _compare(metrics, cfg)
    notes += [*fit.notes, *_interval_notes(metrics, cfg, refit)]
    plots = {}
    if plot_dir is not None:
        plots = write_plots(report, label_col, risk.feature_importance(), cfg, Path(plot_dir))
    return TrainingResult(
        risk=served_risk,
        rul=served_rul,
        baselines=baselines,
        feature_cols=list(feature_cols),
        horizon=horizon,
        cfg=cfg,
        split=split,
        metrics=metrics,
        validation=val,
        predictions=report.predictions,
        rul_validation=rul_val,
        rul_predictions=report.rul_predictions,
        curves={
            name: {"calibration": e.calibration.to_dicts(), "lead_hours": e.lead_hours.tolist()}
            for name, e in report.risk_evals.items()
        },
        cv_folds=fit.folds,
        selected_candidate=fit.best,
        rul_cv_folds=fit.rul_folds,
        selected_rul_candidate=fit.rul_best,
        plots=plots,
        beats_baselines=verdict,
        notes=notes,
    )


def _validate(
    val: pl.DataFrame,
    rul_val: pl.DataFrame,
    label_col: str,
    risk: RiskModel,
    rul: RulModel,
    baselines: dict[str, Any],
    oracle_col: str | None,
    cfg: ModelConfig,
    horizon: str,
) -> ValidationReport:
    scores = {
        "lightgbm": risk.predict_proba(val),
        "logistic": baselines["logistic"].predict_proba(val),
        "prevalence_age": baselines["prevalence_age"].predict(val),
    }
    if oracle_col is not None:
        scores["oracle"] = val[oracle_col].cast(pl.Float64).fill_null(0.0).to_numpy()
    risk_metrics, predictions, evals = validate_risk(val, label_col, scores, cfg, horizon)
    risk_metrics |= _component_metrics(val, scores["lightgbm"], risk, label_col, cfg, horizon)
    rul_preds = {
        "lightgbm": rul.predict(rul_val),
        "mean_life": (baselines["mean_life"].predict(rul_val), None, None),
    }
    rul_metrics, rul_predictions = validate_rul(rul_val, rul_preds, cfg)
    return ValidationReport(risk_metrics | rul_metrics, predictions, rul_predictions, evals)


def _interval_notes(
    metrics: dict[str, float], cfg: ModelConfig, refit: dict[str, float]
) -> list[str]:
    """The coverage warning, and what the logged validation metrics describe."""
    low, high = cfg.rul_quantiles
    prefix = "rul.lightgbm."
    graded = {k[len(prefix) :]: v for k, v in metrics.items() if k.startswith(prefix)}
    warning = coverage_warning(graded, high - low)
    notes = [warning] if warning else []
    if refit.get("data.refit"):
        notes.append(
            "validation metrics are those of the held-out fit; the registered models were "
            f"refit on {refit['data.refit_risk_rows']:,.0f} risk rows and "
            f"{refit['data.refit_rul_rows']:,.0f} RUL rows (probability map and interval "
            "offsets kept from the held-out fit)"
        )
    return notes


def _label_counts(name: str, labels: pl.Series) -> dict[str, float]:
    """``data.{name}_rows`` and ``data.{name}_positives`` of a slice's known labels."""
    known = labels.drop_nulls()
    return {f"data.{name}_rows": float(known.len()), f"data.{name}_positives": float(known.sum())}


def _component_metrics(
    val: pl.DataFrame,
    p_fail: Any,
    risk: RiskModel,
    label_col: str,
    cfg: ModelConfig,
    horizon: str,
) -> dict[str, float]:
    """``risk.lightgbm.component.*`` metrics when the risk model names components."""
    table = risk.predict_components(val, p_fail)
    if table is None:
        return {}
    names = [c for c in risk.components_.classes_ if c != UNSPECIFIED]
    graded = grade_components(
        val,
        p_fail,
        table,
        names,
        label_col,
        horizon_h=hours(horizon),
        lead_h=hours(cfg.lead_time),
        budget=cfg.inspection_budget,
    )
    return {f"risk.lightgbm.{k}": v for k, v in graded.items()}
