"""The rules behind ``forewarn config suggest``: round durations, sensor classes, windows
that hold failures, training-row estimates and LightGBM sizes (pure functions).

``features.suggest`` composes them into an experiment; each rule is a few lines a data
scientist can check against the comments in the suggested file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from forewarn.features.profile import DataProfile, SensorProfile

H = 3600
D = 86400
LADDER = (
    60,
    300,
    600,
    900,
    1800,
    *(h * H for h in (1, 2, 3, 4, 6, 8, 12)),
    *(d * D for d in (1, 2, 3, 4, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 365)),
)
"""Round durations the suggestion picks from (seconds)."""

NEAR_CONSTANT_SHARE = 0.97
"""A sensor whose most frequent value holds this share of readings carries no signal."""
REGIME_MAX_LEVELS = 6
"""A whole-numbered column with 2..6 values is an operating mode, not a measurement."""
FEW_FAILURES = 20
"""Below this many validation failures, recall ties are broken by ROC-AUC, not PR-AUC."""
MAX_SNAPSHOTS = 1_500_000
"""Training snapshots the suggestion aims to stay under (memory and boosting time)."""


def fmt(seconds: float) -> str:
    """A duration string in the largest whole unit: 86400 -> "1d", 7200 -> "2h"."""
    s = round(seconds)
    for unit, size in (("d", D), ("h", H), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def up(target: float, step: int = 1) -> int:
    """The smallest round duration >= ``target`` that is a multiple of ``step``."""
    for value in LADDER:
        if value >= target and value % step == 0:
            return value
    return int(math.ceil(target / step) * step)


def down(target: float, step: int = 1) -> int:
    """The largest round duration <= ``target`` that is a multiple of ``step`` (>= step)."""
    best = step
    for value in LADDER:
        if value <= target and value % step == 0:
            best = max(best, value)
    return best


@dataclass(frozen=True)
class Choice:
    """One key of the experiment, with the reason shown next to it."""

    key: str
    value: object
    why: str = ""


def classify_sensors(
    sensors: tuple[SensorProfile, ...],
) -> tuple[list[str], str | None, list[str]]:
    """Split telemetry columns into sensors, a regime column and dropped columns (why)."""
    kept, dropped, regime = [], [], None
    for s in sensors:
        if s.readings == 0:
            dropped.append(f"{s.name} (no readings)")
        elif s.uniques <= 1 or s.std == 0.0:
            dropped.append(f"{s.name} (constant)")
        elif s.top_share >= NEAR_CONSTANT_SHARE:
            dropped.append(
                f"{s.name} (near-constant: {s.top_share:.1%} of readings hold one value)"
            )
        elif regime is None and s.whole and 2 <= s.uniques <= REGIME_MAX_LEVELS:
            regime = s.name
        else:
            kept.append(s.name)
    return kept, regime, dropped


def _failures_in(times: tuple[datetime, ...], start: datetime, end: datetime) -> int:
    return sum(1 for t in times if start < t <= end)


@dataclass(frozen=True)
class Split:
    validation: int
    calibration: int
    val_failures: int
    cal_failures: int
    train_end: datetime
    train_failures: int


def plan_windows(p: DataProfile, horizon: int, snap: int, min_failures: int) -> Split:
    """Validation then calibration windows, each grown from a share of the span until it
    holds ``min_failures`` failures (the training step refuses a window without any),
    but never so far that the training period keeps less than about a third of it."""
    span, gap = p.span_s, horizon
    # The last labelled snapshot: a full horizon before the end, or the end itself when
    # assets run to failure (every snapshot up to the failure has a known label).
    run_to_failure = p.ends_at_failure >= 0.5
    last = p.end if run_to_failure else p.end - timedelta(seconds=horizon)

    def grow(end: datetime, share: float, cap: float) -> tuple[int, int]:
        size = max(up(span * share, snap), 2 * snap)
        while True:
            n = _failures_in(
                p.failures, end - timedelta(seconds=size), end + timedelta(seconds=horizon)
            )
            if n >= min_failures or size >= span * cap:
                return _round_days(size, snap), n
            size += snap * max(1, int(span * 0.02 // snap))

    val, nv = grow(last, 0.15, 0.3)
    cal_end = last - timedelta(seconds=val + gap)
    cal, nc = grow(cal_end, 0.1, 0.25)
    train_end = cal_end - timedelta(seconds=cal + gap)
    nt = _failures_in(p.failures, p.start, train_end + timedelta(seconds=horizon))
    return Split(val, cal, nv, nc, train_end, nt)


def _round_days(size: int, snap: int) -> int:
    """Whole days once a window passes two days (``"19d"``, not ``"436h"``)."""
    return int(math.ceil(size / D) * D) if size >= 2 * D and D % snap == 0 else size


def training_rows(p: DataProfile, train_end: datetime, snap: int) -> int:
    """Snapshots the training period will hold: each asset, while observed, every ``snap``."""
    total = 0.0
    for first, last in p.spans:
        total += max(0.0, (min(last, train_end) - first).total_seconds()) / snap + 1
    return int(total)


def lightgbm(rows: int, positives: int, what: str) -> list[Choice]:
    """Leaf sizes that fit the rows: a leaf must be able to hold a share of the failures
    (min_child_samples = 200 on 600 rows gives a constant model)."""
    mcs = max(5, min(200, rows // 100, max(positives // 3, 5)))
    leaves = max(4, min(15, rows // (10 * mcs)))
    return [
        Choice("num_leaves", leaves, f"{what}: ~{rows:,} rows, ~{positives:,} positive"),
        Choice("learning_rate", 0.05),
        Choice("n_estimators", 300),
        Choice("min_child_samples", mcs, "about 1 % of the rows, and a third of the failures"),
        Choice("feature_fraction", 0.5),
        Choice("bagging_fraction", 0.8),
        Choice("bagging_freq", 1),
        Choice("lambda_l2", 10.0 if rows > 20_000 else 1.0),
        Choice("num_threads", 1, "shared cores: one thread is fastest under contention"),
    ]


def rul_lightgbm(rows: int) -> list[Choice]:
    """RUL regression leaves: about 1 % of the training rows (every row has a target)."""
    mcs = max(5, min(500, rows // 100))
    return [
        Choice("num_leaves", max(4, min(15, rows // (10 * mcs))), f"RUL: ~{rows:,} rows"),
        Choice("learning_rate", 0.05),
        Choice("n_estimators", 200),
        Choice("min_child_samples", mcs, "about 1 % of the rows"),
        Choice("feature_fraction", 0.5),
        Choice("lambda_l2", 10.0 if rows > 20_000 else 1.0),
        Choice("num_threads", 1),
    ]


def default_horizon(p: DataProfile) -> int:
    """A week, or a twelfth of the span on short histories (room for both slices)."""
    return max(down(min(7 * D, p.span_s / 12)), up(2 * p.interval_s))


def snapshot_step(p: DataProfile, horizon: int) -> int:
    """About 400 snapshots per asset (at most daily), never finer than the sampling,
    fewer when the fleet is big, and at least two per horizon."""
    target = max(p.interval_s, min(p.span_s / 400, D), p.assets * p.span_s / MAX_SNAPSHOTS)
    step = up(target)
    return step if step * 2 <= horizon else down(horizon / 2)


def window_set(p: DataProfile, snap: int) -> list[int]:
    """Short, medium and long windows: a sixth of the span (at most 30 days), a quarter of
    that (at most a week), a quarter again (at most a day), each at least two readings."""
    long = down(min(30 * D, p.span_s / 6), snap)
    medium = down(min(7 * D, long / 4), snap)
    short = max(down(min(D, medium / 4), snap), up(2 * p.interval_s, snap))
    return sorted({w for w in (short, medium, long) if w >= short})
