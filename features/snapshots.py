"""Point-in-time feature snapshots: one row per ``(asset_id, as_of)``, from data ``<= as_of``.

Training (many snapshots per asset) and nightly scoring (one per asset) run the same code:
``scoring_snapshot`` is ``build_snapshots`` over a one-point grid with the telemetry it
reads cut to what that grid needs, and the two give bit-identical rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from forewarn.features import assemble as asm
from forewarn.features.baselines import with_deviations
from forewarn.features.buckets import Grid
from forewarn.features.events import (
    NO_INSTALL,
    alarm_partials,
    current_life,
    event_features,
    life_bounds,
    life_starts,
    tag_lives,
)
from forewarn.features.history import (
    History,
    Summary,
    as_history,
    extend,
    half_lives,
    history_reach,
    summarize,
)
from forewarn.features.labels import LabelReport, attach_labels
from forewarn.features.lives import life_at, life_running
from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS, feature_names, label_columns
from forewarn.features.spec import FeatureSpec, LabelSpec, seconds

__all__ = [
    "CONTEXT_COLUMNS",
    "ID_COLUMNS",
    "History",
    "build_snapshots",
    "feature_names",
    "label_columns",
    "scoring_snapshot",
    "summarize_history",
    "training_frame",
]

UTC_US = pl.Datetime("us", "UTC")
_NUMERIC = (
    pl.Float32,
    pl.Float64,
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
)


def resolve_sensors(telemetry: pl.LazyFrame, spec: FeatureSpec) -> tuple[str, ...]:
    """The spec's sensors, or every numeric telemetry column except keys and the regime."""
    if spec.sensors is not None:
        return spec.sensors
    schema = telemetry.collect_schema()
    skip = {"asset_id", "ts", spec.regime_column}
    return tuple(c for c, t in schema.items() if c not in skip and isinstance(t, _NUMERIC))


def _readings(
    telemetry: pl.LazyFrame,
    sensors: tuple[str, ...],
    regime: str | None,
    upto: datetime,
    since: datetime | None,
) -> pl.LazyFrame:
    """Project the needed columns; missing sensors become all-null columns, not errors."""
    names = set(telemetry.collect_schema().names())
    cols = [
        pl.col(s).cast(pl.Float64) if s in names else pl.lit(None, pl.Float64).alias(s)
        for s in sensors
    ]
    if regime is not None and regime in names:
        cols.append(pl.col(regime).cast(pl.String))
    keep = pl.col("ts") <= upto
    if since is not None:
        keep = keep & (pl.col("ts") >= since)
    return telemetry.filter(keep).select("asset_id", "ts", *cols)


def grouped_in_time(frame: pl.DataFrame) -> pl.DataFrame:
    """Each asset's rows together and in time order; sorts only when they are not already.

    Writers usually emit telemetry asset by asset in time order, and a full sort of 17M
    rows by a string key costs several scans, so check first (one cheap pass).
    """
    if frame.height < 2:
        return frame
    same = pl.col("asset_id") == pl.col("asset_id").shift(1)
    check = frame.select(
        changes=(~same).sum(),
        ordered=(~same | (pl.col("ts") > pl.col("ts").shift(1))).all(),
        assets=pl.col("asset_id").n_unique(),
    ).row(0, named=True)
    if check["ordered"] and check["changes"] == check["assets"] - 1:
        return frame
    return frame.sort(pl.col("asset_id").cast(pl.Categorical).to_physical(), "ts")


def _assets(assets: pl.LazyFrame) -> pl.DataFrame:
    frame = assets.collect()
    fill = [pl.lit(None, pl.String).alias(c) for c in CONTEXT_COLUMNS if c not in frame.columns]
    if "installed_at" not in frame.columns:
        fill.append(pl.lit(None, UTC_US).alias("installed_at"))
    frame = frame.with_columns(fill)
    return frame.select(
        "asset_id",
        *[pl.col(c).cast(pl.String) for c in CONTEXT_COLUMNS],
        pl.col("installed_at").cast(UTC_US),
    )


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


