"""Per-asset drivers in planner language.

LightGBM's ``pred_contrib`` gives each feature's push on the log-odds of one row.
Feature names are predictable (``{sensor}__{stat}_{window}``), so the top pushes can
be read back as sentences and set against the training fleet's statistics, e.g.
"vibration_rms 7-day mean 2.3 sigma above this asset's baseline" or
"vibration_rms 7-day mean high: 4.1 vs fleet median 2.2".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from forewarn.models.risk import RiskModel

_NAME = re.compile(r"^(?P<sensor>.+?)__(?P<stat>.+)_(?P<window>\d+[smhdw]|life)$")
_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_STAT_WORDS = {
    "mean": "mean",
    "std": "variability",
    "min": "minimum",
    "max": "maximum",
    "last": "latest value",
    "slope": "trend",
    "count": "reading count",
    "median": "median",
    "range": "range",
    "ewma": "recent level (EWMA)",
}


@dataclass(frozen=True)
class Driver:
    """One feature that pushed a row's risk up."""

    feature: str
    value: float | str | None
    contribution: float
    sentence: str


def window_words(window: str) -> str:
    """``"7d"`` → ``"7-day"``, ``"life"`` → ``"current-life"``."""
    if window == "life":
        return "current-life"
    return f"{window[:-1]}-{_UNIT_WORDS[window[-1]]}"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


_Z_REFERENCE = {
    "baseline": "this asset's baseline",
    "regime": "this asset's baseline for the same operating regime",
    "fleet": "the fleet (same asset type)",
}
_DAYS_FEATURES = {"age_hours": "asset age", "life_hours": "current life"}


def _days(hours_value: float | None) -> str:
    return "n/a" if hours_value is None else f"{hours_value / 24:.0f}"


def _describe_parsed(
    sensor: str, stat: str, window: str, value: float, median: float | None
) -> str:
    win = window_words(window)
    if stat.startswith("z_"):
        direction = "above" if value >= 0 else "below"
        reference = _Z_REFERENCE.get(stat[2:], stat[2:].replace("_", " "))
        return f"{sensor} {win} mean {abs(value):.1f} sigma {direction} {reference}"
    if sensor in ("alarms", "alarm"):
        amount, unit = window_words(window).split("-", 1)
        span = unit if amount == "1" else f"{amount} {unit}s"
        what = "all alarms" if stat == "all" else f"alarm {stat}"
        return f"{what}: {value:.0f} in the last {span} (fleet median {_fmt(median)})"
    words = _STAT_WORDS.get(stat, stat.replace("_", " "))
    level = "high" if median is None or value >= median else "low"
    # A slope is sensor units per day (features.windows); a bare "0.44" reads as a level.
    unit = " per day" if stat == "slope" else ""
    return (
        f"{sensor} {win} {words} {level}: {_fmt(value)}{unit} vs fleet median {_fmt(median)}{unit}"
    )


def _event_words(feature: str) -> str:
    """``hours_since_maintenance__bearing`` → ``"bearing maintenance"``."""
    event, _, component = feature.removeprefix("hours_since_").partition("__")
    return (f"{component} {event}" if component else event).replace("_", " ")


def _describe_event(feature: str, value: float, median: float | None) -> str | None:
    """Sentences for time-since, age and count features; ``None`` if not one of them."""
    if feature.endswith("__hours_since_last"):
        sensor = feature.removesuffix("__hours_since_last")
        return f"{sensor}: last reading {value:.0f} hours ago (fleet median {_fmt(median)} hours)"
    fleet = f"(fleet median {_days(median)} days)"
    if feature.startswith("hours_since_"):
        return f"last {_event_words(feature)} {_days(value)} days ago {fleet}"
    if feature in _DAYS_FEATURES:
        return f"{_DAYS_FEATURES[feature]} {_days(value)} days {fleet}"
    if feature == "n_failures":
        return f"{value:.0f} failures on record (fleet median {_fmt(median)})"
    return None


def describe(feature: str, value: float | str | None, median: float | None) -> str:
    """A planner-readable sentence for one feature value.

    Args:
        feature: the feature name.
        value: the row's value (a string for categorical features).
        median: the training fleet's median of that feature, if numeric.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if feature.startswith("hours_since_"):
            return f"no {_event_words(feature)} on record"
        return f"{feature}: no recent data"
    if isinstance(value, str):
        return f"{feature.replace('_', ' ')} {value}"
    sentence = _describe_event(feature, value, median)
    if sentence is not None:
        return sentence
    parsed = _NAME.match(feature)
    if parsed:
        return _describe_parsed(parsed["sensor"], parsed["stat"], parsed["window"], value, median)
    level = "high" if median is None or value >= median else "low"
    return f"{feature} {level}: {_fmt(value)} vs fleet median {_fmt(median)}"


def top_drivers(model: RiskModel, frame: pl.DataFrame, top_k: int = 5) -> list[list[Driver]]:
    """The ``top_k`` features that raised each row's risk most, as sentences.

    Only features with a positive push are listed: a planner asks "why is this asset
    on my list", not "what argued against it". Costs ``pred_contrib`` time per row,
    so pass the rows to be shown, not the fleet.
    """
    if frame.height == 0:
        return []
    contrib = model.contributions(frame)[:, :-1]
    values = frame.select(model.feature_cols)
    out = []
    for i in range(frame.height):
        order = np.argsort(-contrib[i], kind="stable")[:top_k]
        row = []
        for j in order:
            if contrib[i, j] <= 0:
                break
            j = int(j)
            feature = model.feature_cols[j]
            value = values[i, j]
            stats = model.profile_.stats_.get(feature)
            median = stats["median"] if stats else None
            sentence = describe(feature, value, median)
            row.append(Driver(feature, value, float(contrib[i, j]), sentence))
        out.append(row)
    return out


def drivers_table(model: RiskModel, frame: pl.DataFrame, top_k: int = 5) -> pl.DataFrame:
    """Long table of drivers: ``asset_id, rank, feature, contribution, sentence``."""
    rows = [
        (asset, rank, d.feature, d.contribution, d.sentence)
        for asset, drivers in zip(
            frame["asset_id"].to_list(), top_drivers(model, frame, top_k), strict=True
        )
        for rank, d in enumerate(drivers, start=1)
    ]
    schema = {
        "asset_id": pl.String,
        "rank": pl.Int32,
        "feature": pl.String,
        "contribution": pl.Float64,
        "sentence": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
