"""Healthy baselines per life (and per operating regime), and deviations from them.

A life's baseline is the mean and standard deviation of its first ``baseline_span`` of
readings (from its first observed reading, so data that begin mid-life still get one).
Deviations ``(x - mean) / std`` are linear in ``x``, so a bucket's sum of deviations is
``(Σx - n·mean) / std``: they come from bucket partials, with no second pass over readings.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from forewarn.features.buckets import col, regime_col
from forewarn.features.exact import div, segment_starts, segment_sums

LIFE = ["asset_id", "life_id"]


def _stats(base: pl.DataFrame, sensors: tuple[str, ...], suffix: str) -> pl.DataFrame:
    """Mean and sample std per life, two-pass, with fixed-order sums (see ``exact``).

    ``base`` keeps each life's rows together and in time order (filtered readings).
    """
    ordered = base
    counts = ordered.group_by(LIFE, maintain_order=True).agg(
        [pl.col(s).count().cast(pl.Float64).alias(f"_n::{s}") for s in sensors]
    )
    sums = segment_sums(ordered, LIFE, [pl.col(s).alias(f"_m::{s}") for s in sensors])
    mean = [
        pl.when(pl.col(f"_n::{s}") > 0)
        .then(div(pl.col(f"_m::{s}"), pl.col(f"_n::{s}")))
        .alias(f"_m::{s}")
        for s in sensors
    ]
    stats = pl.concat([counts, sums.drop(LIFE)], how="horizontal").with_columns(mean)
    centred = ordered.join(stats, on=LIFE, how="left", maintain_order="left")
    squares = segment_sums(
        centred, LIFE, [((pl.col(s) - pl.col(f"_m::{s}")) ** 2).alias(f"_s::{s}") for s in sensors]
    )
    out = []
    for s in sensors:
        n = pl.col(f"_n::{s}")
        out += [
            pl.col(f"_m::{s}").alias(f"bm::{s}{suffix}"),
            pl.when(n >= 2).then(div(pl.col(f"_s::{s}"), n - 1).sqrt()).alias(f"bs::{s}{suffix}"),
        ]
    return pl.concat([stats, squares.drop(LIFE)], how="horizontal").select(*LIFE, *out)


def baseline_table(
    readings: pl.DataFrame,
    sensors: tuple[str, ...],
    span_us: int,
    regime: str | None,
    regimes: tuple[str, ...],
) -> pl.DataFrame:
    """Per ``(asset_id, life_id)``: ``base_end_us`` and baseline mean/std per sensor (and regime).

    Args:
        readings: life-tagged readings, each asset's rows together and in time order.
        sensors: sensor columns.
        span_us: baseline span in microseconds.
        regime: regime column, if any.
        regimes: regime values with their own baselines.
    """
    # Rows of a life are contiguous and in time order: its first row is its first reading.
    starts = segment_starts(readings, LIFE)
    ts = readings.get_column("ts").dt.epoch("us").to_numpy()
    lengths = np.diff(np.append(starts, ts.size))
    ends = np.repeat(ts[starts] + span_us, lengths) if starts.size else np.zeros(0, np.int64)
    base = readings.with_columns(base_end_us=pl.Series(ends, dtype=pl.Int64)).filter(
        pl.Series(ts <= ends)
    )
    table = base.group_by(LIFE, maintain_order=True).agg(pl.col("base_end_us").first())
    table = table.join(_stats(base, sensors, ""), on=LIFE, how="left")
    for r in regimes:
        per = _stats(base.filter(pl.col(regime) == r), sensors, f"::{r}")
        table = table.join(per, on=LIFE, how="left")
    return table.sort(LIFE)


def _term(sx: pl.Expr, n: pl.Expr, mean: pl.Expr, std: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = (std > 0).fill_null(False)
    return pl.when(ok).then(div(sx - n * mean, std)).otherwise(0.0), pl.when(ok).then(n).otherwise(
        0.0
    )


def with_deviations(
    partials: pl.DataFrame,
    bases: pl.DataFrame,
    sensors: tuple[str, ...],
    regimes: tuple[str, ...] | None,
) -> pl.DataFrame:
    """Add ``zb_s``/``zb_n`` (and ``zr_s``/``zr_n``) sums of deviations per bucket partial.

    Each bucket uses the baseline of its own life; per-regime sums (``regimes`` not ``None``:
    the data have a regime column) use the baseline of each reading's regime, and readings
    of a regime without a baseline are left out.
    """
    # Leakage guard: snapshots use these sums only once their life's baseline is complete.
    joined = partials.join(bases, on=LIFE, how="left", maintain_order="left")
    exprs = []
    for s in sensors:
        zs, zn = _term(
            pl.col(col("sx", s)), pl.col(col("n", s)), pl.col(f"bm::{s}"), pl.col(f"bs::{s}")
        )
        exprs += [zs.alias(col("zb_s", s)), zn.alias(col("zb_n", s))]
        if regimes is None:
            continue
        total_s, total_n = pl.lit(0.0), pl.lit(0.0)
        for r in regimes:
            mean, std = f"bm::{s}::{r}", f"bs::{s}::{r}"
            if mean not in joined.columns:
                continue
            ts, tn = _term(
                pl.col(regime_col("rsx", s, r)),
                pl.col(regime_col("rn", s, r)),
                pl.col(mean),
                pl.col(std),
            )
            total_s, total_n = total_s + ts, total_n + tn
        exprs += [total_s.alias(col("zr_s", s)), total_n.alias(col("zr_n", s))]
    drop = [
        c
        for c in joined.columns
        if c.startswith(("bm::", "bs::", "rn::", "rsx::")) or c == "base_end_us"
    ]
    return joined.with_columns(exprs).drop(drop)
