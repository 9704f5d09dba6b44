"""Per-asset drivers in planner language: only what is abnormal, in the sensor's own unit.

LightGBM's ``pred_contrib`` gives each feature's push on the log-odds of one row. A
feature is a driver when it pushed the risk up **and** its value is abnormal against
the training fleet (``DriverRules``): a planner asks "what is wrong with this machine",
and "7.67 vs fleet median 7.67", "0.0 sigma above baseline" or "line L2" answer nothing.
Categorical context (type, plant, line) and missing values are never drivers.

Sentences read ``"<what to inspect>: <finding>"`` — ``"Vibration: 7-day mean high,
4.1 mm/s (fleet usual 2.2 mm/s)"`` — when the finding points at a sensor, an alarm code
or a component, so the list can say what to inspect (``serving.inspect``); findings about
the asset's history ("last failure 5 days ago") have no such prefix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from forewarn.models.risk import RiskModel
from forewarn.models.wording import duration, number, pair, readable, split_unit, with_unit

_NAME = re.compile(r"^(?P<sensor>.+?)__(?P<stat>.+)_(?P<window>\d+[smhdw]|life)$")
_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_STAT_WORDS = {
    "mean": "mean",
    "std": "variability",
    "min": "minimum",
    "max": "maximum",
    "last": "latest value",
    "median": "median",
    "range": "range",
    "ewma": "recent level",
}
_Z_REFERENCE = {
    "baseline": "this machine's own baseline",
    "regime": "this machine's own baseline in the same operating mode",
    "fleet": "machines of the same type",
}
_SINCE = {"hours_since_failure": "last failure", "hours_since_maintenance": "last maintenance"}
_SPAN = {"age_hours": "Asset age", "life_hours": "Current life (since the last failure or repair)"}
_IQR_TO_SD = 2.563  # (p90 - p10) of a normal distribution, in standard deviations


@dataclass(frozen=True)
class DriverRules:
    """When a feature value counts as abnormal enough to be named.

    Attributes:
        min_deviation: sensor statistics and z-scores: at least this many (robust)
            standard deviations from the training fleet's median / the baseline.
        min_relative_gap: sensor levels: also at least this share away from the fleet
            median (a tight distribution makes tiny gaps look like many sigmas).
        alarm_factor: alarm counts: at least this many times the fleet's usual rate.
    """

    min_deviation: float = 2.0
    min_relative_gap: float = 0.05
    alarm_factor: float = 3.0


@dataclass(frozen=True)
class Driver:
    """One abnormal feature that pushed a row's risk up."""

    feature: str
    value: float | str | None
    contribution: float
    sentence: str


def window_words(window: str) -> str:
    """``"7d"`` → ``"7-day"``, ``"life"`` → ``"current-life"``."""
    if window == "life":
        return "current-life"
    return f"{window[:-1]}-{_UNIT_WORDS[window[-1]]}"


def _span_words(window: str) -> str:
    """``"1d"`` → ``"the last day"``, ``"7d"`` → ``"the last 7 days"``, life → current life."""
    if window == "life":
        return "the current life"
    amount, unit = window[:-1], _UNIT_WORDS[window[-1]]
    return f"the last {unit}" if amount == "1" else f"the last {amount} {unit}s"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def deviation(value: float, stats: dict[str, float | None]) -> float:
    """How far ``value`` lies from the fleet median, in robust standard deviations.

    Robust: (p90 - p10) / 2.56, so a few extreme training rows do not hide the signal;
    the plain std when that is zero; infinite when the fleet never varied at all.
    """
    median = stats.get("median")
    if median is None:
        return 0.0
    p10, p90, std = stats.get("p10"), stats.get("p90"), stats.get("std")
    spread = (p90 - p10) / _IQR_TO_SD if p10 is not None and p90 is not None else 0.0
    spread = spread or (std or 0.0)
    gap = value - median
    if spread <= 0:
        return 0.0 if gap == 0 else math.copysign(math.inf, gap)
    return gap / spread


def _level(
    name: str, unit: str | None, what: str, value: float, stats: dict, rules: DriverRules
) -> str | None:
    median = stats.get("median")
    if median is None or abs(deviation(value, stats)) < rules.min_deviation:
        return None
    if median != 0 and abs(value - median) < rules.min_relative_gap * abs(median):
        return None
    mine, usual = pair(value, median)
    level = "high" if value > median else "low"
    return f"{name}: {what} {level}, {with_unit(mine, unit)} (fleet usual {with_unit(usual, unit)})"


def _slope(
    name: str, unit: str | None, window: str, value: float, stats: dict, rules
) -> str | None:
    median = stats.get("median")
    if median is None or abs(deviation(value, stats)) < rules.min_deviation:
        return None
    mine, usual = pair(abs(value), median)
    per_day = f"{unit} per day" if unit else "per day"
    direction = "rising" if value > 0 else "falling"
    return (
        f"{name}: {direction} {mine} {per_day} over {_span_words(window)} "
        f"(fleet usual {usual} {per_day})"
    )


def _count(name: str, window: str, value: float, stats: dict, rules: DriverRules) -> str | None:
    median = stats.get("median")
    if median is None or abs(deviation(value, stats)) < rules.min_deviation or value == median:
        return None
    few = "only " if value < median else ""
    return f"{name}: {few}{value:.0f} readings in {_span_words(window)} (fleet usual {median:.0f})"


