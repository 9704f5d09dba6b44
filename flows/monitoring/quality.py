"""Data quality of a night's raw input: missing and frozen sensors, readings outside the
training range, and assets gone silent. Reported beside drift, because a broken
transmitter shows up here days before it moves a 30-day feature.

Pure: telemetry (a LazyFrame cut at ``as_of``) and plain parameters in, a dict out.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from forewarn.features.durations import parse_duration
from forewarn.flows.monitoring.config import QualityConfig

TOP = 20


def window_readings(
    telemetry: pl.LazyFrame, as_of: datetime, window: str, sensors: list[str]
) -> pl.DataFrame:
    """Readings in ``(as_of - window, as_of]`` with the sensors that exist (others skipped)."""
    since = as_of - parse_duration(window)
    present = [s for s in sensors if s in telemetry.collect_schema().names()]
    return (
        telemetry.filter((pl.col("ts") > since) & (pl.col("ts") <= as_of))
        .select("asset_id", "ts", *[pl.col(s).cast(pl.Float64) for s in present])
        .collect()
    )


def missing_sensors(readings: pl.DataFrame, sensors: list[str], cfg: QualityConfig) -> dict:
    """Sensors absent from the data, and null shares per sensor over the window."""
    absent = [s for s in sensors if s not in readings.columns]
    present = [s for s in sensors if s in readings.columns]
    shares = (
        readings.select(pl.col(s).is_null().mean() for s in present).row(0, named=True)
        if readings.height
        else dict.fromkeys(present, 1.0)
    )
    high = {s: round(float(v), 4) for s, v in shares.items() if v > cfg.missing_share}
    return {
        "absent": absent,
        "null_share": {s: round(float(v), 4) for s, v in shares.items()},
        "alerts": high,
    }


def frozen_sensors(readings: pl.DataFrame, sensors: list[str], cfg: QualityConfig) -> dict:
    """(asset, sensor) pairs whose readings in the window never change (a stuck transmitter)."""
    present = [s for s in sensors if s in readings.columns]
    if not present or readings.height == 0:
        return {"count": 0, "by_sensor": {}, "examples": []}
    long = readings.unpivot(present, index="asset_id", variable_name="sensor").drop_nulls("value")
    stats = long.group_by("asset_id", "sensor").agg(
        pl.len().alias("n"),
        pl.col("value").n_unique().alias("distinct"),
        pl.col("value").first().alias("value"),
    )
    frozen = stats.filter((pl.col("n") >= cfg.frozen_min_readings) & (pl.col("distinct") == 1))
    frozen = frozen.sort("sensor", "asset_id")
    by_sensor = dict(frozen.group_by("sensor").len().sort("sensor").iter_rows())
    examples = frozen.head(TOP).select("asset_id", "sensor", "value", "n").to_dicts()
    return {"count": frozen.height, "by_sensor": by_sensor, "examples": examples}


def out_of_range(
    readings: pl.DataFrame, ranges: dict[str, list[float | None]], cfg: QualityConfig
) -> dict:
    """Share of readings per sensor outside the training range, and the sensors alerting."""
    shares = {}
    for sensor, (lo, hi) in ranges.items():
        if sensor not in readings.columns or lo is None or hi is None:
            continue
        values = readings[sensor].drop_nulls()
        if values.len() == 0:
            continue
        shares[sensor] = round(float(((values < lo) | (values > hi)).mean()), 4)
    alerts = {s: v for s, v in shares.items() if v > cfg.out_of_range_share}
    return {"share": shares, "alerts": alerts}


def silent_assets(
    telemetry: pl.LazyFrame, assets: list[str], as_of: datetime, cfg: QualityConfig
) -> dict:
    """Assets with no reading in ``silent_after`` before ``as_of`` (or none at all)."""
    since = as_of - parse_duration(cfg.silent_after)
    heard = (
        telemetry.filter((pl.col("ts") > since) & (pl.col("ts") <= as_of))
        .select("asset_id")
        .unique()
        .collect()["asset_id"]
        .to_list()
    )
    silent = sorted(set(assets) - set(heard))
    return {
        "count": len(silent),
        "share": round(len(silent) / max(len(assets), 1), 4),
        "assets": silent[:TOP],
    }


def quality_report(
    telemetry: pl.LazyFrame,
    assets: list[str],
    sensors: list[str],
    ranges: dict[str, list[float | None]],
    as_of: datetime,
    cfg: QualityConfig,
) -> dict:
    """Every check for one night, plus ``alerts``: the short list a person should read.

    Args:
        telemetry: the dataset's readings (only the window is read).
        assets: every asset the night should hear from.
        sensors: the sensors the model uses.
        ranges: training range per sensor (``reference.sensor_ranges``).
        as_of: the night.
        cfg: thresholds.
    """
    readings = window_readings(telemetry, as_of, cfg.window, sensors)
    report = {
        "window": cfg.window,
        "readings": readings.height,
        "missing": missing_sensors(readings, sensors, cfg),
        "frozen": frozen_sensors(readings, sensors, cfg),
        "out_of_range": out_of_range(readings, ranges, cfg),
        "silent": silent_assets(telemetry, assets, as_of, cfg),
    }
    report["alerts"] = alerts(report)
    return report


def alerts(report: dict) -> list[str]:
    """Human-readable alerts from a quality report."""
    out = [f"sensor {s} absent from the data" for s in report["missing"]["absent"]]
    out += [f"sensor {s}: {100 * v:.1f}% null" for s, v in report["missing"]["alerts"].items()]
    out += [
        f"sensor {s}: {n} frozen transmitter(s)" for s, n in report["frozen"]["by_sensor"].items()
    ]
    out += [
        f"sensor {s}: {100 * v:.1f}% of readings outside the training range"
        for s, v in report["out_of_range"]["alerts"].items()
    ]
    if report["silent"]["count"]:
        out.append(f"{report['silent']['count']} asset(s) silent")
    return out
