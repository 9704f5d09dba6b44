"""Tonight's drift: against the model's reference (distribution, every scope) and against
the recent past (the step detector), plus Evidently's report of the fleet.

Verdicts come from ``drift_stats`` on every row and column, for the fleet and each group
alike. Evidently's ``DataDriftPreset`` (same methods, same per-column thresholds) renders
the HTML/JSON report of the fleet for the predictions, the categorical columns and the
``report_columns`` strongest features, on at most ``report_rows`` rows per side: its cost
grows with columns x rows (measured: 124 columns of 10,000 vs 20,000 rows take about a
minute on two cores, 30 columns of 5,000 rows about 8 s), and a night must stay well
under a minute on a 10,000-asset fleet.

Frames in, JSON-ready sections out (the only I/O is Evidently's HTML file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from forewarn.flows.monitoring.config import DriftConfig, StepConfig
from forewarn.flows.monitoring.drift import (
    FLEET,
    ScopeDrift,
    group_drift,
    missing_rates,
    scope_references,
    thresholds_for,
    verdict,
)
from forewarn.flows.monitoring.drift_stats import Reference, as_matrix, jensen_shannon
from forewarn.flows.monitoring.evidently_report import run_drift
from forewarn.flows.monitoring.step import judge_steps


def _column(column: str, method: str, score: float, threshold: float) -> dict:
    known = not np.isnan(score)
    return {
        "column": column,
        "method": method,
        "score": round(float(score), 4) if known else None,
        "threshold": round(float(threshold), 4),
        "drifted": bool(known and score >= threshold),
    }


def report_columns(fleet: ScopeDrift, scores: dict[str, float], limits: dict, n: int) -> list:
    """The ``n`` features Evidently shows: drifted ones first, then closest to drifting."""
    drifted = [d["column"] for d in fleet.drifted]
    rest = sorted(
        (c for c in scores if c not in drifted and not np.isnan(scores[c])),
        key=lambda c: -scores[c] / limits[c],
    )
    return (drifted + rest)[:n]


def _sample(frame: pl.DataFrame, rows: int) -> pl.DataFrame:
    return frame if frame.height <= rows else frame.sample(rows, seed=0)


def assess_drift(
    reference: pl.DataFrame,
    table: pl.DataFrame,
    meta: dict,
    current: pl.DataFrame,
    cfg: DriftConfig,
    html: Path | None,
) -> dict:
    """Fleet and per-group verdicts, prediction and categorical drift, Evidently's report.

    Args:
        reference: the model's reference sample (features and predictions).
        table: calibrated thresholds (``drift.calibrate``).
        meta: the reference's ``reference.json`` (column lists).
        current: tonight's inputs (features and predictions).
        cfg: drift settings.
        html: where Evidently's report goes (None: no report).

    Returns:
        ``share`` (worst judged scope), ``alarm``, ``alarm_scopes``, ``fleet``, ``groups``,
        ``predictions``, ``categorical``, ``missing`` and ``report`` (what Evidently showed).
    """
    features = [c for c in meta["numeric"] if c in current.columns]
    predictions = [c for c in meta["predictions"] if c in current.columns]
    categorical = [c for c in meta["categorical"] if c in current.columns]
    refs = scope_references(reference, features, cfg.groups)
    scores = refs[FLEET].distance(as_matrix(current, features))
    limits = thresholds_for(table, FLEET, features, cfg.threshold)
    fleet = verdict(FLEET, current.height, features, scores, limits, cfg)
    groups = group_drift(refs, current, features, table, cfg)
    pred_scores = Reference(as_matrix(reference, predictions)).distance(
        as_matrix(current, predictions)
    )
    pred_limits = thresholds_for(table, FLEET, predictions, cfg.threshold)
    scopes = [fleet, *[g for g in groups if g.judged]]
    section = {
        "share": max(s.share for s in scopes),
        "alarm": any(s.alarm for s in scopes),
        "alarm_scopes": [s.scope for s in scopes if s.alarm],
        "fleet": fleet.to_dict(),
        "groups": [g.to_dict() for g in groups],
        "predictions": [
            _column(c, cfg.numeric_method, s, t)
            for c, s, t in zip(predictions, pred_scores, pred_limits, strict=True)
        ],
        "categorical": [
            _column(
                c,
                cfg.categorical_method,
                jensen_shannon(reference[c], current[c]),
                cfg.categorical_threshold,
            )
            for c in categorical
        ],
        "missing": missing_rates(reference, current, features),
    }
    if html is not None:
        by_col = dict(zip(features, scores.tolist(), strict=True))
        shown = report_columns(
            fleet, by_col, dict(zip(features, limits, strict=True)), cfg.report_columns
        )
        all_limits = dict(zip(features + predictions, [*limits, *pred_limits], strict=True))
        ref, cur = _sample(reference, cfg.report_rows), _sample(current, cfg.report_rows)
        results = run_drift(ref, cur, shown + predictions, categorical, all_limits, cfg, html)
        section["report"] = {
            "columns": [r.column for r in results],
            "rows": {"reference": ref.height, "current": cur.height},
        }
    return section


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
