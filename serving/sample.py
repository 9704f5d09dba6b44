"""Seeded synthetic score frames and sensor histories, for benchmarks, demos and tests.

They follow the score-frame schema exactly, so the store, risk list, report and web
page can be exercised at fleet scale without training a model first. Risk persists
across nights (a per-asset base level plus a random walk), as real scores do, so
consecutive nights produce still-open alerts as well as new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from forewarn.serving.schema import SCORE_SCHEMA, to_utc

SENSORS: tuple[str, ...] = ("vibration", "temperature", "pressure", "current")
TYPES: tuple[str, ...] = ("pump", "compressor", "conveyor", "press")
_TEMPLATES: tuple[str, ...] = (
    "{s} rose {x:.0f}% above its normal level over the last 7 days",
    "{s} has been unstable for {x:.0f} hours",
    "{s} is {x:.0f}% higher than similar machines on this line",
    "{x:.0f} alarms in the last 30 days, more than usual",
    "{x:.0f} days since the last maintenance, longer than usual",
)
_REASONS = {"unscorable": "no telemetry in window", "stale": "no reading for more than 48 h"}


def synthetic_nights(
    n_assets: int, nights: Sequence[datetime], seed: int = 0, plants: int = 3, lines: int = 4
) -> list[pl.DataFrame]:
    """Score frames for consecutive nights of one synthetic fleet.

    Args:
        n_assets: fleet size.
        nights: the ``as_of`` of each night, in order.
        seed: makes the frames reproducible.
        plants: number of plants; each has ``lines`` lines.
        lines: lines per plant.

    Returns:
        One frame per night, in the order of ``nights``.
    """
    rng = np.random.default_rng(seed)
    ids = [f"A{i:05d}" for i in range(n_assets)]
    fleet = {
        "asset_id": ids,
        "asset_type": [TYPES[i % len(TYPES)] for i in range(n_assets)],
        "plant": [f"P{i % plants + 1}" for i in range(n_assets)],
        "line": [f"P{i % plants + 1}-L{(i // plants) % lines + 1}" for i in range(n_assets)],
    }
    logit = rng.normal(-4.0, 1.3, n_assets)
    frames = []
    for as_of in nights:
        logit = logit + rng.normal(0.0, 0.25, n_assets)
        frames.append(_night(fleet, logit, to_utc(as_of), rng))
    return frames


def synthetic_scores(n_assets: int, as_of: datetime, seed: int = 0) -> pl.DataFrame:
    """One night of scores for a synthetic fleet (see ``synthetic_nights``)."""
    return synthetic_nights(n_assets, [as_of], seed)[0]


def _night(
    fleet: dict[str, list[str]], logit: np.ndarray, as_of: datetime, rng: np.random.Generator
) -> pl.DataFrame:
    n = len(logit)
    p_fail = 1.0 / (1.0 + np.exp(-logit))
    status = rng.choice(
        ["scored", "stale", "short_history", "unscorable"], n, p=[0.94, 0.03, 0.01, 0.02]
    )
    scorable = status != "unscorable"
    rul = np.maximum(5.0, 2000.0 * (1.0 - p_fail) * rng.uniform(0.5, 1.5, n))
    freshness = np.where(status == "stale", rng.uniform(50, 200, n), rng.uniform(0, 6, n))
    explained = scorable & (p_fail > np.quantile(p_fail, 0.9))
    reasons = [_REASONS.get(str(s)) for s in status]
    frame = pl.DataFrame(
        {
            "as_of": [as_of] * n,
            **fleet,
            "p_fail": np.where(scorable, p_fail, np.nan),
            "p_raw": np.where(scorable, p_fail, np.nan),
            "rul_hours": np.where(scorable, rul, np.nan),
            "rul_low_hours": np.where(scorable, rul * 0.6, np.nan),
            "rul_high_hours": np.where(scorable, rul * 1.5, np.nan),
            "rul_censored": [None if not s else False for s in scorable],
            "rul_cap_hours": [None] * n,
            **_parts(p_fail, scorable),
            "top_drivers": [_drivers(rng) if e else [] for e in explained],
            "data_freshness_hours": freshness,
            "status": status,
            "status_reason": reasons,
            "risk_model_version": ["risk-7"] * n,
            "rul_model_version": ["rul-4"] * n,
            "horizon_hours": [168.0] * n,
            "scored_at": [as_of + timedelta(hours=1)] * n,
        }
    )
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None)).cast(dict(SCORE_SCHEMA))


def _parts(p_fail: np.ndarray, scorable: np.ndarray) -> dict[str, list]:
    """Likely component and its share, derived from the probability (no random draws, so
    the other columns stay what they were for a seed)."""
    names = ("bearing", "gearbox", "seal")
    share = 0.4 + 0.5 * ((p_fail * 1e4) % 1.0)
    likely = [names[i % 3] if ok else None for i, ok in enumerate(scorable)]
    risk = [
        [{"component": c, "p_fail": float(p * s)}]
        + [{"component": o, "p_fail": float(p * (1 - s) / 2)} for o in names if o != c]
        if c
        else []
        for c, p, s in zip(likely, p_fail, share, strict=True)
    ]
    return {
        "likely_component": likely,
        "likely_component_share": [
            float(s) if c else None for c, s in zip(likely, share, strict=True)
        ],
        "component_risk": risk,
    }


def _drivers(rng: np.random.Generator) -> list[str]:
    picks = rng.choice(len(_TEMPLATES), int(rng.integers(3, 6)), replace=False)
    sensors = rng.choice(SENSORS, len(picks))
    return [
        _TEMPLATES[i].format(s=s.capitalize(), x=rng.uniform(5, 60))
        for i, s in zip(picks, sensors, strict=True)
    ]


def synthetic_sensor_history(
    asset_ids: Sequence[str], as_of: datetime, days: int = 14, seed: int = 0
) -> pl.DataFrame:
    """Hourly readings of ``SENSORS`` for some assets over the ``days`` before ``as_of``.

    The same shape a caller passes to ``report.write_report(sensor_history=...)``.
    """
    rng = np.random.default_rng(seed)
    end = to_utc(as_of)
    ts = pl.datetime_range(end - timedelta(days=days), end, "1h", eager=True, time_unit="us")
    hours = len(ts)
    frames = []
    for asset in asset_ids:
        drift = np.linspace(0.0, rng.uniform(0, 3), hours)
        cols = {
            s: 50 + 10 * i + drift * (i + 1) + rng.normal(0, 1, hours)
            for i, s in enumerate(SENSORS)
        }
        frames.append(pl.DataFrame({"asset_id": [asset] * hours, "ts": ts, **cols}))
    return pl.concat(frames) if frames else pl.DataFrame()
