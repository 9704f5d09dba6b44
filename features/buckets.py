"""Raw readings → per-bucket partial aggregates, the one pass over telemetry.

Every window statistic is rebuilt from these partials (sums, sums of squares, time
moments, min, max, last, decayed sums), so the expensive scan of raw rows happens once.
Buckets are half-open ``(end - bucket, end]`` with ends on the snapshot grid, so a window
ending at ``as_of`` is an exact union of whole buckets and ``ts <= as_of`` holds exactly.
Partials are keyed by ``(asset_id, life_id, k)``: a bucket that straddles a reset event is
split, so "current life" statistics start exactly at the reset.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import numpy as np
import polars as pl

from forewarn.features.exact import div, segment_starts

US_PER_DAY = 86_400_000_000

ADDITIVE = ("n", "sx", "sxx", "su", "suu", "sux", "zb_s", "zb_n", "zr_s", "zr_n")
"""Partials whose combination is a plain sum (time moments are re-centred first)."""


@dataclass(frozen=True)
class Grid:
    """Snapshot/bucket grid: bucket ``k`` covers ``(origin + (k-1)·B, origin + k·B]``."""

    origin_us: int
    bucket_us: int

    @classmethod
    def at(cls, origin: datetime, bucket_seconds: int) -> Grid:
        epoch = pl.Series([origin], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0]
        return cls(origin_us=int(epoch), bucket_us=bucket_seconds * 1_000_000)

    @property
    def bucket_days(self) -> float:
        return self.bucket_us / US_PER_DAY

    def k_of(self, ts_us: pl.Expr) -> pl.Expr:
        """Bucket index of an epoch-µs timestamp (ceil division: a boundary ends its bucket)."""
        return -((self.origin_us - ts_us) // self.bucket_us)

    def end_us(self, k: pl.Expr) -> pl.Expr:
        return k * self.bucket_us + self.origin_us

    def k_at(self, when: datetime) -> int:
        epoch = pl.Series([when], dtype=pl.Datetime("us", "UTC")).dt.epoch("us")[0]
        return -((self.origin_us - int(epoch)) // self.bucket_us)


def col(part: str, sensor: str) -> str:
    """Internal column name of one partial of one sensor."""
    return f"{part}::{sensor}"


def ew_parts(n_windows: int) -> tuple[str, ...]:
    return tuple(p for i in range(n_windows) for p in (f"ew{i}", f"ewn{i}"))


def regime_col(part: str, sensor: str, regime: str) -> str:
    """Per-regime partial (``rn``/``rsx``), one column per regime value."""
    return f"{part}::{sensor}::{regime}"


def _sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts) if starts.size else np.zeros(0)


def _counts(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if not starts.size:
        return np.zeros(0)
    return np.add.reduceat(mask.view(np.int8), starts, dtype=np.int64).astype(np.float64)


def _last_index(ok: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Row of the last non-null reading per bucket (-1: none).

    Usually the bucket's last row; only buckets ending in a dropout are searched.
    """
    ends = np.append(starts[1:], ok.size) - 1 if starts.size else np.zeros(0, np.int64)
    last = ends.copy()
    for b in np.flatnonzero(~ok[ends]) if starts.size else ():
        hits = np.flatnonzero(ok[starts[b] : ends[b] + 1])
        last[b] = starts[b] + hits[-1] if hits.size else -1
    return last


