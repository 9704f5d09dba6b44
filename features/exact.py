"""Group sums whose rounding depends only on the group's own rows, in order.

Polars picks a summation kernel per group representation (contiguous slice vs gathered
indices), and which one it picks depends on the rest of the frame; the last bit of a sum
then differs between a long training run and a short scoring run. ``numpy.add.reduceat``
over contiguous, time-ordered segments is defined by the segment alone, which is what
makes snapshots bit-identical across paths.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_BATCH = 8


def segment_starts(frame: pl.DataFrame, keys: list[str]) -> np.ndarray:
    """Row indices where a new ``keys`` group begins (``frame`` sorted so groups are contiguous)."""
    if frame.height == 0:
        return np.zeros(0, dtype=np.int64)
    changed = pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys])
    flags = frame.select(changed.fill_null(True)).to_series()
    flags[0] = True
    return np.flatnonzero(flags.to_numpy())


def segment_sums(
    frame: pl.DataFrame, keys: list[str], sums: list[pl.Expr], *, skip_zeros: bool = False
) -> pl.DataFrame:
    """Per-group float sums (nulls count as 0) in row order, one row per contiguous group.

    Args:
        frame: rows sorted so each ``keys`` group is contiguous, in the order to sum.
        keys: group columns; their values at each group's first row are returned.
        sums: named expressions evaluated on ``frame`` and summed per group.
        skip_zeros: sum only the non-zero values, so rows that add nothing may be present
            or absent without changing the last bit (numpy sums pairwise: an extra 0.0
            moves the others between partial sums).
    """
    starts = segment_starts(frame, keys)
    out = frame.select(keys)[starts]
    columns = []
    for i in range(0, len(sums), _BATCH):
        values = frame.select([e.cast(pl.Float64).fill_null(0.0) for e in sums[i : i + _BATCH]])
        for series in values.iter_columns():
            summed = _reduce(series.to_numpy(), starts, skip_zeros)
            columns.append(pl.Series(series.name, summed, dtype=pl.Float64))
    return out.with_columns(columns)


def _reduce(values: np.ndarray, starts: np.ndarray, skip_zeros: bool) -> np.ndarray:
    if not starts.size:
        return np.zeros(0)
    if not skip_zeros:
        return np.add.reduceat(values, starts)
    nonzero = values != 0.0
    group = np.repeat(np.arange(starts.size), np.diff(np.append(starts, values.size)))
    per_group = np.bincount(group[nonzero], minlength=starts.size)
    out = np.zeros(starts.size)
    some = per_group > 0
    if some.any():
        offsets = np.concatenate(([0], np.cumsum(per_group)[:-1]))
        out[some] = np.add.reduceat(values[nonzero], offsets[some])
    return out


def div(a: pl.Expr, b: pl.Expr | float) -> pl.Expr:
    """``a / b`` rounded the same way on every path: ``a`` times the reciprocal of ``b``.

    Polars divides a many-row column by a literal (or a broadcast column) through its
    reciprocal, but a one-row column exactly, so plain ``/`` would make a one-asset scoring
    run differ from training in the last bit. ``1 / b`` and ``a * r`` round identically
    everywhere.
    """
    return a * (1.0 / b)
