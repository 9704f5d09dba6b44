"""The planners' risk list: rank, priority, trend and alert state for one night of scores.

Pure Polars: the caller passes tonight's scores and the previous nights' scores (from
``ScoreStore.history_for``); nothing here reads or writes. Previous nights' lists are
rebuilt from their stored scores with the same rules, so "was it on the list yesterday?"
is answered the same way every time and no list state has to be stored.

Priority rules (applied per night):

- Only scorable rows (a probability, status not ``unscorable``) are ranked; rank 1 is
  the highest ``p_fail``. Calibration maps whole blocks of scores to one probability
  (on C-MAPSS 9-16 engines share ``p_fail = 1.0``), so ties go to the higher raw model
  score (``p_raw``), then to the shorter RUL median, and only then to the smaller
  ``asset_id`` so ranks are reproducible.
- ``P1``: the top ``ceil(budget × fleet size)`` ranks — what the planners can inspect
  in a day — provided ``p_fail ≥ p1_min``. The default ``p1_min = 0`` always fills the
  daily budget: crews inspect a fixed number of machines a day, and the models are
  graded the same way (event recall at the budget), while calibrated probabilities
  over a 7-day horizon rarely reach the P2/P3 thresholds. Raise ``p1_min`` to keep
  crews home on quiet nights.
- ``P2``: the rest within the top ``p2_share`` of tonight's scorable assets (default
  3 %), ``P3``: the rest within the top ``p3_share`` (default 10 %); otherwise ``none``.
  P1–P3 are "on the list". Shares follow the fleet's own risk distribution, so a
  well-calibrated 7-day probability that never reaches 50 % still yields a P2 and P3
  tier; set ``p2_threshold`` / ``p3_threshold`` to use absolute probabilities instead.

Each row also says what to inspect (``serving.inspect``): the model's likely component
when the scores carry one, else the sensor family of the top driver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from forewarn.serving.inspect import COMPONENT_COLUMN, what_to_inspect
from forewarn.serving.outcomes import LIST_COLUMNS, last_outcomes, with_outcomes
from forewarn.serving.schema import SCORE_SCHEMA, validate_scores

PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "none")
ON_LIST: tuple[str, ...] = ("P1", "P2", "P3")

RISK_COLUMNS: dict[str, pl.DataType] = {
    "risk_rank": pl.UInt32(),
    "priority": pl.String(),
    "is_stale": pl.Boolean(),
    "p_fail_prev": pl.Float64(),
    "p_fail_change": pl.Float64(),
    "trend": pl.String(),
    "p_fail_history": pl.List(pl.Float64()),
    "priority_prev": pl.String(),
    "alert_state": pl.String(),
    "nights_on_list": pl.UInt32(),
    "inspect": pl.String(),
    **LIST_COLUMNS,
}
"""Columns the risk list adds to the score frame, with their types."""


class RiskListConfig(BaseModel):
    """How the nightly list turns probabilities into work for the planners."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    budget: float = Field(0.01, gt=0, le=1, description="share of the fleet inspectable per day")
    p2_share: float = Field(
        0.03, gt=0, le=1, description="top share of tonight's scorable assets that is P2 (or P1)"
    )
    p3_share: float = Field(
        0.10, gt=0, le=1, description="top share of tonight's scorable assets that is P3 or above"
    )
    p2_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="absolute p_fail from which an asset is P2 (replaces p2_share)",
    )
    p3_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="absolute p_fail from which an asset is P3 (replaces p3_share)",
    )
    p1_min: float = Field(
        0.0, ge=0, le=1, description="least p_fail for a budget slot (P1); 0 fills the budget"
    )
    stale_after_hours: float = Field(48.0, gt=0, description="readings older than this: stale")
    top_n: int = Field(50, ge=1, description="rows shown in the report's top table")
    trend_nights: int = Field(7, ge=1, description="previous nights the trend looks back on")
    trend_tolerance: float = Field(0.02, ge=0, description="p_fail change still called steady")
    recheck_factor: float = Field(
        2.0,
        ge=1,
        description="an asset inspected with no fault found is alerted again (as new) only "
        "once its p_fail reaches this many times the p_fail of the inspected night",
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Self:
        p2, p3 = self.p2_threshold, self.p3_threshold
        if p2 is not None and p3 is not None and p3 > p2:
            raise ValueError("p3_threshold must not exceed p2_threshold")
        if self.p3_share < self.p2_share:
            raise ValueError("p3_share must not be below p2_share (P3 is the wider tier)")
        return self


def _tier(config: RiskListConfig, threshold: float | None, share: float) -> pl.Expr:
    """In a tier: ``p_fail`` at least the absolute threshold, else a top-share rank."""
    if threshold is not None:
        return pl.col("p_fail") >= threshold
    scorable = pl.col("_scorable").sum().over("as_of")
    return pl.col("risk_rank") <= (scorable * share).ceil()


def prioritise(scores: pl.LazyFrame, config: RiskListConfig) -> pl.LazyFrame:
    """Add ``risk_rank``, ``priority`` and ``is_stale``, per night (``as_of``).

    Works on one night or many, so previous nights' lists are rebuilt by the same code.
    """
    p = pl.col("p_fail")
    scorable = p.is_not_null() & (pl.col("status") != "unscorable")
    slots = (pl.len().over("as_of") * config.budget).ceil()
    rank = pl.col("_scorable").cast(pl.UInt32).cum_sum().over("as_of")
    # Tie-breaks a frame may lack (score frames graded outside the store, older exports).
    ties = [
        (c, d) for c, d in (("p_raw", True), ("rul_hours", False)) if c in scores.collect_schema()
    ]
    keys = [("as_of", False), ("_scorable", True), ("p_fail", True), *ties, ("asset_id", False)]
    ranked = (
        scores.with_columns(_scorable=scorable)
        .sort([k for k, _ in keys], descending=[d for _, d in keys], nulls_last=True)
        .with_columns(risk_rank=pl.when("_scorable").then(rank))
    )
    priority = (
        pl.when(~pl.col("_scorable"))
        .then(pl.lit("none"))
        .when((pl.col("risk_rank") <= slots) & (p >= config.p1_min))
        .then(pl.lit("P1"))
        .when(_tier(config, config.p2_threshold, config.p2_share))
        .then(pl.lit("P2"))
        .when(_tier(config, config.p3_threshold, config.p3_share))
        .then(pl.lit("P3"))
        .otherwise(pl.lit("none"))
    )
    stale = (pl.col("status") == "stale") | (
        pl.col("data_freshness_hours") > config.stale_after_hours
    ).fill_null(False)
    return ranked.with_columns(priority=priority, is_stale=stale).drop("_scorable")


def _grid(tonight: pl.LazyFrame, prior: pl.LazyFrame) -> pl.LazyFrame:
    """Tonight's assets × (previous nights + tonight), with each night's p_fail and priority.

    Missing (asset, night) pairs stay as nulls so sparklines show gaps honestly.
    """
    cols = ("as_of", "asset_id", "p_fail", "priority")
    rows = pl.concat([prior.select(cols), tonight.select(cols)])
    nights = rows.select("as_of").unique()
    return (
        tonight.select("asset_id")
        .join(nights, how="cross")
        .join(rows, on=["as_of", "asset_id"], how="left")
        .sort(["asset_id", "as_of"])
    )


def _trend_and_alerts(grid: pl.LazyFrame, config: RiskListConfig) -> pl.LazyFrame:
    """Per asset: history list, change vs previous nights, yesterday's priority, streak."""
    on = pl.col("priority").is_in(ON_LIST).fill_null(False)
    # Streak = trailing run of on-list nights: cum_min over nights, newest first.
    streak = on.reverse().cast(pl.UInt32).cum_min().sum()
    per_asset = grid.group_by("asset_id").agg(
        p_fail_history=pl.col("p_fail"),
        _tonight=pl.col("p_fail").last(),
        _prior_mean=pl.col("p_fail").head(pl.len() - 1).mean(),
        p_fail_prev=pl.col("p_fail").head(pl.len() - 1).last(),
        priority_prev=pl.col("priority").head(pl.len() - 1).last(),
        nights_on_list=streak,
        _n_nights=pl.len(),
    )
    change = pl.col("_tonight") - pl.col("_prior_mean")
    tol = config.trend_tolerance
    trend = (
        pl.when(change.is_null())
        .then(None)
        .when(change > tol)
        .then(pl.lit("rising"))
        .when(change < -tol)
        .then(pl.lit("falling"))
        .otherwise(pl.lit("steady"))
    )
    return per_asset.with_columns(p_fail_change=change, trend=trend).drop(
        "_tonight", "_prior_mean", "_n_nights"
    )


def _alert_state() -> pl.Expr:
    on_tonight = pl.col("priority").is_in(ON_LIST)
    on_before = pl.col("priority_prev").is_in(ON_LIST).fill_null(False)
    return (
        pl.when(~on_tonight)
        .then(None)
        .when(on_before)
        .then(pl.lit("still_open"))
        .otherwise(pl.lit("new"))
    )


def _last_nights(history: pl.DataFrame, before: datetime, n: int) -> pl.DataFrame:
    prior = history.filter(pl.col("as_of") < before)
    keep = prior["as_of"].unique().sort(descending=True).head(n)
    return prior.filter(pl.col("as_of").is_in(keep.implode()))


def build_risk_list(
    scores: pl.DataFrame,
    history: pl.DataFrame | None = None,
    config: RiskListConfig | None = None,
    outcomes: pl.DataFrame | None = None,
    component_col: str | None = COMPONENT_COLUMN,
) -> pl.DataFrame:
    """Turn one night of scores into the planners' ranked list.

    Args:
        scores: tonight's score frame (``schema.SCORE_SCHEMA``; one ``as_of``).
        history: previous nights' score frames, e.g. ``ScoreStore.history_for(as_of, n)``;
            rows on or after tonight are ignored. None or empty: every listed asset is new.
        config: budget, thresholds and trend settings.
        outcomes: technicians' outcomes with ``p_fail_then``
            (``outcome_store.read_outcomes``); later nights' are ignored. An asset found
            healthy is ``checked`` instead of alerted (``outcomes.with_outcomes``).
        component_col: a column of ``scores`` naming each asset's likely component; when
            present it is what ``inspect`` says (else the top driver's sensor family).

    Returns:
        The score columns plus ``RISK_COLUMNS``, ranked rows first (by ``risk_rank``),
        then unranked rows by ``asset_id``. ``alert_state`` is ``new`` (on the list
        tonight, not on the previous stored night), ``still_open`` (on both), ``checked``
        (on the list, but inspected with no fault found and not risen since), or null
        (not on the list); ``nights_on_list`` counts consecutive listed nights within
        the nights looked at, tonight included.
    """
    config = config or RiskListConfig()
    tonight = validate_scores(scores)
    if component_col is not None and component_col in scores.columns:
        tonight = tonight.with_columns(scores[component_col])
    inspect = what_to_inspect(tonight.columns, component_col)
    tonight = tonight.with_columns(inspect)
    as_of = tonight["as_of"][0]
    past = validate_history(history)
    prior = _last_nights(past, as_of, config.trend_nights)
    ranked_tonight = prioritise(tonight.lazy(), config)
    ranked_prior = prioritise(prior.lazy(), config)
    per_asset = _trend_and_alerts(_grid(ranked_tonight, ranked_prior), config)
    last = None if outcomes is None else last_outcomes(outcomes, as_of)
    listed = ranked_tonight.join(per_asset, on="asset_id", how="left").with_columns(
        alert_state=_alert_state()
    )
    out = (
        with_outcomes(listed, last, config.recheck_factor)
        .sort(["risk_rank", "asset_id"], nulls_last=True)
        .select(*SCORE_SCHEMA.names(), *RISK_COLUMNS)
        .cast(RISK_COLUMNS)
    )
    return out.collect()


def validate_history(history: pl.DataFrame | None) -> pl.DataFrame:
    """Return previous nights' scores in canonical form (empty frame for None)."""
    if history is None or history.height == 0:
        return SCORE_SCHEMA.to_frame()
    nights = history.partition_by("as_of", maintain_order=True)
    return pl.concat([validate_scores(n) for n in nights])


def on_list(risk_list: pl.DataFrame) -> pl.DataFrame:
    """The rows the planners act on (P1–P3), in rank order."""
    return risk_list.filter(pl.col("priority").is_in(ON_LIST)).sort("risk_rank")
