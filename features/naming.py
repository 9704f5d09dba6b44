"""Predictable feature names: ``{sensor}__{stat}_{window}`` and friends, from the spec alone.

Models store the list; scoring rebuilds it from the spec, so a name never depends on the
data that happened to be seen (alarm codes and components are listed in the config).
"""

from __future__ import annotations

from forewarn.features.spec import LIFE, LIFE_STATS, FeatureSpec, LabelSpec

ID_COLUMNS: tuple[str, ...] = ("asset_id", "as_of")
CONTEXT_COLUMNS: tuple[str, ...] = ("asset_type", "plant", "line")

EVENT_FEATURES: tuple[str, ...] = (
    "hours_since_failure",
    "n_failures",
    "hours_since_maintenance",
    "age_hours",
    "life_hours",
)


def stat_name(sensor: str, stat: str, window: str) -> str:
    return f"{sensor}__{stat}_{window}"


def sensor_feature_names(spec: FeatureSpec, sensor: str) -> list[str]:
    """Names of one sensor's features, in output order."""
    names = [stat_name(sensor, s, w) for w in spec.windows for s in spec.stats]
    if spec.life_window:
        names += [stat_name(sensor, s, LIFE) for s in spec.stats if s in LIFE_STATS]
    windows = spec.windows + ((LIFE,) if spec.life_window else ())
    if spec.baseline_span is not None:
        names += [stat_name(sensor, "z_baseline", w) for w in windows]
        if spec.regime_column is not None:
            names += [stat_name(sensor, "z_regime", w) for w in windows]
    if spec.fleet_norm:
        names += [stat_name(sensor, "z_fleet", w) for w in spec.windows]
    if spec.freshness:
        names.append(f"{sensor}__hours_since_last")
    return names


def event_feature_names(spec: FeatureSpec) -> list[str]:
    """Alarm counts per code and window, then time-since and count features."""
    codes = (*spec.alarm_codes, "all")
    names = [f"alarms__{c}_{w}" for w in spec.event_windows for c in codes]
    names += list(EVENT_FEATURES)
    names += [f"hours_since_maintenance__{c}" for c in spec.components]
    return names


def feature_names(
    spec: FeatureSpec, sensors: list[str] | tuple[str, ...] | None = None
) -> list[str]:
    """The full, ordered list of feature columns a snapshot frame holds for ``spec``.

    Args:
        spec: the feature spec.
        sensors: sensor columns; defaults to ``spec.sensors``.

    Raises:
        ValueError: if neither the spec nor the caller names the sensors.
    """
    sensors = sensors if sensors is not None else spec.sensors
    if sensors is None:
        raise ValueError("feature_names: spec.sensors is unset, pass the sensor list")
    names = [n for s in sensors for n in sensor_feature_names(spec, s)]
    return names + event_feature_names(spec)


def label_columns(labels: LabelSpec) -> tuple[str, ...]:
    """Columns a training frame adds after the features (so models can skip them)."""
    target = f"fails_within_{labels.horizon}"
    per_component = tuple(f"{target}__{c}" for c in labels.components)
    return (target, *per_component, "rul_hours", "rul_censored")
