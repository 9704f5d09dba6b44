"""One asset end to end: attributes, regime, hidden health, telemetry, events, truth.

Every step draws from the asset's own streams, so an asset's output is a pure
function of (config, index): batches and processes can split the fleet any way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forewarn.synthetic.assets import (
    STREAM_ALARMS,
    STREAM_DEFECTS,
    STREAM_HEALTH,
    STREAM_MODES,
    STREAM_PLAN,
    STREAM_SENSORS,
    AssetSpec,
    asset_rng,
    draw_asset,
)
from forewarn.synthetic.catalog import MODE_LOAD
from forewarn.synthetic.config import FleetConfig
from forewarn.synthetic.events import EventLog, build_events
from forewarn.synthetic.health import HOUR_US, History, plan_interventions, simulate_health
from forewarn.synthetic.oracle import HORIZONS_DAYS
from forewarn.synthetic.scenarios import is_affected, scenario_spec
from forewarn.synthetic.schedule import (
    cumulative,
    load_moments,
    mode_probs,
    plant_weather,
    sample_modes,
)
from forewarn.synthetic.sensors import Readings, simulate_readings
from forewarn.synthetic.truth import TruthRows, build_truth

# The oracle looks up to the longest horizon past the window end, and past any repair
# that outlasts the window (repairs are hours to days; 60 days is far beyond them).
_EXTRA_HOURS = 24 * (max(HORIZONS_DAYS) + 60)


@dataclass(frozen=True)
class AssetOutput:
    """Everything one asset contributes to the four tables."""

    spec: AssetSpec
    affected: bool
    history: History
    readings: Readings
    events: EventLog
    truth: TruthRows


def simulate_asset(cfg: FleetConfig, index: int) -> AssetOutput:
    """Simulate asset ``index`` of the fleet ``cfg`` describes.

    Args:
        cfg: fleet configuration.
        index: position of the asset in the fleet (0-based).

    Returns:
        The asset's attributes, hidden history and rows for each table.
    """
    spec = draw_asset(cfg, index)
    affected = is_affected(cfg, spec)
    drift = scenario_spec(cfg) if affected else None
    n = cfg.n_hours
    epoch_hours = cfg.start_us // HOUR_US + np.arange(n + _EXTRA_HOURS)
    probs = mode_probs(spec.plant, spec.utilisation, epoch_hours)
    modes = sample_modes(asset_rng(cfg.seed, index, STREAM_MODES), probs[:n])
    mean, var = load_moments(probs)
    campaign = drift if drift is not None and drift.component else None
    plan_rng = asset_rng(cfg.seed, index, STREAM_PLAN)
    plan = plan_interventions(spec, plan_rng, n, campaign, cfg.drift_hour)
    load = np.asarray(MODE_LOAD)[modes]
    history = simulate_health(
        spec, load, plan, asset_rng(cfg.seed, index, STREAM_HEALTH), cfg.start_us
    )
    weather = plant_weather(cfg.seed, spec.plant_index, cfg.start_us // (24 * HOUR_US), cfg.days)
    rngs = (asset_rng(cfg.seed, index, STREAM_SENSORS), asset_rng(cfg.seed, index, STREAM_DEFECTS))
    readings = simulate_readings(cfg, spec, history, modes, weather, drift, rngs)
    window = (cfg.start_us, cfg.start_us + n * HOUR_US)
    events = build_events(spec, history, modes, asset_rng(cfg.seed, index, STREAM_ALARMS), window)
    truth = build_truth(spec, history, (cumulative(mean), cumulative(var)), cfg.days)
    return AssetOutput(spec, affected, history, readings, events, truth)
