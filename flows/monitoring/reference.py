"""The drift reference: a bounded, time-stratified sample of the champion's training window.

Drift is measured against what the model learned from, so the reference is drawn from its
training snapshots when it is trained and stored under its registry version. It is sampled
evenly over training nights (not uniformly over rows), so a long window does not let its
busiest months outweigh the rest, and the noise floor of every drift threshold is measured
on a few whole training nights (see ``drift_stats``).
"""

from __future__ import annotations

import math
from datetime import datetime
from fnmatch import fnmatch

import numpy as np
import polars as pl

from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS

NIGHT = "as_of"


def stratified_sample(frame: pl.DataFrame | pl.LazyFrame, rows: int, seed: int) -> pl.DataFrame:
    """At most ``rows`` rows, the same number from every night (all rows of short windows).

    The rows are chosen on the night column alone and then read, so a lazy scan of a
    training frame bigger than memory is sampled without reading it whole.

    Args:
        frame: snapshots with an ``as_of`` column, in memory or a lazy scan.
        rows: the bound on the sample size.
        seed: sampling seed (same frame and seed, same sample).
    """
    lazy = frame.lazy()
    night = lazy.select(NIGHT).with_row_index("_i").collect()
    if night.height <= rows:
        return frame if isinstance(frame, pl.DataFrame) else lazy.collect()
    per_night = max(rows // night[NIGHT].n_unique(), 1)
    ranked = night.with_columns(
        _r=pl.int_range(pl.len()).shuffle(seed=seed).over(NIGHT),
    ).filter(pl.col("_r") < per_night)
    if ranked.height > rows:  # more nights than rows: keep an even spread of nights
        ranked = ranked.sort(NIGHT).gather_every(math.ceil(ranked.height / rows))
    keep = lazy.with_row_index("_i").filter(pl.col("_i").is_in(ranked["_i"].implode()))
    return keep.drop("_i").collect(engine="streaming").sort(NIGHT, "asset_id")


def calibration_nights(frame: pl.DataFrame | pl.LazyFrame, count: int) -> list[datetime]:
    """``count`` training nights evenly spaced over the window (first and last included)."""
    nights = frame.lazy().select(pl.col(NIGHT).unique().sort()).collect()[NIGHT].to_list()
    if len(nights) <= count:
        return nights
    picks = np.linspace(0, len(nights) - 1, count).round().astype(int)
    return [nights[i] for i in sorted(set(picks.tolist()))]


def split_columns(
    columns: list[str], ignore: tuple[str, ...], extra_skip: tuple[str, ...] = ()
) -> tuple[list[str], list[str]]:
    """Monitored numeric features and categorical context columns of a snapshot.

    Ids, labels and ``ignore`` patterns are left out; the context columns (asset type,
    plant, line) are categorical.
    """
    skip = {*ID_COLUMNS, *extra_skip}
    categorical = [c for c in CONTEXT_COLUMNS if c in columns]
    numeric = [
        c
        for c in columns
        if c not in skip and c not in categorical and not any(fnmatch(c, p) for p in ignore)
    ]
    return numeric, categorical


def sensor_ranges(
    telemetry: pl.LazyFrame, sensors: list[str], quantile: float
) -> dict[str, list[float | None]]:
    """Each sensor's central training range ``[q, 1 - q]`` (robust to isolated spikes).

    Args:
        telemetry: the training readings (already cut to the training window).
        sensors: sensor columns to describe (missing ones are skipped).
        quantile: tail share left out on each side.
    """
    present = [s for s in sensors if s in telemetry.collect_schema().names()]
    if not present:
        return {}
    exprs = []
    for s in present:
        col = pl.col(s).cast(pl.Float64)
        exprs += [
            col.quantile(quantile).alias(f"{s}::lo"),
            col.quantile(1 - quantile).alias(f"{s}::hi"),
        ]
    row = telemetry.select(exprs).collect().row(0, named=True)
    return {s: [row[f"{s}::lo"], row[f"{s}::hi"]] for s in present}