def _zscore(name: str, stat: str, window: str, value: float, row: dict, rules) -> str | None:
    if abs(value) < rules.min_deviation:
        return None
    sensor = row.get("_sensor", "")
    level = row.get(f"{sensor}__mean_{window}")
    _, unit = split_unit(sensor)
    amount = "" if _missing(level) else f" {with_unit(number(level), unit)}"
    direction = "above" if value > 0 else "below"
    reference = _Z_REFERENCE.get(stat[2:], stat[2:].replace("_", " "))
    return (
        f"{name}: {window_words(window)} mean{amount}, {abs(value):.1f} standard deviations "
        f"{direction} {reference}"
    )


def _alarms(code: str, window: str, value: float, stats: dict, rules: DriverRules) -> str | None:
    if value < 1:
        return None
    usual = stats.get("mean") or 0.0
    what = "Alarms (all codes)" if code == "all" else f"Alarm {code}"
    head = f"{what}: {value:.0f} in {_span_words(window)}"
    if usual <= 0:
        return f"{head} (the fleet usually has none)"
    factor = value / usual
    if factor < rules.alarm_factor:
        return None
    return f"{head}, {factor:.0f}x the fleet's usual rate"


def _sensor_feature(
    sensor: str, stat: str, window: str, value: float, stats: dict, row: dict, rules
) -> str | None:
    name, unit = split_unit(sensor)
    if sensor in ("alarms", "alarm"):
        return _alarms(stat, window, value, stats, rules)
    if stat.startswith("z_"):
        return _zscore(name, stat, window, value, {**row, "_sensor": sensor}, rules)
    if stat == "slope":
        return _slope(name, unit, window, value, stats, rules)
    if stat == "count":
        return _count(name, window, value, stats, rules)
    what = f"{window_words(window)} {_STAT_WORDS.get(stat, stat.replace('_', ' '))}"
    return _level(name, unit, what, value, stats, rules)


def _outside_band(value: float, stats: dict, min_gap: float) -> bool:
    """Beyond the fleet's 10th-90th percentile band by at least ``min_gap``."""
    median, p10, p90 = stats.get("median"), stats.get("p10"), stats.get("p90")
    if median is None or p10 is None or p90 is None or abs(value - median) < min_gap:
        return False
    return value > p90 or value < p10


def _history_feature(feature: str, value: float, stats: dict) -> str | None:
    """Time-since, age and count features, in days; ``None`` when usual or not one of them."""
    median = stats.get("median")
    if feature.endswith("__hours_since_last"):
        name, _ = split_unit(feature.removesuffix("__hours_since_last"))
        if median is None or value < max(2 * median, median + 6) or value < 6:
            return None
        return f"{name}: last reading {duration(value)} ago (fleet usual {duration(median)})"
    event, _, component = feature.partition("__")
    if event in _SINCE and _outside_band(value, stats, 24.0):
        usual = f"(fleet usual {duration(median)})"  # type: ignore[arg-type]
        what = readable(component) + ": " + _SINCE[event] if component else readable(_SINCE[event])
        return f"{what} {duration(value)} ago {usual}"
    if feature in _SPAN and _outside_band(value, stats, 24.0):
        return f"{_SPAN[feature]} {duration(value)} (fleet usual {duration(median)})"  # type: ignore[arg-type]
    if feature == "n_failures" and median is not None and _outside_band(value, stats, 1.0):
        return (
            f"{value:.0f} failures on record (fleet usual {median:.0f})" if value > median else None
        )
    return None


def _is_history(feature: str) -> bool:
    return (
        feature in _SPAN
        or feature == "n_failures"
        or feature.partition("__")[0] in _SINCE
        or feature.endswith("__hours_since_last")
    )


def describe(
    feature: str,
    value: float | str | None,
    stats: dict[str, float | None] | None,
    row: dict[str, Any] | None = None,
    rules: DriverRules | None = None,
) -> str | None:
    """The planner sentence for one feature value, or ``None`` when it is not abnormal.

    Args:
        feature: the feature name (``{sensor}__{stat}_{window}``, event features, ...).
        value: the row's value; text (categorical context) and missing values give None.
        stats: the training fleet's statistics of the feature (``FeatureProfile``).
        row: the row's other feature values (a z-score quotes its sensor's mean).
        rules: the abnormality thresholds.
    """
    if _missing(value) or isinstance(value, str) or not stats or stats.get("median") is None:
        return None
    rules = rules or DriverRules()
    value = float(value)  # type: ignore[arg-type]
    if _is_history(feature):
        return _history_feature(feature, value, stats)
    parsed = _NAME.match(feature)
    if parsed:
        return _sensor_feature(
            parsed["sensor"], parsed["stat"], parsed["window"], value, stats, row or {}, rules
        )
    return _level(readable(feature), None, "value", value, stats, rules)


def top_drivers(
    model: RiskModel, frame: pl.DataFrame, top_k: int = 5, rules: DriverRules | None = None
) -> list[list[Driver]]:
    """Up to ``top_k`` abnormal features that raised each row's risk most, as sentences.

    Walks the positive pushes, strongest first, keeping those ``describe`` finds
    abnormal; a row with none gets an empty list (the list then says nothing rather
    than noise). Costs ``pred_contrib`` time per row, so pass the rows to be shown.
    """
    if frame.height == 0:
        return []
    contrib = model.contributions(frame)[:, :-1]
    rows = frame.select(model.feature_cols).to_dicts()
    out = []
    for i, row in enumerate(rows):
        found: list[Driver] = []
        for j in np.argsort(-contrib[i], kind="stable"):
            if contrib[i, j] <= 0 or len(found) >= top_k:
                break
            feature = model.feature_cols[int(j)]
            stats = model.profile_.stats_.get(feature)
            sentence = describe(feature, row[feature], stats, row, rules)
            if sentence is not None and sentence not in (d.sentence for d in found):
                found.append(Driver(feature, row[feature], float(contrib[i, j]), sentence))
        out.append(found)
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
