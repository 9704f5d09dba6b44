"""The "current life" window: since install or the last failure/repair.

Life statistics are running totals of bucket partials from the life's start, accumulated in
bucket order, so the value at ``as_of`` depends only on the life's readings up to ``as_of``.
"""

from __future__ import annotations

import polars as pl

from forewarn.features.buckets import US_PER_DAY, Grid
from forewarn.features.events import asof
from forewarn.features.exact import div

LIFE_PREFIX = "WLIFE|"
LIFE = ["asset_id", "life_id"]
_ADDED = ("n", "sx", "sxx", "zb_s", "zb_n", "zr_s", "zr_n", "su", "suu", "sux")


def _moments(sensor: str, delta: pl.Expr) -> list[pl.Expr]:
    """Time moments re-centred from bucket end to the life start (``delta`` days later)."""
    c = lambda p: pl.col(f"{p}::{sensor}")  # noqa: E731
    return [
        (c("su") + delta * c("n")).alias(f"su::{sensor}"),
        (c("suu") + 2.0 * delta * c("su") + delta * delta * c("n")).alias(f"suu::{sensor}"),
        (c("sux") + delta * c("sx")).alias(f"sux::{sensor}"),
    ]


def life_running(
    partials: pl.DataFrame,
    starts: pl.DataFrame,
    sensors: tuple[str, ...],
    grid: Grid,
    seeds: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Running life totals per ``(asset_id, life_id, k)`` bucket that holds readings.

    Args:
        partials: bucket partials keyed by ``(asset_id, life_id, k)``.
        starts: ``asset_id``, ``life_id``, ``life_start``.
        sensors: sensor names.
        grid: the bucket grid.
        seeds: running totals already accumulated (a ``History``), keyed like ``partials``
            and earlier than that life's partials; accumulation continues from them, which
            adds the same floats in the same order as a run over the whole life.
    """
    # Leakage guard: running totals only accumulate forward, so bucket k holds buckets <= k.
    frame = partials.join(starts, on=LIFE, how="left")
    start_us = pl.col("life_start").dt.epoch("us")
    delta = div((grid.end_us(pl.col("k")) - start_us).cast(pl.Float64), US_PER_DAY)
    frame = frame.with_columns([e for s in sensors for e in _moments(s, delta)])
    keep = [c for c in frame.columns if "::" in c and not c.startswith(("ew", "alarm"))]
    frame = frame.select(*LIFE, "k", *keep)
    if seeds is not None:
        frame = pl.concat([seeds.select(*LIFE, "k", *keep), frame])
    frame = frame.sort(*LIFE, "k")
    running = []
    for s in sensors:
        running += [pl.col(f"{p}::{s}").cum_sum().over(LIFE) for p in _ADDED if f"{p}::{s}" in keep]
        running += [
            pl.col(f"mn::{s}").cum_min().forward_fill().over(LIFE),
            pl.col(f"mx::{s}").cum_max().forward_fill().over(LIFE),
            pl.col(f"last::{s}").forward_fill().over(LIFE),
            pl.col(f"lts::{s}").forward_fill().over(LIFE),
        ]
    out = frame.with_columns(running)
    return out.rename({c: LIFE_PREFIX + c for c in keep})


def life_totals(running: pl.DataFrame) -> pl.DataFrame:
    """Last running row of each life, unprefixed: the seed a later run continues from."""
    last = running.group_by(LIFE, maintain_order=True).agg(pl.all().last())
    return last.rename({c: c.removeprefix(LIFE_PREFIX) for c in last.columns})


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
