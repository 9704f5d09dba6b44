"""Cross-validation folds as row filters: rolling origins in time, or groups of assets.

One definition serves the risk candidates (``models.cv``) and the RUL candidates
(``models.rul_cv``), so both are compared the same way. A fold is a pair of filters on
the training slice; with a time split the fold trains up to a cutoff and is graded on
the window after a label-sized gap, with a split by assets it trains on the other
folds' assets and is graded on its own (``[model] split``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from forewarn.models.rul import rul_rows_filter, rul_target
from forewarn.models.rul_conformal import asset_folds
from forewarn.models.splits import rolling_origins


@dataclass(frozen=True)
class Fold:
    """One fold: which rows train, which are graded, and how to name it in the record.

    Attributes:
        train: filter of the fold's training rows.
        valid: filter of the rows it is graded on.
        train_end, valid_start, valid_end: the record's description (times, or the
            fold's asset group for a split by assets).
    """

    train: pl.Expr
    valid: pl.Expr
    train_end: str
    valid_start: str
    valid_end: str


def time_folds(
    first: datetime, last: datetime, *, folds: int, window: timedelta, gap: timedelta
) -> list[Fold]:
    """Rolling-origin folds (``splits.rolling_origins``) as filters."""
    out = []
    for cutoff, win in rolling_origins(first, last, folds=folds, window=window, gap=gap):
        train = pl.col("as_of") <= cutoff
        out.append(Fold(train, win.contains(), str(cutoff), str(win.start), str(win.end)))
    return out


def grouped_folds(assets: list[str], folds: int, seed: int) -> list[Fold]:
    """Folds of whole assets (seeded hash, round-robin): no asset on both sides."""
    if folds < 2 or len(assets) < folds:
        return []
    ids = np.array(sorted(assets))
    index = asset_folds(ids, folds, seed)
    out = []
    for k in range(folds):
        mine = pl.col("asset_id").is_in(ids[index == k].tolist())
        name = f"assets fold {k + 1}/{folds}"
        out.append(Fold(~mine, mine, name, name, name))
    return out


def rul_time_folds(
    first: datetime, last: datetime, *, folds: int, window: timedelta, cap_hours: float | None
) -> list[Fold]:
    """Rolling origins for RUL: a fold's training rows need their capped RUL known
    before its window starts (the leakage guard of ``rul_rows_filter``), and the
    windows end a cap before ``last`` so every graded row's capped RUL is known."""
    cap = timedelta(hours=cap_hours or 0.0)
    out = []
    for cutoff, win in rolling_origins(first, last - cap, folds=folds, window=window, gap=cap):
        train = rul_rows_filter(win.start, cap_hours)
        valid = win.contains() & rul_target(cap_hours).is_not_null()
        out.append(Fold(train, valid, str(cutoff), str(win.start), str(win.end)))
    return out
