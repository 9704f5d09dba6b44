"""Tonight's drift: against the model's reference (Evidently for the fleet, groups in pure
code) and against the recent past (the step detector).

Frames in, JSON-ready sections out (the only I/O is Evidently's HTML file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from forewarn.flows.monitoring.config import DriftConfig, StepConfig
from forewarn.flows.monitoring.drift import FLEET, group_drift, missing_rates, verdict
from forewarn.flows.monitoring.evidently_report import ColumnDrift, run_drift
from forewarn.flows.monitoring.step import judge_steps


def _fleet_limits(table: pl.DataFrame) -> dict[str, float]:
    return dict(table.filter(pl.col("scope") == FLEET).select("column", "threshold").iter_rows())


def _column(result: ColumnDrift) -> dict:
    return {
        "column": result.column,
        "method": result.method,
        "score": round(result.score, 4),
        "threshold": round(result.threshold, 4),
        "drifted": result.drifted,
    }


def assess_drift(
    reference: pl.DataFrame,
    table: pl.DataFrame,
    meta: dict,
    current: pl.DataFrame,
    cfg: DriftConfig,
    html: Path | None,
) -> dict:
    """Fleet verdict (Evidently), per-group verdicts, prediction drift and missing values.

    Args:
        reference: the model's reference sample (features and predictions).
        table: calibrated thresholds (``drift.calibrate``).
        meta: the reference's ``reference.json`` (column lists).
        current: tonight's inputs (features and predictions).
        cfg: drift settings.
        html: where Evidently's report goes.

    Returns:
        ``share`` (worst judged scope), ``alarm``, ``alarm_scopes``, ``fleet``, ``groups``,
        ``predictions``, ``categorical`` and ``missing``.
    """
    features = [c for c in meta["numeric"] if c in current.columns]
    predictions = [c for c in meta["predictions"] if c in current.columns]
    categorical = [c for c in meta["categorical"] if c in current.columns]
    limits = _fleet_limits(table)
    results = run_drift(reference, current, features + predictions, categorical, limits, cfg, html)
    by_column = {r.column: r for r in results}
    judged = [c for c in features if c in by_column]
    scores = np.array([by_column[c].score for c in judged], dtype=float)
    fleet = verdict(
        FLEET,
        current.height,
        judged,
        scores,
        np.array([by_column[c].threshold for c in judged]),
        cfg,
    )
    groups = group_drift(reference, current, features, table, cfg)
    scopes = [fleet, *[g for g in groups if g.judged]]
    return {
        "share": max(s.share for s in scopes),
        "alarm": any(s.alarm for s in scopes),
        "alarm_scopes": [s.scope for s in scopes if s.alarm],
        "fleet": fleet.to_dict(),
        "groups": [g.to_dict() for g in groups],
        "predictions": [_column(by_column[c]) for c in predictions if c in by_column],
        "categorical": [_column(by_column[c]) for c in categorical if c in by_column],
        "missing": missing_rates(reference, current, features),
    }


def assess_steps(
    recent: pl.DataFrame,
    table: pl.DataFrame | None,
    current: pl.DataFrame,
    drift: DriftConfig,
    cfg: StepConfig,
) -> dict:
    """Step verdicts of tonight against the previous stored nights (``step``).

    Args:
        recent: previous nights' inputs (any number; empty when none were stored).
        table: the reference's step limits (None: the reference predates the detector).
        current: tonight's inputs.
        drift: scope settings (groups, smallest judged group).
        cfg: step settings.

    Returns:
        ``available`` (and ``reason`` when not), ``alarm``, ``alarm_scopes``, ``scopes``.
    """
    nights = recent["as_of"].n_unique() if recent.height else 0
    reason = None
    if not cfg.enabled:
        reason = "step detector disabled ([monitoring.step] enabled = false)"
    elif table is None or table.height == 0:
        reason = "the reference has no step limits (no step feature, or an older reference)"
    elif nights < cfg.min_recent:
        reason = f"{nights} previous night(s) stored; the step detector needs {cfg.min_recent}"
    if reason is not None:
        return {"available": False, "reason": reason, "alarm": False, "alarm_scopes": []}
    verdicts = judge_steps(recent, current, table, drift.groups, drift.min_group_rows, cfg)
    return {
        "available": True,
        "recent_nights": nights,
        "alarm": any(v.alarm for v in verdicts),
        "alarm_scopes": [v.scope for v in verdicts if v.alarm],
        "scopes": [v.to_dict() for v in verdicts],
    }
