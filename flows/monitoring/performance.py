"""Realised performance once labels mature: how did past nights' lists do?

A night scored at ``t`` is graded when ``t + horizon <= as_of``: by then every failure that
night was trying to predict has happened or not. Grading reuses the training metrics
(``forewarn.models.metrics``), so a realised precision@k means exactly what the promotion
gate's precision@k meant.

Technicians' outcomes (``forewarn feedback``) grade a list before its horizon has passed:
a flagged asset found faulty is a hit, one found healthy a false alarm (``graded_by`` =
``outcomes``). Once the night matures, a confirmed fault counts as a failure too: the
repair that it prompted is why no failure followed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl

from forewarn.models.metrics import evaluate_risk

UTC_US = pl.Datetime("us", "UTC")
LABEL = "failed"
SERIES_SCHEMA = {
    "as_of": UTC_US,
    "assets": pl.Int64,
    "positives": pl.Int64,
    "flagged": pl.Int64,
    "precision_at_k": pl.Float64,
    "recall_at_k": pl.Float64,
    "event_recall": pl.Float64,
    "events": pl.Float64,
    "lead_hours_median": pl.Float64,
    "false_alarms": pl.Int64,
    "false_alarms_per_asset_month": pl.Float64,
    "inspected": pl.Int64,
    "confirmed": pl.Int64,
    "graded_by": pl.String,
}
FOUND, HEALTHY = "found_fault", "no_fault"


def matured(nights: list[datetime], as_of: datetime, horizon_h: float) -> list[datetime]:
    """Nights whose horizon has passed by ``as_of``."""
    return [t for t in nights if t + timedelta(hours=horizon_h) <= as_of]


def label_night(
    scores: pl.DataFrame, failures: pl.DataFrame, horizon_h: float, as_of: datetime
) -> pl.DataFrame:
    """One night's scored assets with ``failed`` (within the horizon) and time to failure.

    Args:
        scores: the night's rows of the score store (``p_fail`` null rows are dropped).
        failures: ``asset_id, ts`` of failures known at ``as_of``.
        horizon_h: the risk horizon in hours.
        as_of: tonight; failures after it are unknown.

    Returns:
        ``asset_id, as_of, p_fail, failed, rul_hours, rul_censored``.
    """
    night = scores.filter(pl.col("p_fail").is_not_null()).select("asset_id", "as_of", "p_fail")
    t = night["as_of"][0] if night.height else None
    if t is None:
        return night.with_columns(
            pl.lit(False).alias(LABEL),
            pl.lit(None, pl.Float64).alias("rul_hours"),
            pl.lit(True).alias("rul_censored"),
        )
    nxt = (
        failures.filter((pl.col("ts") > t) & (pl.col("ts") <= as_of))
        .group_by("asset_id")
        .agg(pl.col("ts").min().alias("next_failure"))
    )
    hours = (pl.col("next_failure") - pl.col("as_of")).dt.total_seconds() / 3600.0
    return (
        night.join(nxt, on="asset_id", how="left")
        .with_columns(
            (hours <= horizon_h).fill_null(False).alias(LABEL),
            hours.alias("rul_hours"),
            pl.col("next_failure").is_null().alias("rul_censored"),
        )
        .drop("next_failure")
    )


def flagged_outcomes(night: pl.DataFrame, outcomes: pl.DataFrame, budget: float) -> dict:
    """Among the night's ``ceil(budget × fleet)`` top-ranked assets: how many were inspected
    (found faulty or healthy) and how many faults were confirmed."""
    scored = night.filter(pl.col("p_fail").is_not_null())
    if scored.height == 0:
        return {"inspected": 0, "confirmed": 0}
    top = scored.sort(["p_fail", "asset_id"], descending=[True, False]).head(
        math.ceil(budget * scored.height)
    )
    t = scored["as_of"][0]
    listed = pl.col("asset_id").is_in(top["asset_id"].implode())
    mine = outcomes.filter((pl.col("as_of") == t) & listed)
    return {
        "inspected": int(mine["outcome"].is_in([FOUND, HEALTHY]).sum()),
        "confirmed": int((mine["outcome"] == FOUND).sum()),
    }


def confirm(labelled: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """A matured night's labels with confirmed faults of that night counted as failures."""
    if labelled.height == 0 or outcomes.height == 0:
        return labelled
    t = labelled["as_of"][0]
    found = outcomes.filter((pl.col("as_of") == t) & (pl.col("outcome") == FOUND))["asset_id"]
    return labelled.with_columns(pl.col(LABEL) | pl.col("asset_id").is_in(found.implode()))


