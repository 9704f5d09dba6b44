"""Per-asset hidden and descriptive attributes, drawn from the asset's own random stream.

Each asset draws everything from ``np.random.default_rng([seed, index, stream])``, so
an asset is the same whichever batch, fleet size or process generates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from forewarn.synthetic.catalog import (
    ASSET_TYPES,
    PLANTS,
    SENSOR_NAMES,
    SUPPLIERS,
    AssetType,
    Plant,
)
from forewarn.synthetic.config import DAY_S, FleetConfig
from forewarn.synthetic.schedule import fleet_mean_load

# Independent random streams per asset; adding a stream never shifts the others.
STREAM_ATTRIBUTES, STREAM_MODES, STREAM_HEALTH, STREAM_ALARMS, STREAM_SENSORS = range(5)
STREAM_DEFECTS, STREAM_PLAN = 5, 6

SHOCK_SHARE = 0.1
"""Share of failures that are sudden shocks (constant hazard) rather than wear-out."""
LIFE_CV = 0.35
"""Coefficient of variation of a part's wear-out life at constant load."""
FRAILTY_SD = 0.5
BAD_REPAIR_P = 0.08
"""Share of repairs that leave the part half worn, a source of repeat failures."""
BAD_REPAIR_WEAR = 0.6
"""Mean damage a botched repair leaves (drawn from 0.45-0.75)."""
SUPPLIER_SHARES = (0.3, 0.5, 0.2)
AGE_WEAR_PER_YEAR = 0.05
MAX_AGE_YEARS = 12.0
MIN_AGE_YEARS = 0.2


@dataclass(frozen=True)
class AssetSpec:
    """One machine: what the assets table shows plus the hidden wear parameters.

    Per-component arrays follow the order of ``kind.components``. Wear runs on an
    operational clock: an hour at load l adds ``rho * l / 24`` operational days, and
    damage is a Wiener process in operational days with drift ``mu`` and diffusion
    ``sigma``; a part fails when damage reaches 1 or at a shock (hazard ``shock``).
    """

    index: int
    asset_id: str
    kind: AssetType
    plant: Plant
    plant_index: int
    line: str
    installed_us: int
    supplier: str
    utilisation: float
    rho: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    shock: np.ndarray
    damage0: np.ndarray
    sensor_scale: np.ndarray
    hall_offset: float
    pm_phase: float
    drift_draw: float


def asset_rng(seed: int, index: int, stream: int) -> np.random.Generator:
    """The random stream ``stream`` of asset ``index``."""
    return np.random.default_rng([seed, index, stream])


@cache
def _type_frequencies() -> dict[str, float]:
    total = sum(p.weight for p in PLANTS)
    freq = dict.fromkeys(ASSET_TYPES, 0.0)
    for plant in PLANTS:
        mix_total = sum(plant.type_mix.values())
        for name, share in plant.type_mix.items():
            freq[name] += plant.weight / total * share / mix_total
    return freq


@cache
def _mean_type_wear() -> float:
    return sum(f * ASSET_TYPES[t].wear for t, f in _type_frequencies().items())


@cache
def _mean_load() -> float:
    return fleet_mean_load()


def _pick(rng: np.random.Generator, weights: dict[str, float] | list[float]) -> int:
    values = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights)
    return int(rng.choice(values.size, p=values / values.sum()))


