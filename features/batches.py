"""Snapshots over batches of assets: bounded memory, the same rows as one in-memory run.

Every feature except ``z_fleet`` comes from one asset's own readings and events, so a
batch of assets gives exactly the rows a whole-fleet run gives for those assets.
``z_fleet`` compares an asset with every asset of its type at the same ``as_of``, so a
batched build takes two passes: each batch returns its rows with the per-row inputs of
the fleet norms (``build_snapshots(fleet_parts=True)``); the norms are pooled over all
batches, ``as_of`` chunk by chunk, summing in the order one run sums (``fleet_norms``
sorts by asset); then each batch gets its ``z_fleet`` columns (``finish``).

Batches follow where readings sit: assets are ordered by the first telemetry file that
holds them and cut by a budget of readings, so a batch reads few files (a writer that
emits asset batches, as ``forewarn.synthetic`` does, gives one or two files per batch)
and minute-level data gets smaller batches than hourly data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

import polars as pl

from forewarn.features import assemble as asm
from forewarn.features.inputs import resolve_sensors
from forewarn.features.labels import LabelReport, attach_labels
from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS, feature_names
from forewarn.features.observed import STALE_AFTER, observe
from forewarn.features.readers import locate_tables, scan_table
from forewarn.features.snapshots import build_snapshots, snapshot_times
from forewarn.features.spec import FeatureSpec, LabelSpec

FLEET_KEYS = ("as_of", "asset_type", "asset_id")
POOL_ROWS = 2_000_000
"""Snapshot rows pooled at once for the fleet norms (x 3 per sensor and window)."""


@dataclass(frozen=True)
class AssetBatch:
    """Assets built together, and the telemetry files holding their readings.

    Attributes:
        index: position in the plan (part files are numbered by it).
        assets: asset ids of the batch.
        files: telemetry files to read (``None``: every file).
        readings: readings of these assets in those files (the memory budget's unit).
    """

    index: int
    assets: tuple[str, ...]
    files: tuple[str, ...] | None
    readings: int


def asset_placement(url: str) -> pl.DataFrame:
    """``asset_id``, ``rank``, ``file``, ``readings``: which telemetry file holds whose rows.

    Reads only the ``asset_id`` column of each file (ids trimmed, as validation trims
    them). Files without that column are skipped: validation reports them.
    """
    source = locate_tables(url)["telemetry"]
    scans = []
    for rank, path in enumerate(source.files):
        one = scan_table(replace(source, files=(path,)))
        if "asset_id" not in one.collect_schema().names():
            continue
        ids = pl.col("asset_id").cast(pl.String).str.strip_chars()
        counts = one.group_by(ids.alias("asset_id")).agg(pl.len().alias("readings"))
        scans.append(counts.with_columns(rank=pl.lit(rank), file=pl.lit(path)))
    if not scans:
        schema = {"asset_id": pl.String, "readings": pl.UInt32, "rank": pl.Int32, "file": pl.String}
        return pl.DataFrame(schema=schema)
    return pl.concat(pl.collect_all(scans)).filter(pl.col("asset_id").is_not_null())


def plan_batches(
    asset_ids: Sequence[str],
    placement: pl.DataFrame,
    max_readings: int,
    max_assets: int | None = None,
) -> list[AssetBatch]:
    """Cut the fleet into batches of at most ``max_readings`` readings (or ``max_assets``).

    Args:
        asset_ids: every asset to build (the assets table).
        placement: ``asset_placement`` of the telemetry.
        max_readings: reading budget per batch; an asset above it gets a batch alone.
        max_assets: fixed batch size instead of the reading budget.

    Raises:
        ValueError: a budget below 1.
    """
    if max_readings < 1 or (max_assets is not None and max_assets < 1):
        raise ValueError("batch budgets must be at least 1")
    per_asset = placement.group_by("asset_id").agg(
        pl.col("rank").min().alias("first"), pl.col("readings").sum().cast(pl.Int64)
    )
    order = (
        pl.DataFrame({"asset_id": sorted(set(asset_ids))}, schema={"asset_id": pl.String})
        .join(per_asset, on="asset_id", how="left")
        .sort(pl.col("first").fill_null(2**31 - 1), "asset_id")
        .with_columns(pl.col("readings").fill_null(0))
    )
    groups, current, load = [], [], 0
    for aid, n in zip(order["asset_id"], order["readings"], strict=True):
        full = len(current) >= max_assets if max_assets else load + n > max_readings
        if current and full:
            groups.append(current)
            current, load = [], 0
        current.append(aid)
        load += n
    groups += [current] if current else []
    return [_batch(i, ids, placement) for i, ids in enumerate(groups)]


def _batch(index: int, ids: list[str], placement: pl.DataFrame) -> AssetBatch:
    rows = placement.filter(pl.col("asset_id").is_in(ids))
    files = rows.select("rank", "file").unique().sort("rank")["file"].to_list()
    if not files and placement.height:
        files = [placement.sort("rank")["file"][0]]  # no readings: any file gives the schema
    return AssetBatch(index, tuple(ids), tuple(files) or None, int(rows["readings"].sum()))


def restrict(frame: pl.LazyFrame, assets: Sequence[str]) -> pl.LazyFrame:
    """Rows of these assets only.

    On validated telemetry Polars pushes this filter below the duplicate check (its
    window is partitioned by ``asset_id``), so a batch never validates other assets' rows.
    """
    return frame.filter(pl.col("asset_id").is_in(list(assets)))


def fixed_sensors(spec: FeatureSpec, telemetry: pl.LazyFrame) -> FeatureSpec:
    """``spec`` with its sensors resolved on the whole telemetry.

    A batch reading a subset of files could see fewer sensor columns; the whole fleet's
    list keeps every batch's columns the same as one run's.
    """
    return spec.model_copy(update={"sensors": resolve_sensors(telemetry, spec)})


def fleet_inputs(frame: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
    """The narrow columns the fleet norms pool, ordered by ``as_of`` (cheap to chunk)."""
    assert spec.sensors is not None, "resolve the sensors first (fixed_sensors)"
    parts = asm.fleet_parts(spec, spec.sensors) if spec.fleet_norm else []
    return frame.select(*FLEET_KEYS, *parts).sort("as_of", "asset_type", "asset_id")


def pool_norms(inputs: pl.LazyFrame, spec: FeatureSpec, max_rows: int = POOL_ROWS) -> pl.DataFrame:
    """Fleet norms per ``(as_of, asset_type)`` from every batch's ``fleet_inputs``.

    Pools a run of whole ``as_of`` values at a time (at most ``max_rows`` rows unless
    one ``as_of`` alone is larger): each group's sum sees the same values in the same
    order as in one run, so the norms are bit-identical.
    """
    assert spec.sensors is not None, "resolve the sensors first (fixed_sensors)"
    counts = inputs.group_by("as_of").agg(pl.len()).sort("as_of").collect()
    chunks: list[tuple[datetime, datetime]] = []
    first = last = None
    rows = 0
    for when, n in counts.iter_rows():
        if first is not None and rows + n > max_rows:
            chunks.append((first, last))
            first, rows = None, 0
        first = when if first is None else first
        last, rows = when, rows + n
    if first is not None:
        chunks.append((first, last))
    if not chunks:
        return asm.fleet_norms(inputs.head(0).collect(), spec, spec.sensors)
    norms = [
        asm.fleet_norms(
            inputs.filter(pl.col("as_of").is_between(a, b)).collect(), spec, spec.sensors
        )
        for a, b in chunks
    ]
    return pl.concat(norms)


def finish(frame: pl.DataFrame, norms: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
    """A batch's pass-one rows with ``z_fleet`` added, columns as ``build_snapshots`` gives."""
    assert spec.sensors is not None, "resolve the sensors first (fixed_sensors)"
    if not spec.fleet_norm:
        return frame
    done = asm.with_fleet_norms(frame, norms, spec, spec.sensors)
    return done.select(*ID_COLUMNS, *CONTEXT_COLUMNS, *feature_names(spec, spec.sensors))


def snapshots_in_batches(
    tables: tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame],
    start: datetime,
    end: datetime,
    spec: FeatureSpec,
    batches: Sequence[Sequence[str]],
    since: datetime | None = None,
    observed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``build_snapshots`` batch by batch, in memory (what scoring and tests use).

    Args:
        tables: telemetry, events and assets of the whole fleet (lazy).
        start: first snapshot instant.
        end: last snapshot instant.
        spec: the feature spec.
        batches: asset ids per batch (together: every asset of the assets table).
        since: read telemetry from this instant only (as ``build_snapshots``).
        observed: the assets' observed spans (as ``build_snapshots``).

    Returns:
        The rows ``build_snapshots`` returns, sorted by ``asset_id`` and ``as_of``.
    """
    spec = fixed_sensors(spec, tables[0])
    frames = [
        build_snapshots(
            *(restrict(t, ids) for t in tables),
            start,
            end,
            spec,
            since=since,
            fleet_parts=True,
            observed=observed,
        )
        for ids in batches
    ]
    inputs = pl.concat([fleet_inputs(f, spec) for f in frames]).lazy()
    norms = pool_norms(inputs, spec) if spec.fleet_norm else pl.DataFrame()
    out = pl.concat([finish(f, norms, spec) for f in frames])
    return out.sort("asset_id", "as_of")


def sum_reports(reports: Sequence[LabelReport]) -> LabelReport:
    """The label report of the whole frame from its batches' (every count adds up)."""
    names = [f.name for f in fields(LabelReport)]
    return LabelReport(**{n: sum(getattr(r, n) for r in reports) for n in names})


def training_frame_in_batches(
    tables: tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame],
    start: datetime,
    end: datetime,
    spec: FeatureSpec,
    labels: LabelSpec,
    batches: Sequence[Sequence[str]],
    data_end: datetime,
    stale_after: timedelta = STALE_AFTER,
) -> tuple[pl.DataFrame, LabelReport]:
    """``training_frame`` with batched snapshots, in memory.

    Labels come after the fleet norms: rows in downtime (or past an asset's observed
    span, while its readings are still in a window) are dropped from the frame but
    still count in their fleet's norms, as in one run.
    """
    seen = observe(*tables, snapshot_times(start, end, spec.snapshot_every), stale_after)
    snaps = snapshots_in_batches(tables, start, end, spec, batches, observed=seen.spans)
    return attach_labels(snaps, tables[1].collect(), labels, data_end, seen)
