"""Event-derived features and the life segmentation shared by sensor features.

A failure ends a life and a repair/maintenance may restore health, so reset events split
each asset's history into lives; "current life" windows and healthy baselines follow them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from forewarn.features.buckets import Grid
from forewarn.features.exact import div
from forewarn.features.spec import FeatureSpec

US_PER_HOUR = 3_600_000_000
UTC_US = pl.Datetime("us", "UTC")


def is_sorted(frame: pl.DataFrame, by: list[str], on: str) -> bool:
    """Whether rows are in ``(*by, on)`` order (one lexicographic pass, no sort)."""
    if frame.height < 2:
        return True
    later = pl.lit(False)
    equal = pl.lit(True)
    for c in [*by, on]:
        prev = pl.col(c).shift(1)
        later = later | (equal & (pl.col(c) > prev))
        equal = equal & (pl.col(c) == prev)
    return bool(frame.select((later | equal).slice(1).all()).item())


def assert_sorted(frame: pl.DataFrame, by: list[str], on: str) -> None:
    """Fail loudly if ``frame`` is not sorted by ``by`` then ``on`` (join_asof needs it).

    Polars' ``join_asof`` on unsorted groups silently returns wrong matches.
    """
    if not is_sorted(frame, by, on):
        raise AssertionError(f"frame not sorted by {by} then {on!r} before join_asof")


def asof(
    left: pl.DataFrame, right: pl.DataFrame, on: str, by: list[str], exact: bool
) -> pl.DataFrame:
    """Backward as-of join after sorting both sides (when needed) and asserting it.

    Args:
        exact: also match right rows at exactly the left ``on`` value.
    """
    left = left if is_sorted(left, by, on) else left.sort([*by, on])
    right = right if is_sorted(right, by, on) else right.sort([*by, on])
    assert_sorted(left, by, on)
    assert_sorted(right, by, on)
    return left.join_asof(
        right, on=on, by=by, strategy="backward", allow_exact_matches=exact, check_sortedness=False
    )


def side_by_side(frame: pl.DataFrame, extra: pl.DataFrame) -> pl.DataFrame:
    """Add ``extra``'s columns to ``frame`` by ``(asset_id, as_of)``.

    Both usually come in the same row order: then the columns are placed side by side
    without a join (a join would copy every column of a wide frame).
    """
    keys = ["asset_id", "as_of"]
    if frame.select(keys).equals(extra.select(keys)):
        return frame.hstack(extra.drop(keys).get_columns())
    return frame.join(extra, on=keys, how="left", maintain_order="left")


NO_INSTALL = datetime(1900, 1, 1, tzinfo=UTC)
"""Stand-in install time of assets without ``installed_at``: their first life has no start."""


def life_bounds(events: pl.LazyFrame, assets: pl.DataFrame, kinds: tuple[str, ...]) -> pl.DataFrame:
    """Instants that start a life, numbered from 0 per asset: the install, then each reset.

    Readings before the install belong to life -1 (pre-install: in fixed windows, never in
    a life window). Assets without ``installed_at`` start life 0 at ``NO_INSTALL``.
    """
    resets = events.filter(pl.col("kind").is_in(list(kinds))).select(
        "asset_id", pl.col("ts").alias("bound")
    )
    installs = assets.lazy().select(
        "asset_id", pl.col("installed_at").fill_null(pl.lit(NO_INSTALL, UTC_US)).alias("bound")
    )
    bounds = pl.concat([installs, resets]).unique().sort("asset_id", "bound").collect()
    return bounds.with_columns(life_id=pl.int_range(0, pl.len(), dtype=pl.Int64).over("asset_id"))


def tag_lives(readings: pl.LazyFrame, bounds: pl.DataFrame) -> pl.LazyFrame:
    """Add ``life_id`` to readings sorted by ``(asset_id, ts)`` (the caller sorts them).

    A reading at the very instant of a reset still belongs to the life that reset ends.
    """
    right = bounds.lazy().select("asset_id", pl.col("bound").alias("ts"), "life_id")
    joined = readings.join_asof(
        right,
        on="ts",
        by="asset_id",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    return joined.with_columns(pl.col("life_id").fill_null(-1))


def life_starts(bounds: pl.DataFrame, first_seen: pl.DataFrame) -> pl.DataFrame:
    """Start of every life: its bound, or the first reading where no install is recorded."""
    joined = bounds.join(first_seen, on="asset_id", how="left")
    start = (
        pl.when(pl.col("bound") == NO_INSTALL).then(pl.col("first_ts")).otherwise(pl.col("bound"))
    )
    return joined.select("asset_id", "life_id", start.alias("life_start")).sort(
        "asset_id", "life_id"
    )


def current_life(snaps: pl.DataFrame, bounds: pl.DataFrame, starts: pl.DataFrame) -> pl.DataFrame:
    """Add the current ``life_id`` and ``life_start`` per snapshot (resets at ``as_of`` count)."""
    # Leakage guard: only bounds with ts <= as_of are matched.
    right = bounds.select("asset_id", pl.col("bound").alias("as_of"), "life_id")
    tagged = asof(snaps, right, on="as_of", by=["asset_id"], exact=True)
    tagged = tagged.with_columns(pl.col("life_id").fill_null(-1))
    return tagged.join(starts, on=["asset_id", "life_id"], how="left")


def _hours(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return div((later - earlier).dt.total_microseconds().cast(pl.Float64), US_PER_HOUR)


def _last_event(snaps: pl.DataFrame, events: pl.DataFrame, name: str, count: bool) -> pl.DataFrame:
    right = (
        events.select("asset_id", pl.col("ts").alias("as_of")).unique().sort("asset_id", "as_of")
    )
    right = right.with_columns(
        pl.col("as_of").alias("_ev_ts"), _ev_n=pl.int_range(1, pl.len() + 1).over("asset_id")
    )
    # Leakage guard: backward as-of match keeps only events with ts <= as_of.
    joined = asof(snaps.select("asset_id", "as_of"), right, on="as_of", by=["asset_id"], exact=True)
    out = [_hours(pl.col("as_of"), pl.col("_ev_ts")).alias(name)]
    if count:
        out.append(pl.col("_ev_n").fill_null(0).cast(pl.Float64).alias("n_failures"))
    return joined.select("asset_id", "as_of", *out)


def event_features(snaps: pl.DataFrame, events: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
    """Time since last failure/maintenance (per component), failure count, age, life length.

    Args:
        snaps: ``asset_id``, ``as_of``, ``life_start``, ``installed_at`` per snapshot.
        events: all events (any ``ts``; only those ``<= as_of`` are used per snapshot).
        spec: the feature spec (components).
    """
    base = snaps.select(
        "asset_id",
        "as_of",
        _hours(pl.col("as_of"), pl.col("installed_at")).alias("age_hours"),
        _hours(pl.col("as_of"), pl.col("life_start")).alias("life_hours"),
    )
    parts = [
        _last_event(snaps, events.filter(pl.col("kind") == "failure"), "hours_since_failure", True),
        _last_event(
            snaps, events.filter(pl.col("kind") == "maintenance"), "hours_since_maintenance", False
        ),
    ]
    for comp in spec.components:
        chosen = events.filter((pl.col("kind") == "maintenance") & (pl.col("component") == comp))
        parts.append(_last_event(snaps, chosen, f"hours_since_maintenance__{comp}", False))
    for part in parts:  # as-of joins keep the snapshots' order: mostly no join needed
        base = side_by_side(base, part)
    return base


def alarm_partials(events: pl.LazyFrame, grid: Grid, codes: tuple[str, ...]) -> pl.LazyFrame:
    """Alarm counts per ``(asset_id, k)`` bucket: one column per listed code plus ``all``."""
    # Leakage guard: an alarm lands in the bucket ending at or after it, never an earlier one.
    alarms = events.filter(pl.col("kind") == "alarm").with_columns(
        k=grid.k_of(pl.col("ts").dt.epoch("us"))
    )
    counts = [
        (pl.col("code") == c).fill_null(False).sum().cast(pl.Float64).alias(f"alarm::{c}")
        for c in codes
    ]
    counts.append(pl.len().cast(pl.Float64).alias("alarm::all"))
    return alarms.group_by("asset_id", "k").agg(counts)


def top_alarm_codes(events: pl.LazyFrame, until: datetime, k: int) -> tuple[str, ...]:
    """The ``k`` most frequent alarm codes up to ``until`` (ties by code), for a spec.

    Feature names must not depend on the data a run happens to see, so use this once (on
    training data, before the training window ends) and write the result into the spec:
    ``spec.model_copy(update={"alarm_codes": top_alarm_codes(events, until, 10)})``.
    """
    counts = (
        events.filter((pl.col("kind") == "alarm") & (pl.col("ts") <= until))
        .drop_nulls("code")
        .group_by("code")
        .agg(pl.len().alias("n"))
        .sort(["n", "code"], descending=[True, False])
        .head(k)
        .collect()
    )
    return tuple(counts.get_column("code").to_list())
