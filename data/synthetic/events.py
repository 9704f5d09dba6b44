"""Event log of one asset: failures, maintenance (corrective and planned) and alarms.

Alarm codes read ``<component code>-A<level>``: level 1 while damage < 0.6, 2 below 0.85,
3 above. Each component raises alarms at a rate that grows with its damage
(``ALARM_BASE + ALARM_WEAR * damage**4`` per running day, a third of it when idle), so
alarms are an early but noisy warning. Nuisance alarms (door open, e-stop, …) carry no
component. Failure codes read ``<component code>-F``; maintenance codes are ``CM``
(corrective, after a failure, with the component), ``PM`` (planned, no component) and
``RETROFIT`` (supplier scenario, with the component).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.catalog import NUISANCE_CODES
from forewarn.synthetic.health import HOUR_US, RUNNING, History
from forewarn.synthetic.sensors import in_intervals

ALARM_BASE = 1.0 / 120.0
ALARM_WEAR = 0.5
NUISANCE_PER_DAY = 0.1
_IDLE_ALARM_FACTOR = 1.0 / 3.0


@dataclass(frozen=True)
class EventLog:
    """One asset's events as parallel arrays / lists, sorted by strictly increasing time."""

    ts: np.ndarray
    kind: list[str]
    component: list[str | None]
    code: list[str]


def _alarms(
    spec: AssetSpec, history: History, modes: np.ndarray, rng: np.random.Generator, start_us: int
) -> list[tuple[int, str, str | None, str]]:
    """Hourly Bernoulli alarms from damage-dependent rates, only while running."""
    n = modes.size
    damage = np.clip(history.damage[:, :n], 0.0, 1.0)
    running = (history.state == RUNNING) * np.where(modes == 0, _IDLE_ALARM_FACTOR, 1.0)
    rate = (ALARM_BASE + ALARM_WEAR * damage**4) * running / 24.0
    fired = np.nonzero(rng.random(damage.shape) < -np.expm1(-rate))
    nuisance = np.flatnonzero(rng.random(n) < -np.expm1(-NUISANCE_PER_DAY * running / 24.0))
    # Odd microsecond offsets never collide with failures and jobs (whole seconds).
    offsets = 2 * rng.integers(0, HOUR_US // 2, size=fired[0].size + nuisance.size) + 1
    codes = rng.integers(0, len(NUISANCE_CODES), nuisance.size)
    out: list[tuple[int, str, str | None, str]] = []
    comps = spec.kind.components
    for i, (c, hour) in enumerate(zip(*fired, strict=True)):
        d = damage[c, hour]
        level = 1 if d < 0.6 else 2 if d < 0.85 else 3
        ts = start_us + int(hour) * HOUR_US + int(offsets[i])
        out.append((ts, "alarm", comps[c].name, f"{comps[c].code}-A{level}"))
    for j, hour in enumerate(nuisance):
        ts = start_us + int(hour) * HOUR_US + int(offsets[fired[0].size + j])
        out.append((ts, "alarm", None, NUISANCE_CODES[codes[j]]))
    return out


def _strictly_increasing(ts: np.ndarray) -> np.ndarray:
    """Nudge equal timestamps apart by microseconds so (asset_id, ts) stays a key."""
    steps = np.arange(ts.size, dtype=np.int64)
    return np.maximum.accumulate(ts - steps) + steps


def build_events(
    spec: AssetSpec,
    history: History,
    modes: np.ndarray,
    rng: np.random.Generator,
    window_us: tuple[int, int],
) -> EventLog:
    """All events of one asset inside the window.

    Args:
        spec: the asset.
        history: its hidden trajectory (failures, maintenance).
        modes: scheduled operating mode of each hour (alarms are rarer when idle).
        rng: the asset's alarm stream.
        window_us: [start, end) of the window; jobs finishing later are not logged yet.

    Returns:
        The event log sorted by time.
    """
    start_us, end_us = window_us
    comps = spec.kind.components
    rows = [(ts, "failure", comps[c].name, f"{comps[c].code}-F") for ts, c in history.failures]
    rows += [
        (ts, "maintenance", None if c is None else comps[c].name, code)
        for ts, c, code in history.maintenance
        if ts < end_us
    ]
    alarms = _alarms(spec, history, modes, rng, start_us)
    alarm_ts = np.array([a[0] for a in alarms], dtype=np.int64)
    keep = ~in_intervals(alarm_ts, history.down_us)
    rows += [a for a, k in zip(alarms, keep, strict=True) if k]
    rows.sort(key=lambda r: (r[0], r[1]))
    ts = _strictly_increasing(np.array([r[0] for r in rows], dtype=np.int64))
    return EventLog(
        ts=ts,
        kind=[r[1] for r in rows],
        component=[r[2] for r in rows],
        code=[r[3] for r in rows],
    )