def outcome_row(night: pl.DataFrame, outcomes: pl.DataFrame, budget: float) -> dict:
    """A night not matured yet, graded by outcomes alone: precision among inspected flags
    (empty when no flagged asset has been inspected yet)."""
    counts = flagged_outcomes(night, outcomes, budget)
    if counts["inspected"] == 0:
        return {}
    scored = night.filter(pl.col("p_fail").is_not_null())
    flagged = math.ceil(budget * scored.height)
    return {
        "as_of": scored["as_of"][0],
        "assets": scored.height,
        "flagged": flagged,
        "precision_at_k": counts["confirmed"] / counts["inspected"],
        "false_alarms": counts["inspected"] - counts["confirmed"],
        **counts,
        "graded_by": "outcomes",
    }


def grade_night(labelled: pl.DataFrame, horizon_h: float, lead_h: float, budget: float) -> dict:
    """Planner metrics of one matured night (see ``forewarn.models.metrics``)."""
    if labelled.height == 0:
        return {}
    ev = evaluate_risk(labelled, "p_fail", LABEL, horizon_h=horizon_h, lead_h=lead_h, budget=budget)
    flagged = math.ceil(budget * labelled.height)
    positives = int(labelled[LABEL].sum())
    tp = round(ev.metrics["precision_at_k"] * flagged)
    return {
        "as_of": labelled["as_of"][0],
        "assets": labelled.height,
        "positives": positives,
        "flagged": flagged,
        "precision_at_k": ev.metrics["precision_at_k"],
        "recall_at_k": ev.metrics["recall_at_k"],
        "event_recall": ev.metrics["event_recall"],
        "events": ev.metrics["events"],
        "lead_hours_median": ev.metrics["lead_hours_median"],
        "false_alarms": flagged - tp,
        "false_alarms_per_asset_month": ev.metrics["false_alarms_per_asset_month"],
        "graded_by": "failures",
    }


def labelled_nights(
    nights: dict[datetime, pl.DataFrame],
    failures: pl.DataFrame,
    as_of: datetime,
    horizon_h: float,
) -> dict[datetime, pl.DataFrame]:
    """Every matured night's scores with its labels (``label_night``), oldest first."""
    return {
        t: label_night(nights[t], failures, horizon_h, as_of)
        for t in matured(sorted(nights), as_of, horizon_h)
    }


def realised_series(
    labelled: dict[datetime, pl.DataFrame],
    horizon_h: float,
    lead_h: float,
    budget: float,
    nights: dict[datetime, pl.DataFrame] | None = None,
    outcomes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Metrics of every matured night, and of younger nights with outcomes, oldest first.

    Args:
        labelled: matured night → its labelled scores (``labelled_nights``; pass them
            through ``confirm`` to count confirmed faults as failures).
        horizon_h: the risk horizon (hours).
        lead_h: a flag counts for a failure only this long before it.
        budget: share of the fleet inspected per night (k of precision@k).
        nights: every stored night's scores; the ones not matured are graded by
            ``outcomes`` (``outcome_row``) as soon as a flagged asset was inspected.
        outcomes: technicians' outcomes (``as_of``, ``asset_id``, ``outcome``).

    Returns:
        ``SERIES_SCHEMA`` rows; ``graded_by`` says whether failures or outcomes graded it.
    """
    outcomes = _no_outcomes() if outcomes is None else outcomes
    rows = []
    for t in sorted(labelled):
        graded = grade_night(labelled[t], horizon_h, lead_h, budget)
        if graded:
            rows.append({**graded, **flagged_outcomes(labelled[t], outcomes, budget)})
    for t in sorted(set(nights or {}) - set(labelled)):
        if row := outcome_row(nights[t], outcomes, budget):
            rows.append(row)
    rows.sort(key=lambda r: r["as_of"])
    return pl.DataFrame(rows, schema=SERIES_SCHEMA) if rows else pl.DataFrame(schema=SERIES_SCHEMA)


def _no_outcomes() -> pl.DataFrame:
    return pl.DataFrame(schema={"as_of": UTC_US, "asset_id": pl.String, "outcome": pl.String})


def pooled_recall(
    labelled: dict[datetime, pl.DataFrame],
    nights: int,
    min_failures: int,
    horizon_h: float,
    lead_h: float,
    budget: float,
) -> float | None:
    """Event recall over the last ``nights`` matured nights, each failure counted once.

    A failure sits inside the horizon of every night in the week before it; weighting
    each night's event recall by its events would count it once per such night (and a
    failure caught on one night and missed on the next as half caught). Pooling the
    nights' rows and rebuilding failure events counts each failure once: caught when any
    night flagged it at least ``lead_h`` ahead, as the training metrics define it.

    Returns:
        None when those nights hold fewer than ``min_failures`` failures (too few to
        judge a model on).
    """
    recent = [labelled[t] for t in sorted(labelled)[-nights:] if labelled[t].height]
    if not recent:
        return None
    ev = evaluate_risk(
        pl.concat(recent), "p_fail", LABEL, horizon_h=horizon_h, lead_h=lead_h, budget=budget
    )
    if ev.metrics["events"] < min_failures:
        return None
    return float(ev.metrics["event_recall"])
