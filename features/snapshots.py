"""Point-in-time feature snapshots: one row per ``(asset_id, as_of)``, from data ``<= as_of``.

Training (many snapshots per asset) and nightly scoring (one per asset) run the same code:
``scoring_snapshot`` is ``build_snapshots`` over a one-point grid with the telemetry it
reads cut to what that grid needs, and the two give bit-identical rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import polars as pl

from forewarn.features import assemble as asm
from forewarn.features.baselines import with_deviations
from forewarn.features.buckets import Grid
from forewarn.features.events import (
    NO_INSTALL,
    current_life,
    event_features,
    is_sorted,
    life_bounds,
    life_starts,
    side_by_side,
)
from forewarn.features.history import (
    History,
    Summary,
    as_history,
    extend,
    finished_bases,
    history_cutoff,
    history_reach,
    summarize,
)
from forewarn.features.inputs import UTC_US, asset_context, load_run, utc
from forewarn.features.labels import LabelReport, attach_labels
from forewarn.features.lives import life_running, life_totals
from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS, feature_names, label_columns
from forewarn.features.observed import STALE_AFTER, feeding_rows, observe
from forewarn.features.spec import FeatureSpec, LabelSpec, seconds

__all__ = [
    "CONTEXT_COLUMNS",
    "ID_COLUMNS",
    "History",
    "LabelReport",
    "build_snapshots",
    "feature_names",
    "label_columns",
    "needed_since",
    "scoring_snapshot",
    "snapshot_times",
    "summarize_history",
    "training_frame",
]


def snapshot_times(start: datetime, end: datetime, every: str) -> list[datetime]:
    """Snapshot instants ``start, start + every, …`` up to ``end`` inclusive."""
    step = timedelta(seconds=seconds(every))
    count = int((end - start) / step) + 1 if end >= start else 0
    return [start + i * step for i in range(count)]


def _snaps(
    assets: pl.DataFrame, first_seen: pl.DataFrame, times: list[datetime], grid: Grid
) -> pl.DataFrame:
    """Snapshot rows for every asset known at each ``as_of`` (installed, or seen in telemetry)."""
    grid_times = pl.DataFrame({"as_of": pl.Series(times, dtype=UTC_US)})
    known = assets.join(first_seen, on="asset_id", how="left").with_columns(
        since=pl.coalesce("installed_at", "first_ts")
    )
    rows = known.join(grid_times, how="cross").filter(pl.col("since") <= pl.col("as_of"))
    return rows.with_columns(k=grid.k_of(pl.col("as_of").dt.epoch("us"))).sort("asset_id", "as_of")


def summarize_history(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    until: datetime,
    spec: FeatureSpec,
) -> History:
    """Compact summary of all readings up to ``until`` for cheap scoring later.

    Keep it next to the dataset and pass it to ``scoring_snapshot(..., history=…)`` for any
    ``as_of`` on its bucket grid (``as_of - until`` a whole number of buckets).
    """
    until = utc(until)
    sensors, _, _, bounds, regime, readings = load_run(telemetry, events, assets, spec, until, None)
    summary = summarize(readings, sensors, spec, regime, until)
    running = None
    if spec.life_window:
        grid = Grid.at(until, spec.bucket_seconds)
        bases = finished_bases(summary.bases, until)
        partials = _prepared(
            Summary(summary.partials, bases, summary.first_seen), grid, sensors, regime
        )
        starts = life_starts(bounds, summary.first_seen)
        totals = life_totals(life_running(partials, starts, sensors, grid))
        if bases is not None:
            totals = totals.join(bases.select(*asm.LIFE_KEYS), on=asm.LIFE_KEYS, how="semi")
        running = totals.with_columns(end_us=grid.end_us(pl.col("k"))).drop("k")
    return as_history(summary, until, running)


def _on_grid(frame: pl.DataFrame, grid: Grid) -> pl.DataFrame:
    """Rows keyed by this run's bucket index ``k``; refuses a misaligned history."""
    offset = pl.col("end_us") - grid.origin_us
    if frame.select((offset % grid.bucket_us != 0).any()).item():
        raise ValueError(
            "history buckets do not line up with as_of: use as_of = until + n x bucket"
        )
    return frame.with_columns(k=offset // grid.bucket_us).drop("end_us")


def _prepared(
    summary: Summary, grid: Grid, sensors: tuple[str, ...], regime: str | None
) -> pl.DataFrame:
    """Partials on the run's grid with deviation sums from the baselines, regime splits dropped."""
    partials = _on_grid(summary.partials, grid)
    if summary.bases is not None:
        found = {c.rsplit("::", 1)[1] for c in partials.columns if c.startswith("rsx::")}
        regimes = tuple(sorted(found)) if regime is not None else None
        partials = with_deviations(partials, summary.bases, sensors, regimes)
    return partials.drop(pl.col("^(rn|rsx)::.*$")).sort("asset_id", "life_id", "k")


def _life_inputs(
    partials: pl.DataFrame, summary: Summary, grid: Grid, until: datetime | None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Partials still to accumulate per life, and carried totals to continue from."""
    if summary.running is None or until is None:
        return partials, None
    seeds = _on_grid(summary.running, grid)
    seeded = seeds.select(*asm.LIFE_KEYS, _seeded=pl.lit(True))
    todo = partials.join(seeded, on=asm.LIFE_KEYS, how="left", maintain_order="left")
    todo = todo.filter(pl.col("_seeded").is_null() | (pl.col("k") > grid.k_at(until)))
    return todo.drop("_seeded"), seeds


def build_snapshots(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    start: datetime,
    end: datetime,
    spec: FeatureSpec,
    *,
    since: datetime | None = None,
    history: History | None = None,
    fleet_parts: bool = False,
    observed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Feature snapshots at ``start, start + snapshot_every, …, <= end`` for every known asset.

    Args:
        telemetry: readings (``asset_id``, ``ts``, sensors, optional regime column), any order.
        events: failure/maintenance/alarm events (may be empty).
        assets: ``asset_id``, ``asset_type`` and optional ``plant``, ``line``, ``installed_at``.
        start: first snapshot instant (UTC); also the origin of the bucket grid.
        end: last possible snapshot instant; nothing after it is read.
        spec: the feature spec.
        since: read telemetry from this instant only (scoring uses it to skip old data that
            no feature of the requested snapshots needs).
        history: summary of older readings; raw telemetry is then read only from
            ``history.until - history_reach(spec)``.
        fleet_parts: leave ``z_fleet`` out and return its per-row inputs (``fleet_parts``)
            as the last columns instead: a run over a batch of assets, whose fleet norms
            are pooled over every batch afterwards (``features.batches``).
        observed: the assets' observed spans (``features.observed.observed_spans``):
            build only rows that observe their asset, plus the later rows whose windows
            still feed the fleet norms (``feeding_rows``; training drops them after
            pooling, in ``attach_labels``). ``None``: every known asset at every
            ``as_of`` (scoring: an asset without readings is reported, not dropped).

    Returns:
        ``asset_id``, ``as_of``, ``asset_type``, ``plant``, ``line``, then ``feature_names``.
    """
    start, end = utc(start), utc(end)
    if history is not None:
        since = history.until - history_reach(spec) + timedelta(microseconds=1)
    sensors, evs, meta, bounds, regime, readings = load_run(
        telemetry, events, assets, spec, end, since
    )
    grid = Grid.at(start, spec.bucket_seconds)
    if history is None:
        summary = summarize(readings, sensors, spec, regime, start)
    else:
        cutoff = history_cutoff(history.until, spec, start)
        fn = partial(summarize, sensors=sensors, spec=spec, regime=regime, origin=start)
        summary = extend(history, readings, fn, cutoff)
    del readings  # the raw rows are summarised: free them before stage 2
    partials = _prepared(summary, grid, sensors, regime)
    life_partials, seeds = _life_inputs(partials, summary, grid, history and history.until)
    starts = life_starts(bounds, summary.first_seen)
    snaps = _snaps(meta, summary.first_seen, snapshot_times(start, end, spec.snapshot_every), grid)
    if observed is not None:
        reach = timedelta(seconds=max(seconds(w) for w in spec.windows))
        snaps = feeding_rows(snaps, observed, reach)
    ends = None if summary.bases is None else summary.bases.select(*asm.LIFE_KEYS, "base_end_us")
    tables = {"partials": partials, "events": evs, "bounds": bounds, "starts": starts}
    tables |= {"ends": ends, "life_partials": life_partials, "seeds": seeds}
    frame = asm.in_batches(snaps, tables, sensors, spec, grid, regime is not None)
    if spec.fleet_norm and not fleet_parts:
        frame = asm.fleet_columns(frame, spec, sensors)
    frame = side_by_side(frame, event_features(frame, evs, spec))
    names = feature_names(spec, sensors)
    if spec.fleet_norm and fleet_parts:
        names = [n for n in names if "__z_fleet_" not in n] + asm.fleet_parts(spec, sensors)
    out = frame.select(*ID_COLUMNS, *CONTEXT_COLUMNS, *[pl.col(n).cast(pl.Float64) for n in names])
    return out if is_sorted(out, ["asset_id"], "as_of") else out.sort("asset_id", "as_of")


def scoring_snapshot(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    as_of: datetime,
    spec: FeatureSpec,
    history: History | None = None,
) -> pl.DataFrame:
    """One snapshot per asset known at ``as_of`` (tonight's scoring input).

    Without a history, telemetry is read from the oldest instant any feature needs: the
    longest window, or the start of the life in force at the window's start (life and
    baseline features). With a ``History`` (see ``summarize_history``) raw telemetry is read
    only after ``history.until - baseline_span``. Either way a Parquet scan gets a predicate
    on ``ts`` pushed down, and the row equals the training snapshot at ``as_of`` bit for bit.
    """
    as_of = utc(as_of)
    if history is not None:
        return build_snapshots(telemetry, events, assets, as_of, as_of, spec, history=history)
    since = needed_since(events, assets, as_of, spec)
    return build_snapshots(telemetry, events, assets, as_of, as_of, spec, since=since)


def needed_since(
    events: pl.LazyFrame, assets: pl.LazyFrame, as_of: datetime, spec: FeatureSpec
) -> datetime | None:
    """Oldest reading a snapshot at ``as_of`` needs; ``None`` when some history is unbounded.

    Readings of the life in force at ``as_of - longest window`` are needed for baselines of
    the readings inside the window, and the current life's start for life features.
    """
    longest = timedelta(seconds=max(seconds(w) for w in spec.all_windows))
    horizon = as_of - longest
    if not (spec.life_window or spec.baseline_span is not None):
        return horizon
    meta = asset_context(assets)
    bounds = life_bounds(events.filter(pl.col("ts") <= as_of), meta, spec.life_resets)
    starts = bounds.select("asset_id", "life_id", pl.col("bound").alias("life_start"))
    probe = meta.select("asset_id", pl.lit(horizon, UTC_US).alias("as_of"))
    lives = current_life(probe, bounds, starts)
    unbounded = (pl.col("life_id") < 0) | (pl.col("life_start") == NO_INSTALL)
    if lives.select(unbounded.any()).item():
        return None
    return min(horizon, lives.get_column("life_start").min())


def training_frame(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    start: datetime,
    end: datetime,
    spec: FeatureSpec,
    labels: LabelSpec,
    data_end: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> tuple[pl.DataFrame, LabelReport]:
    """Snapshots from ``start`` to ``end`` with labels, of observed assets, out of downtime.

    Args:
        data_end: last instant the data covers (labels looking past it are unknown or
            censored); defaults to the last telemetry ``ts``.
        stale_after: an asset counts as observed until this long after its last reading
            (or until a failure at or after it); no snapshot before its first reading.

    Returns:
        The frame (ids, context, features, ``label_columns(labels)``) and its ``LabelReport``.
    """
    if data_end is None:
        data_end = telemetry.select(pl.col("ts").max()).collect().item()
    data_end = utc(data_end)
    times = snapshot_times(start, end, spec.snapshot_every)
    seen = observe(telemetry, events, assets, times, stale_after)
    snaps = build_snapshots(telemetry, events, assets, start, end, spec, observed=seen.spans)
    return attach_labels(snaps, events.collect(), labels, data_end, seen)
