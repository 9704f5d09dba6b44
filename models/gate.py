"""The quality gate: can this model serve the nightly list at all?

Checked before any comparison with a champion, for the first model as for every later
one: a model whose grade is NaN (no failure in the validation window), that cannot rank
(constant predictions; ROC-AUC within ``CONSTANT_AUC_MARGIN`` of 0.5), or that loses to
its own baselines on the promotion metric would put a meaningless order on the
planners' list. Such a model is still registered, as challenger, so it can be inspected
and promoted by hand when that is really wanted.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from forewarn.models.selection import is_better

if TYPE_CHECKING:  # training imports lightgbm; the gate only reads its result
    from forewarn.models.training import TrainingResult

CONSTANT_AUC_MARGIN = 0.02
"""A risk model whose validation ROC-AUC is within this of 0.5 ranks no better than a coin."""

RISK_BASELINES = ("prevalence_age", "logistic")
RUL_BASELINES = ("mean_life",)


def _nan(value: float | None) -> bool:
    return value is None or math.isnan(value)


def graded_on(result: TrainingResult) -> dict[str, dict[str, object]]:
    """What each model was graded on: validation rows, positives, failures and window."""
    m, split = result.metrics, result.split
    return {
        "risk": {
            "rows": int(m.get("data.validation_rows", 0)),
            "positives": int(m.get("data.validation_positives", 0)),
            "failures": int(m.get("risk.lightgbm.events", 0) or 0),
            "start": split.validation.start.isoformat(),
            "end": split.validation.end.isoformat(),
        },
        "rul": {
            "rows": int(m.get("data.rul_validation_rows", 0)),
            "start": split.rul_validation.start.isoformat(),
            "end": split.rul_validation.end.isoformat(),
        },
    }


def _losses(result: TrainingResult, task: str, baselines: tuple[str, ...]) -> list[str]:
    cfg = result.cfg
    metric, tie = (
        (cfg.promotion_metric, cfg.tie_break_metric)
        if task == "risk"
        else (cfg.rul_promotion_metric, None)
    )
    ours = result.model_metrics(task)
    out = []
    for name in baselines:
        theirs = result.model_metrics(task, name)
        if not theirs or is_better(ours, theirs, metric, tie):
            continue
        a, b = ours.get(metric, math.nan), theirs.get(metric, math.nan)
        why = f"it does not beat the {name} baseline on {metric} ({a:.4g} vs {b:.4g}"
        if tie is not None and not is_better(theirs, ours, metric):  # a tie: the tie-break
            why += f"; tie-break {tie} {ours.get(tie, math.nan):.4g} vs "
            why += f"{theirs.get(tie, math.nan):.4g}"
        out.append(why + ")")
    return out


def risk_problems(result: TrainingResult) -> list[str]:
    """Why the risk model may not become champion (empty: it passes the gate)."""
    m, cfg = result.model_metrics("risk"), result.cfg
    graded = graded_on(result)["risk"]
    where = (
        f"{graded['rows']:,} validation snapshots, {graded['positives']:,} positive, "
        f"{graded['failures']:,} failures, {graded['start'][:10]} .. {graded['end'][:10]}"
    )
    if not graded["positives"] or _nan(m.get("roc_auc")):
        return [
            f"its validation metrics are NaN: the validation window holds no failure to "
            f"grade it on ({where}); train on more history or widen [model] validation_window"
        ]
    if _nan(m.get(cfg.promotion_metric)):
        return [f"its promotion metric {cfg.promotion_metric} is NaN ({where})"]
    problems = []
    scores = result.predictions.get_column("p_lightgbm").drop_nulls().to_numpy()
    auc = m["roc_auc"]
    if np.unique(scores).size <= 1 or abs(auc - 0.5) <= CONSTANT_AUC_MARGIN:
        problems.append(
            f"it cannot rank assets: validation ROC-AUC {auc:.3f} is within "
            f"{CONSTANT_AUC_MARGIN} of 0.5 ({np.unique(scores).size} distinct predictions; "
            "a constant model: try a smaller [model.lightgbm] min_child_samples "
            f"(now {result.cfg.lightgbm.min_child_samples}) or more history)"
        )
    return problems + _losses(result, "risk", RISK_BASELINES)


def rul_problems(result: TrainingResult) -> list[str]:
    """Why the RUL model may not become champion (empty: it passes the gate)."""
    metric = result.cfg.rul_promotion_metric
    graded = graded_on(result)["rul"]
    if _nan(result.model_metrics("rul").get(metric)):
        return [
            f"its validation {metric} is NaN: no snapshot in the RUL validation window "
            f"({graded['rows']:,} rows, {graded['start'][:10]} .. {graded['end'][:10]}) has a "
            "known RUL; train on more history or lower [model] rul_cap"
        ]
    problems = []
    points = result.rul_predictions.get_column("rul_pred_hours").drop_nulls().to_numpy()
    if points.size > 1 and np.unique(points).size <= 1:
        problems.append(f"it predicts the same RUL ({points[0]:.1f} h) for every snapshot")
    return problems + _losses(result, "rul", RUL_BASELINES)


def gate_problems(task: str, result: TrainingResult) -> list[str]:
    """``risk_problems`` or ``rul_problems`` of ``task``."""
    return risk_problems(result) if task == "risk" else rul_problems(result)
