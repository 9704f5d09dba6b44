"""Risk metrics, including the ones a maintenance planner actually lives by.

PR-AUC, ROC-AUC and Brier grade the scores. The planner's questions are different:
"if I inspect the top 1 % of the fleet each day, how many of those are real
(precision@k), how many failing assets do I catch (recall@k), how many failures do
I see coming at least a day ahead (event-level recall), and how often do I send a
crew for nothing (false alarms per asset per month)?"

Input is a *scored frame*: ``asset_id``, ``as_of``, a boolean label column, a score
column, and ``rul_hours``/``rul_censored`` (which give each snapshot's next failure
time, from which failure events are rebuilt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from forewarn.models.rul import rul_span

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class RiskEval:
    """Scalar metrics plus the arrays the plots need."""

    metrics: dict[str, float]
    calibration: pl.DataFrame
    lead_hours: np.ndarray


def score_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """PR-AUC, ROC-AUC, Brier score and prevalence."""
    y = np.asarray(y, dtype=int)
    both = 0 < y.sum() < y.size
    return {
        "pr_auc": float(average_precision_score(y, p)) if both else math.nan,
        "roc_auc": float(roc_auc_score(y, p)) if both else math.nan,
        "brier": float(brier_score_loss(y, p)),
        "prevalence": float(y.mean()),
    }


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int) -> pl.DataFrame:
    """Mean predicted vs observed frequency in equal-count bins of the prediction.

    Equal-count bins keep every point meaningful when most predictions are near 0.
    """
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, max(len(p), 1)))
    rows = [(float(p[g].mean()), float(np.mean(y[g])), len(g)) for g in groups if len(g)]
    return pl.DataFrame(rows, schema=["mean_predicted", "observed", "count"], orient="row")


def expected_calibration_error(table: pl.DataFrame) -> float:
    """Count-weighted mean gap between predicted and observed frequency."""
    gap = (table["mean_predicted"] - table["observed"]).abs()
    return float((gap * table["count"]).sum() / table["count"].sum())


def flag_daily_top_k(frame: pl.DataFrame, score_col: str, budget: float) -> pl.Series:
    """Boolean flags: each day, the ``ceil(budget x assets scored that day)`` highest scores.

    Ties are broken by asset id, so the flagged set does not depend on row order.
    """
    day = pl.col("as_of").dt.truncate("1d")
    ranked = (
        frame.select(pl.col("as_of"), pl.col(score_col), pl.col("asset_id"))
        .with_row_index("_row")
        .sort(day, pl.col(score_col), pl.col("asset_id"), descending=[False, True, False])
        .with_columns(
            (pl.int_range(1, pl.len() + 1).over(day) <= (pl.len().over(day) * budget).ceil()).alias(
                "flagged"
            )
        )
        .sort("_row")
    )
    return ranked["flagged"]


def at_k_metrics(labels: pl.Series, flagged: pl.Series) -> dict[str, float]:
    """Precision and recall of the daily flags, pooled over days."""
    y = labels.cast(pl.Boolean).to_numpy()
    f = flagged.to_numpy()
    tp = int((y & f).sum())
    return {
        "precision_at_k": tp / max(int(f.sum()), 1),
        "recall_at_k": tp / int(y.sum()) if y.any() else math.nan,
    }


def event_leads(frame: pl.DataFrame, flagged: pl.Series, horizon_h: float) -> pl.DataFrame:
    """One row per failure event: the longest lead among flags inside the horizon.

    A flag counts for a failure only inside the horizon before it: an alert 40 days
    ahead of a 7-day forecast is a false alarm that happened to come true later.

    Returns:
        ``asset_id``, ``failure_at``, ``max_lead_hours`` (longest lead any snapshot
        could have had, within the horizon) and ``lead_hours`` (null if never flagged).
    """
    rows = frame.select("asset_id", "as_of", "rul_hours", "rul_censored").with_columns(
        flagged.alias("flagged")
    )
    rows = rows.filter(
        ~pl.col("rul_censored").fill_null(True)
        & pl.col("rul_hours").is_not_null()
        & (pl.col("rul_hours") <= horizon_h)
    ).with_columns((pl.col("as_of") + rul_span()).alias("failure_at"))
    return (
        rows.group_by("asset_id", "failure_at")
        .agg(
            pl.col("rul_hours").max().alias("max_lead_hours"),
            pl.col("rul_hours").filter(pl.col("flagged")).max().alias("lead_hours"),
        )
        .sort("asset_id", "failure_at")
    )


def event_metrics(events: pl.DataFrame, lead_h: float) -> dict[str, float]:
    """Share of failures flagged at least ``lead_h`` ahead, among those that could be.

    A failure counts only if some snapshot existed at least ``lead_h`` before it
    (otherwise no model could have warned in time).
    """
    eligible = events.filter(pl.col("max_lead_hours") >= lead_h)
    caught = eligible.filter(pl.col("lead_hours") >= lead_h).height
    leads = events["lead_hours"].drop_nulls()
    return {
        "event_recall": caught / eligible.height if eligible.height else math.nan,
        "events": float(eligible.height),
        "events_flagged_any_lead": float(leads.len()),
        "lead_hours_median": float(leads.median()) if leads.len() else math.nan,
    }


def false_alarm_rate(frame: pl.DataFrame, labels: pl.Series, flagged: pl.Series) -> float:
    """Flags on snapshots that did not fail within the horizon, per asset per month."""
    days = (frame["as_of"].max() - frame["as_of"].min()).total_seconds() / 86400 + 1
    assets = frame["asset_id"].n_unique()
    false = int((flagged.to_numpy() & ~labels.cast(pl.Boolean).to_numpy()).sum())
    return false / max(assets * days / DAYS_PER_MONTH, 1e-9)


def evaluate_risk(
    frame: pl.DataFrame,
    score_col: str,
    label_col: str,
    *,
    horizon_h: float,
    lead_h: float,
    budget: float,
    bins: int = 10,
) -> RiskEval:
    """All risk metrics for one score column of a labelled, scored frame."""
    frame = frame.filter(pl.col(label_col).is_not_null())
    y = frame[label_col].cast(pl.Int8).to_numpy()
    p = frame[score_col].cast(pl.Float64).to_numpy()
    flagged = flag_daily_top_k(frame, score_col, budget)
    events = event_leads(frame, flagged, horizon_h)
    table = calibration_table(y, p, bins)
    metrics = score_metrics(y, p)
    metrics["ece"] = expected_calibration_error(table)
    metrics |= at_k_metrics(frame[label_col], flagged)
    metrics |= event_metrics(events, lead_h)
    metrics["false_alarms_per_asset_month"] = false_alarm_rate(frame, frame[label_col], flagged)
    return RiskEval(metrics, table, events["lead_hours"].drop_nulls().to_numpy())
