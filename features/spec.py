"""Feature and label configuration as data: what an experiment config's sections hold.

Specs are frozen pydantic models loaded at the edge (an experiment TOML, an MLflow run's
params) and passed down unchanged, so a feature matrix can always be rebuilt from the
spec that produced it. Every span is a duration ("6h", "7d"), never a row count, so the
same spec serves hourly telemetry and per-cycle data mapped onto time.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from forewarn.features.contract import TELEMETRY_KEYS
from forewarn.features.durations import Duration, parse_duration

STATS: tuple[str, ...] = ("mean", "std", "min", "max", "last", "slope", "count", "ewma")
"""Window statistics a spec may ask for (see ``features/windows.py`` for definitions)."""

LIFE_STATS: tuple[str, ...] = ("mean", "std", "min", "max", "last", "slope", "count")
"""Statistics computed over the "current life" window (no EWMA: its length varies)."""

LIFE = "life"
"""Suffix of the "current life" window: since install or the last failure/repair."""

EventKind = Literal["failure", "maintenance"]


def _unique(key: str, values: tuple[str, ...]) -> tuple[str, ...]:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise ValueError(f"{key}: duplicate entries {sorted(set(seen))}")
    return values


class FeatureSpec(BaseModel):
    """Which point-in-time features to build, and how.

    Attributes:
        sensors: sensor columns to use; ``None`` means every numeric telemetry column
            (the default experiment configs list them explicitly so names are stable).
        windows: fixed look-back windows ending at ``as_of``, e.g. ``("1d", "7d", "30d")``.
        stats: statistics per sensor and window, a subset of ``STATS``.
        life_window: also compute ``LIFE_STATS`` over the current life
            (since the last reset event, else ``installed_at``, else the first reading).
        life_resets: event kinds that start a new life (a failure ends a life; a
            repair/maintenance restores health).
        snapshot_every: spacing of training snapshots; windows must be whole multiples of
            the common bucket (the gcd of ``snapshot_every`` and all windows).
        ewma_half_life_share: half-life of the windowed EWMA as a share of its window.
        baseline_span: early-life span whose readings define the asset's own healthy
            baseline (``z_baseline`` features); ``None`` disables them.
        fleet_norm: add ``z_fleet`` features: deviation from the asset type's pooled
            readings in the same window at the same ``as_of``.
        regime_column: telemetry column holding the operating regime; readings are then
            also compared with the baseline of their own regime (``z_regime`` features).
        alarm_codes: alarm codes counted per window (``alarms__{code}_{w}``); all alarms
            are always counted as ``alarms__all_{w}``.
        alarm_windows: windows for alarm counts; ``None`` means ``windows``.
        components: components with their own ``hours_since_maintenance__{component}``.
        freshness: add ``{sensor}__hours_since_last`` (within the longest window).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sensors: tuple[str, ...] | None = None
    windows: tuple[Duration, ...] = ("1d", "7d", "30d")
    stats: tuple[str, ...] = STATS
    life_window: bool = True
    life_resets: tuple[EventKind, ...] = ("failure", "maintenance")
    snapshot_every: Duration = "1d"
    ewma_half_life_share: float = Field(default=0.25, gt=0.0, le=1.0)
    baseline_span: Duration | None = "7d"
    fleet_norm: bool = True
    regime_column: str | None = None
    alarm_codes: tuple[str, ...] = ()
    alarm_windows: tuple[Duration, ...] | None = None
    components: tuple[str, ...] = ()
    freshness: bool = True

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("windows: list at least one window, e.g. ['1d', '7d']")
        return _unique("windows", tuple(v.strip() for v in value))

    @field_validator("alarm_windows")
    @classmethod
    def _alarm_windows(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("alarm_windows: list at least one window or leave it out")
        return None if value is None else _unique("alarm_windows", tuple(v.strip() for v in value))

    @field_validator("stats")
    @classmethod
    def _stats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError(f"stats: list at least one of {list(STATS)}")
        unknown = [s for s in value if s not in STATS]
        if unknown:
            raise ValueError(f"stats: unknown statistic(s) {unknown}; choose from {list(STATS)}")
        return _unique("stats", value)

    @field_validator("sensors")
    @classmethod
    def _sensors(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("sensors: list at least one sensor or leave it out (= all)")
        return None if value is None else _unique("sensors", value)

    @field_validator("alarm_codes", "components", "life_resets")
    @classmethod
    def _no_duplicates(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return _unique(info.field_name, value)

    @model_validator(mode="after")
    def _grid(self) -> FeatureSpec:
        bucket = self.bucket_seconds
        for w in self.all_windows:
            if seconds(w) // bucket > 100_000:
                raise ValueError(
                    f"windows: {w!r} spans more than 100000 buckets of {bucket}s; "
                    "align windows and snapshot_every to a coarser common unit"
                )
        return self

    @model_validator(mode="after")
    def _keys_are_not_features(self) -> FeatureSpec:
        # asset_id and ts identify a reading; as a sensor or regime they would be read
        # twice into one frame (Polars fails with its whole query plan, naming nothing).
        keys = [s for s in self.sensors or () if s in TELEMETRY_KEYS]
        if keys:
            raise ValueError(
                f"sensors: {keys} {'is a key column' if len(keys) == 1 else 'are key columns'}"
                " of the telemetry, not sensors; remove it from the list"
            )
        if self.regime_column in TELEMETRY_KEYS:
            raise ValueError(
                f"regime_column: {self.regime_column!r} is a key column of the telemetry; name "
                "the column holding the operating regime, or leave regime_column out"
            )
        if self.regime_column is not None and self.regime_column in (self.sensors or ()):
            raise ValueError(
                f"regime_column: {self.regime_column!r} is also listed in sensors; a column "
                "is either the operating regime or a sensor: remove it from one of the two"
            )
        return self

    @property
    def all_windows(self) -> tuple[str, ...]:
        """Sensor windows then any extra alarm windows, in config order."""
        extra = tuple(w for w in (self.alarm_windows or ()) if w not in self.windows)
        return self.windows + extra

    def windows_longer_than(self, span_seconds: float) -> list[str]:
        """Sensor and alarm windows longer than ``span_seconds`` (of training data)."""
        return [w for w in self.all_windows if seconds(w) > span_seconds]

    @property
    def event_windows(self) -> tuple[str, ...]:
        return self.alarm_windows if self.alarm_windows is not None else self.windows

    @property
    def bucket_seconds(self) -> int:
        """Partial-sum bucket: the largest span dividing every window and the snapshot step.

        Snapshots fall on bucket boundaries, so every window is an exact union of whole
        buckets and ``ts <= as_of`` holds exactly without a partial bucket.
        """
        return math.gcd(seconds(self.snapshot_every), *(seconds(w) for w in self.all_windows))


RUL_CAP_MOVED = (
    "[labels] rul_cap is no longer a key: the RUL cap is set once, as [model] rul_cap. "
    "Move the value there and delete the line from [labels]."
)


class LabelSpec(BaseModel):
    """How training labels are defined.

    Attributes:
        horizon: ``fails_within_{horizon}`` is true when a failure occurs in
            ``(as_of, as_of + horizon]``.
        downtime: after a failure the asset is down (being repaired) for this span;
            snapshots in ``[failure, failure + downtime)`` are excluded from training.
        components: also label ``fails_within_{horizon}__{component}`` per component.
        use_findings: also count confirmed faults that technicians recorded
            (``forewarn feedback``, kind ``finding`` events) as failures in the labels:
            a fault found and repaired before it failed is what the model should have
            flagged. Features never see findings (the nightly data has none).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon: Duration = "7d"
    downtime: Duration = "1d"
    components: tuple[str, ...] = ()
    use_findings: bool = False

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: object) -> object:
        # ``rul_hours`` is the true time to the next failure (or censoring); the RUL
        # model caps its target at ``[model] rul_cap``, the one cap. Specs logged by
        # older runs hold ``rul_cap: null`` (or a cap that their model cap kept within).
        if isinstance(data, dict) and "rul_cap" in data:
            if data["rul_cap"] is not None:
                raise ValueError(RUL_CAP_MOVED)
            data = {k: v for k, v in data.items() if k != "rul_cap"}
        return data

    @field_validator("components")
    @classmethod
    def _components(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _unique("components", value)

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        return value.strip()


def seconds(text: str) -> int:
    """Whole seconds of a duration string."""
    return int(parse_duration(text).total_seconds())


def load_specs(path: str | Path) -> tuple[FeatureSpec, LabelSpec]:
    """Load the ``[features]`` and ``[labels]`` sections of an experiment TOML file.

    Other sections (``[model]``, top-level ``name``…) belong to other layers and are ignored.
    Missing sections fall back to the defaults.
    """
    data = tomllib.loads(Path(path).read_text())
    return FeatureSpec.model_validate(data.get("features", {})), LabelSpec.model_validate(
        data.get("labels", {})
    )
