"""A tiny NASA C-MAPSS FD001 loader for tests: a run-to-failure fleet in the data contract.

Each engine runs once until it fails at its last cycle and is never seen again. Cycle
``k`` of every engine is mapped to ``T0 + k x hours_per_cycle`` (the literature's results
do not depend on the mapping) and the failure is an event at the last cycle. The data
stay in the shared folder (``FOREWARN_SHARED_DATA``, default ``/work/shared/data``);
tests skip when it is absent. The full converter lives in ``benchmarks/``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TS = pl.Datetime("us", "UTC")
SENSORS = tuple(f"s{i}" for i in range(1, 22))
CONSTANT = ("s1", "s5", "s6", "s10", "s16", "s18", "s19")
"""Sensors that are constant in FD001 (see the shared data README)."""


def cmapss_file() -> Path:
    """``train_FD001.txt`` in the shared data folder; skips the test when it is missing."""
    root = Path(os.environ.get("FOREWARN_SHARED_DATA", "/work/shared/data"))
    path = root / "cmapss_fd001" / "train_FD001.txt"
    if not path.is_file():
        pytest.skip(f"C-MAPSS FD001 not found at {path} (set FOREWARN_SHARED_DATA)")
    return path


def load_cmapss(
    units: int | None = None, hours_per_cycle: float = 1.0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Telemetry, events and assets of the first ``units`` engines (all when ``None``)."""
    raw = np.loadtxt(cmapss_file())
    unit, cycle = raw[:, 0].astype(int), raw[:, 1].astype(int)
    keep = unit <= units if units is not None else np.ones(len(unit), dtype=bool)
    unit, cycle, values = unit[keep], cycle[keep], raw[keep, 5:]
    step = timedelta(hours=hours_per_cycle)
    ids = [f"engine-{u:03d}" for u in unit]
    telemetry = pl.DataFrame(
        {"asset_id": ids, "ts": pl.Series([T0 + int(c) * step for c in cycle], dtype=TS)}
    ).with_columns(pl.Series(s, values[:, i]) for i, s in enumerate(SENSORS))
    last = telemetry.group_by("asset_id").agg(pl.col("ts").max()).sort("asset_id")
    events = last.with_columns(
        kind=pl.lit("failure"), component=pl.lit(None, pl.String), code=pl.lit(None, pl.String)
    ).select("asset_id", "ts", "kind", "component", "code")
    assets = last.select("asset_id", asset_type=pl.lit("turbofan"))
    return telemetry, events, assets
