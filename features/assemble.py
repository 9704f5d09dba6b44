"""Stage 2: bucket partials → named feature columns at the snapshot rows.

Everything here works on the compact partial table (one row per asset and bucket), not on
raw readings, so building every window and the life features costs a fraction of the scan.
"""

from __future__ import annotations

import polars as pl

from forewarn.features.buckets import ADDITIVE, Grid
from forewarn.features.events import alarm_partials, current_life
from forewarn.features.exact import div, segment_sums
from forewarn.features.history import half_lives
from forewarn.features.lives import life_at, life_running
from forewarn.features.naming import CONTEXT_COLUMNS, ID_COLUMNS, stat_name
from forewarn.features.spec import LIFE, LIFE_STATS, FeatureSpec, seconds
from forewarn.features.windows import hours_since, stats_exprs, window_partials, z_exprs

_FIRST_OF = ("last", "lts")


def merge_lives(partials: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Collapse ``(asset_id, life_id, k)`` partials to ``(asset_id, k)`` for fixed windows."""
    aggs, sums = [], []
    for c in columns:
        part = c.partition("::")[0]
        if part == "mn":
            aggs.append(pl.col(c).min())
        elif part == "mx":
            aggs.append(pl.col(c).max())
        elif part in _FIRST_OF:
            # Later lives are later in time: the last non-null is the latest reading.
            aggs.append(pl.col(c).last(ignore_nulls=True))
        else:
            sums.append(pl.col(c))
    ordered = partials.sort("asset_id", "k", "life_id")
    exact = ordered.group_by("asset_id", "k", maintain_order=True).agg(aggs)
    summed = segment_sums(ordered, ["asset_id", "k"], sums)
    return pl.concat([exact, summed.drop("asset_id", "k")], how="horizontal")


def dense_grid(snaps: pl.DataFrame, merged: pl.DataFrame, longest: int) -> pl.DataFrame:
    """One row per asset and bucket, from the oldest bucket any window needs to the last snapshot.

    Every asset's grid starts ``longest - 1`` buckets before its first snapshot, so a block
    that any window uses lies inside that asset's rows; shifted values that cross into the
    previous asset only reach blocks no window uses.
    """
    span = snaps.group_by("asset_id").agg(
        (pl.col("k").min() - longest + 1).alias("k_lo"), pl.col("k").max().alias("k1")
    )
    rows = span.select("asset_id", k=pl.int_ranges("k_lo", pl.col("k1") + 1)).explode("k")
    dense = rows.sort("asset_id", "k").join(
        merged, on=["asset_id", "k"], how="left", maintain_order="left"
    )
    zero = [pl.col(c).fill_null(0.0) for c in merged.columns if _additive(c)]
    return dense.with_columns(zero)


def _additive(name: str) -> bool:
    part = name.partition("::")[0]
    return part in ADDITIVE or part.startswith(("ew", "alarm"))


def window_features(
    dense: pl.DataFrame,
    snaps: pl.DataFrame,
    spec: FeatureSpec,
    grid: Grid,
    half_lives: tuple[float, ...],
) -> pl.DataFrame:
    """Window partials at the snapshot rows, ``W{window}|`` prefixed."""
    columns = [c for c in dense.columns if "::" in c]
    alarms = [c for c in columns if c.startswith("alarm::")]
    common = [c for c in columns if not c.startswith(("alarm::", "ew"))]
    plan: dict[str, tuple[int, list[str]]] = {}
    for w in spec.all_windows:
        cols = []
        if w in spec.windows:
            i = spec.windows.index(w)
            cols += common + [c for c in columns if c.startswith((f"ew{i}::", f"ewn{i}::"))]
        if w in spec.event_windows:
            cols += alarms
        plan[w] = (seconds(w) * 1_000_000 // grid.bucket_us, cols)
    keys = snaps.select("asset_id", "k")
    keep = lambda f: f.join(keys, on=["asset_id", "k"], how="semi")  # noqa: E731
    return window_partials(dense, plan, grid.bucket_days, half_lives, keep)


def sensor_columns(spec: FeatureSpec, sensors: tuple[str, ...], regime: bool) -> list[pl.Expr]:
    """Named sensor features from window (``W…|``) and life (``WLIFE|``) partials."""
    out: list[pl.Expr] = []
    life = spec.life_window
    for s in sensors:
        for i, w in enumerate(spec.windows):
            st = stats_exprs(f"W{w}|", s, i)
            out += [st[k].alias(stat_name(s, k, w)) for k in spec.stats]
        if life:
            st = stats_exprs("WLIFE|", s, None)
            out += [st[k].alias(stat_name(s, k, LIFE)) for k in spec.stats if k in LIFE_STATS]
        prefixes = [(f"W{w}|", w) for w in spec.windows] + ([("WLIFE|", LIFE)] if life else [])
        if spec.baseline_span is not None:
            done = pl.col("_base_ok")
            out += [
                pl.when(done).then(z_exprs(p, s, "zb")).alias(stat_name(s, "z_baseline", w))
                for p, w in prefixes
            ]
            if spec.regime_column is not None:
                out += [
                    pl.when(done)
                    .then(z_exprs(p, s, "zr") if regime else pl.lit(None, pl.Float64))
                    .alias(stat_name(s, "z_regime", w))
                    for p, w in prefixes
                ]
        if spec.freshness:
            longest = max(spec.windows, key=seconds)
            out.append(hours_since(pl.col(f"W{longest}|lts::{s}")).alias(f"{s}__hours_since_last"))
    return out


def alarm_columns(spec: FeatureSpec) -> list[pl.Expr]:
    codes = (*spec.alarm_codes, "all")
    return [
        pl.col(f"W{w}|alarm::{c}").fill_null(0.0).alias(f"alarms__{c}_{w}")
        for w in spec.event_windows
        for c in codes
    ]


def fleet_columns(frame: pl.DataFrame, spec: FeatureSpec, sensors: tuple[str, ...]) -> pl.DataFrame:
    """``z_fleet``: a window mean against all readings of the same asset type at that ``as_of``.

    Depends on the fleet by design (other assets' data, still only ``<= as_of``); sums run
    over assets sorted by id so the result does not depend on row order.
    """
    return with_fleet_norms(frame, fleet_norms(frame, spec, sensors), spec, sensors)


def fleet_parts(spec: FeatureSpec, sensors: tuple[str, ...]) -> list[str]:
    """Per-row inputs of ``z_fleet``: window counts, sums and sums of squares."""
    return [f"W{w}|{p}::{s}" for s in sensors for w in spec.windows for p in ("n", "sx", "sxx")]


def fleet_norms(frame: pl.DataFrame, spec: FeatureSpec, sensors: tuple[str, ...]) -> pl.DataFrame:
    """Fleet mean and reciprocal std per ``(as_of, asset_type)`` and window mean.

    ``frame`` must hold every asset of each ``as_of`` it holds (any subset of ``as_of``
    values gives the same rows for those values), so batched builds can pool in chunks.
    """
    # Leakage guard: pooled over rows with the same as_of, each built from data <= as_of.
    parts = fleet_parts(spec, sensors)
    keys = ["as_of", "asset_type", "asset_id"]
    ordered = frame.select(*keys, *parts).sort(keys, nulls_last=True)
    # Rows without readings in a window add nothing; skipping their zeros keeps the sums
    # bit-identical whether such rows (assets not reporting) are in the frame or not.
    pooled = segment_sums(
        ordered,
        ["as_of", "asset_type"],
        [pl.col(c).alias(f"_fleet_{c}") for c in parts],
        skip_zeros=True,
    )
    norms = []
    for s in sensors:
        for w in spec.windows:
            f = lambda p, s=s, w=w: pl.col(f"_fleet_W{w}|{p}::{s}")  # noqa: E731
            n, sx = f("n"), f("sx")
            std = div(f("sxx") - div(sx * sx, n), n - 1).clip(lower_bound=0.0).sqrt()
            ok = (n >= 2) & (std > 0)
            norms += [
                pl.when(ok).then(div(sx, n)).alias(f"_fm_{w}|{s}"),
                pl.when(ok).then(1.0 / std).alias(f"_fi_{w}|{s}"),
            ]
    return pooled.select("as_of", "asset_type", *norms)


def with_fleet_norms(
    frame: pl.DataFrame, pooled: pl.DataFrame, spec: FeatureSpec, sensors: tuple[str, ...]
) -> pl.DataFrame:
    """Add the ``z_fleet`` columns to ``frame`` from ``fleet_norms`` of its whole fleet."""
    parts, keys = fleet_parts(spec, sensors), ["as_of", "asset_type", "asset_id"]
    # Multiply by a per-group reciprocal: Polars divides by a broadcast (scalar) column via
    # its reciprocal, so a plain division would round differently when one group is scored.
    narrow = frame.select(*keys, *parts)
    joined = narrow.join(
        pooled, on=["as_of", "asset_type"], how="left", nulls_equal=True, maintain_order="left"
    )
    exprs = []
    for s in sensors:
        for w in spec.windows:
            n = pl.col(f"W{w}|n::{s}")
            mean = pl.when(n > 0).then(div(pl.col(f"W{w}|sx::{s}"), n))
            z = (mean - pl.col(f"_fm_{w}|{s}")) * pl.col(f"_fi_{w}|{s}")
            exprs.append(z.alias(stat_name(s, "z_fleet", w)))
    # The narrow join kept the frame's row order, so the columns line up row for row.
    return frame.hstack(joined.select(exprs).get_columns())


LIFE_KEYS = ["asset_id", "life_id"]
_BATCH_ROWS = 100_000
"""Bucket rows per batch of assets in stage 2: bounds memory (each window level is a copy)."""


def in_batches(
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
        frames.append(batch_features(snaps.filter(keep), part, sensors, spec, grid, regime))
    return pl.concat(frames)


def batch_features(
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
    longest = max(seconds(w) for w in spec.all_windows) * 1_000_000 // grid.bucket_us
    # Fixed windows only reach back one longest window before the first snapshot.
    first = snaps.get_column("k").min()
    recent = pl.col("k") > (first if first is not None else 0) - longest
    merged = merge_lives(partials.filter(recent), columns)
    alarms = alarm_partials(tables["events"].lazy(), grid, spec.alarm_codes).collect()
    merged = merged.join(alarms.filter(recent), on=["asset_id", "k"], how="full", coalesce=True)
    dense = dense_grid(snaps, merged, longest)
    windows = window_features(dense, snaps, spec, grid, half_lives(spec))
    frame = current_life(snaps, tables["bounds"], tables["starts"])
    frame = frame.join(windows, on=["asset_id", "k"], how="left", maintain_order="left")
    if spec.life_window:
        running = life_running(
            tables["life_partials"], tables["starts"], sensors, grid, tables["seeds"]
        )
        life = life_at(frame, running)
        frame = frame.join(life, on=[*LIFE_KEYS, "k"], how="left", maintain_order="left")
    if tables["ends"] is not None:
        frame = frame.join(tables["ends"], on=LIFE_KEYS, how="left", maintain_order="left")
        frame = frame.with_columns(_base_ok=pl.col("as_of").dt.epoch("us") >= pl.col("base_end_us"))
    features = sensor_columns(spec, sensors, regime) + alarm_columns(spec)
    fleet = [f"W{w}|{p}::{s}" for s in sensors for w in spec.windows for p in ("n", "sx", "sxx")]
    keep = [*ID_COLUMNS, *CONTEXT_COLUMNS, "installed_at", "life_start"]
    return frame.select(*keep, *features, *(fleet if spec.fleet_norm else []))
