"""The in-memory fleet: simulate a batch of assets or the whole fleet, and describe it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.catalog import ASSET_TYPES, COMPONENT_NAMES, MODES, PLANTS, SENSORS
from forewarn.synthetic.config import FleetConfig
from forewarn.synthetic.frames import (
    TRUTH_HEALTH_COLUMNS,
    TRUTH_P_COLUMNS,
    assets_frame,
    batch_counts,
    events_frame,
    telemetry_frame,
    truth_frame,
)
from forewarn.synthetic.scenarios import drift_metadata
from forewarn.synthetic.simulate import simulate_asset


@dataclass(frozen=True)
class Fleet:
    """A simulated dataset: the three contract tables, the truth table and metadata.

    ``truth`` is for evaluation only; the pipeline must never read it.
    """

    telemetry: pl.DataFrame
    events: pl.DataFrame
    assets: pl.DataFrame
    truth: pl.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """The tables of a run of consecutive assets plus what the fleet summary needs."""

    fleet: Fleet
    counts: dict[str, int]
    affected: list[AssetSpec]


def simulate_batch(cfg: FleetConfig, indices: Iterable[int]) -> Batch:
    """Simulate the assets at ``indices`` (each independent of the others)."""
    outputs = [simulate_asset(cfg, i) for i in indices]
    tables = Fleet(
        telemetry=telemetry_frame(outputs),
        events=events_frame(outputs),
        assets=assets_frame(outputs),
        truth=truth_frame(outputs, cfg.start_us, cfg.days),
    )
    counts = batch_counts(outputs, cfg.start_us, cfg.days)
    return Batch(tables, counts, [o.spec for o in outputs if o.affected])


def describe(cfg: FleetConfig, affected: list[AssetSpec]) -> dict[str, Any]:
    """Static description of the fleet: config, sensors, types, truth layout, drift."""
    return {
        "config": cfg.model_dump(mode="json"),
        "sensors": dict(SENSORS),
        "operating_modes": {str(i): m for i, m in enumerate(MODES)},
        "asset_types": {name: [c.name for c in t.components] for name, t in ASSET_TYPES.items()},
        "plants": {p.name: [f"{p.code}-L{i}" for i in range(1, p.lines + 1)] for p in PLANTS},
        "components": list(COMPONENT_NAMES),
        "truth_columns": ["in_downtime", *TRUTH_HEALTH_COLUMNS, *TRUTH_P_COLUMNS],
        "drift": drift_metadata(cfg, affected),
    }


def rates(cfg: FleetConfig, counts: dict[str, int]) -> dict[str, float]:
    """Realised rates the tests and users check against the configuration."""
    assets = max(counts["assets"], 1)
    years = cfg.days / 365.0
    return {
        "failing_asset_share": counts["failing_assets"] / assets,
        "multi_failure_asset_share": counts["multi_failure_assets"] / assets,
        "failures_per_asset_year": counts["events_failure"] / (assets * years),
        "prevalence_7d": counts["positive_days_7d"] / max(counts["labelled_days_7d"], 1),
    }


def simulate_fleet(cfg: FleetConfig) -> Fleet:
    """Simulate the whole fleet in memory (pure: same config, same frames).

    Args:
        cfg: what to simulate.

    Returns:
        The fleet; ``metadata`` holds ``describe`` plus ``counts`` and ``rates``.
    """
    batch = simulate_batch(cfg, range(cfg.n_assets))
    meta = describe(cfg, batch.affected) | {
        "counts": batch.counts,
        "rates": rates(cfg, batch.counts),
    }
    f = batch.fleet
    return Fleet(f.telemetry, f.events, f.assets, f.truth, meta)
