"""Raw readings → per-bucket partial aggregates, the one pass over telemetry.

Every window statistic is rebuilt from these partials (sums, sums of squares, time
moments, min, max, last, decayed sums), so the expensive scan of raw rows happens once.
Buckets are half-open ``(end - bucket, end]`` with ends on the snapshot grid, so a window
ending at ``as_of`` is an exact union of whole buckets and ``ts <= as_of`` holds exactly.
Partials are keyed by ``(asset_id, life_id, k)``: a bucket that straddles a reset event is
split, so "current life" statistics start exactly at the reset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from forewarn.features.exact import div, segment_sums

US_PER_DAY = 86_400_000_000

ADDITIVE = ("n", "sx", "sxx", "su", "suu", "sux", "zb_s", "zb_n", "zr_s", "zr_n")
"""Partials whose combination is a plain sum (time moments are re-centred first)."""


@dataclass(frozen=True)
class Grid:
    """Snapshot/bucket grid: bucket ``k`` covers ``(origin + (k-1)·B, origin + k·B]``."""

    origin_us: int
    bucket_us: int

    @classmethod
    def at(cls, origin: datetime, bucket_seconds: int) -> Grid:
        epoch = pl.Series([origin], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0]
        return cls(origin_us=int(epoch), bucket_us=bucket_seconds * 1_000_000)

    @property
    def bucket_days(self) -> float:
        return self.bucket_us / US_PER_DAY

    def k_of(self, ts_us: pl.Expr) -> pl.Expr:
        """Bucket index of an epoch-µs timestamp (ceil division: a boundary ends its bucket)."""
        return -((self.origin_us - ts_us) // self.bucket_us)

    def end_us(self, k: pl.Expr) -> pl.Expr:
        return k * self.bucket_us + self.origin_us

    def k_at(self, when: datetime) -> int:
        epoch = pl.Series([when], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0]
        return -((self.origin_us - int(epoch)) // self.bucket_us)


def col(part: str, sensor: str) -> str:
    """Internal column name of one partial of one sensor."""
    return f"{part}::{sensor}"


def ew_parts(n_windows: int) -> tuple[str, ...]:
    return tuple(p for i in range(n_windows) for p in (f"ew{i}", f"ewn{i}"))


def regime_col(part: str, sensor: str, regime: str) -> str:
    """Per-regime partial (``rn``/``rsx``), one column per regime value."""
    return f"{part}::{sensor}::{regime}"


def sensor_partials(
    sensor: str, half_lives_days: tuple[float, ...], regime: str | None, regimes: tuple[str, ...]
) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Order-insensitive aggregations and float sums of one sensor inside a bucket.

    Expects ``_u``: reading time minus bucket end, in days (<= 0), so time moments stay
    small and exact to re-centre when buckets are combined. Per-regime counts and sums let
    deviations from each regime's baseline be computed later from partials alone.

    Returns:
        ``(exact, sums)``: counts/min/max/last for ``group_by``, and expressions whose
        per-bucket sums ``segment_sums`` computes in a fixed order.
    """
    x = pl.col(sensor)
    ok = x.is_not_null()
    u = pl.when(ok).then(pl.col("_u"))
    exact = [
        ok.sum().cast(pl.Float64).alias(col("n", sensor)),
        x.min().alias(col("mn", sensor)),
        x.max().alias(col("mx", sensor)),
        x.last(ignore_nulls=True).alias(col("last", sensor)),
        pl.when(ok).then(pl.col("_ts_us")).max().alias(col("lts", sensor)),
    ]
    sums = [
        x.alias(col("sx", sensor)),
        (x * x).alias(col("sxx", sensor)),
        u.alias(col("su", sensor)),
        (u * u).alias(col("suu", sensor)),
        (u * x).alias(col("sux", sensor)),
    ]
    for i, h in enumerate(half_lives_days):
        weight = (u * (math.log(2.0) / h)).exp()
        sums += [(weight * x).alias(col(f"ew{i}", sensor)), weight.alias(col(f"ewn{i}", sensor))]
    for r in regimes:
        here = pl.col(regime) == r
        exact.append((ok & here).sum().cast(pl.Float64).alias(regime_col("rn", sensor, r)))
        sums.append(pl.when(here).then(x).alias(regime_col("rsx", sensor, r)))
    return exact, sums


def bucket_partials(
    readings: pl.DataFrame,
    sensors: tuple[str, ...],
    grid: Grid,
    half_lives_days: tuple[float, ...],
    regime: str | None,
    regimes: tuple[str, ...],
) -> pl.DataFrame:
    """Aggregate life-tagged readings into ``(asset_id, life_id, k)`` partials.

    Args:
        readings: ``asset_id``, ``ts``, ``life_id``, sensors and the regime column, sorted
            by ``(asset_id, ts)`` (hence by life and bucket too).
        sensors: sensor columns.
        grid: the bucket grid.
        half_lives_days: EWMA half-life of each fixed window, in days.
        regime: regime column, if any.
        regimes: regime values to split counts and sums by.
    """
    # Leakage guard: a bucket only holds readings with ts <= its end, the snapshot time.
    ts_us = pl.col("ts").dt.epoch("us")
    tagged = readings.with_columns(_ts_us=ts_us, k=grid.k_of(ts_us)).with_columns(
        _u=div((pl.col("_ts_us") - grid.end_us(pl.col("k"))).cast(pl.Float64), US_PER_DAY)
    )
    keys = ["asset_id", "life_id", "k"]
    exact, sums = [], []
    for s in sensors:
        e, f = sensor_partials(s, half_lives_days, regime, regimes)
        exact, sums = exact + e, sums + f
    ordered = tagged.group_by(keys, maintain_order=True).agg(exact)
    summed = segment_sums(tagged, keys, sums)
    return pl.concat([ordered, summed.drop(keys)], how="horizontal")
