"""Grading the per-component risk the way a planner uses it.

Three questions, on the validation rows:

- does each component's probability rank that component's failures (PR-AUC per
  component, against ``fails_within_{H}__{component}``)?
- of each component's failures, how many did the nightly flags catch in time (event
  recall at the budget, per component; the flags are the overall list's)?
- when a failure was caught, did the list name the part that failed (share of caught
  failures whose likely component at the warning was the failing one)?

Keys are flat for MLflow: ``risk.lightgbm.component.{name}.{metric}`` and
``risk.lightgbm.component_named_share``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl

from forewarn.models.metrics import flag_daily_top_k, score_metrics
from forewarn.models.rul import rul_span


def metric_name(component: str) -> str:
    """A component name safe inside an MLflow metric key."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", component) or "_"


def component_events(
    frame: pl.DataFrame,
    flagged: pl.Series,
    likely: pl.Series,
    components: list[str],
    label_col: str,
    horizon_h: float,
    lead_h: float,
) -> pl.DataFrame:
    """One row per failure event seen in ``frame``, with its component and whether it was
    caught (flagged at least ``lead_h`` ahead, inside the horizon) and named.

    The event's component is the listed component whose label is true on the last
    snapshot before the failure; the named component is the likely one at the
    earliest flag that counted (the crew's first dispatch).
    """
    comp_cols = [f"{label_col}__{c}" for c in components]
    rows = frame.select("asset_id", "as_of", "rul_hours", "rul_censored", *comp_cols)
    rows = rows.with_columns(flagged.alias("_flag"), likely.alias("_named")).filter(
        ~pl.col("rul_censored").fill_null(True)
        & pl.col("rul_hours").is_not_null()
        & (pl.col("rul_hours") <= horizon_h)
    )
    rows = rows.with_columns((pl.col("as_of") + rul_span()).alias("failure_at"))
    which = pl.coalesce(
        *[
            pl.when(pl.col(col).fill_null(False)).then(pl.lit(c))
            for c, col in zip(components, comp_cols, strict=True)
        ],
        pl.lit(None, pl.String),
    )
    counted = pl.col("_flag") & (pl.col("rul_hours") >= lead_h)
    return (
        rows.with_columns(which.alias("_component"))
        .sort("asset_id", "failure_at", "as_of")
        .group_by("asset_id", "failure_at", maintain_order=True)
        .agg(
            pl.col("_component").last().alias("component"),
            (pl.col("rul_hours").max() >= lead_h).alias("eligible"),
            counted.any().alias("caught"),
            pl.col("_named").filter(counted).first().alias("named"),
        )
    )  # fmt: skip


def grade_components(
    frame: pl.DataFrame,
    p_fail: np.ndarray,
    components: pl.DataFrame,
    names: list[str],
    label_col: str,
    *,
    horizon_h: float,
    lead_h: float,
    budget: float,
) -> dict[str, float]:
    """Per-component PR-AUC and event recall, and the named-correctly share.

    Args:
        frame: validation rows (labels, ``rul_hours``, ``rul_censored``).
        p_fail: the overall calibrated probabilities, aligned with ``frame``.
        components: ``component_table`` output, aligned with ``frame``.
        names: the model's named components.
        label_col: ``fails_within_{H}``.
        horizon_h, lead_h, budget: as for the overall event recall.
    """
    known = frame[label_col].is_not_null()
    frame, p = frame.filter(known), np.asarray(p_fail, dtype=float)[known.to_numpy()]
    components = components.filter(known)
    scored = frame.with_columns(pl.Series("_score", p))
    flagged = flag_daily_top_k(scored, "_score", budget)
    by_comp = components["component_risk"].to_list()
    out: dict[str, float] = {}
    for comp in names:
        col = f"{label_col}__{comp}"
        if col not in frame.columns:
            continue
        y = frame[col].fill_null(False).to_numpy()
        pc = np.array(
            [next((d["p_fail"] for d in r if d["component"] == comp), 0.0) for r in by_comp]
        )
        out[f"component.{metric_name(comp)}.pr_auc"] = score_metrics(y, pc)["pr_auc"]
    listed = [c for c in names if f"{label_col}__{c}" in frame.columns]
    events = component_events(
        frame, flagged, components["likely_component"], listed, label_col, horizon_h, lead_h
    ).filter(pl.col("eligible"))
    for comp in listed:
        mine = events.filter(pl.col("component") == comp)
        recall = mine["caught"].mean() if mine.height else math.nan
        out[f"component.{metric_name(comp)}.event_recall"] = float(recall)  # type: ignore[arg-type]
        out[f"component.{metric_name(comp)}.events"] = float(mine.height)
    caught = events.filter(pl.col("caught") & pl.col("component").is_not_null())
    named = (caught["named"] == caught["component"]).mean() if caught.height else math.nan
    out["component_named_share"] = float(named)  # type: ignore[arg-type]
    out["component_caught_events"] = float(caught.height)
    return out  # fmt: skip


def _p_of(row: list[dict], component: str) -> float:
    return next((d["p_fail"] for d in row if d["component"] == component), 0.0)
