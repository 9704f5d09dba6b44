"""Telemetry of one asset: regime effects, climate, failure signatures, noise, defects.

Readings are computed for the whole window at once from the hourly hidden state (held
within the hour for sub-hourly grids). Repairs leave gaps (no rows); planned stops
show idle readings. Defects then corrupt the clean signal the way plant data is
corrupted: single dropouts, gateway outages (all channels null), flat-lining
transmitters and spikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.catalog import RESOLUTION, SENSOR_NAMES
from forewarn.synthetic.config import FleetConfig
from forewarn.synthetic.health import HOUR_US, SERVICE, History
from forewarn.synthetic.scenarios import ScenarioSpec
from forewarn.synthetic.schedule import hall_temperature

_S = {name: i for i, name in enumerate(SENSOR_NAMES)}
_MODE_FACTOR: dict[str, tuple[float, float, float]] = {
    "temperature_c": (0.45, 1.0, 1.15),  # applied to the rise above the hall
    "vibration_mm_s": (0.35, 1.0, 1.3),
    "current_a": (0.25, 1.0, 1.35),
    "pressure_bar": (0.6, 1.0, 1.08),
    "speed_rpm": (0.3, 1.0, 1.08),
    "power_kw": (0.2, 1.0, 1.4),
}
_ACOUSTIC_SHIFT = (-9.0, 0.0, 2.5)
_ACTIVITY = np.array([0.5, 1.0, 1.2])  # additive signatures are weaker when idling
_NOISE_SD = np.array([0.4, 0.06, 0.03, 0.02, 1.0, 0.004, 0.03, 0.2])
_NOISE_ADDITIVE = np.array([True, False, False, False, True, False, False, True])
_DAILY_SD = np.array([0.5, 0.02, 0.015, 0.01, 0.5, 0.002, 0.015, 0.0])
_DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class Readings:
    """One asset's telemetry: times (us), mode and (sensors, n) values (NaN = null).

    Values are sensor-major so each channel is one contiguous row, the layout the
    column-wise table builder wants.
    """

    ts: np.ndarray
    mode: np.ndarray
    values: np.ndarray


def in_intervals(ts: np.ndarray, intervals: list[tuple[int, int]]) -> np.ndarray:
    """Whether each time lies in one of the sorted, disjoint [start, end) intervals."""
    if not intervals:
        return np.zeros(ts.shape, dtype=bool)
    starts = np.array([a for a, _ in intervals])
    ends = np.array([b for _, b in intervals])
    idx = np.searchsorted(starts, ts, side="right") - 1
    return (idx >= 0) & (ts < ends[np.maximum(idx, 0)])


def _healthy(spec: AssetSpec, mode: np.ndarray, hall: np.ndarray) -> np.ndarray:
    """Sensor levels of a healthy machine in each reading's mode and hall climate."""
    base = dict(spec.kind.baseline)
    scale = dict(zip(SENSOR_NAMES[:-1], spec.sensor_scale, strict=True))
    out = np.empty((len(SENSOR_NAMES), mode.size))
    for name, factors in _MODE_FACTOR.items():
        f = np.asarray(factors)[mode]
        level = base[name] * scale[name]
        out[_S[name]] = hall + (level - 22.0) * f if name == "temperature_c" else level * f
    acoustic = base["acoustic_db"] * scale["acoustic_db"]
    out[_S["acoustic_db"]] = acoustic + np.asarray(_ACOUSTIC_SHIFT)[mode]
    out[_S["ambient_temp_c"]] = hall
    return out


def _add_signatures(
    values: np.ndarray, spec: AssetSpec, damage: np.ndarray, mode: np.ndarray
) -> None:
    """Move the sensors each worn component is known to move (in place)."""
    activity = _ACTIVITY[mode]
    for c, comp in enumerate(spec.kind.components):
        for sensor, (kind, amp, power) in comp.signature.items():
            effect = amp * damage[c] ** power
            col = _S[sensor]
            if kind == "mul":
                values[col] *= 1.0 + effect
            else:
                values[col] += effect * activity


def _add_noise(values: np.ndarray, rng: np.random.Generator, day: np.ndarray, n_days: int) -> None:
    """Day-to-day wander plus reading noise, additive or relative per channel (in place)."""
    daily = rng.standard_normal((values.shape[0], n_days)) * _DAILY_SD[:, None]
    noise = rng.standard_normal(values.shape)
    for j, additive in enumerate(_NOISE_ADDITIVE):
        wiggle = noise[j] * _NOISE_SD[j] + daily[j, day]
        values[j] = values[j] + wiggle if additive else values[j] * (1.0 + wiggle)


