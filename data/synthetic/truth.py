"""Daily ground truth of one asset: hidden health per component and oracle probabilities.

Health columns are named after components (``health_bearing`` …, the union over asset
types, see ``catalog.COMPONENT_NAMES``); a type without that component has null there.
Health is 1 - damage clipped to [0, 1]: 1 is new, 0 is failed (a failed part shows 0
until its repair completes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forewarn.synthetic.assets import AssetSpec
from forewarn.synthetic.catalog import COMPONENT_NAMES
from forewarn.synthetic.health import RUNNING, History
from forewarn.synthetic.oracle import HORIZONS_DAYS, fail_probability

_NEVER = 10**9  # "no planned stop": an hour past any horizon


@dataclass(frozen=True)
class TruthRows:
    """Per window day: health (days, all components; NaN = absent), p_fail (days, horizons)."""

    health: np.ndarray
    p_fail: np.ndarray
    in_downtime: np.ndarray


def _resume_state(history: History, hours: np.ndarray) -> dict[str, np.ndarray]:
    """Hour wear resumes at, and damage, clock multipliers and anchors then."""
    n = history.state.size
    resume = history.resume[hours]
    inside = (resume <= n)[:, None]
    col = np.minimum(resume, n)
    final_damage, final_mult, final_anchor = history.final
    return {
        "hour": resume,
        "damage": np.where(inside, history.damage[:, col].T, final_damage),
        "mult": np.where(inside, history.mult[:, col].T, final_mult),
        "anchor": np.where(inside, history.anchor[:, col].T, final_anchor),
    }


def _next_stop(history: History, resume: np.ndarray, n_comp: int) -> dict[str, np.ndarray]:
    """The first planned stop starting at or after each resume hour."""
    plan = history.executed
    starts = np.array([iv.start for iv in plan] + [_NEVER], dtype=np.int64)
    hours = np.array([iv.hours for iv in plan] + [0], dtype=np.int64)
    restore = np.vstack([iv.restore for iv in plan] + [np.zeros(n_comp)])
    renew = np.vstack([iv.renew for iv in plan] + [np.zeros(n_comp, dtype=bool)])
    mult = np.vstack([iv.mult for iv in plan] + [np.ones(n_comp)])
    idx = np.searchsorted(starts[:-1], resume, side="left")
    return {
        "hour": starts[idx],
        "hours": hours[idx],
        "restore": restore[idx],
        "renew": renew[idx],
        "mult": mult[idx],
    }


def _repeat(arrays: dict[str, np.ndarray], times: int) -> dict[str, np.ndarray]:
    return {key: np.concatenate([a] * times) for key, a in arrays.items()}


def build_truth(
    spec: AssetSpec, history: History, loads: tuple[np.ndarray, np.ndarray], n_days: int
) -> TruthRows:
    """Truth rows at 00:00 UTC of each window day.

    Args:
        spec: the asset (wear parameters).
        history: its hidden trajectory.
        loads: prefix sums of expected hourly load and its variance, long enough to
            cover the window plus the longest horizon and any repair past the end.
        n_days: window length in days.

    Returns:
        Health, oracle failure probabilities per horizon, and the downtime flag.
    """
    hours = np.arange(n_days, dtype=np.int64) * 24
    last = loads[0].size - 1
    start = _resume_state(history, hours)
    start["hour"] = np.minimum(start["hour"], last)
    wear = {"rho": spec.rho, "mu": spec.mu, "sigma": spec.sigma, "shock": spec.shock}
    stop = _next_stop(history, start["hour"], spec.mu.size)
    # All horizons in one vectorised call: repeat the states once per horizon.
    k = len(HORIZONS_DAYS)
    ends = np.concatenate([np.minimum(hours + 24 * h, last) for h in HORIZONS_DAYS])
    p_fail = fail_probability(_repeat(start, k), wear, loads, _repeat(stop, k), ends)
    p_fail = p_fail.reshape(k, n_days).T
    p_fail = np.maximum.accumulate(p_fail, axis=1)  # quadrature noise must not break monotony
    health = np.full((n_days, len(COMPONENT_NAMES)), np.nan)
    shown = 1.0 - np.clip(history.damage[:, hours], 0.0, 1.0)
    for c, comp in enumerate(spec.kind.components):
        health[:, COMPONENT_NAMES.index(comp.name)] = shown[c]
    return TruthRows(health=health, p_fail=p_fail, in_downtime=history.state[hours] != RUNNING)
