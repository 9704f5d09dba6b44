"""Grade a backtest the way a maintenance planner would: what was on the list each night,
which failures it warned about in time, and how many inspections were wasted.

Pure Polars over the stored nightly scores and the recorded events. "On the list" means
priority P1 of the planners' risk list (``serving.risklist.prioritise``: the daily
inspection budget, above the P3 threshold) — what crews would actually have been sent
to. Labels come from ``features.labels.label_frame`` and the event-level and alarm
metrics from ``models.metrics``, so a backtest counts exactly as model validation does.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl

from forewarn.features.durations import hours, parse_duration
from forewarn.features.labels import label_frame
from forewarn.features.naming import label_columns
from forewarn.flows.experiment import ExperimentConfig
from forewarn.models.budget import budget_summary
from forewarn.models.metrics import (
    at_k_metrics,
    event_leads,
    event_metrics,
    false_alarm_rate,
    score_metrics,
)
from forewarn.models.rul import rul_span
from forewarn.serving.risklist import prioritise


def outcomes(
    scores: pl.DataFrame, events: pl.DataFrame, exp: ExperimentConfig, data_end: datetime
) -> pl.DataFrame:
    """Each stored (night, asset) with its priority and what really happened next.

    Returns:
        ``as_of, asset_id, p_fail, status, risk_model_version, priority, inspected``
        (priority P1), ``failed`` (failure within the horizon; null when the horizon
        runs past ``data_end``), ``rul_hours``/``rul_censored`` (true time to the next
        failure) and ``in_downtime`` (under repair that night: not graded).
    """
    ranked = prioritise(scores.lazy(), exp.risk_list).collect()
    keys = ranked.select("asset_id", "as_of")
    truth = label_frame(keys, events, exp.labels, data_end)
    target = label_columns(exp.labels)[0]
    keep = ["as_of", "asset_id", "p_fail", "status", "risk_model_version", "priority"]
    keep += [c for c in ("likely_component",) if c in ranked.columns]
    return (
        ranked.select(keep)
        .join(truth, on=["asset_id", "as_of"], how="left")
        .rename({target: "failed"})
        .with_columns(inspected=pl.col("priority") == "P1")
        .select(*keep, "inspected", "failed", "rul_hours", "rul_censored", "in_downtime")
        .sort("as_of", "asset_id")
    )


def graded(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows a planner's decision can be judged on: scored, outcome known, not under repair."""
    return frame.filter(
        pl.col("p_fail").is_not_null() & pl.col("failed").is_not_null() & ~pl.col("in_downtime")
    )


def failure_table(frame: pl.DataFrame, exp: ExperimentConfig) -> pl.DataFrame:
    """One row per failure the period's lists could have warned about.

    ``lead_hours`` is the longest warning any night's list gave inside the horizon
    (null: never on the list); ``caught`` needs at least the configured lead time,
    ``eligible`` that a night existed that early before the failure.
    """
    rows = frame.filter(pl.col("p_fail").is_not_null() & ~pl.col("in_downtime"))
    leads = event_leads(rows, rows["inspected"], hours(exp.labels.horizon))
    lead_h = hours(exp.model.lead_time)
    return leads.with_columns(
        eligible=pl.col("max_lead_hours") >= lead_h,
        caught=(pl.col("lead_hours") >= lead_h).fill_null(False),
    )


def name_failures(
    failures: pl.DataFrame, frame: pl.DataFrame, events: pl.DataFrame, exp: ExperimentConfig
) -> pl.DataFrame:
    """Add ``component`` (what failed, from the events) and ``named`` (the likely component
    the list gave on the night of the longest warning, the night a crew would have gone).
    """
    failed = (
        events.filter(pl.col("kind") == "failure")
        .select("asset_id", pl.col("ts").alias("failure_at"), "component")
        .unique(["asset_id", "failure_at"], keep="first")
    )
    out = failures.join(failed, on=["asset_id", "failure_at"], how="left")
    if "likely_component" not in frame.columns or not failures.height:
        return out.with_columns(named=pl.lit(None, pl.String))
    # the same failure times as event_leads: each flagged night plus its time to failure
    flagged = frame.filter(
        pl.col("inspected")
        & ~pl.col("rul_censored").fill_null(True)
        & (pl.col("rul_hours") <= hours(exp.labels.horizon))
    ).with_columns((pl.col("as_of") + rul_span()).alias("failure_at"))
    named = (
        flagged.sort("rul_hours", descending=True)
        .group_by("asset_id", "failure_at", maintain_order=True)
        .agg(pl.col("likely_component").first().alias("named"))
    )
    return out.join(named, on=["asset_id", "failure_at"], how="left")


def component_totals(failures: pl.DataFrame) -> dict:
    """Per component: failures, caught, event recall; and the share of caught failures
    whose named component was the one that failed (JSON-ready)."""
    if "component" not in failures.columns or not failures.height:
        return {}
    eligible = failures.filter(pl.col("eligible") & pl.col("component").is_not_null())
    per = {
        str(comp): {
            "failures": rows.height,
            "caught": int(rows["caught"].sum()),
            "event_recall": _finite(rows["caught"].mean()),
        }
        for (comp,), rows in sorted(eligible.partition_by("component", as_dict=True).items())
    }
    caught = eligible.filter(pl.col("caught") & pl.col("named").is_not_null())
    share = (caught["named"] == caught["component"]).mean() if caught.height else math.nan
    return {"per_component": per, "named_correctly": _finite(share)}  # type: ignore[arg-type]


