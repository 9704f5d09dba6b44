"""Drift scenarios: what changes, on which assets, from when; and the record of it.

- ``none``: a stationary fleet.
- ``recalibration``: from the drift date, ``temperature_c`` of affected CNC spindles and
  paint pumps reads 5 °C high (a transmitter re-calibrated with a wrong offset). Pure
  sensor drift: wear and failures are unchanged.
- ``supplier``: on the drift date affected conveyor drives and air compressors get their
  bearing swapped for a new supplier's part (a maintenance event, code ``RETROFIT``);
  it wears 2.5x faster and runs with 15 % more vibration, and later replacements keep
  the new supplier. Concept drift: failures rise.
- ``seasonal``: from the drift date the halls of the Baoshan and Jiading plants run 6 °C
  warmer (a hot spell outrunning the HVAC); ``ambient_temp_c`` and ``temperature_c``
  shift, wear does not. Covariate drift that should not change risk.

Eligible assets are affected when their own uniform draw is below ``drift_share``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.config import FleetConfig


@dataclass(frozen=True)
class ScenarioSpec:
    """What a scenario changes; eligibility is by asset type or by plant.

    ``sensor_offsets`` are added from the drift hour; ``hall_shift`` warms the hall, which
    moves every temperature that follows it; ``sensor_factors`` scale readings once the
    retrofit of ``component`` is done.
    """

    asset_types: tuple[str, ...] = ()
    plants: tuple[str, ...] = ()
    sensor_offsets: dict[str, float] = field(default_factory=dict)
    hall_shift: float = 0.0
    sensor_factors: dict[str, float] = field(default_factory=dict)
    component: str | None = None
    wear_factor: float = 1.0
    affected_sensors: tuple[str, ...] = ()


SPECS: dict[str, ScenarioSpec] = {
    "none": ScenarioSpec(),
    "recalibration": ScenarioSpec(
        asset_types=("cnc_spindle", "paint_pump"),
        sensor_offsets={"temperature_c": 5.0},
        affected_sensors=("temperature_c",),
    ),
    "supplier": ScenarioSpec(
        asset_types=("conveyor_drive", "air_compressor"),
        sensor_factors={"vibration_mm_s": 1.15},
        component="bearing",
        wear_factor=2.5,
        affected_sensors=("vibration_mm_s", "temperature_c", "acoustic_db"),
    ),
    "seasonal": ScenarioSpec(
        plants=("Baoshan", "Jiading"),
        hall_shift=6.0,
        affected_sensors=("ambient_temp_c", "temperature_c"),
    ),
}


def scenario_spec(cfg: FleetConfig) -> ScenarioSpec:
    """The spec of the configured scenario."""
    return SPECS[cfg.scenario]


def is_affected(cfg: FleetConfig, spec: AssetSpec) -> bool:
    """Whether the configured scenario changes this asset."""
    if cfg.scenario == "none":
        return False
    sc = SPECS[cfg.scenario]
    eligible = spec.kind.name in sc.asset_types or spec.plant.name in sc.plants
    return eligible and spec.drift_draw < cfg.drift_share


def drift_metadata(cfg: FleetConfig, affected: list[AssetSpec]) -> dict[str, Any]:
    """The record monitoring tests check: which assets, types, sensors and from when.

    Args:
        cfg: the fleet configuration.
        affected: the assets the scenario changed, in fleet order.

    Returns:
        A JSON-ready dict; empty lists for ``none``.
    """
    sc = SPECS[cfg.scenario]
    start = cfg.start + timedelta(hours=cfg.drift_hour)
    return {
        "scenario": cfg.scenario,
        "start": start.isoformat() if cfg.scenario != "none" else None,
        "asset_ids": [a.asset_id for a in affected],
        "asset_types": sorted({a.kind.name for a in affected}),
        "plants": sorted({a.plant.name for a in affected}),
        "sensors": list(sc.affected_sensors),
        "sensor_offsets": dict(sc.sensor_offsets),
        "sensor_factors": dict(sc.sensor_factors),
        "hall_shift_c": sc.hall_shift,
        "components": [sc.component] if sc.component else [],
        "wear_factor": sc.wear_factor,
        "eligible_asset_types": list(sc.asset_types),
        "eligible_plants": list(sc.plants),
        "share": cfg.drift_share if cfg.scenario != "none" else 0.0,
    }
