"""Hidden component health on the hourly clock: wear, failures, repairs and maintenance.

Damage of each component is a Wiener process with drift in operational time (an hour
at load l advances the clock by rho * l / 24 days), so heavier modes and frailer assets
wear faster. A part fails when damage reaches 1 (health = 1 - damage reaches 0) or at
a random shock. A failure stops the asset for a repair (no telemetry), after which the
part is new (or, after a botched repair, half worn). Preventive maintenance stops the
asset for a few idle hours and removes part of every component's damage.

Between events the path is one vectorised cumulative sum; Python only loops per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from forewarn.synthetic.assets import BAD_REPAIR_P, BAD_REPAIR_WEAR, AssetSpec
from forewarn.synthetic.scenarios import ScenarioSpec

RUNNING, SERVICE, DOWN = 0, 1, 2
HOUR_US = 3_600_000_000
PM_HOUR_UTC = 14  # 22:00 in Shanghai: start of the night shift


@dataclass(frozen=True)
class Intervention:
    """A planned stop: preventive maintenance or a retrofit campaign.

    ``restore`` is the fraction of each component's wear since its last maintenance
    that the job undoes (lubrication, adjustment, cleaning: imperfect maintenance that
    slows wear rather than resetting it), ``renew`` marks parts replaced by new ones and
    ``mult`` the factor applied to each component's wear clock afterwards.
    """

    start: int
    hours: int
    restore: np.ndarray
    renew: np.ndarray
    mult: np.ndarray
    code: str
    component: str | None = None


def after_service(damage: np.ndarray, anchor: np.ndarray, iv: Intervention) -> np.ndarray:
    """Damage after a planned stop, given damage before it and at the last maintenance."""
    restored = damage - iv.restore * np.maximum(damage - anchor, 0.0)
    return np.where(iv.renew, 0.0, restored)


@dataclass
class History:
    """The hidden trajectory of one asset over the window.

    Attributes:
        damage: (components, hours + 1) damage at the start of each hour; a failed part
            shows 1.0 until its repair completes.
        mult: (components, hours + 1) wear-clock multiplier in force at each hour.
        anchor: (components, hours + 1) damage right after the part's last maintenance.
        state: (hours,) RUNNING, SERVICE (planned idle stop) or DOWN (repair).
        resume: (hours + 1,) the hour at which wear resumes (the hour itself if running).
        failures: (ts_us, component index) of each failure.
        maintenance: (ts_us, component index or None, code) at each completed job.
        down_us: [start, end) of each repair stop in microseconds.
        executed: interventions as carried out (postponed past repairs if needed).
        final: (damage, mult, anchor) after the last event (a repair may end past
            the window).
    """

    damage: np.ndarray
    mult: np.ndarray
    anchor: np.ndarray
    state: np.ndarray
    resume: np.ndarray
    failures: list[tuple[int, int]] = field(default_factory=list)
    maintenance: list[tuple[int, int | None, str]] = field(default_factory=list)
    down_us: list[tuple[int, int]] = field(default_factory=list)
    executed: list[Intervention] = field(default_factory=list)
    final: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def plan_interventions(
    spec: AssetSpec,
    rng: np.random.Generator,
    n_hours: int,
    campaign: ScenarioSpec | None,
    drift_hour: int,
) -> list[Intervention]:
    """Preventive maintenance every ``pm_interval_days`` (+-2 days) plus any retrofit.

    Planned before the simulation starts, so the oracle may know the schedule, as a
    real planner does.
    """
    comps = spec.kind.components
    interval = spec.kind.pm_interval_days
    first_day = int(spec.pm_phase * interval)
    days = np.arange(first_day, n_hours // 24 + interval, interval)
    days = days + rng.integers(-2, 3, days.size)
    restore = np.array([c.pm_restore for c in comps]) * rng.uniform(
        0.8, 1.2, (days.size, len(comps))
    )
    hours = rng.integers(4, 9, days.size)
    none, ones = np.zeros(len(comps), dtype=bool), np.ones(len(comps))
    plan = [
        Intervention(int(d) * 24 + PM_HOUR_UTC, int(h), np.minimum(r, 1.0), none, ones, "PM")
        for d, h, r in zip(days, hours, restore, strict=True)
        if 0 <= int(d) * 24 + PM_HOUR_UTC < n_hours
    ]
    names = [c.name for c in comps]
    if campaign is not None and campaign.component in names:
        renew = np.array([n == campaign.component for n in names])
        mult = np.where(renew, campaign.wear_factor, 1.0)
        start = drift_hour + PM_HOUR_UTC
        plan.append(Intervention(start, 6, 0.0 * ones, renew, mult, "RETROFIT", campaign.component))
    return _without_overlaps(plan)


def _without_overlaps(plan: list[Intervention]) -> list[Intervention]:
    out: list[Intervention] = []
    for iv in sorted(plan, key=lambda x: x.start):
        start = max(iv.start, out[-1].start + out[-1].hours) if out else iv.start
        out.append(replace(iv, start=start))
    return out


def _first_hit(path: np.ndarray, hit: np.ndarray) -> tuple[int, int] | None:
    """Offset and component of the earliest failure in a segment (worst part on ties)."""
    has = hit.any(axis=1)
    if not has.any():
        return None
    first = np.where(has, hit.argmax(axis=1), hit.shape[1])
    offset = int(first.min())
    tied = np.flatnonzero(first == offset)
    return offset, int(tied[np.argmax(path[tied, offset])])


class _Simulator:
    """Event loop over one asset's hours; holds the draws and the growing history."""

    def __init__(self, spec: AssetSpec, load: np.ndarray, rng: np.random.Generator, start_us: int):
        n_comp, n = spec.mu.size, load.size
        self.spec, self.load, self.rng, self.start_us, self.n = spec, load, rng, start_us, n
        self.z = rng.standard_normal((n_comp, n))
        self.u = rng.random((n_comp, n))
        self.h = History(
            damage=np.empty((n_comp, n + 1)),
            mult=np.empty((n_comp, n + 1)),
            anchor=np.empty((n_comp, n + 1)),
            state=np.zeros(n, dtype=np.int8),
            resume=np.arange(n + 1, dtype=np.int64),
        )
        self.d = spec.damage0.astype(float).copy()
        self.m = np.ones(n_comp)
        self.a = self.d.copy()

    def hold(self, cols: slice, damage: np.ndarray) -> None:
        """Record ``damage`` and the current multipliers and anchors for hours ``cols``."""
        self.h.damage[:, cols] = damage
        self.h.mult[:, cols] = self.m[:, None]
        self.h.anchor[:, cols] = self.a[:, None]

    def segment(self, pos: int, stop: int) -> int:
        """Wear from ``pos`` to ``stop``; returns where to continue (after any repair)."""
        s = self.spec
        dtau = (s.rho * self.m)[:, None] * self.load[None, pos:stop] / 24.0
        inc = s.mu[:, None] * dtau + s.sigma[:, None] * np.sqrt(dtau) * self.z[:, pos:stop]
        path = self.d[:, None] + np.cumsum(inc, axis=1)
        hit = (path >= 1.0) | (self.u[:, pos:stop] < -np.expm1(-s.shock[:, None] * dtau))
        found = _first_hit(path, hit)
        end = stop - pos if found is None else found[0]
        self.hold(slice(pos + 1, pos + end + 1), path[:, :end])
        if found is None:
            self.d = path[:, -1].copy()
            return stop
        self.d = path[:, end].copy()
        return self.fail(pos + end, found[1])

    def fail(self, hour: int, comp: int) -> int:
        """Record a failure during ``hour``, stop for the repair, renew the part."""
        part = self.spec.kind.components[comp]
        fail_us = self.start_us + hour * HOUR_US + int(self.rng.integers(0, 3600)) * 1_000_000
        repair = max(1, round(part.repair_hours * float(np.exp(0.5 * self.rng.standard_normal()))))
        shown = self.d.copy()
        shown[comp] = 1.0
        down = slice(hour + 1, hour + repair + 1)
        self.hold(down, shown[:, None])
        self.h.state[down] = DOWN
        self.h.resume[down] = hour + repair + 1
        bad = self.rng.random() < BAD_REPAIR_P
        worn = self.rng.uniform(BAD_REPAIR_WEAR - 0.15, BAD_REPAIR_WEAR + 0.15)
        self.d[comp] = worn if bad else self.rng.uniform(0.0, 0.03)
        self.a[comp] = self.d[comp]
        self.h.failures.append((fail_us, comp))
        self.h.maintenance.append((fail_us + repair * HOUR_US, comp, "CM"))
        self.h.down_us.append((fail_us, fail_us + repair * HOUR_US))
        return hour + repair + 1

    def service(self, pos: int, iv: Intervention) -> int:
        """Carry out a planned stop at ``pos``: idle hours, then restoration."""
        end = pos + iv.hours
        self.hold(slice(pos, end), self.d[:, None])
        self.h.state[pos:end] = SERVICE
        self.h.resume[pos:end] = end
        self.d = after_service(self.d, self.a, iv)
        self.a = self.d.copy()
        self.m = self.m * iv.mult
        comps = [c.name for c in self.spec.kind.components]
        comp = comps.index(iv.component) if iv.component else None
        self.h.maintenance.append((self.start_us + end * HOUR_US, comp, iv.code))
        self.h.executed.append(replace(iv, start=pos))
        return end

    def run(self, plan: list[Intervention]) -> History:
        queue = list(plan)
        pos = 0
        while pos < self.n:
            self.hold(slice(pos, pos + 1), self.d[:, None])
            stop = min(max(queue[0].start, pos), self.n) if queue else self.n
            if stop > pos:
                pos = self.segment(pos, stop)
                continue
            pos = self.service(pos, queue.pop(0))
        if pos == self.n:  # a stop ending exactly at the window end leaves the last column
            self.hold(slice(pos, pos + 1), self.d[:, None])
        self.h.final = (self.d.copy(), self.m.copy(), self.a.copy())
        return self.h


def simulate_health(
    spec: AssetSpec,
    load: np.ndarray,
    plan: list[Intervention],
    rng: np.random.Generator,
    start_us: int,
) -> History:
    """Simulate one asset's hidden health over ``load.size`` hours.

    Args:
        spec: the asset's wear parameters and initial damage.
        load: wear load of each hour (from the operating mode).
        plan: planned interventions, sorted and non-overlapping.
        rng: the asset's health stream.
        start_us: window start in microseconds since the epoch.

    Returns:
        The hidden trajectory and the failures and maintenance it produced.
    """
    return _Simulator(spec, load, rng, start_us).run(plan)
