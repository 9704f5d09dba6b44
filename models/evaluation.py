"""Grade every model on the validation frame, the same way for new runs and champions.

Metric keys are flat and predictable, ready for MLflow:
``risk.{model}.{metric}`` (model: ``lightgbm``, ``logistic``, ``prevalence_age``,
``oracle``), ``risk.lightgbm_over_oracle.{metric}``, ``rul.{model}.{metric}``
(``lightgbm``, ``mean_life``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from forewarn.features.durations import hours
from forewarn.models import plots
from forewarn.models.budget import budget_summary
from forewarn.models.config import ModelConfig
from forewarn.models.metrics import RiskEval, evaluate_risk
from forewarn.models.rul import RUL_COL, RulModel, rul_target
from forewarn.models.rul_metrics import evaluate_rul

RATIO_METRICS = ("pr_auc", "roc_auc", "event_recall", "precision_at_k", "recall_at_k")


@dataclass
class ValidationReport:
    """Metrics of every model, the scored validation rows, and per-model curves."""

    metrics: dict[str, float]
    predictions: pl.DataFrame
    rul_predictions: pl.DataFrame
    risk_evals: dict[str, RiskEval] = field(default_factory=dict)


def risk_eval(
    frame: pl.DataFrame, scores: np.ndarray, label_col: str, cfg: ModelConfig, horizon: str
) -> RiskEval:
    """All risk metrics of one score vector on a labelled frame."""
    scored = frame.with_columns(pl.Series("_score", scores, dtype=pl.Float64))
    horizon_h, lead_h = hours(horizon), hours(cfg.lead_time)
    graded = evaluate_risk(
        scored,
        "_score",
        label_col,
        horizon_h=horizon_h,
        lead_h=lead_h,
        budget=cfg.inspection_budget,
        bins=cfg.calibration_bins,
    )
    # The budget curve: what 1/2/5/10 inspections a night, and a perfect ranking within
    # the budget, would have caught (tells a weak model from a budget that is too small).
    labelled = scored.filter(pl.col(label_col).is_not_null())
    graded.metrics.update(
        budget_summary(labelled, "_score", horizon_h, lead_h, cfg.inspection_budget)
    )
    return graded


def rul_eval(frame: pl.DataFrame, model: RulModel, unit_hours: float = 24.0) -> dict[str, float]:
    """RUL metrics of a fitted model on ``frame`` (PHM08 in units of ``unit_hours``)."""
    point, low, high = model.predict(frame)
    return evaluate_rul(frame, point, low, high, model.cap_hours, unit_hours)


def prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    """``{"pr_auc": x}`` → ``{"risk.lightgbm.pr_auc": x}``."""
    return {f"{prefix}.{k}": v for k, v in metrics.items()}


def oracle_ratios(metrics: dict[str, float]) -> dict[str, float]:
    """LightGBM over oracle for the ranking metrics (1.0 = as good as the truth)."""
    out = {}
    for m in RATIO_METRICS:
        model, oracle = metrics.get(f"risk.lightgbm.{m}"), metrics.get(f"risk.oracle.{m}")
        if model is not None and oracle and not math.isnan(oracle):
            out[f"risk.lightgbm_over_oracle.{m}"] = model / oracle
    return out


def validate_risk(
    frame: pl.DataFrame,
    label_col: str,
    risk_scores: dict[str, np.ndarray],
    cfg: ModelConfig,
    horizon: str,
) -> tuple[dict[str, float], pl.DataFrame, dict[str, RiskEval]]:
    """Grade every risk score vector on the (risk) validation frame.

    Args:
        frame: validation snapshots (labels included).
        label_col: ``fails_within_{horizon}``.
        risk_scores: model name → probabilities aligned with ``frame``.
        cfg: model config (budget, lead time).
        horizon: the risk horizon.

    Returns:
        Prefixed metrics (with oracle ratios), the scored rows, and each model's curves.
    """
    metrics: dict[str, float] = {}
    evals: dict[str, RiskEval] = {}
    for name, scores in risk_scores.items():
        evals[name] = risk_eval(frame, scores, label_col, cfg, horizon)
        metrics |= prefixed(f"risk.{name}", evals[name].metrics)
    metrics |= oracle_ratios(metrics)
    columns = [pl.Series(f"p_{k}", v, dtype=pl.Float64) for k, v in risk_scores.items()]
    keep = ["asset_id", "as_of", label_col, RUL_COL, "rul_censored"]
    return metrics, frame.select(keep).with_columns(columns), evals


def validate_rul(
    frame: pl.DataFrame,
    rul_preds: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
    cfg: ModelConfig,
) -> tuple[dict[str, float], pl.DataFrame]:
    """Grade every RUL prediction on the RUL validation frame.

    Args:
        frame: RUL validation snapshots (see ``SplitPlan.rul_validation``).
        rul_preds: model name → (point, low, high) in hours; low/high may be ``None``.
        cfg: model config (cap).
    """
    metrics: dict[str, float] = {}
    for name, (point, low, high) in rul_preds.items():
        graded = evaluate_rul(frame, point, low, high, cfg.rul_cap_hours(), cfg.time_unit_hours())
        metrics |= prefixed(f"rul.{name}", graded)
    point, low, high = rul_preds["lightgbm"]
    columns = [
        pl.Series("rul_pred_hours", point),
        pl.Series("rul_low_hours", low),
        pl.Series("rul_high_hours", high),
        pl.Series("rul_mean_life_hours", rul_preds["mean_life"][0]),
    ]
    keep = ["asset_id", "as_of", RUL_COL, "rul_censored"]
    return metrics, frame.select(keep).with_columns(columns)


def write_plots(
    report: ValidationReport,
    label_col: str,
    importance: dict[str, float],
    cfg: ModelConfig,
    out_dir: Path,
) -> dict[str, Path]:
    """PR curves, calibration, lead times, importance and RUL scatter as PNG files."""
    pred = report.predictions.filter(pl.col(label_col).is_not_null())
    y = pred[label_col].cast(pl.Int8).to_numpy()
    curves = {k: (y, pred[f"p_{k}"].to_numpy()) for k in report.risk_evals}
    paths = {
        "pr_curve": plots.pr_curves(curves, out_dir / "pr_curve.png"),
        "calibration": plots.calibration_plot(
            {k: e.calibration for k, e in report.risk_evals.items()}, out_dir / "calibration.png"
        ),
        "lead_time": plots.lead_time_histogram(
            report.risk_evals["lightgbm"].lead_hours,
            hours(cfg.lead_time),
            out_dir / "lead_time.png",
            cfg.time_unit_hours(),
            cfg.time_unit,
        ),
        "feature_importance": plots.importance_plot(importance, out_dir / "feature_importance.png"),
    }
    rul = report.rul_predictions.with_columns(rul_target(cfg.rul_cap_hours()).alias("_true"))
    rul = rul.filter(pl.col("_true").is_not_null())
    if rul.height:
        arrays = [
            rul[c].to_numpy()
            for c in ("_true", "rul_pred_hours", "rul_low_hours", "rul_high_hours")
        ]
        paths["rul_pred_vs_true"] = plots.rul_scatter(
            *arrays,
            out_dir / "rul_pred_vs_true.png",
            unit_hours=cfg.time_unit_hours(),
            unit=cfg.time_unit,
        )
    return paths
