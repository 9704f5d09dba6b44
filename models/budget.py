"""Grading against the inspection budget: what 1, 2, 5 or 10 inspections a night would
have caught, and the most that the configured budget could have caught at all.

A small fleet with a 1 % budget gets one inspection a night; when about two machines are
failing each night, half the failures are missed whatever the model does. These numbers
tell a model that misses from a budget that is too small.

Input is a scored frame as in ``models.metrics``: ``asset_id``, ``as_of``, a score column
and ``rul_hours``/``rul_censored`` (the next failure of each snapshot).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence

import polars as pl

from forewarn.models.metrics import event_leads, event_metrics
from forewarn.models.rul import rul_span

BUDGET_CURVE: tuple[int, ...] = (1, 2, 5, 10)
"""Inspections a night the curve is read at (what a planner would ask about)."""

_DAY = pl.col("as_of").dt.truncate("1d")


def flag_daily_top_n(frame: pl.DataFrame, score_col: str, n: int) -> pl.Series:
    """Boolean flags: each day, the ``n`` highest scores (ties by asset id)."""
    ranked = (
        frame.select("as_of", score_col, "asset_id")
        .with_row_index("_row")
        .sort(_DAY, pl.col(score_col), "asset_id", descending=[False, True, False])
        .with_columns(flagged=pl.int_range(1, pl.len() + 1).over(_DAY) <= n)
        .sort("_row")
    )
    return ranked["flagged"]


def budget_curve(
    frame: pl.DataFrame,
    score_col: str,
    horizon_h: float,
    lead_h: float,
    per_night: Sequence[int] = BUDGET_CURVE,
) -> dict[str, float]:
    """Failures caught (with the lead time) when inspecting the top ``n`` each night.

    Returns:
        ``caught_at_{n}_per_night`` and ``event_recall_at_{n}_per_night`` for each ``n``.
    """
    out: dict[str, float] = {}
    for n in per_night:
        events = event_leads(frame, flag_daily_top_n(frame, score_col, n), horizon_h)
        caught = events.filter(
            (pl.col("max_lead_hours") >= lead_h) & (pl.col("lead_hours") >= lead_h)
        ).height
        out[f"caught_at_{n}_per_night"] = float(caught)
        out[f"event_recall_at_{n}_per_night"] = event_metrics(events, lead_h)["event_recall"]
    return out


def _windows(frame: pl.DataFrame, horizon_h: float, lead_h: float) -> pl.DataFrame:
    """Per failure event: the first and last day on which a flag would have caught it."""
    usable = ~pl.col("rul_censored").fill_null(True) & pl.col("rul_hours").is_between(
        lead_h, horizon_h
    )
    return (
        frame.filter(usable)
        .with_columns(failure_at=pl.col("as_of") + rul_span(), day=_DAY)
        .group_by("asset_id", "failure_at")
        .agg(first=pl.col("day").min(), last=pl.col("day").max())
        .sort("first", "last", "asset_id")
    )


def _earliest_deadline_first(
    windows: Iterable[tuple[object, object]], slots: dict[object, int]
) -> int:
    """Most windows served with ``slots[day]`` per day (optimal for intervals)."""
    pending = sorted(windows)
    waiting: list[object] = []
    served, i = 0, 0
    for day in sorted(slots):
        while i < len(pending) and pending[i][0] <= day:
            heapq.heappush(waiting, pending[i][1])
            i += 1
        while waiting and waiting[0] < day:
            heapq.heappop(waiting)  # its window closed unserved
        for _ in range(min(slots[day], len(waiting))):
            heapq.heappop(waiting)
            served += 1
    return served


def most_catchable(frame: pl.DataFrame, horizon_h: float, lead_h: float, budget: float) -> int:
    """The most failures the budget could have caught, had the model known the future.

    Each day offers ``ceil(budget × assets scored that day)`` inspections; a failure is
    caught by one inspection of its asset on a day at least the lead time and at most
    the horizon before it. Treating each failure's days as one interval makes this an
    upper bound, computed exactly by earliest-deadline-first.
    """
    days = frame.group_by(_DAY.alias("day")).agg(n=pl.len())
    slots = {d: math.ceil(n * budget) for d, n in days.iter_rows()}
    windows = _windows(frame, horizon_h, lead_h).select("first", "last").iter_rows()
    return _earliest_deadline_first(windows, slots)


def budget_summary(
    frame: pl.DataFrame, score_col: str, horizon_h: float, lead_h: float, budget: float
) -> dict[str, float]:
    """The curve, the ceiling at ``budget`` and how many failing assets a day averaged."""
    failing = ~pl.col("rul_censored").fill_null(True) & (pl.col("rul_hours") <= horizon_h)
    per_day = frame.group_by(_DAY).agg(n=pl.len(), failing=failing.sum())
    days = max(per_day.height, 1)
    return {
        **budget_curve(frame, score_col, horizon_h, lead_h),
        "most_catchable_at_budget": float(most_catchable(frame, horizon_h, lead_h, budget)),
        "failing_assets_per_day": float(per_day["failing"].sum()) / days,
        "inspections_per_day": sum(math.ceil(n * budget) for n in per_day["n"]) / days,
    }