def _wear_parameters(
    cfg: FleetConfig, kind: AssetType, rng: np.random.Generator, age_years: float, supplier: str
) -> tuple[np.ndarray, ...]:
    """Drift, diffusion, shock hazard and clock speed per component.

    Long-run failures per day of a renewing part equal its net damage per day, so the
    drift is set from the configured failure rate (split over components and shocks,
    scaled by the asset's clock speed ``rho``, which averages 1 over the fleet). Net
    damage is what maintenance does not undo: planned maintenance removes a share
    ``r`` of the wear since the previous job, but not the wear after the last job
    before a failure, and botched repairs restart parts half worn. With ``w`` the wear
    of one maintenance interval ``T``, ``mu (1 - r + r w) = m`` to first order; the
    weight 1 on ``w`` (half an interval in theory) was fitted so that realised rates
    match configured ones from 0.5 to 3 per asset-year within about 10 %.
    """
    share = np.array([c.share for c in kind.components])
    restore = np.array([c.pm_restore for c in kind.components])
    rate = cfg.failures_per_asset_year * kind.wear / _mean_type_wear() * share / 365.0
    mean_age = (MIN_AGE_YEARS + MAX_AGE_YEARS) / 2
    age = (1.0 + AGE_WEAR_PER_YEAR * age_years) / (1.0 + AGE_WEAR_PER_YEAR * mean_age)
    factors = np.array(list(SUPPLIERS.values()))
    sup = SUPPLIERS[supplier] / float(factors @ np.asarray(SUPPLIER_SHARES))
    frailty = np.exp(FRAILTY_SD * rng.standard_normal() - FRAILTY_SD**2 / 2)
    part = np.exp(0.25 * rng.standard_normal(share.size) - 0.25**2 / 2)
    rho = frailty * age * sup * part
    needed = (1.0 - SHOCK_SHARE) * rate / _mean_load() / (1.0 + BAD_REPAIR_P * BAD_REPAIR_WEAR)
    interval_wear = needed * rho * _mean_load() * kind.pm_interval_days
    mu = needed / (1.0 - restore + restore * interval_wear)
    shock = SHOCK_SHARE * rate / _mean_load()
    return mu, LIFE_CV * np.sqrt(mu), shock, rho


def _initial_damage(
    rng: np.random.Generator, kind: AssetType, mu: np.ndarray, rho: np.ndarray, age_days: float
) -> np.ndarray:
    """Damage at the window start: young parts by their age, old ones anywhere in life."""
    kept = 1.0 - np.array([c.pm_restore for c in kind.components])
    expected = mu * kept * rho * _mean_load() * age_days  # net of maintenance, roughly
    young = expected * rng.uniform(0.8, 1.2, mu.size)
    anywhere = rng.uniform(0.0, 0.9, mu.size)
    return np.where(expected < 1.0, np.minimum(young, 0.98), anywhere)


def draw_asset(cfg: FleetConfig, index: int) -> AssetSpec:
    """Draw asset ``index`` of the fleet described by ``cfg``."""
    rng = asset_rng(cfg.seed, index, STREAM_ATTRIBUTES)
    plant_index = _pick(rng, [p.weight for p in PLANTS])
    plant = PLANTS[plant_index]
    kind = ASSET_TYPES[list(plant.type_mix)[_pick(rng, plant.type_mix)]]
    line_no = int(rng.integers(1, plant.lines + 1))
    supplier = list(SUPPLIERS)[_pick(rng, list(SUPPLIER_SHARES))]
    age_years = float(rng.uniform(MIN_AGE_YEARS, MAX_AGE_YEARS))
    mu, sigma, shock, rho = _wear_parameters(cfg, kind, rng, age_years, supplier)
    age_days = age_years * 365.25
    installed_us = cfg.start_us - int(age_days * DAY_S) * 1_000_000
    return AssetSpec(
        index=index,
        asset_id=f"{plant.code}{line_no}-{kind.code}-{index:05d}",
        kind=kind,
        plant=plant,
        plant_index=plant_index,
        line=f"{plant.code}-L{line_no}",
        installed_us=installed_us,
        supplier=supplier,
        utilisation=float(rng.uniform(0.7, 1.3)),
        rho=rho,
        mu=mu,
        sigma=sigma,
        shock=shock,
        damage0=_initial_damage(rng, kind, mu, rho, age_days),
        sensor_scale=np.exp(0.05 * rng.standard_normal(len(SENSOR_NAMES) - 1)),
        hall_offset=float(rng.normal(0.0, 1.0)),
        pm_phase=float(rng.random()),
        drift_draw=float(rng.random()),
    )
