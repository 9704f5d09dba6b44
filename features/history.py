"""Stage 1 of the pipeline, and the compact per-asset history that makes scoring cheap.

``summarize`` turns raw readings into bucket partials, life baselines and first-seen times.
The same summary, kept for all data up to ``until`` (a ``History``), lets tonight's scoring
read only recent raw telemetry: partials of older buckets, finished baselines and
first-seen times come from the history, which is about 24x smaller than hourly readings
with daily buckets and can be extended one night at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
    """Bucket partials (``end_us`` = bucket end), life baselines and first readings per asset.

    ``running``: life running totals carried over from a history (or ``None``).
    """

    partials: pl.DataFrame
    bases: pl.DataFrame | None
    first_seen: pl.DataFrame
    running: pl.DataFrame | None = None


@dataclass(frozen=True, kw_only=True)
class History(Summary):
    """A ``Summary`` of every reading with ``ts <= until``.

    Only finished baselines are kept, and ``running`` holds each life's running totals at
    ``until`` for lives whose baseline was finished by then (their deviation sums are final).
    """

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
    with_partials: bool = True,
) -> Summary:
    """Bucket partials, baselines and first readings of life-tagged, sorted readings.

    ``with_partials=False`` skips the bucket partials (an empty frame) when only the
    baselines and first readings are wanted.
    """
    grid = Grid.at(origin, spec.bucket_seconds)
    regimes = regime_values(readings, regime)
    partials = pl.DataFrame()
    if with_partials:
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


def history_cutoff(until: datetime, spec: FeatureSpec, first_as_of: datetime) -> datetime:
    """Buckets ending after this are all a run from ``first_as_of`` needs from a history.

    Fixed windows reach one longest window back; lives without carried totals began less
    than ``baseline_span`` before ``until``; one bucket of slack covers a bucket straddling it.
    """
    longest = timedelta(seconds=max(seconds(w) for w in spec.all_windows))
    bucket = timedelta(seconds=spec.bucket_seconds)
    return min(until - history_reach(spec), first_as_of - longest) - bucket


def _epoch_us(when: datetime) -> int:
    return int(pl.Series([when], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0])


def extend(
    history: History,
    recent: pl.DataFrame,
    summarize_recent: Callable[..., Summary],
    cutoff: datetime,
) -> Summary:
    """Combine a history with raw readings from ``history.until - history_reach`` onwards.

    Args:
        history: summary of readings up to ``history.until``.
        recent: life-tagged readings after ``history.until - history_reach(spec)``.
        summarize_recent: ``summarize`` bound to the run's sensors, spec, regime and origin.
        cutoff: history buckets ending at or before it are not needed (``history_cutoff``).
    """
    newer = summarize_recent(recent.filter(pl.col("ts") > history.until))
    around = summarize_recent(recent, with_partials=False)
    old = history.partials.filter(pl.col("end_us") > _epoch_us(cutoff))
    partials = pl.concat([old, newer.partials], how="diagonal")
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
    return Summary(partials, bases, seen, history.running)


def finished_bases(bases: pl.DataFrame | None, until: datetime) -> pl.DataFrame | None:
    """Baselines complete by ``until`` (later readings cannot change them)."""
    return None if bases is None else bases.filter(pl.col("base_end_us") <= _epoch_us(until))


def as_history(summary: Summary, until: datetime, running: pl.DataFrame | None) -> History:
    """Keep what stays true after ``until``: all partials, finished baselines, life totals."""
    bases = finished_bases(summary.bases, until)
    return History(summary.partials, bases, summary.first_seen, running, until=until)


def write_history(history: History, folder: str | Path) -> None:
    """Persist a history as Parquet tables plus ``until`` in ``history.json`` (I/O edge)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    history.partials.write_parquet(out / "partials.parquet")
    history.first_seen.write_parquet(out / "first_seen.parquet")
    if history.bases is not None:
        history.bases.write_parquet(out / "bases.parquet")
    if history.running is not None:
        history.running.write_parquet(out / "running.parquet")
    (out / "history.json").write_text(json.dumps({"until": history.until.isoformat()}))


def read_history(
    folder: str | Path, spec: FeatureSpec | None = None, as_of: datetime | None = None
) -> History:
    """Load a history written by ``write_history``.

    With ``spec`` and ``as_of``, only the partials a run at ``as_of`` needs are read (a
    predicate on ``end_us`` pushed into the Parquet scan).
    """
    src = Path(folder)
    until = datetime.fromisoformat(json.loads((src / "history.json").read_text())["until"])
    optional = {n: src / f"{n}.parquet" for n in ("bases", "running")}
    bases, running = (pl.read_parquet(p) if p.exists() else None for p in optional.values())
    partials = pl.scan_parquet(src / "partials.parquet")
    if spec is not None and as_of is not None:
        partials = partials.filter(pl.col("end_us") > _epoch_us(history_cutoff(until, spec, as_of)))
    first_seen = pl.read_parquet(src / "first_seen.parquet")
    return History(partials.collect(), bases, first_seen, running, until=until)
