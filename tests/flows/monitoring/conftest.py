"""Synthetic scenario fleets, simulated once per session, and the nightly verdicts of both
drift detectors on them (the same pure functions the flow calls, without files or
Evidently, so the whole scenario suite takes seconds).

Each fleet: 300 assets (every asset type and plant has about 30 or more), 105 days, drift
from day 70. The model's training window ends a week before the drift, so the reference
and the step limits are calibrated on about 55 nights; the calendar straddles the
winter trough, where the simulator's seasonal climate is flat (see README).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import polars as pl
import pytest

START = datetime(2024, 10, 25, tzinfo=UTC)
DAYS = 105
DRIFT_DAY = 70
ASSETS = 300


@dataclass(frozen=True)
class Night:
    """Both detectors' alarms of one night: scope name -> sensors named (for the
    distribution detector: the sensors of its five strongest drifted features)."""

    distribution: dict[str, list[str]]
    step: dict[str, list[str]]

    @property
    def alarm(self) -> bool:
        return bool(self.distribution or self.step)

    def scopes(self) -> set[str]:
        return set(self.distribution) | set(self.step)

    def sensors(self) -> set[str]:
        return {s for v in (*self.distribution.values(), *self.step.values()) for s in v}


@cache
def scenario_frame(scenario: str) -> tuple[pl.DataFrame, dict]:
    """Nightly snapshots of one scenario fleet (small feature spec) and its drift record."""
    from forewarn.features.snapshots import build_snapshots
    from forewarn.features.spec import FeatureSpec
    from forewarn.synthetic import FleetConfig, simulate_fleet

    cfg = FleetConfig(
        n_assets=ASSETS,
        days=DAYS,
        seed=3,
        scenario=scenario,
        start=START,
        drift_start=START + timedelta(days=DRIFT_DAY),
    )
    fleet = simulate_fleet(cfg)
    spec = FeatureSpec(
        sensors=("temperature_c", "vibration_mm_s", "current_a"),
        windows=("1d", "7d"),
        stats=("mean", "max", "std"),
        regime_column="operating_mode",
        life_window=False,
        freshness=False,
    )
    frame = build_snapshots(
        fleet.telemetry.lazy(),
        fleet.events.lazy(),
        fleet.assets.lazy(),
        START + timedelta(days=8),
        START + timedelta(days=DAYS - 1),
        spec,
    )
    return frame, fleet.metadata["drift"]


@cache
def nightly_verdicts(scenario: str, nights: int) -> tuple[dict[int, Night], dict]:
    """Verdicts of nights ``0 .. nights-1`` after the drift date, and the drift record."""
    from forewarn.flows.monitoring.config import DriftConfig, StepConfig
    from forewarn.flows.monitoring.drift import (
        calibrate,
        group_drift,
        scope_references,
        sensor_of,
        thresholds_for,
        verdict,
    )
    from forewarn.flows.monitoring.drift_stats import as_matrix
    from forewarn.flows.monitoring.reference import (
        calibration_nights,
        split_columns,
        stratified_sample,
    )
    from forewarn.flows.monitoring.step import calibrate_steps, judge_steps, step_columns

    frame, meta = scenario_frame(scenario)
    drift, step = DriftConfig(), StepConfig()
    d0 = START + timedelta(days=DRIFT_DAY)
    train = frame.filter(pl.col("as_of") < d0 - timedelta(days=7))
    numeric, _ = split_columns(frame.columns, drift.ignore)
    ref = stratified_sample(train, 20_000, 0)
    picked = calibration_nights(train, drift.calibration_nights)
    table = calibrate(ref, train.filter(pl.col("as_of").is_in(picked)), numeric, drift)
    steps = calibrate_steps(train, step_columns(frame.columns, step.features), drift.groups, step)
    refs = scope_references(ref, numeric, drift.groups)
    limits = thresholds_for(table, "fleet", numeric, np.inf)
    out = {}
    for k in range(nights):
        night = d0 + timedelta(days=k)
        cur = frame.filter(pl.col("as_of") == night)
        recent = frame.filter(
            pl.col("as_of").is_between(night - timedelta(days=7), night, closed="left")
        )
        scores = refs["fleet"].distance(as_matrix(cur, numeric))
        dist = [
            verdict("fleet", cur.height, numeric, scores, limits, drift),
            *group_drift(refs, cur, numeric, table, drift),
        ]
        stepped = judge_steps(recent, cur, steps, drift.groups, drift.min_group_rows, step)
        out[k] = Night(
            {
                s.scope: sorted({sensor_of(d["column"]) for d in s.drifted[:5]})
                for s in dist
                if s.alarm
            },
            {s.scope: s.sensors for s in stepped if s.alarm},
        )
    return out, meta


@pytest.fixture(scope="session")
def verdicts():
    """``verdicts(scenario, nights)``: cached nightly verdicts of a scenario fleet."""
    return nightly_verdicts
