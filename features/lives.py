"""The "current life" window (since install or the last failure/repair) and healthy baselines.

Life statistics are running totals of bucket partials from the life's start, accumulated in
bucket order, so the value at ``as_of`` depends only on the life's readings up to ``as_of``.
Baselines are the mean and standard deviation of each life's first ``baseline_span`` of
readings; readings are expressed as deviations from their own life's (and regime's)
baseline before being bucketed.
"""

from __future__ import annotations

import polars as pl

from forewarn.features.buckets import US_PER_DAY, Grid
from forewarn.features.events import asof
from forewarn.features.exact import div, segment_sums

LIFE_PREFIX = "WLIFE|"
_CUM_SUM = ("n", "sx", "sxx", "zb_s", "zb_n", "zr_s", "zr_n")


def _moments(sensor: str, delta: pl.Expr) -> list[pl.Expr]:
    """Time moments re-centred from bucket end to the life start (``delta`` days later)."""
    c = lambda p: pl.col(f"{p}::{sensor}")  # noqa: E731
    return [
        (c("su") + delta * c("n")).alias(f"su::{sensor}"),
        (c("suu") + 2.0 * delta * c("su") + delta * delta * c("n")).alias(f"suu::{sensor}"),
        (c("sux") + delta * c("sx")).alias(f"sux::{sensor}"),
    ]


def life_running(
    partials: pl.DataFrame, starts: pl.DataFrame, sensors: tuple[str, ...], grid: Grid
) -> pl.DataFrame:
    """Running life totals per ``(asset_id, life_id, k)`` bucket that holds readings.

    Args:
        partials: bucket partials keyed by ``(asset_id, life_id, k)``.
        starts: ``asset_id``, ``life_id``, ``life_start``.
        sensors: sensor names.
        grid: the bucket grid.
    """
    frame = partials.join(starts, on=["asset_id", "life_id"], how="left").sort(
        "asset_id", "life_id", "k"
    )
    start_us = pl.col("life_start").dt.epoch("us")
    delta = div((grid.end_us(pl.col("k")) - start_us).cast(pl.Float64), US_PER_DAY)
    frame = frame.with_columns([e for s in sensors for e in _moments(s, delta)])
    life = ["asset_id", "life_id"]
    running = []
    for s in sensors:
        for p in (*_CUM_SUM, "su", "suu", "sux"):
            name = f"{p}::{s}"
            if name in frame.columns:
                running.append(pl.col(name).cum_sum().over(life))
        running += [
            pl.col(f"mn::{s}").cum_min().forward_fill().over(life),
            pl.col(f"mx::{s}").cum_max().forward_fill().over(life),
            pl.col(f"last::{s}").forward_fill().over(life),
            pl.col(f"lts::{s}").forward_fill().over(life),
        ]
    keep = [c for c in frame.columns if "::" in c and not c.startswith(("ew", "alarm"))]
    out = frame.with_columns(running).select("asset_id", "life_id", "k", *keep)
    return out.rename({c: LIFE_PREFIX + c for c in keep})


def life_at(snaps: pl.DataFrame, running: pl.DataFrame) -> pl.DataFrame:
    """Running life totals at each snapshot: the latest bucket ``<= k`` of its current life."""
    # Leakage guard: backward as-of on k within (asset, current life) never reaches past as_of.
    joined = asof(
        snaps.select("asset_id", "life_id", "k"),
        running,
        on="k",
        by=["asset_id", "life_id"],
        exact=True,
    )
    return joined


def baseline_ends(readings: pl.DataFrame, span_us: int) -> pl.DataFrame:
    """End of each life's baseline: its first observed reading plus ``baseline_span``.

    Starting at the first observed reading (not ``installed_at``) keeps baselines usable when
    the data begin in the middle of a life.
    """
    first = pl.col("ts").min().dt.epoch("us") + span_us
    return (
        readings.group_by("asset_id", "life_id")
        .agg(first.alias("base_end_us"))
        .sort("asset_id", "life_id")
    )


def _baseline_stats(base: pl.DataFrame, by: list[str], sensors: tuple[str, ...]) -> pl.DataFrame:
    """Mean and sample std per group, two-pass, with fixed-order sums (see ``exact``)."""
    ordered = base.sort([*by, "ts"], nulls_last=True)
    counts = ordered.group_by(by, maintain_order=True).agg(
        [pl.col(s).count().alias(f"_n::{s}") for s in sensors]
    )
    sums = segment_sums(ordered, by, [pl.col(s).alias(f"_m::{s}") for s in sensors])
    stats = pl.concat([counts, sums.drop(by)], how="horizontal").with_columns(
        [
            pl.when(pl.col(f"_n::{s}") > 0)
            .then(div(pl.col(f"_m::{s}"), pl.col(f"_n::{s}")))
            .alias(f"_m::{s}")
            for s in sensors
        ]
    )
    centred = ordered.join(stats, on=by, how="left", nulls_equal=True, maintain_order="left")
    squares = segment_sums(
        centred, by, [((pl.col(s) - pl.col(f"_m::{s}")) ** 2).alias(f"_s::{s}") for s in sensors]
    )
    std = [
        pl.when(pl.col(f"_n::{s}") >= 2)
        .then(div(pl.col(f"_s::{s}"), pl.col(f"_n::{s}") - 1).sqrt())
        .alias(f"_s::{s}")
        for s in sensors
    ]
    return (
        pl.concat([stats, squares.drop(by)], how="horizontal")
        .with_columns(std)
        .drop(pl.col("^_n::.*$"))
    )


def baseline_deviations(
    readings: pl.DataFrame,
    ends: pl.DataFrame,
    sensors: tuple[str, ...],
    regime: str | None,
) -> pl.DataFrame:
    """Add ``_zb::{sensor}`` (and ``_zr::{sensor}``): z-scores vs the reading's life baseline.

    The baseline of a life is built from its readings with ``ts <= base_end`` (see
    ``baseline_ends``); a snapshot uses these deviations only once its current life's
    baseline is complete, so no reading after ``as_of`` ever shapes a feature.
    """
    life = ["asset_id", "life_id"]
    tagged = readings.join(ends, on=life, how="left", maintain_order="left")
    base = tagged.filter(pl.col("ts").dt.epoch("us") <= pl.col("base_end_us"))
    keys = [("zb", life)] + ([("zr", [*life, regime])] if regime is not None else [])
    out = tagged
    for kind, by in keys:
        stats = _baseline_stats(base, by, sensors)
        z = [
            pl.when(pl.col(f"_s::{s}") > 0)
            .then(div(pl.col(s) - pl.col(f"_m::{s}"), pl.col(f"_s::{s}")))
            .alias(f"_{kind}::{s}")
            for s in sensors
        ]
        joined = out.join(stats, on=by, how="left", nulls_equal=True, maintain_order="left")
        out = joined.with_columns(z).drop(pl.col("^_[ms]::.*$"))
    return out.drop("base_end_us")
