"""Small random fleets (irregular timestamps, gaps, dropouts, events) for feature tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from forewarn.features.spec import FeatureSpec

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
EVENT_SCHEMA = {
    "asset_id": pl.String,
    "ts": TS,
    "kind": pl.String,
    "component": pl.String,
    "code": pl.String,
}
SPEC = FeatureSpec(
    sensors=("temp", "vib"),
    windows=("1d", "3d"),
    baseline_span="2d",
    regime_column="mode",
    alarm_codes=("E1",),
    components=("bearing",),
    ewma_half_life_share=0.5,
)


@dataclass(frozen=True)
class Fleet:
    telemetry: pl.DataFrame
    events: pl.DataFrame
    assets: pl.DataFrame

    def lazy(self) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
        return self.telemetry.lazy(), self.events.lazy(), self.assets.lazy()


def _times(rng: np.random.Generator, n: int, days: float) -> list[datetime]:
    secs = np.unique(rng.integers(0, int(days * 86400), n))
    return [T0 + timedelta(seconds=int(s)) for s in secs]


def _telemetry(rng: np.random.Generator, aid: str, days: float) -> pl.DataFrame:
    ts = _times(rng, int(rng.integers(0, 150)), days)
    n = len(ts)
    temp = rng.normal(60 + rng.normal(0, 5), 2, n)
    vib = rng.gamma(2.0, 1.0, n)
    temp[rng.random(n) < 0.15] = np.nan
    vib[rng.random(n) < 0.15] = np.nan
    frame = pl.DataFrame(
        {
            "asset_id": [aid] * n,
            "ts": pl.Series(ts, dtype=TS),
            "temp": temp,
            "vib": vib,
            "mode": rng.choice(["idle", "run"], n).tolist(),
        },
        schema_overrides={
            "asset_id": pl.String,
            "mode": pl.String,
            "temp": pl.Float64,
            "vib": pl.Float64,
        },
    )
    return frame.with_columns(pl.col("temp", "vib").fill_nan(None))


def _events(rng: np.random.Generator, aid: str, days: float) -> list[tuple]:
    rows = []
    for t in _times(rng, int(rng.integers(0, 10)), days):
        kind = str(rng.choice(["failure", "maintenance", "alarm", "alarm"]))
        comp = str(rng.choice(["bearing", "seal"])) if rng.random() < 0.6 else None
        code = str(rng.choice(["E1", "E2"])) if kind == "alarm" and rng.random() < 0.9 else None
        rows.append((aid, t, kind, comp, code))
    return rows


def make_fleet(seed: int, n_assets: int | None = None, days: float = 12.0) -> Fleet:
    """A random fleet: 1-3 assets, 0-150 irregular readings each, 15 % dropouts, events."""
    rng = np.random.default_rng(seed)
    n_assets = n_assets or int(rng.integers(1, 4))
    ids = [f"a{i}" for i in range(n_assets)]
    tel = pl.concat([_telemetry(rng, a, days) for a in ids])
    events = [r for a in ids for r in _events(rng, a, days)]
    installed = [
        T0 + timedelta(days=float(rng.uniform(-3, 2))) if rng.random() < 0.5 else None for _ in ids
    ]
    assets = pl.DataFrame(
        {
            "asset_id": ids,
            "asset_type": rng.choice(["pump", "press"], n_assets).tolist(),
            "plant": ["P1"] * n_assets,
            "installed_at": pl.Series(installed, dtype=TS),
        }
    )
    ev = pl.DataFrame(events, schema=EVENT_SCHEMA, orient="row")
    shuffled = tel.sample(fraction=1.0, shuffle=True, seed=seed % 2**31)
    return Fleet(shuffled, ev, assets)


def snapshot_grid(days: int = 12) -> tuple[datetime, datetime, list[datetime]]:
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=days)
    return start, end, [start + timedelta(days=i) for i in range(days)]
