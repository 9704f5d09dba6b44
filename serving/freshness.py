"""How fresh an asset's data is, counted in sensor values the model reads, not in rows.

A gateway that keeps sending rows whose sensors are all null looked like a healthy,
fresh asset (freshness 0 h, ``scored``), and an asset whose telemetry file lacks one of
the model's sensors was scored on all-null features. So every statistic here counts a
sensor's values: per asset, when each sensor the model reads last had a value in the
scoring window, and which of them had none at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from forewarn.features.durations import hours

STATS_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.String(),
    "last_ts": pl.Datetime("us", "UTC"),
    "n_readings": pl.UInt32(),
    "last_value_ts": pl.Datetime("us", "UTC"),
    "stalest_sensor": pl.String(),
    "silent_sensors": pl.List(pl.String()),
    "n_sensors": pl.UInt32(),
}
"""``reading_stats`` columns: the same in one run and in every batch of a batched run."""


def _last(sensor: str, present: set[str]) -> pl.Expr:
    if sensor not in present:  # this file (or batch of files) has no such column
        return pl.lit(None, pl.Datetime("us", "UTC"))
    return pl.col("ts").filter(pl.col(sensor).is_not_null()).max()


def reading_stats(
    telemetry: pl.LazyFrame, as_of: datetime, lookback: str, sensors: Sequence[str] = ()
) -> pl.DataFrame:
    """Per asset, over ``(as_of - lookback, as_of]``: rows and values of the model's sensors.

    Args:
        telemetry: accepted readings.
        as_of: the night; readings after it are ignored (a late extract cannot leak in).
        lookback: the scoring window.
        sensors: the sensors the model reads; none: every row counts as a reading.

    Returns:
        ``STATS_SCHEMA``: ``last_ts`` (last row), ``n_readings`` (rows with a value of
        any of ``sensors``), ``last_value_ts`` (when the stalest sensor last had a value,
        among those that had one), ``stalest_sensor``, ``silent_sensors`` (no value in the
        window) and ``n_sensors``.
    """
    since = as_of - timedelta(hours=hours(lookback))
    present = set(telemetry.collect_schema().names())
    window = telemetry.filter((pl.col("ts") > since) & (pl.col("ts") <= as_of))
    names = list(sensors)
    counted = [pl.col(s).is_not_null() for s in names if s in present]
    if counted:
        n_readings = pl.any_horizontal(counted).sum()
    else:  # no sensor named: every row is a reading; none present: no reading has a value
        n_readings = pl.len() if not names else pl.lit(0)
    lasts = [_last(s, present).alias(f"_last_{i}") for i, s in enumerate(names)]
    frame = (
        window.group_by("asset_id")
        .agg(
            pl.col("ts").max().alias("last_ts"),
            n_readings.cast(pl.UInt32).alias("n_readings"),
            *lasts,
        )
        .collect()
    )
    return _summarise_sensors(frame, names)


def _summarise_sensors(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    if not names:
        return frame.with_columns(
            pl.col("last_ts").alias("last_value_ts"),
            pl.lit(None, pl.String).alias("stalest_sensor"),
            pl.lit([], pl.List(pl.String)).alias("silent_sensors"),
            pl.lit(0, pl.UInt32).alias("n_sensors"),
        ).select(list(STATS_SCHEMA))
    lasts = [pl.col(f"_last_{i}") for i in range(len(names))]
    oldest = pl.min_horizontal(lasts)
    stalest = pl.coalesce(
        [
            pl.when(last == oldest).then(pl.lit(name))
            for last, name in zip(lasts, names, strict=True)
        ]
    )
    silent = pl.concat_list(
        [
            pl.when(last.is_null()).then(pl.lit(name))
            for last, name in zip(lasts, names, strict=True)
        ]
    ).list.drop_nulls()
    return (
        frame.with_columns(
            oldest.alias("last_value_ts"),
            stalest.alias("stalest_sensor"),
            silent.alias("silent_sensors"),
            pl.lit(len(names), pl.UInt32).alias("n_sensors"),
        )
        .select(list(STATS_SCHEMA))
        .cast(STATS_SCHEMA)
    )


def status_rules(
    fresh: pl.Expr, known_type: pl.Expr, lookback: str, stale_after: float, min_readings: int
) -> list[tuple[pl.Expr, str, pl.Expr]]:
    """``(condition, status, reason)`` in order; the first that holds sets an asset's status.

    Args:
        fresh: hours since the stalest model sensor last had a value.
        known_type: the asset type is one the model was trained on.
        lookback: the scoring window, for the reasons' wording.
        stale_after: hours without a value after which an asset is ``stale``.
        min_readings: fewer readings with values than this marks ``short_history``.
    """
    silent = pl.col("silent_sensors").fill_null(pl.lit([], pl.List(pl.String)))
    all_silent = (silent.list.len() == pl.col("n_sensors")) & (pl.col("n_sensors") > 0)
    return [
        (
            pl.col("last_ts").is_null(),
            "unscorable",
            pl.lit(f"no telemetry in the last {lookback}"),
        ),
        (
            ~known_type.fill_null(False),
            "unscorable",
            pl.format("asset type '{}' is unknown to the model", pl.col("asset_type")),
        ),
        (
            all_silent,
            "unscorable",
            pl.lit(
                f"rows arrive but no sensor the model reads has a value in the last {lookback} "
                "(dead sensors, or a gateway sending empty rows)"
            ),
        ),
        (
            silent.list.len() > 0,
            "unscorable",
            pl.format(
                "no value of {} in the last {} (a sensor the model reads: missing from this "
                "asset's telemetry file, or sending nulls)",
                silent.list.join(", "),
                pl.lit(lookback),
            ),
        ),
        (
            fresh > stale_after,
            "stale",
            pl.when(pl.col("stalest_sensor").is_null())
            .then(pl.format("no reading for {} h", fresh.round(1)))
            .otherwise(
                pl.format("no value of {} for {} h", pl.col("stalest_sensor"), fresh.round(1))
            ),
        ),
        (
            pl.col("n_readings") < min_readings,
            "short_history",
            pl.format("only {} readings in the last {}", pl.col("n_readings"), pl.lit(lookback)),
        ),
    ]