def sensor_partials(
    x: np.ndarray, shared: dict[str, np.ndarray], starts: np.ndarray, regimes: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every partial of one sensor per bucket (NaN = null), from its readings ``x``.

    Args:
        x: readings in time order within each bucket, NaN for dropouts.
        shared: ``u`` (reading time minus bucket end, days, <= 0), ``ts`` (epoch µs) and
            ``w{i}`` (EWMA weight of each window), computed once for all sensors.
        starts: first row of each bucket.
        regimes: regime value → boolean mask of its readings.
    """
    ok = ~np.isnan(x)
    x0, u0 = np.where(ok, x, 0.0), np.where(ok, shared["u"], 0.0)
    out = {
        "n": _counts(ok, starts),
        "sx": _sums(x0, starts),
        "sxx": _sums(x0 * x0, starts),
        "su": _sums(u0, starts),
        "suu": _sums(u0 * u0, starts),
        "sux": _sums(u0 * x0, starts),
        "mn": np.fmin.reduceat(x, starts) if starts.size else np.zeros(0),
        "mx": np.fmax.reduceat(x, starts) if starts.size else np.zeros(0),
    }
    last = _last_index(ok, starts)
    out["last"] = np.where(last >= 0, x[np.maximum(last, 0)], np.nan)
    out["lts"] = np.where(last >= 0, shared["ts"][np.maximum(last, 0)], _NO_TS)
    i = 0
    while f"w{i}" in shared:
        w0 = np.where(ok, shared[f"w{i}"], 0.0)
        out[f"ew{i}"], out[f"ewn{i}"] = _sums(w0 * x0, starts), _sums(w0, starts)
        i += 1
    for r, mask in regimes.items():
        here = ok & mask
        out[f"rn::{r}"] = _counts(here, starts)
        out[f"rsx::{r}"] = _sums(np.where(here, x, 0.0), starts)
    return out


_NO_TS = np.iinfo(np.int64).min


def _series(sensor: str, part: str, values: np.ndarray) -> pl.Series:
    """A partial as a named Series; missing min/max/last/lts become nulls."""
    kind, _, regime = part.partition("::")
    name = regime_col(kind, sensor, regime) if regime else col(part, sensor)
    frame = pl.DataFrame({name: values})
    if part == "lts":
        return frame.select(pl.when(pl.col(name) != _NO_TS).then(pl.col(name))).to_series()
    if part in ("mn", "mx", "last"):
        return frame.select(pl.when(pl.col(name).is_finite()).then(pl.col(name))).to_series()
    return frame.to_series()


_CHUNK_ROWS = 1 << 18


def _chunks(starts: np.ndarray, rows: int) -> list[tuple[int, int, int, int]]:
    """Runs of whole buckets of about ``_CHUNK_ROWS`` rows: ``(first, last, lo, hi)``.

    Working chunk by chunk keeps each sensor's temporaries in cache; a bucket is never
    split, so every sum is the same as over the whole array.
    """
    if not starts.size:
        return [(0, 0, 0, 0)]
    cuts = np.searchsorted(starts, np.arange(0, rows, _CHUNK_ROWS), side="right") - 1
    firsts = np.unique(np.append(cuts, 0))
    bounds = np.append(firsts, starts.size)
    edges = np.append(starts, rows)
    return [(int(a), int(b), int(edges[a]), int(edges[b])) for a, b in pairwise(bounds)]


def bucket_partials(
    readings: pl.DataFrame,
    sensors: tuple[str, ...],
    grid: Grid,
    half_lives_days: tuple[float, ...],
    regime: str | None,
    regimes: tuple[str, ...],
) -> pl.DataFrame:
    """Aggregate life-tagged readings into ``(asset_id, life_id, k)`` partials.

    Sums run with ``numpy.add.reduceat`` over each bucket's readings in time order, so their
    rounding depends on the bucket alone (see ``exact``); EWMA weights use Polars' scalar
    ``exp``, identical wherever a reading sits in memory.

    Args:
        readings: ``asset_id``, ``ts``, ``life_id``, sensors and the regime column, each
            asset's rows together and in time order (hence each bucket's too).
        sensors: sensor columns.
        grid: the bucket grid.
        half_lives_days: EWMA half-life of each fixed window, in days.
        regime: regime column, if any.
        regimes: regime values to split counts and sums by.
    """
    # Leakage guard: a bucket only holds readings with ts <= its end, the snapshot time.
    ts_us = pl.col("ts").dt.epoch("us")
    u = div((ts_us - grid.end_us(grid.k_of(ts_us))).cast(pl.Float64), US_PER_DAY)
    weights = [
        (u * (math.log(2.0) / h)).exp().alias(f"w{i}") for i, h in enumerate(half_lives_days)
    ]
    frame = readings.select(
        "asset_id",
        "life_id",
        ts_us.alias("ts"),
        grid.k_of(ts_us).alias("k"),
        u.alias("u"),
        *weights,
    )
    keys = ["asset_id", "life_id", "k"]
    starts = segment_starts(frame, keys)
    shared = {
        c: frame.get_column(c).to_numpy()
        for c in frame.columns
        if c not in ("asset_id", "life_id", "k")
    }
    masks = {r: (readings.get_column(regime) == r).fill_null(False).to_numpy() for r in regimes}

    def one(sensor: str) -> pl.DataFrame:
        x = readings.get_column(sensor).cast(pl.Float64).to_numpy()
        pieces = [
            sensor_partials(
                x[lo:hi],
                {c: v[lo:hi] for c, v in shared.items()},
                starts[first:last] - lo,
                {r: m[lo:hi] for r, m in masks.items()},
            )
            for first, last, lo, hi in _chunks(starts, x.size)
        ]
        parts = {p: np.concatenate([piece[p] for piece in pieces]) for p in pieces[0]}
        return pl.DataFrame([_series(sensor, p, v) for p, v in parts.items()])

    # numpy releases the GIL in its loops: sensors run side by side on the cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        columns = [frame.select(keys)[starts], *pool.map(one, sensors)]
    return pl.concat(columns, how="horizontal")
