"""A cheap profile of a dataset: what ``forewarn config suggest`` fits an experiment to.

Bounded on purpose: the span, asset count and events come from a pass over two telemetry
columns and the (small) events table; per-sensor statistics and the sampling interval
come from a seeded sample of at most ``max_assets`` assets, so profiling a large fleet
costs seconds, not a feature build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from forewarn.features.contract import ASSET_ID, TS
from forewarn.features.dataset import Dataset

MAX_ASSETS = 200
"""Assets whose readings the per-sensor statistics are computed on."""


@dataclass(frozen=True)
class SensorProfile:
    """One telemetry column, as far as choosing features goes.

    Attributes:
        name: the column as the file spells it.
        readings: non-null readings in the sample.
        std: standard deviation of the readings (0 for a constant column).
        uniques: distinct values in the sample.
        top_share: share of the readings holding the most frequent value.
        whole: every reading is a whole number (a mode or a count, not a measurement).
    """

    name: str
    readings: int
    std: float
    uniques: int
    top_share: float
    whole: bool


@dataclass(frozen=True)
class DataProfile:
    """The facts an experiment must fit: span, sampling, sensors, events, failures.

    Attributes:
        assets: assets with at least one reading.
        asset_types: distinct ``asset_type`` values of the assets table.
        start, end: first and last reading of the whole telemetry.
        interval_s: typical sampling interval (median of the per-asset median gaps).
        sensors: per-column statistics, in file order.
        alarm_codes: alarm codes with their counts, most frequent first.
        components: components named by maintenance events, with counts (what
            ``hours_since_maintenance__{component}`` can measure).
        failures: failure times, sorted (events of every asset).
        failure_components: failure times per component.
        maintenance: number of maintenance events.
        sampled_assets: how many assets the sensor statistics come from.
        spans: each asset's first and last reading (what training can snapshot).
        ends_at_failure: share of assets whose data ends at a failure (run-to-failure).
    """

    assets: int
    asset_types: int
    start: datetime
    end: datetime
    interval_s: float
    sensors: tuple[SensorProfile, ...]
    alarm_codes: tuple[tuple[str, int], ...] = ()
    components: tuple[tuple[str, int], ...] = ()
    failures: tuple[datetime, ...] = ()
    failure_components: dict[str, tuple[datetime, ...]] = field(default_factory=dict)
    maintenance: int = 0
    sampled_assets: int = 0
    spans: tuple[tuple[datetime, datetime], ...] = ()
    ends_at_failure: float = 0.0

    @property
    def span_s(self) -> float:
        """Seconds from the first to the last reading."""
        return (self.end - self.start).total_seconds()


def _sample_ids(ids: list[str], max_assets: int) -> list[str]:
    """A stable, spread-out sample: ids ordered by a hash, not by name (no prefix bias)."""
    if len(ids) <= max_assets:
        return ids
    order = pl.Series(ids).hash(seed=7).arg_sort()
    return [ids[i] for i in order[:max_assets]]


def _sensor_stats(telemetry: pl.LazyFrame, sensors: tuple[str, ...]) -> list[SensorProfile]:
    """One pass over the sample: count, std, distinct values, modal share, wholeness."""
    aggs = []
    for i, s in enumerate(sensors):
        col = pl.col(s).drop_nulls()
        aggs += [
            col.count().alias(f"n{i}"),
            col.std().alias(f"sd{i}"),
            col.n_unique().alias(f"u{i}"),
            (col == col.mode().first()).sum().alias(f"top{i}"),
            (col == col.round(0)).all().alias(f"w{i}"),
        ]
    row = telemetry.select(aggs).collect().row(0, named=True)
    out = []
    for i, s in enumerate(sensors):
        n = int(row[f"n{i}"] or 0)
        out.append(
            SensorProfile(
                name=s,
                readings=n,
                std=float(row[f"sd{i}"] or 0.0),
                uniques=int(row[f"u{i}"] or 0) if n else 0,
                top_share=int(row[f"top{i}"] or 0) / n if n else 1.0,
                whole=bool(row[f"w{i}"]) if n else False,
            )
        )
    return out


def _interval(telemetry: pl.LazyFrame) -> float:
    per_asset = (
        telemetry.select(ASSET_ID, TS)
        .sort(ASSET_ID, TS)
        .group_by(ASSET_ID)
        .agg(pl.col(TS).diff().dt.total_seconds().median().alias("gap"))
        .select(pl.col("gap").median())
        .collect()
    )
    gap = per_asset.item()
    return float(gap) if gap is not None and gap > 0 else 3600.0


def _counts(events: pl.DataFrame, kinds: tuple[str, ...], column: str) -> tuple:
    rows = (
        events.filter(pl.col("kind").is_in(kinds) & pl.col(column).is_not_null())
        .group_by(column)
        .agg(pl.len().alias("n"))
        .sort(["n", column], descending=[True, False])
    )
    return tuple((str(k), int(n)) for k, n in rows.iter_rows())


def profile_dataset(dataset: Dataset, max_assets: int = MAX_ASSETS) -> DataProfile:
    """Profile a loaded dataset's accepted rows (see the module note on cost).

    Raises:
        ValueError: the dataset holds no accepted reading (nothing to fit a config to).
    """
    spans = (
        dataset.telemetry.group_by(ASSET_ID)
        .agg(pl.col(TS).min().alias("first"), pl.col(TS).max().alias("last"))
        .sort(ASSET_ID)
        .collect()
    )
    if spans.height == 0:
        raise ValueError(f"{dataset.url}: no accepted telemetry reading to profile")
    start, end = spans["first"].min(), spans["last"].max()
    ids = spans[ASSET_ID].to_list()
    sample_ids = _sample_ids(ids, max_assets)
    sample = dataset.telemetry.filter(pl.col(ASSET_ID).is_in(sample_ids))
    sensors = _sensor_stats(sample, dataset.sensors)
    events = dataset.events.collect()
    failures = events.filter(pl.col("kind") == "failure").sort(TS)
    per_component = {
        str(c): tuple(g[TS].to_list())
        for (c,), g in failures.filter(pl.col("component").is_not_null()).group_by("component")
    }
    interval = _interval(sample)
    return DataProfile(
        assets=len(ids),
        asset_types=dataset.assets.select(pl.col("asset_type").n_unique()).collect().item(),
        start=start,
        end=end,
        interval_s=interval,
        sensors=tuple(sensors),
        alarm_codes=_counts(events, ("alarm",), "code"),
        components=_counts(events, ("maintenance",), "component"),
        failures=tuple(failures[TS].to_list()),
        failure_components=dict(sorted(per_component.items())),
        maintenance=events.filter(pl.col("kind") == "maintenance").height,
        sampled_assets=len(sample_ids),
        spans=tuple(zip(spans["first"].to_list(), spans["last"].to_list(), strict=True)),
        ends_at_failure=_ends_at_failure(spans, failures, interval),
    )


def _ends_at_failure(spans: pl.DataFrame, failures: pl.DataFrame, interval_s: float) -> float:
    """Share of assets whose last reading is at most one sampling interval before, or at,
    one of their failures: test-rig engines run once until they fail (C-MAPSS)."""
    near = spans.join(failures.select(ASSET_ID, TS), on=ASSET_ID, how="inner").filter(
        (pl.col(TS) >= pl.col("last") - pl.duration(seconds=interval_s))
        & (pl.col(TS) <= pl.col("last") + pl.duration(seconds=interval_s))
    )
    return near[ASSET_ID].n_unique() / spans.height
