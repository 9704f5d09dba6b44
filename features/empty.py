"""Feature columns with no value anywhere in a training frame: a dead sensor, or a
statistic the data cannot give.

A sensor whose every feature is empty has no reading the run could use (a name the
telemetry spells otherwise, a column of nulls): training on it would crown a model that
never saw that sensor, so it is an error naming the sensor. A single statistic may be
empty legitimately (the ``std`` or ``slope`` of a window that holds one reading of
daily data, a ``z_fleet`` of an asset type with one asset, ``hours_since_failure`` of a
fleet that never failed, ``plant`` when the assets table has none): those are listed in
the run's notes and logged with it; LightGBM never splits on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from forewarn.features.naming import sensor_feature_names
from forewarn.features.spec import FeatureSpec


@dataclass(frozen=True)
class EmptyFeatures:
    """What a frame's emptiness says.

    Attributes:
        dead_sensors: sensor -> its features, every one empty (count features aside,
            which are zero, not null, without readings).
        empty_stats: other feature columns empty in every row.
    """

    dead_sensors: dict[str, list[str]]
    empty_stats: list[str]


def empty_columns(frame: pl.LazyFrame, columns: Sequence[str]) -> set[str]:
    """Columns of ``frame`` without a single non-null value (one streaming pass)."""
    if not columns:
        return set()
    has = frame.select(pl.col(c).is_not_null().any().alias(c) for c in columns)
    row = has.collect(engine="streaming").row(0, named=True)
    return {c for c, any_value in row.items() if not any_value}


def frame_sensors(spec: FeatureSpec, columns: Sequence[str]) -> list[str]:
    """The spec's sensors, or those a frame's column names show (sensors = all)."""
    if spec.sensors is not None:
        return list(spec.sensors)
    suffix = f"__{spec.stats[0]}_{spec.windows[0]}"
    return [c.removesuffix(suffix) for c in columns if c.endswith(suffix)]


def judge_empty(spec: FeatureSpec, columns: Sequence[str], empty: set[str]) -> EmptyFeatures:
    """Split a frame's empty feature columns into dead sensors and empty statistics."""
    have = set(columns)
    dead: dict[str, list[str]] = {}
    for sensor in frame_sensors(spec, columns):
        names = [n for n in sensor_feature_names(spec, sensor) if n in have]
        valued = [n for n in names if not n.startswith(f"{sensor}__count_")]
        if valued and all(n in empty for n in valued):
            dead[sensor] = names
    taken = {n for names in dead.values() for n in names}
    return EmptyFeatures(dead, sorted(c for c in empty if c in have and c not in taken))


def dead_sensor_message(dead: dict[str, list[str]], rows: int) -> str:
    """The error for sensors without a usable reading in the training frame."""
    listed = ", ".join(f"{s!r} ({len(n)} features)" for s, n in dead.items())
    return (
        f"[features] sensors: {listed} {'has' if len(dead) == 1 else 'have'} no value in any "
        f"of the {rows:,} training snapshots: the telemetry holds no usable reading of "
        f"{'it' if len(dead) == 1 else 'them'} (a null or mistyped column?). Fix the column "
        "or its name in the experiment (`forewarn validate DATA` lists the sensors), or "
        "remove it from [features] sensors"
    )
