"""When an asset is observed: from its first reading to its last, and no longer.

A training snapshot of an asset that has not reported yet, or stopped reporting long
ago, has no readings to learn from: it would be labelled "no failure" (and its RUL
"at least the cap") for a machine nobody watched. Run-to-failure fleets show it most:
a test-rig engine runs until it fails and is never seen again, so every snapshot after
its failure describes a machine that no longer exists.

An asset is observed from its first reading until ``stale_after`` past its last reading
(the stale-data limit scoring uses: within it an asset is still scored), or until a
failure at or after its last reading, whichever comes first (the failure ended it).
Scoring is unchanged: tonight's snapshot keeps every known asset and marks the ones
without recent readings (``serving.score``), so nothing is dropped silently there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from forewarn.features.inputs import UTC_US, asset_context

STALE_AFTER = timedelta(hours=48)
"""Default tolerance past the last reading (``[risk_list] stale_after_hours``'s default)."""

BEFORE_FIRST = "before_first_reading"
AFTER_LAST = "after_last_reading"
SPAN_COLUMNS = ("asset_id", "first_ts", "last_ts", "end_ts")


def observed_spans(
    telemetry: pl.LazyFrame, events: pl.LazyFrame, stale_after: timedelta = STALE_AFTER
) -> pl.DataFrame:
    """Per asset with readings: ``first_ts``, ``last_ts`` and ``end_ts`` (observed until).

    Reads only ``asset_id`` and ``ts`` (a Parquet scan projects them).

    Args:
        telemetry: readings (any order).
        events: events; a failure at or after an asset's last reading ends its span.
        stale_after: how long after its last reading an asset still counts as observed.
    """
    spans = (
        telemetry.filter(pl.col("ts").is_not_null())
        .group_by("asset_id")
        .agg(pl.col("ts").min().alias("first_ts"), pl.col("ts").max().alias("last_ts"))
        .collect()
        .with_columns(pl.col("first_ts", "last_ts").cast(UTC_US))
    )
    failures = events.filter(pl.col("kind") == "failure").select("asset_id", "ts").collect()
    ending = (
        spans.select("asset_id", "last_ts")
        .join(failures, on="asset_id", how="inner")
        .filter(pl.col("ts") >= pl.col("last_ts"))
        .group_by("asset_id")
        .agg(pl.col("ts").min().cast(UTC_US).alias("_ended"))
    )
    stale = pl.col("last_ts") + pl.duration(microseconds=_us(stale_after))
    return (
        spans.join(ending, on="asset_id", how="left")
        .with_columns(end_ts=pl.min_horizontal(stale, pl.col("_ended")))
        .select(SPAN_COLUMNS)
        .sort("asset_id")
    )


def _us(span: timedelta) -> int:
    return int(span / timedelta(microseconds=1))


def outside_reason() -> pl.Expr:
    """Why a snapshot row (with its asset's span columns) is not observed; null if it is."""
    return (
        pl.when(pl.col("first_ts").is_null() | (pl.col("as_of") < pl.col("first_ts")))
        .then(pl.lit(BEFORE_FIRST))
        .when(pl.col("as_of") > pl.col("end_ts"))
        .then(pl.lit(AFTER_LAST))
        .otherwise(pl.lit(None, pl.String))
    )


def with_spans(rows: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (``asset_id``, ``as_of``, …) with their asset's span columns, order kept."""
    return rows.join(spans, on="asset_id", how="left", maintain_order="left")


def observed_rows(frame: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` that observe their asset (columns and order unchanged)."""
    keep = with_spans(frame.select("asset_id", "as_of"), spans).select(outside_reason().is_null())
    return frame.filter(keep.to_series())


def feeding_rows(rows: pl.DataFrame, spans: pl.DataFrame, reach: timedelta) -> pl.DataFrame:
    """Observed rows, plus later ones whose windows (``reach`` long) still hold readings.

    Fleet norms pool every asset's window readings at an ``as_of``, so an asset that
    stopped reporting still counts in the norms until its last reading leaves the
    longest window, as it does in tonight's scoring. Later rows and rows before the
    first reading hold no reading in any window: leaving them out changes no sum
    (``features.exact.segment_sums(skip_zeros=True)``).
    """
    joined = with_spans(rows, spans)
    fed = pl.col("as_of") < pl.col("last_ts") + pl.duration(microseconds=_us(reach))
    keep = pl.col("first_ts").is_not_null() & (pl.col("as_of") >= pl.col("first_ts"))
    keep = keep & ((pl.col("as_of") <= pl.col("end_ts")) | fed)
    return joined.filter(keep).drop(SPAN_COLUMNS[1:])


@dataclass(frozen=True)
class Observation:
    """Each asset's observed span, and how many rows of a snapshot grid fall outside it.

    Attributes:
        spans: ``observed_spans``.
        snapshots: rows the grid gives (every asset known at each ``as_of``).
        before_first: rows before the asset's first reading.
        after_last: rows after its span ended (stale, or ended by a failure).
    """

    spans: pl.DataFrame
    snapshots: int
    before_first: int
    after_last: int


def observe(
    telemetry: pl.LazyFrame,
    events: pl.LazyFrame,
    assets: pl.LazyFrame,
    times: list[datetime],
    stale_after: timedelta = STALE_AFTER,
) -> Observation:
    """The spans of ``observed_spans`` and the census of the snapshot grid ``times``.

    A row exists for every asset known at ``as_of`` (installed, or seen in telemetry), as
    ``build_snapshots`` lays them out; rows it leaves out are counted here.
    """
    spans = observed_spans(telemetry, events, stale_after)
    meta = asset_context(assets).select("asset_id", "installed_at")
    grid = pl.DataFrame({"as_of": pl.Series(times, dtype=UTC_US)})
    known = with_spans(meta, spans).with_columns(since=pl.coalesce("installed_at", "first_ts"))
    rows = known.join(grid, how="cross").filter(pl.col("since") <= pl.col("as_of"))
    counts = rows.select(
        snapshots=pl.len(),
        before=(outside_reason() == BEFORE_FIRST).sum(),
        after=(outside_reason() == AFTER_LAST).sum(),
    ).row(0, named=True)
    return Observation(
        spans, int(counts["snapshots"]), int(counts["before"] or 0), int(counts["after"] or 0)
    )
