"""A small fleet written by hand as CSV, the way a user exports their own data.

Ten pumps over 75 days, read at irregular intervals (20 min to 3 h, some gaps), two
sensors that drift in the days before a bearing failure, a constant firmware column, a
maintenance visit per pump and a few alarms: nothing shaped like the synthetic fleet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

START = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 75
ASSETS = 10
RAMP = timedelta(days=4)  # sensors drift this long before a failure


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _failures(rng: np.random.Generator) -> list[datetime]:
    """Two or three failures per pump, at least 12 days apart."""
    out, t = [], START + timedelta(days=float(rng.uniform(5, 20)))
    while t < START + timedelta(days=DAYS - 1):
        out.append(t.replace(minute=0, second=0, microsecond=0))
        t += timedelta(days=float(rng.uniform(12, 30)))
    return out


def _readings(rng: np.random.Generator, failures: list[datetime]) -> list[tuple]:
    rows, t, end = [], START, START + timedelta(days=DAYS)
    while t < end:
        ahead = [f - t for f in failures if f >= t]
        wear = max(0.0, 1.0 - ahead[0] / RAMP) if ahead else 0.0
        temp = 60 + 8 * wear + rng.normal(0, 0.8)
        vib = 2.0 + 3.0 * wear**2 + rng.normal(0, 0.15)
        rows.append((t, round(temp, 2), round(vib, 3)))
        step = float(rng.uniform(20, 180))
        if rng.random() < 0.01:  # a gateway outage
            step += float(rng.uniform(300, 900))
        t += timedelta(minutes=step)
    return rows


def write_handmade_fleet(root: Path, seed: int = 11) -> Path:
    """Write ``telemetry.csv``, ``events.csv`` and ``assets.csv`` under ``root``."""
    rng = np.random.default_rng(seed)
    tel = ["asset_id,ts,bearing_temp,vibration_rms,firmware"]
    events = ["asset_id,ts,kind,component,code"]
    assets = ["asset_id,asset_type,plant"]
    for i in range(ASSETS):
        asset = f"P-{i + 1:02d}"
        assets.append(f"{asset},centrifugal_pump,{'north' if i < 6 else 'south'}")
        failures = _failures(rng)
        for t, temp, vib in _readings(rng, failures):
            tel.append(f"{asset},{_iso(t)},{temp},{vib},3")
        for f in failures:
            events.append(f"{asset},{_iso(f)},failure,bearing,")
            events.append(f"{asset},{_iso(f - timedelta(days=1))},alarm,,VIB-HIGH")
        visit = START + timedelta(days=float(rng.uniform(2, DAYS - 2)))
        events.append(f"{asset},{_iso(visit.replace(microsecond=0))},maintenance,seal,")
    root.mkdir(parents=True, exist_ok=True)
    for name, lines in (("telemetry", tel), ("events", events), ("assets", assets)):
        (root / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