def night_table(frame: pl.DataFrame, failures: pl.DataFrame, every: str) -> pl.DataFrame:
    """Per night: the list planners saw and how it turned out.

    Columns: ``as_of``, ``assets``, ``scored``, ``inspections`` (P1), ``hits`` (inspected
    and failed within the horizon), ``false_alarms`` (inspected, no failure), ``pending``
    (inspected, horizon not yet observed), ``at_risk`` (assets that did fail within the
    horizon), ``failures`` (failures before the next night), ``caught`` (of those, warned
    in time) and ``model`` (risk model version used).
    """
    fate = pl.col("failed")
    per_night = frame.group_by("as_of").agg(
        assets=pl.len(),
        scored=pl.col("p_fail").is_not_null().sum(),
        inspections=pl.col("inspected").sum(),
        hits=(pl.col("inspected") & fate).sum(),
        false_alarms=(pl.col("inspected") & ~fate & ~pl.col("in_downtime")).sum(),
        pending=(pl.col("inspected") & fate.is_null()).sum(),
        at_risk=(fate & ~pl.col("in_downtime")).sum(),
        model=pl.col("risk_model_version").drop_nulls().first(),
    )
    step = parse_duration(every)
    counts = (
        per_night.select("as_of")
        .join(failures.select("failure_at", "caught"), how="cross")
        .filter(
            (pl.col("failure_at") > pl.col("as_of"))
            & (pl.col("failure_at") <= pl.col("as_of") + step)
        )
        .group_by("as_of")
        .agg(failures=pl.len(), caught=pl.col("caught").sum())
    )
    return (
        per_night.join(counts, on="as_of", how="left")
        .with_columns(pl.col("failures", "caught").fill_null(0))
        .sort("as_of")
    )


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def totals(frame: pl.DataFrame, failures: pl.DataFrame, exp: ExperimentConfig) -> dict:
    """Headline numbers of the period (JSON-ready; NaN becomes null)."""
    rows = graded(frame)
    lead_h = hours(exp.model.lead_time)
    metrics = event_metrics(failures, lead_h) if failures.height else {}
    at_k = at_k_metrics(rows["failed"], rows["inspected"]) if rows.height else {}
    scores = (
        score_metrics(rows["failed"].to_numpy(), rows["p_fail"].to_numpy()) if rows.height else {}
    )
    hits = int((rows["inspected"] & rows["failed"]).sum())
    false = int((rows["inspected"] & ~rows["failed"]).sum())
    eligible = failures.filter(pl.col("eligible")) if failures.height else failures
    return {
        "nights": frame["as_of"].n_unique(),
        "assets": frame["asset_id"].n_unique(),
        "inspections": int(frame["inspected"].sum()),
        "hits": hits,
        "false_alarms": false,
        "pending": int((frame["inspected"] & frame["failed"].is_null()).sum()),
        "failures": eligible.height,
        "caught": int(eligible["caught"].sum()) if eligible.height else 0,
        "missed": int((~eligible["caught"]).sum()) if eligible.height else 0,
        "failures_too_early_to_warn": failures.height - eligible.height,
        "event_recall": _finite(metrics.get("event_recall", math.nan)),
        "lead_hours_median": _finite(metrics.get("lead_hours_median", math.nan)),
        "precision_of_inspections": _finite(at_k.get("precision_at_k", math.nan)),
        "recall_of_at_risk_assets": _finite(at_k.get("recall_at_k", math.nan)),
        "false_alarms_per_asset_month": _finite(
            false_alarm_rate(rows, rows["failed"], rows["inspected"]) if rows.height else math.nan
        ),
        "pr_auc": _finite(scores.get("pr_auc", math.nan)),
        "roc_auc": _finite(scores.get("roc_auc", math.nan)),
        "lead_time_hours": lead_h,
        "horizon": exp.labels.horizon,
        "budget": exp.risk_list.budget,
        **budget_totals(frame, exp),
    }


def budget_totals(frame: pl.DataFrame, exp: ExperimentConfig) -> dict:
    """The budget curve of the period: failures caught at 1/2/5/10 inspections a night,
    the most the configured budget could have caught, and failing machines per night."""
    rows = frame.filter(pl.col("p_fail").is_not_null() & ~pl.col("in_downtime"))
    if rows.is_empty():
        return {}
    found = budget_summary(
        rows, "p_fail", hours(exp.labels.horizon), hours(exp.model.lead_time), exp.risk_list.budget
    )
    counts = {k: int(v) for k, v in found.items() if k.startswith(("caught_at_", "most_"))}
    per_night = {k: round(v, 2) for k, v in found.items() if k.endswith("_per_day")}
    return counts | per_night


def last_graded_night(data_end: datetime, exp: ExperimentConfig) -> datetime:
    """Nights after this have a horizon reaching past the data: their flags stay pending."""
    return data_end - timedelta(hours=hours(exp.labels.horizon))
