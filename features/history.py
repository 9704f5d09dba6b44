"""Stage 1 of the pipeline, and the compact per-asset history that makes scoring cheap.

``summarize`` turns raw readings into bucket partials, life baselines and first-seen times.
The same summary, kept for all data up to ``until`` (a ``History``), lets tonight's scoring
read only recent raw telemetry: partials of older buckets, finished baselines and
first-seen times come from the history, which is about 24x smaller than hourly readings
with daily buckets and can be extended one night at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from forewarn.features.baselines import baseline_table
from forewarn.features.buckets import Grid, bucket_partials
from forewarn.features.exact import segment_starts
from forewarn.features.spec import FeatureSpec, seconds

LIFE = ["asset_id", "life_id"]


@dataclass(frozen=True)
class Summary:
    """Bucket partials (``end_us`` = bucket end), life baselines and first readings per asset."""

    partials: pl.DataFrame
    bases: pl.DataFrame | None
    first_seen: pl.DataFrame


@dataclass(frozen=True)
class History(Summary):
    """A ``Summary`` of every reading with ``ts <= until``; only finished baselines are kept."""

    until: datetime


def half_lives(spec: FeatureSpec) -> tuple[float, ...]:
    """EWMA half-life of each fixed window, in days."""
    return tuple(seconds(w) / 86_400 * spec.ewma_half_life_share for w in spec.windows)


def regime_values(readings: pl.DataFrame, regime: str | None) -> tuple[str, ...]:
    if regime is None:
        return ()
    return tuple(sorted(readings.get_column(regime).drop_nulls().unique().to_list()))


def summarize(
    readings: pl.DataFrame,
    sensors: tuple[str, ...],
    spec: FeatureSpec,
    regime: str | None,
    origin: datetime,
) -> Summary:
    """Bucket partials, baselines and first readings of life-tagged, sorted readings."""
    grid = Grid.at(origin, spec.bucket_seconds)
    regimes = regime_values(readings, regime)
    partials = bucket_partials(readings, sensors, grid, half_lives(spec), regime, regimes)
    partials = partials.with_columns(end_us=grid.end_us(pl.col("k"))).drop("k")
    bases = None
    if spec.baseline_span is not None:
        span_us = seconds(spec.baseline_span) * 1_000_000
        bases = baseline_table(readings, sensors, span_us, regime, regimes)
    # Each asset's rows are together and in time order: its first row is its first reading.
    first_seen = readings.select("asset_id", pl.col("ts").alias("first_ts"))[
        segment_starts(readings, ["asset_id"])
    ]
    return Summary(partials, bases, first_seen)


def history_reach(spec: FeatureSpec) -> timedelta:
    """How far before ``until`` raw readings are still needed next to a history.

    A life whose baseline was unfinished at ``until`` began less than ``baseline_span``
    before it, so its whole baseline lies in that stretch.
    """
    return (
        timedelta(seconds=seconds(spec.baseline_span))
        if spec.baseline_span is not None
        else timedelta(0)
    )


def extend(history: History, recent: pl.DataFrame, summarize_recent) -> Summary:
    """Combine a history with raw readings from ``history.until - history_reach`` onwards.

    Args:
        history: summary of readings up to ``history.until``.
        recent: life-tagged readings after ``history.until - history_reach(spec)``.
        summarize_recent: ``summarize`` bound to the run's sensors, spec and regime.
    """
    newer = summarize_recent(recent.filter(pl.col("ts") > history.until))
    around = summarize_recent(recent)
    partials = pl.concat([history.partials, newer.partials], how="diagonal")
    fill = [pl.col(c).fill_null(0.0) for c in partials.columns if c.startswith(("rn::", "rsx::"))]
    partials = partials.with_columns(fill).sort("asset_id", "life_id", "end_us")
    bases = None
    if history.bases is not None and around.bases is not None:
        fresh = around.bases.join(history.bases, on=LIFE, how="anti")
        bases = pl.concat([history.bases, fresh], how="diagonal").sort(LIFE)
    seen = (
        pl.concat([history.first_seen, around.first_seen])
        .group_by("asset_id")
        .agg(pl.col("first_ts").min())
    )
    return Summary(partials, bases, seen)


def as_history(summary: Summary, until: datetime) -> History:
    """Keep what stays true after ``until``: all partials, finished baselines only."""
    bases = summary.bases
    if bases is not None:
        until_us = pl.Series([until], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0]
        bases = bases.filter(pl.col("base_end_us") <= until_us)
    return History(summary.partials, bases, summary.first_seen, until)


def write_history(history: History, folder: str | Path) -> None:
    """Persist a history as Parquet tables plus ``until`` in ``history.json`` (I/O edge)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    history.partials.write_parquet(out / "partials.parquet")
    history.first_seen.write_parquet(out / "first_seen.parquet")
    if history.bases is not None:
        history.bases.write_parquet(out / "bases.parquet")
    (out / "history.json").write_text(json.dumps({"until": history.until.isoformat()}))


def read_history(folder: str | Path) -> History:
    """Load a history written by ``write_history``."""
    src = Path(folder)
    until = datetime.fromisoformat(json.loads((src / "history.json").read_text())["until"])
    bases = pl.read_parquet(src / "bases.parquet") if (src / "bases.parquet").exists() else None
    partials = pl.read_parquet(src / "partials.parquet")
    return History(partials, bases, pl.read_parquet(src / "first_seen.parquet"), until)