def _apply_drift(
    values: np.ndarray, ts: np.ndarray, sc: ScenarioSpec, drift_us: int, retrofit_us: int | None
) -> None:
    """Scenario sensor changes: offsets from the drift date, factors after a retrofit."""
    after = ts >= drift_us
    for name, offset in sc.sensor_offsets.items():
        values[_S[name], after] += offset
    if retrofit_us is not None:
        done = ts >= retrofit_us
        for name, factor in sc.sensor_factors.items():
            values[_S[name], done] *= factor


def _add_defects(values: np.ndarray, cfg: FleetConfig, rng: np.random.Generator) -> None:
    """Stuck transmitters, spikes, gateway outages and single dropouts (NaN), in place."""
    n_sensors, n = values.shape
    years = cfg.days / 365.0
    per_hour = 3600.0 / cfg.freq_seconds
    for _ in range(rng.poisson(cfg.stuck_per_asset_year * years)):
        col, at = int(rng.integers(n_sensors)), int(rng.integers(n))
        length = max(1, int(rng.uniform(6.0, 96.0) * per_hour))
        values[col, at : at + length] = values[col, at]
    flat = values.reshape(-1)  # a view: spikes and dropouts are drawn as sparse positions
    spikes = _positions(rng, flat.size, cfg.outlier_rate)
    factor = np.where(rng.random(spikes.size) < 0.2, 0.0, rng.uniform(2.5, 5.0, spikes.size))
    flat[spikes] *= factor
    for _ in range(rng.poisson(cfg.outages_per_asset_year * years)):
        at = int(rng.integers(n))
        values[:, at : at + max(1, int(rng.uniform(1.0, 12.0) * per_hour))] = np.nan
    flat[_positions(rng, flat.size, cfg.missing_rate)] = np.nan


def _positions(rng: np.random.Generator, size: int, rate: float) -> np.ndarray:
    """Distinct random positions, each chosen with probability ``rate`` (binomial count)."""
    count = rng.binomial(size, rate)
    return np.unique(rng.integers(0, size, count))


def _quantise(values: np.ndarray) -> np.ndarray:
    res = np.array([RESOLUTION[name] for name in SENSOR_NAMES])
    return np.round(values / res[:, None]) * res[:, None]


def simulate_readings(
    cfg: FleetConfig,
    spec: AssetSpec,
    history: History,
    modes: np.ndarray,
    weather: np.ndarray,
    drift: ScenarioSpec | None,
    rngs: tuple[np.random.Generator, np.random.Generator],
) -> Readings:
    """Telemetry of one asset over the window.

    Args:
        cfg: fleet configuration (grid, defect rates, drift date).
        spec: the asset.
        history: its hidden trajectory.
        modes: scheduled operating mode of each hour.
        weather: the plant's daily weather anomaly, one value per window day.
        drift: the scenario's changes if this asset is affected, else None.
        rngs: (noise stream, defect stream) of the asset.

    Returns:
        The readings, with repair periods removed.
    """
    ts = cfg.start_us + np.arange(cfg.n_readings, dtype=np.int64) * cfg.freq_seconds * 1_000_000
    ts = ts[~in_intervals(ts, history.down_us)]
    hour = (ts - cfg.start_us) // HOUR_US
    mode = np.where(history.state[hour] == SERVICE, 0, modes[hour]).astype(np.int8)
    first_day = cfg.start_us // _DAY_US
    shift = 0.0
    drift_us = cfg.start_us + cfg.drift_hour * HOUR_US
    if drift is not None and drift.hall_shift:
        shift = np.where(ts >= drift_us, drift.hall_shift, 0.0)
    hall = hall_temperature(ts / HOUR_US, weather, first_day, spec.hall_offset + shift)
    values = _healthy(spec, mode, hall)
    _add_signatures(values, spec, np.clip(history.damage[:, hour], 0.0, 1.0), mode)
    if drift is not None:
        retrofit = [iv for iv in history.executed if iv.code == "RETROFIT"]
        done = (
            cfg.start_us + (retrofit[0].start + retrofit[0].hours) * HOUR_US if retrofit else None
        )
        _apply_drift(values, ts, drift, drift_us, done)
    _add_noise(values, rngs[0], (ts - cfg.start_us) // _DAY_US, cfg.days)
    _add_defects(values, cfg, rngs[1])
    return Readings(ts=ts, mode=mode, values=_quantise(values))
