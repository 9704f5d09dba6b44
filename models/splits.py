"""Time splits: train, then calibrate, then validate, with label-sized gaps between.

Never random rows: two snapshots of one asset a day apart are near copies, so a
random split grades the model on data it has effectively seen. A snapshot at
``as_of`` carries a label looking ``H`` ahead, so training rows stop ``gap >= H``
before the next slice starts; otherwise training labels would describe failures
inside the slice that grades the model.

::

    |---- train ----|gap|-- calibration --|gap|---- validation ----|
                                                                 last labelled as_of

RUL has its own validation window, ending ``rul_cap`` before the last snapshot: only
there is every row's capped RUL known (a later snapshot that has not failed yet may or
may not outlive the cap), so grading on the risk window would keep only the rows that
fail soon and reward models that always predict short lives.

A split by assets (``[model] split = "assets"``) is the other choice, for fleets
observed side by side from birth to failure (test-rig engines): a time split there
grades only the longest lives and trains on lives cut short. Assets are dealt by a
seeded hash into training, calibration and validation groups and every snapshot of
an asset stays in its group, so no gap is needed: no label of one group describes a
failure of another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from forewarn.models.rul import rul_rows_filter, rul_target


@dataclass(frozen=True)
class Window:
    """A half-open span of snapshot times ``(start, end]``."""

    start: datetime
    end: datetime

    def contains(self) -> pl.Expr:
        """Polars filter selecting snapshots inside the window."""
        return (pl.col("as_of") > self.start) & (pl.col("as_of") <= self.end)


@dataclass(frozen=True)
class SplitPlan:
    """Where each slice lies; ``holdout`` assets appear in validation only."""

    train_end: datetime
    calibration: Window
    validation: Window
    holdout: frozenset[str]
    rul_validation: Window
    calibration_assets: frozenset[str] = frozenset()
    by_assets: bool = False

    def train_filter(self) -> pl.Expr:
        """Rows the booster and the baselines learn from."""
        if self.by_assets:
            return ~self._held() & ~pl.col("asset_id").is_in(sorted(self.calibration_assets))
        return (pl.col("as_of") <= self.train_end) & ~self._held()

    def calibration_filter(self) -> pl.Expr:
        """Rows the probability map is fitted on."""
        if self.by_assets:
            return pl.col("asset_id").is_in(sorted(self.calibration_assets))
        return self.calibration.contains() & ~self._held()

    def validation_filter(self) -> pl.Expr:
        """Rows every model is graded on (only held-out assets when there are some)."""
        if self.holdout:
            return self.validation.contains() & self._held()
        return self.validation.contains()

    def rul_validation_filter(self) -> pl.Expr:
        """Rows the RUL models are graded on (only held-out assets when there are some)."""
        if self.holdout:
            return self.rul_validation.contains() & self._held()
        return self.rul_validation.contains()

    def rul_train_filter(self, cap_hours: float | None) -> pl.Expr:
        """Rows the RUL boosters learn from: not validated, capped RUL known before the
        RUL validation window (time split) or at all (split by assets)."""
        if self.by_assets:
            return ~self._held() & rul_target(cap_hours).is_not_null()
        return ~self._held() & rul_rows_filter(self.rul_validation.start, cap_hours)

    def _held(self) -> pl.Expr:
        return pl.col("asset_id").is_in(sorted(self.holdout))


def holdout_assets(asset_ids: list[str], share: float, seed: int) -> frozenset[str]:
    """A stable, seeded share of assets, chosen by hash rather than by row order.

    Hashing makes the choice reproducible across runs and independent of how the
    frame happens to be sorted.
    """
    if share <= 0.0:
        return frozenset()
    threshold = int(share * 2**32)

    def bucket(asset: str) -> int:
        digest = hashlib.sha256(f"{seed}:{asset}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    return frozenset(a for a in asset_ids if bucket(a) < threshold)


def plan_split(
    frame: pl.DataFrame,
    label_col: str,
    *,
    validation: timedelta,
    calibration: timedelta,
    gap: timedelta,
    rul_cap: timedelta | None = None,
    holdout_share: float = 0.0,
    seed: int = 42,
) -> SplitPlan:
    """Place the validation window at the end of the labelled data and work backwards.

    Raises:
        ValueError: if no snapshot has a known label, or the windows leave no
            training history; the message says which setting to shrink.
    """
    labelled = frame.filter(pl.col(label_col).is_not_null())
    if labelled.height == 0:
        raise ValueError(f"no snapshot has a known {label_col!r} label")
    first, last = labelled["as_of"].min(), labelled["as_of"].max()
    val = Window(last - validation, last)
    cal = Window(val.start - gap - calibration, val.start - gap)
    train_end = cal.start - gap
    if train_end <= first:
        raise ValueError(
            f"not enough history: labelled snapshots span {first} .. {last}, but "
            f"validation_window + calibration_window + 2 x gap leave no training rows "
            f"(training would end at {train_end}); shorten the windows"
        )
    rul_val = rul_window(frame["as_of"].max(), validation, rul_cap)
    if rul_val.start - (rul_cap or timedelta(0)) <= first:
        raise ValueError(
            f"not enough history for RUL: snapshots start {first}, but [model] rul_cap + "
            "validation_window + rul_cap before the last snapshot leave no training rows; "
            "lower [model] rul_cap or [model] validation_window"
        )
    assets = frame.get_column("asset_id").unique().sort().to_list()
    holdout = holdout_assets(assets, holdout_share, seed)
    return SplitPlan(train_end, cal, val, holdout, rul_val)


def plan_asset_split(frame: pl.DataFrame, label_col: str, *, share: float, seed: int) -> SplitPlan:
    """Deal assets into validation (``share``), calibration (``share``) and training
    groups by a seeded hash; every window spans the whole data.

    Raises:
        ValueError: no known label, or too few assets for three non-empty groups.
    """
    labelled = frame.filter(pl.col(label_col).is_not_null())
    if labelled.height == 0:
        raise ValueError(f"no snapshot has a known {label_col!r} label")
    first, last = frame["as_of"].min(), frame["as_of"].max()
    assets = frame.get_column("asset_id").unique().sort().to_list()
    held = holdout_assets(assets, share, seed)
    rest = [a for a in assets if a not in held]
    cal = holdout_assets(rest, share / (1.0 - share), seed + 1)
    if not held or not cal or len(rest) == len(cal):
        raise ValueError(
            f"split='assets' with holdout_assets={share} leaves an empty training, "
            f"calibration or validation group among {len(assets)} assets; raise "
            "holdout_assets or use split='time'"
        )
    everything = Window(first - timedelta(microseconds=1), last)
    return SplitPlan(last, everything, everything, held, everything, cal, by_assets=True)


def rul_window(last: datetime, validation: timedelta, cap: timedelta | None) -> Window:
    """The RUL validation window: ``validation`` long, ending ``cap`` before ``last``.

    Training rows then need ``as_of + cap <= window.start`` (see ``rul_training_rows``).
    """
    end = last - cap if cap is not None else last
    return Window(end - validation, end)


def rolling_origins(
    first: datetime, train_end: datetime, *, folds: int, window: timedelta, gap: timedelta
) -> list[tuple[datetime, Window]]:
    """Rolling-origin folds inside the training period, oldest first.

    Fold ``i`` trains on snapshots up to its cutoff and is graded on the following
    ``window``, separated by ``gap``; the last fold ends at ``train_end``. Folds that
    would leave no training history are dropped.

    Returns:
        ``(training cutoff, validation window)`` per fold.
    """
    out = []
    for i in range(folds, 0, -1):
        end = train_end - (i - 1) * window
        win = Window(end - window, end)
        cutoff = win.start - gap
        if cutoff > first:
            out.append((cutoff, win))
    return out


def seeded_draw(seed: int) -> pl.Expr:
    """A uniform number in [0, 1) per snapshot, from a hash of ``asset_id``, ``as_of``
    and ``seed``.

    A function of the row alone, not of its position: a filter on it selects the same
    rows from a whole frame in memory, from a lazy scan of Parquet parts, or from one
    part at a time, so sampling can be pushed into the scan (``models.slices``). Polars'
    hash is deterministic for a Polars version (the project pins it), not across versions.
    """
    key = pl.struct(pl.col("asset_id").cast(pl.String), pl.col("as_of").dt.epoch("us"))
    return (key.hash(seed) // 2**11).cast(pl.Float64) / float(2**53)


def negatives_filter(label_col: str, rate: float, seed: int) -> pl.Expr:
    """Filter keeping every failure row and a seeded ``rate`` share of the others."""
    if rate >= 1.0:
        return pl.lit(True)
    return pl.col(label_col).fill_null(False) | (seeded_draw(seed) < rate)


def sample_negatives(frame: pl.DataFrame, label_col: str, rate: float, seed: int) -> pl.DataFrame:
    """Every failure row plus a seeded ``rate`` share of the other rows.

    The draw hashes each row's asset and time (``seeded_draw``), so the sample does
    not depend on row order or on how the frame is split into files.
    """
    if rate >= 1.0:
        return frame
    return frame.filter(negatives_filter(label_col, rate, seed))