def _load(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    spec: FeatureSpec,
    upto: datetime,
    since: datetime | None,
) -> tuple[tuple[str, ...], pl.DataFrame, pl.DataFrame, pl.DataFrame, str | None, pl.DataFrame]:
    """Read what a run needs: sensors, events, assets, life bounds, regime, tagged readings."""
    sensors = resolve_sensors(telemetry, spec)
    evs = events.filter(pl.col("ts") <= upto).collect()
    meta = _assets(assets)
    bounds = life_bounds(evs.lazy(), meta, spec.life_resets)
    names = telemetry.collect_schema().names()
    regime = spec.regime_column if spec.regime_column in names else None
    raw = grouped_in_time(_readings(telemetry, sensors, regime, upto, since).collect())
    readings = tag_lives(raw.lazy(), bounds).collect()
    return sensors, evs, meta, bounds, regime, readings


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
    sensors, _, _, _, regime, readings = _load(telemetry, events, assets, spec, until, None)
    return as_history(summarize(readings, sensors, spec, regime, until), until)


def _grid_partials(summary: Summary, grid: Grid) -> pl.DataFrame:
    """Partials keyed by this run's bucket index ``k``; refuses a misaligned history."""
    offset = pl.col("end_us") - grid.origin_us
    if summary.partials.select((offset % grid.bucket_us != 0).any()).item():
        raise ValueError(
            "history buckets do not line up with as_of: use as_of = until + n x bucket"
        )
    return summary.partials.with_columns(k=offset // grid.bucket_us).drop("end_us")


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

    Returns:
        ``asset_id``, ``as_of``, ``asset_type``, ``plant``, ``line``, then ``feature_names``.
    """
    if history is not None:
        since = history.until - history_reach(spec) + timedelta(microseconds=1)
    sensors, evs, meta, bounds, regime, readings = _load(
        telemetry, events, assets, spec, end, since
    )
    grid = Grid.at(start, spec.bucket_seconds)
    if history is None:
        summary = summarize(readings, sensors, spec, regime, start)
    else:
        summary = extend(history, readings, lambda r: summarize(r, sensors, spec, regime, start))
    del readings  # the raw rows are summarised: free them before stage 2
    partials = _grid_partials(summary, grid)
    if summary.bases is not None:
        found = {c.rsplit("::", 1)[1] for c in partials.columns if c.startswith("rsx::")}
        regimes = tuple(sorted(found)) if regime is not None else None
        partials = with_deviations(partials, summary.bases, sensors, regimes)
    partials = partials.drop(pl.col("^(rn|rsx)::.*$")).sort("asset_id", "life_id", "k")
    starts = life_starts(bounds, summary.first_seen)
    snaps = _snaps(meta, summary.first_seen, snapshot_times(start, end, spec.snapshot_every), grid)
    ends = None if summary.bases is None else summary.bases.select(*LIFE_KEYS, "base_end_us")
    tables = {"partials": partials, "events": evs, "bounds": bounds, "starts": starts, "ends": ends}
    frame = _in_batches(snaps, tables, sensors, spec, grid, regime is not None)
    if spec.fleet_norm:
        frame = asm.fleet_columns(frame, spec, sensors)
    feats = event_features(frame, evs, spec)
    frame = frame.join(feats, on=["asset_id", "as_of"], how="left", maintain_order="left")
    names = feature_names(spec, sensors)
    out = frame.select(*ID_COLUMNS, *CONTEXT_COLUMNS, *[pl.col(n).cast(pl.Float64) for n in names])
    return out.sort("asset_id", "as_of")


LIFE_KEYS = ["asset_id", "life_id"]
_BATCH_ROWS = 60_000
"""Bucket rows per batch of assets in stage 2: bounds memory (each window level is a copy)."""


def _in_batches(
    snaps: pl.DataFrame,
    tables: dict[str, pl.DataFrame | None],
    sensors: tuple[str, ...],
    spec: FeatureSpec,
    grid: Grid,
    regime: bool,
) -> pl.DataFrame:
    """``_features`` over batches of assets (every per-asset feature is independent)."""
    ids = snaps.get_column("asset_id").unique().sort().to_list()
    longest = max(seconds(w) for w in spec.all_windows) * 1_000_000 // grid.bucket_us
    per_asset = snaps.height / max(len(ids), 1) + longest
    size = max(1, int(_BATCH_ROWS // per_asset))
    frames = []
    for first in range(0, max(len(ids), 1), size):
        keep = pl.col("asset_id").is_in(ids[first : first + size])
        part = {k: None if t is None else t.filter(keep) for k, t in tables.items()}
        frames.append(_features(snaps.filter(keep), part, sensors, spec, grid, regime))
    return pl.concat(frames)


def _features(
    snaps: pl.DataFrame,
    tables: dict[str, pl.DataFrame | None],
    sensors: tuple[str, ...],
    spec: FeatureSpec,
    grid: Grid,
    regime: bool,
) -> pl.DataFrame:
    """Sensor and alarm features of a batch of assets, plus what fleet and event steps need.

    Args:
        snaps: snapshot rows of the batch.
        tables: ``partials`` (with deviations), ``events``, life ``bounds`` and ``starts``,
            baseline ``ends`` (or ``None``), all restricted to the batch.
        sensors: sensor names.
        spec: the feature spec.
        grid: the bucket grid.
        regime: whether the data have the regime column.
    """
    partials = tables["partials"]
    columns = [c for c in partials.columns if "::" in c]
    merged = asm.merge_lives(partials, columns)
    alarms = alarm_partials(tables["events"].lazy(), grid, spec.alarm_codes).collect()
    merged = merged.join(alarms, on=["asset_id", "k"], how="full", coalesce=True)
    longest = max(seconds(w) for w in spec.all_windows) * 1_000_000 // grid.bucket_us
    dense = asm.dense_grid(snaps, merged, longest)
    windows = asm.window_features(dense, snaps, spec, grid, half_lives(spec))
    frame = current_life(snaps, tables["bounds"], tables["starts"])
    frame = frame.join(windows, on=["asset_id", "k"], how="left", maintain_order="left")
    if spec.life_window:
        life = life_at(frame, life_running(partials, tables["starts"], sensors, grid))
        frame = frame.join(life, on=[*LIFE_KEYS, "k"], how="left", maintain_order="left")
    if tables["ends"] is not None:
        frame = frame.join(tables["ends"], on=LIFE_KEYS, how="left", maintain_order="left")
        frame = frame.with_columns(_base_ok=pl.col("as_of").dt.epoch("us") >= pl.col("base_end_us"))
    features = asm.sensor_columns(spec, sensors, regime) + asm.alarm_columns(spec)
    fleet = [f"W{w}|{p}::{s}" for s in sensors for w in spec.windows for p in ("n", "sx", "sxx")]
    keep = [*ID_COLUMNS, *CONTEXT_COLUMNS, "installed_at", "life_start"]
    return frame.select(*keep, *features, *(fleet if spec.fleet_norm else []))


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
    meta = _assets(assets)
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
) -> tuple[pl.DataFrame, LabelReport]:
    """Snapshots from ``start`` to ``end`` with labels, minus rows in downtime.

    Args:
        data_end: last instant the data covers (labels looking past it are unknown or
            censored); defaults to the last telemetry ``ts``.

    Returns:
        The frame (ids, context, features, ``label_columns(labels)``) and its ``LabelReport``.
    """
    if data_end is None:
        data_end = telemetry.select(pl.col("ts").max()).collect().item()
    snaps = build_snapshots(telemetry, events, assets, start, end, spec)
    return attach_labels(snaps, events.collect(), labels, data_end)
