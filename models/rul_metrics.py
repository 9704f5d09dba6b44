"""RUL metrics: errors in hours, the PHM08 asymmetric score in time units, interval coverage.

Units: RMSE and MAE are in hours (the unit of ``rul_hours``). The PHM08 score uses
``d = predicted - true`` in the data's **time unit** (``[model] time_unit``): its
constants (13 and 10) were set for engine cycles, so a dataset whose step is a cycle
(mapped onto, say, one hour) must count ``d`` in cycles, and a daily fleet in days; in
the wrong unit every error explodes or vanishes.
Late predictions (``d >= 0``: the model says the asset lives longer than it does)
cost more than early ones, as a missed failure costs more than an early inspection.

Capped metrics compare with ``min(true, cap)`` on every row whose capped value is
known (failed, or censored beyond the cap). Uncapped metrics use failed rows only and
compare with the recorded life itself, never with the cap.

Coverage: a bound at the cap means "at least the cap" (the target is capped), so an
interval reaching the cap covers any longer life.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from forewarn.models.rul import CENSORED_COL, RUL_COL, rul_target


def phm_score(pred_days: np.ndarray, true_days: np.ndarray) -> float:
    """PHM08 score: sum of ``exp(-d/13) - 1`` for early and ``exp(d/10) - 1`` for late."""
    d = np.asarray(pred_days, dtype=np.float64) - np.asarray(true_days, dtype=np.float64)
    return float(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0)).sum())


def _errors(pred: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    if true.size == 0:
        return math.nan, math.nan
    err = pred - true
    return float(np.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def evaluate_rul(
    frame: pl.DataFrame,
    pred: np.ndarray,
    low: np.ndarray | None,
    high: np.ndarray | None,
    cap_hours: float | None,
    unit_hours: float = 24.0,
) -> dict[str, float]:
    """RMSE/MAE (capped and uncapped), PHM08 score and interval coverage.

    Args:
        frame: rows with ``rul_hours`` and ``rul_censored``, aligned with ``pred``.
        pred: point predictions in hours.
        low: lower bounds in hours (``None`` for models without an interval).
        high: upper bounds in hours.
        cap_hours: the training cap, or ``None``.
        unit_hours: hours in one time unit of the data (PHM08 counts ``d`` in it).
    """
    capped = frame.select(rul_target(cap_hours)).to_series().to_numpy().astype(np.float64)
    known = ~np.isnan(capped)
    censored = frame[CENSORED_COL].fill_null(True).to_numpy()
    failed = ~censored & frame[RUL_COL].is_not_null().to_numpy()
    true = frame[RUL_COL].cast(pl.Float64).to_numpy()
    rmse_c, mae_c = _errors(pred[known], capped[known])
    rmse_u, mae_u = _errors(pred[failed], true[failed])
    phm = phm_score(pred[known] / unit_hours, capped[known] / unit_hours)
    out = {
        "rmse_capped": rmse_c,
        "mae_capped": mae_c,
        "rmse_uncapped": rmse_u,
        "mae_uncapped": mae_u,
        "phm_score": phm,
        "phm_score_mean": phm / known.sum() if known.any() else math.nan,
        "rows_capped": float(known.sum()),
        "rows_uncapped": float(failed.sum()),
    }
    if low is not None and high is not None and known.any():
        inside = (capped >= low) & (capped <= high)
        out["interval_coverage"] = float(inside[known].mean())
        out["interval_width_hours"] = float(np.mean(high[known] - low[known]))
        if cap_hours is not None:
            collapsed = known & (low >= cap_hours - 1e-9)
            out["interval_at_cap_share"] = float(collapsed[known].mean())
        # Rows at the cap are easy to cover (low = high = cap); the rows that fail
        # within the cap are the ones a planner acts on.
        short = known & (capped < (np.inf if cap_hours is None else cap_hours))
        before_cap = float(inside[short].mean()) if short.any() else math.nan
        out["interval_coverage_before_cap"] = before_cap
    return out
