"""The oracle: true failure probabilities given the hidden state, for the truth table.

For one component with damage D, the wear-out time is the first passage of a drifted
Wiener process over the distance x = 1 - D: an inverse-Gaussian law in operational
time. Shocks add a constant hazard in operational time. The future operational time
of a horizon is random only through the hourly modes; the oracle integrates over it
with a three-point Gauss-Hermite rule (mean and variance are known from the shift
schedule). A planned stop inside the horizon pauses wear and undoes part of the
wear since the last maintenance (or renews a part); components are combined as
1 - prod(1 - p_c) under a shared load.

Approximations (checked by the calibration test): the damage at a planned stop is
taken at its expected value, the monitoring is hourly (a Broadie-Glasserman shift of
the barrier corrects for it), and repairs after a failure inside the horizon are
ignored.
"""

from __future__ import annotations

import numpy as np

HORIZONS_DAYS: tuple[int, ...] = (1, 3, 7, 14)
_BG_SHIFT = 0.5826  # Broadie-Glasserman: discrete monitoring ~ barrier moved by this * sd
_GH_NODES = (-np.sqrt(3.0), 0.0, np.sqrt(3.0))
_GH_WEIGHTS = (1.0 / 6.0, 2.0 / 3.0, 1.0 / 6.0)
_ERFC_COEFFS = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def _erfc_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For z >= 0, (t, e) with erfc(z) = t * exp(-z**2 + e); relative error < 1.2e-7.

    Numerical Recipes' Chebyshev fit; kept in this split form so the second term of
    the first-passage law can be evaluated in log space without overflow.
    """
    t = 1.0 / (1.0 + 0.5 * z)
    e = np.zeros_like(z)
    for coeff in reversed(_ERFC_COEFFS):
        e = e * t + coeff
    return t, e


def norm_cdf(y: np.ndarray) -> np.ndarray:
    """Standard normal CDF (numpy has no erf; scipy is not a simulator dependency)."""
    z = np.abs(y) / np.sqrt(2.0)
    t, e = _erfc_parts(z)
    tail = 0.5 * t * np.exp(-(z**2) + e)
    return np.where(y < 0, tail, 1.0 - tail)


def first_passage_cdf(
    tau: np.ndarray, x: np.ndarray, mu: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """P(a Wiener process with drift ``mu`` and diffusion ``sigma`` has moved ``x`` by ``tau``).

    The inverse-Gaussian CDF, with r = s sqrt(t):
    Phi((mu t - x) / r) + exp(2 mu x / s^2) Phi(-(mu t + x) / r); the second term is
    combined in log space because its factors overflow and underflow.
    """
    tau = np.asarray(tau, dtype=float)
    safe = np.maximum(tau, 1e-12)
    root = sigma * np.sqrt(safe)
    first = norm_cdf((mu * safe - x) / root)
    t, e = _erfc_parts((mu * safe + x) / (root * np.sqrt(2.0)))
    second = 0.5 * t * np.exp(-((mu * safe - x) ** 2) / (2.0 * root**2) + e)
    cdf = np.clip(first + second, 0.0, 1.0)
    cdf = np.where(x <= 0.0, 1.0, cdf)
    return np.where(tau <= 0.0, np.where(x <= 0.0, 1.0, 0.0), cdf)


def survival(
    tau: np.ndarray,
    damage: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    shock: np.ndarray,
    step: np.ndarray,
) -> np.ndarray:
    """P(no wear-out and no shock) over ``tau`` operational days from ``damage``.

    ``step`` is the operational time of one monitoring hour, for the barrier shift.
    """
    x = 1.0 - damage + _BG_SHIFT * sigma * np.sqrt(step)
    return (1.0 - first_passage_cdf(tau, x, mu, sigma)) * np.exp(-shock * tau)


def fail_probability(
    start: dict[str, np.ndarray],
    wear: dict[str, np.ndarray],
    loads: tuple[np.ndarray, np.ndarray],
    stop: dict[str, np.ndarray],
    horizon_end: np.ndarray,
) -> np.ndarray:
    """P(any failure before ``horizon_end``) for many (day, asset) states at once.

    Args:
        start: ``hour`` (n,) when wear resumes; ``damage``, ``mult`` and ``anchor``
            (damage after the last maintenance), each (n, C), then.
        wear: ``rho``, ``mu``, ``sigma``, ``shock`` per component, each (C,).
        loads: prefix sums of the expected hourly load and its variance (hour grid).
        stop: next planned stop after ``start['hour']``: ``hour`` (n,), ``hours`` (n,),
            ``restore``, ``renew`` and ``mult`` (n, C); hour beyond the horizon when
            there is none.
        horizon_end: (n,) end hour of the horizon.

    Returns:
        (n,) failure probabilities.
    """
    mean_c, var_c = loads
    s = start["hour"]
    end = np.maximum(horizon_end, s)
    cut = np.clip(stop["hour"], s, end)
    back = np.clip(stop["hour"] + stop["hours"], s, end)
    load1 = mean_c[cut] - mean_c[s]
    load2 = mean_c[end] - mean_c[back]
    var = (var_c[cut] - var_c[s]) + (var_c[end] - var_c[back])
    total = load1 + load2
    cv = np.sqrt(var) / np.maximum(total, 1e-12)
    per_hour = np.where(end > s, total / np.maximum(end - s - (back - cut), 1), 1.0)
    clock = wear["rho"] * start["mult"] / 24.0
    clock2 = clock * stop["mult"]
    step = clock * per_hour[:, None]
    crosses = (stop["hour"] < end)[:, None]
    probs = np.zeros(s.shape)
    for node, weight in zip(_GH_NODES, _GH_WEIGHTS, strict=True):
        scale = np.maximum(1.0 + node * cv, 0.0)[:, None]
        tau1 = clock * load1[:, None] * scale
        tau2 = clock2 * load2[:, None] * scale
        args = (wear["mu"], wear["sigma"], wear["shock"])
        surv = survival(tau1, start["damage"], *args, step)
        at_stop = np.minimum(start["damage"] + wear["mu"] * tau1, 1.0)
        restored = at_stop - stop["restore"] * np.maximum(at_stop - start["anchor"], 0.0)
        after = np.where(stop["renew"], 0.0, restored)
        surv2 = survival(tau2, after, *args, step * stop["mult"])
        surv = surv * np.where(crosses, surv2, 1.0)
        probs += weight * (1.0 - surv.prod(axis=1))
    return np.clip(probs, 0.0, 1.0)
