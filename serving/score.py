"""Tonight's scores: snapshot → champion models → statuses, ranks and drivers.

Every asset in the assets table gets a row, so none is dropped silently: assets the
model cannot score (no readings in the scoring window, an asset type the model never
saw, a sensor the model reads without any value in the window) are kept as
``unscorable`` with the reason; stale and short-history assets are scored but flagged,
never silently treated as healthy. Readings are counted in sensor values, not rows
(``serving.freshness``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from forewarn.features.durations import hours
from forewarn.serving.freshness import STATS_SCHEMA, reading_stats, status_rules
from forewarn.serving.risklist import RiskListConfig
from forewarn.serving.schema import SCORE_SCHEMA, validate_scores

if TYPE_CHECKING:  # lightgbm is slow to import; only annotations need it here
    from forewarn.models.champion import ChampionModels

UTC_US = pl.Datetime("us", "UTC")
__all__ = ["ScoringRules", "assign_status", "reading_stats", "score_snapshot"]


@dataclass(frozen=True)
class ScoringRules:
    """When an asset is flagged rather than scored plainly.

    Attributes:
        lookback: the scoring window; an asset with no reading inside it is unscorable.
        min_readings: fewer readings than this in the window marks ``short_history``.
        stale_after_hours: no reading for longer than this marks ``stale``.
        explain_top: how many of the highest-risk assets get driver sentences
            (explanations are slow per row; planners read the top of the list).
    """

    lookback: str = "30d"
    min_readings: int = 24
    stale_after_hours: float = 48.0
    explain_top: int = 50

    @classmethod
    def from_config(cls, cfg: RiskListConfig, lookback: str) -> ScoringRules:
        return cls(
            lookback=lookback, stale_after_hours=cfg.stale_after_hours, explain_top=cfg.top_n
        )


def _known_types(models: ChampionModels) -> list[str] | None:
    levels = getattr(models.risk, "encoder_", None)
    return None if levels is None else levels.levels_.get("asset_type")


def assign_status(
    snapshot: pl.DataFrame, stats: pl.DataFrame, known_types: list[str] | None, rules: ScoringRules
) -> pl.DataFrame:
    """Add ``data_freshness_hours``, ``status`` and ``status_reason`` to the snapshot.

    Freshness is the age of the stalest value among the sensors the model reads
    (``serving.freshness``), so rows without values never make an asset look fresh.
    """
    frame = snapshot.join(stats, on="asset_id", how="left")
    fresh = (pl.col("as_of") - pl.col("last_value_ts")).dt.total_seconds() / 3600.0
    known = pl.col("asset_type").is_in(known_types) if known_types is not None else pl.lit(True)
    rules_ = status_rules(fresh, known, rules.lookback, rules.stale_after_hours, rules.min_readings)
    status: pl.Expr | None = None
    reason: pl.Expr | None = None
    for when, name, why in rules_:
        status = (pl.when(when) if status is None else status.when(when)).then(pl.lit(name))
        reason = (pl.when(when) if reason is None else reason.when(when)).then(why)
    assert status is not None and reason is not None
    return frame.with_columns(
        fresh.alias("data_freshness_hours"),
        status.otherwise(pl.lit("scored")).alias("status"),
        reason.otherwise(pl.lit(None, pl.String)).alias("status_reason"),
    ).drop(*(c for c in STATS_SCHEMA if c != "asset_id"))


def _drivers(models: ChampionModels, rows: pl.DataFrame, top_k: int) -> pl.DataFrame:
    if rows.height == 0:
        return pl.DataFrame(schema={"asset_id": pl.String, "top_drivers": pl.List(pl.String)})
    sentences = models.explain(rows, top_k=top_k)
    return pl.DataFrame(
        {"asset_id": rows["asset_id"], "top_drivers": sentences},
        schema={"asset_id": pl.String, "top_drivers": pl.List(pl.String)},
    )


def score_snapshot(
    snapshot: pl.DataFrame,
    stats: pl.DataFrame,
    models: ChampionModels,
    scored_at: datetime,
    rules: ScoringRules,
    top_k: int = 5,
) -> pl.DataFrame:
    """Score one night's snapshot into the score-frame schema (``serving.schema``).

    Args:
        snapshot: ``scoring_snapshot`` output, one row per asset at one ``as_of``.
        stats: ``reading_stats`` for the same ``as_of``.
        models: the champion risk and RUL models.
        scored_at: when this run happened (provenance; passed in, never read from a clock).
        rules: status and explanation rules.
        top_k: driver sentences per explained asset.

    Raises:
        FeatureMismatchError: the snapshot lacks features the models need (the message
            names them).
    """
    frame = assign_status(snapshot, stats, _known_types(models), rules)
    scorable = frame.filter(pl.col("status") != "unscorable").select(snapshot.columns)
    preds = models.predict(scorable).drop("asset_id").with_columns(scorable["asset_id"])
    order = ["p_fail", "p_raw", "rul_hours"]  # the risk list's order (risklist.prioritise)
    top = (
        scorable.with_columns(preds.select(pl.col(order).name.prefix("_")))
        .sort([f"_{c}" for c in order], descending=[True, True, False], nulls_last=True)
        .head(rules.explain_top)
        .drop([f"_{c}" for c in order])
    )
    drivers = _drivers(models, top, top_k)
    versions = [f"{name} v{version}" for name, version in models.versions.items()]
    out = (
        frame.join(preds, on="asset_id", how="left")
        .join(drivers, on="asset_id", how="left")
        .with_columns(
            pl.col("top_drivers").fill_null(pl.lit([], pl.List(pl.String))),
            pl.lit(versions[0] if versions else None, pl.String).alias("risk_model_version"),
            pl.lit(versions[1] if len(versions) > 1 else None, pl.String).alias(
                "rul_model_version"
            ),
            pl.lit(hours(models.horizon)).alias("horizon_hours"),
            pl.lit(scored_at).cast(UTC_US).alias("scored_at"),
        )
    )
    return validate_scores(out.select(SCORE_SCHEMA.names()))
