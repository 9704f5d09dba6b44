"""What a feature run reads: sensor columns, asset context, tagged readings, life bounds.

Reading is the only place the telemetry's size matters: columns are projected and rows
filtered on ``ts`` before collecting, so a Parquet scan pushes both down.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

from forewarn.features.events import life_bounds, tag_lives
from forewarn.features.naming import CONTEXT_COLUMNS
from forewarn.features.spec import FeatureSpec

UTC_US = pl.Datetime("us", "UTC")


def resolve_sensors(telemetry: pl.LazyFrame, spec: FeatureSpec) -> tuple[str, ...]:
    """The spec's sensors, or every numeric telemetry column except keys and the regime."""
    if spec.sensors is not None:
        return spec.sensors
    schema = telemetry.collect_schema()
    skip = {"asset_id", "ts", spec.regime_column}
    return tuple(c for c, t in schema.items() if c not in skip and t.is_numeric())


def absent_columns(
    columns: Iterable[str], spec: FeatureSpec, text: Iterable[str] = ()
) -> list[str]:
    """The spec's listed sensors and regime column that the telemetry has no column for.

    Snapshots build an absent column as nulls, so one asset type without a sensor is no
    error; only a caller that knows a model reads them (nightly scoring) can refuse data
    that lacks a column for every asset. A listed sensor that is a column of words
    (``text``, see ``Dataset.text_columns``) is absent too: it holds no number to read.
    """
    have, words = set(columns), set(text)
    sensors = [c for c in spec.sensors or () if c not in have or c in words]
    regime = [spec.regime_column] if spec.regime_column and spec.regime_column not in have else []
    return [*sensors, *regime]


def project_readings(
    telemetry: pl.LazyFrame,
    sensors: tuple[str, ...],
    regime: str | None,
    upto: datetime,
    since: datetime | None,
) -> pl.LazyFrame:
    """Project the needed columns; missing sensors become all-null columns, not errors."""
    names = set(telemetry.collect_schema().names())
    schema = telemetry.collect_schema()
    # A listed sensor that is text (a descriptive column) is as good as absent: nulls.
    cols = [
        pl.col(s).cast(pl.Float64, strict=schema[s] != pl.String)
        if s in names
        else pl.lit(None, pl.Float64).alias(s)
        for s in sensors
    ]
    if regime is not None and regime in names:
        cols.append(pl.col(regime).cast(pl.String))
    keep = pl.col("ts") <= upto
    if since is not None:
        keep = keep & (pl.col("ts") >= since)
    return telemetry.filter(keep).select("asset_id", "ts", *cols)


def grouped_in_time(frame: pl.DataFrame) -> pl.DataFrame:
    """Each asset's rows together and in time order; sorts only when they are not already.

    Writers usually emit telemetry asset by asset in time order, and a full sort of 17M
    rows by a string key costs several scans, so check first (one cheap pass).
    """
    if frame.height < 2:
        return frame
    same = pl.col("asset_id") == pl.col("asset_id").shift(1)
    check = frame.select(
        changes=(~same).sum(),
        ordered=(~same | (pl.col("ts") > pl.col("ts").shift(1))).all(),
        assets=pl.col("asset_id").n_unique(),
    ).row(0, named=True)
    if check["ordered"] and check["changes"] == check["assets"] - 1:
        return frame
    return frame.sort(pl.col("asset_id").cast(pl.Categorical).to_physical(), "ts")


def asset_context(assets: pl.LazyFrame) -> pl.DataFrame:
    frame = assets.collect()
    fill = [pl.lit(None, pl.String).alias(c) for c in CONTEXT_COLUMNS if c not in frame.columns]
    if "installed_at" not in frame.columns:
        fill.append(pl.lit(None, UTC_US).alias("installed_at"))
    frame = frame.with_columns(fill)
    return frame.select(
        "asset_id",
        *[pl.col(c).cast(pl.String) for c in CONTEXT_COLUMNS],
        pl.col("installed_at").cast(UTC_US),
    )


def utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is taken to be UTC already (the data contract's zone)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def load_run(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    spec: FeatureSpec,
    upto: datetime,
    since: datetime | None,
) -> tuple[tuple[str, ...], pl.DataFrame, pl.DataFrame, pl.DataFrame, str | None, pl.DataFrame]:
    """Read what a run needs: sensors, events, assets, life bounds, regime, tagged readings."""
    sensors = resolve_sensors(telemetry, spec)
    evs = events.filter(pl.col("ts") <= upto).collect()
    meta = asset_context(assets)
    bounds = life_bounds(evs.lazy(), meta, spec.life_resets)
    names = telemetry.collect_schema().names()
    regime = spec.regime_column if spec.regime_column in names else None
    raw = grouped_in_time(project_readings(telemetry, sensors, regime, upto, since).collect())
    readings = tag_lives(raw.lazy(), bounds).collect()
    return sensors, evs, meta, bounds, regime, readings
