"""Operating regime and climate on the hourly clock: shifts, modes, expected load, ambient.

Modes are drawn independently each hour from probabilities set by the plant's shift
pattern (local time, UTC+8), so the expected wear load of any future hour is known
exactly; the oracle uses that expectation and its variance.
"""

from __future__ import annotations

import numpy as np

from forewarn.synthetic.catalog import (
    MODE_LOAD,
    MODE_PROBS_OFF,
    MODE_PROBS_WORK,
    PLANTS,
    UTC_OFFSET_HOURS,
    Plant,
)

_HOURS_PER_WEEK = 168
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_PEAK_DAY_OF_YEAR = 200  # about 20 July, Shanghai's warmest stretch
_YEAR_DAYS = 365.2425


def local_hour_of_week(epoch_hours: np.ndarray) -> np.ndarray:
    """Hour of the local week (Monday 00:00 = 0) for absolute UTC hour numbers."""
    local = epoch_hours + UTC_OFFSET_HOURS + _EPOCH_WEEKDAY * 24
    return np.mod(local, _HOURS_PER_WEEK)


def working(plant: Plant, epoch_hours: np.ndarray) -> np.ndarray:
    """Whether each hour is a production hour under the plant's shift pattern."""
    how = local_hour_of_week(epoch_hours)
    day, hour = how // 24, how % 24
    start, end = plant.work_hours
    if start == end:
        in_shift = np.ones_like(hour, dtype=bool)
    elif start < end:
        in_shift = (hour >= start) & (hour < end)
    else:
        in_shift = (hour >= start) | (hour < end)
    return in_shift & (day < plant.work_days)


def mode_probs(plant: Plant, utilisation: float, epoch_hours: np.ndarray) -> np.ndarray:
    """Probability of (idle, normal, heavy) for each hour, shape (n, 3).

    ``utilisation`` scales the heavy share of production hours, so busy assets wear
    faster than quiet ones on the same line.
    """
    idle, _, heavy = MODE_PROBS_WORK
    heavy = min(heavy * utilisation, 1.0 - idle)
    work = np.array([idle, 1.0 - idle - heavy, heavy])
    off = np.array(MODE_PROBS_OFF)
    return np.where(working(plant, epoch_hours)[:, None], work, off)


def sample_modes(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one mode per hour from its probabilities (vectorised inverse CDF)."""
    u = rng.random(probs.shape[0])
    cdf = np.cumsum(probs, axis=1)
    return (u[:, None] >= cdf[:, :2]).sum(axis=1).astype(np.int8)


def load_moments(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the wear load of each hour under its mode probabilities."""
    load = np.asarray(MODE_LOAD)
    mean = probs @ load
    var = probs @ load**2 - mean**2
    return mean, np.maximum(var, 0.0)


def cumulative(values: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading zero, so window sums are ``c[b] - c[a]``."""
    return np.concatenate(([0.0], np.cumsum(values)))


def fleet_mean_load() -> float:
    """Long-run wear load of the average asset, for calibrating wear speed.

    Uses one whole week per plant weighted by plant share; wear speeds are set
    against this so plants with heavier schedules fail more often, as they should.
    """
    week = np.arange(_HOURS_PER_WEEK)  # any 168 consecutive hours cover one week
    total = sum(p.weight for p in PLANTS)
    means = [load_moments(mode_probs(p, 1.0, week))[0].mean() * p.weight for p in PLANTS]
    return float(sum(means) / total)


def outdoor_temperature(epoch_hours: np.ndarray) -> np.ndarray:
    """Shanghai outdoor temperature (°C): yearly and daily cycles, no weather noise."""
    days = epoch_hours / 24.0
    yearly = 11.0 * np.cos(2 * np.pi * (np.mod(days, _YEAR_DAYS) - _PEAK_DAY_OF_YEAR) / _YEAR_DAYS)
    local_hour = np.mod(epoch_hours + UTC_OFFSET_HOURS, 24)
    daily = 3.5 * np.cos(2 * np.pi * (local_hour - 15.0) / 24.0)
    return 17.0 + yearly + daily


def plant_weather(seed: int, plant_index: int, first_day: int, n_days: int) -> np.ndarray:
    """Daily weather anomaly (°C) shared by all assets of a plant.

    Seeded from (seed, plant) only, so every asset of the plant sees the same
    weather whichever batch generates it.
    """
    rng = np.random.default_rng([seed, plant_index, 99, first_day])
    noise = rng.normal(0.0, 2.0, n_days + 2)
    return np.convolve(noise, np.ones(3) / 3.0, mode="valid")


def hall_temperature(
    epoch_hours: np.ndarray, weather: np.ndarray, first_day: int, offset: float
) -> np.ndarray:
    """Hall temperature next to a machine: damped outdoor climate plus the plant's HVAC."""
    day = (epoch_hours // 24).astype(np.int64) - first_day
    outdoor = outdoor_temperature(epoch_hours) + weather[np.clip(day, 0, weather.size - 1)]
    return 23.0 + offset + 0.45 * (outdoor - 17.0)
