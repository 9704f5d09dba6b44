"""Turn simulated assets into the contract's tables (and the truth table).

Arrays of many assets are concatenated once per batch and handed to Polars column by
column; no per-row Python. NaN in sensor arrays becomes null.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from forewarn.synthetic.catalog import COMPONENT_NAMES, SENSOR_NAMES
from forewarn.synthetic.oracle import HORIZONS_DAYS
from forewarn.synthetic.simulate import AssetOutput

TS_TYPE = pl.Datetime(time_unit="us", time_zone="UTC")
DAY_US = 86_400_000_000
TRUTH_P_COLUMNS: tuple[str, ...] = tuple(f"p_fail_{h}d" for h in HORIZONS_DAYS)
TRUTH_HEALTH_COLUMNS: tuple[str, ...] = tuple(f"health_{c}" for c in COMPONENT_NAMES)


def _ids(outputs: list[AssetOutput], counts: list[int]) -> pl.Series:
    ids = pl.Series("asset_id", [o.spec.asset_id for o in outputs], dtype=pl.String)
    return ids.gather(np.repeat(np.arange(len(outputs)), counts))


def _times(name: str, values: np.ndarray) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Int64).cast(TS_TYPE)


def telemetry_frame(outputs: list[AssetOutput]) -> pl.DataFrame:
    """``asset_id``, ``ts``, ``operating_mode`` (Int8) and one Float64 column per sensor."""
    counts = [o.readings.ts.size for o in outputs]
    empty = np.empty((len(SENSOR_NAMES), 0))
    values = np.concatenate([o.readings.values for o in outputs] or [empty], axis=1)
    cols = [
        _ids(outputs, counts),
        _times("ts", np.concatenate([o.readings.ts for o in outputs] or [np.empty(0, np.int64)])),
        pl.Series(
            "operating_mode", np.concatenate([o.readings.mode for o in outputs] or [[]]), pl.Int8
        ),
    ]
    cols += [
        pl.Series(name, values[j], dtype=pl.Float64, nan_to_null=True)
        for j, name in enumerate(SENSOR_NAMES)
    ]
    return pl.DataFrame(cols)


def events_frame(outputs: list[AssetOutput]) -> pl.DataFrame:
    """``asset_id``, ``ts``, ``kind``, ``component`` (nullable), ``code``."""
    counts = [o.events.ts.size for o in outputs]
    ts = np.concatenate([o.events.ts for o in outputs] or [np.empty(0, np.int64)])
    return pl.DataFrame(
        [
            _ids(outputs, counts),
            _times("ts", ts),
            pl.Series("kind", [k for o in outputs for k in o.events.kind], pl.String),
            pl.Series("component", [c for o in outputs for c in o.events.component], pl.String),
            pl.Series("code", [c for o in outputs for c in o.events.code], pl.String),
        ]
    )


def assets_frame(outputs: list[AssetOutput]) -> pl.DataFrame:
    """``asset_id``, ``asset_type``, ``plant``, ``line``, ``installed_at``, ``supplier``."""
    specs = [o.spec for o in outputs]
    return pl.DataFrame(
        [
            pl.Series("asset_id", [s.asset_id for s in specs], pl.String),
            pl.Series("asset_type", [s.kind.name for s in specs], pl.String),
            pl.Series("plant", [s.plant.name for s in specs], pl.String),
            pl.Series("line", [s.line for s in specs], pl.String),
            _times("installed_at", np.array([s.installed_us for s in specs], dtype=np.int64)),
            pl.Series("supplier", [s.supplier for s in specs], pl.String),
        ]
    )


def truth_frame(outputs: list[AssetOutput], start_us: int, n_days: int) -> pl.DataFrame:
    """Daily rows at 00:00 UTC: ``in_downtime``, ``health_<component>``, ``p_fail_<h>d``."""
    counts = [n_days] * len(outputs)
    days = start_us + np.arange(n_days, dtype=np.int64) * DAY_US
    health = np.concatenate([o.truth.health for o in outputs]) if outputs else np.empty((0, 12))
    p_fail = np.concatenate([o.truth.p_fail for o in outputs]) if outputs else np.empty((0, 4))
    down = np.concatenate([o.truth.in_downtime for o in outputs] or [np.empty(0, bool)])
    cols = [
        _ids(outputs, counts),
        _times("ts", np.tile(days, len(outputs))),
        pl.Series("in_downtime", down, pl.Boolean),
    ]
    cols += [
        pl.Series(name, health[:, j], pl.Float64, nan_to_null=True)
        for j, name in enumerate(TRUTH_HEALTH_COLUMNS)
    ]
    cols += [pl.Series(name, p_fail[:, j], pl.Float64) for j, name in enumerate(TRUTH_P_COLUMNS)]
    return pl.DataFrame(cols)


def batch_counts(outputs: list[AssetOutput], start_us: int, n_days: int) -> dict[str, int]:
    """Additive counts of a batch, summed by the writer into the fleet summary.

    ``positive_days_7d`` counts asset-days whose next 7 days (fully inside the window)
    hold a failure: the prevalence of a 7-day-ahead label.
    """
    labelled = max(n_days - 6, 0)  # day t is labelled when t + 7 d <= window end
    day0 = start_us + np.arange(labelled, dtype=np.int64) * DAY_US
    positive = 0
    for o in outputs:
        fails = np.sort(np.array([ts for ts, _ in o.history.failures], dtype=np.int64))
        if fails.size == 0:
            continue
        nxt = np.searchsorted(fails, day0, side="right")
        soon = fails[np.minimum(nxt, fails.size - 1)] <= day0 + 7 * DAY_US
        positive += int(np.sum((nxt < fails.size) & soon))
    kinds = [k for o in outputs for k in o.events.kind]
    return {
        "assets": len(outputs),
        "telemetry_rows": sum(o.readings.ts.size for o in outputs),
        "truth_rows": n_days * len(outputs),
        "events_failure": kinds.count("failure"),
        "events_maintenance": kinds.count("maintenance"),
        "events_alarm": kinds.count("alarm"),
        "failing_assets": sum(bool(o.history.failures) for o in outputs),
        "multi_failure_assets": sum(len(o.history.failures) > 1 for o in outputs),
        "labelled_days_7d": labelled * len(outputs),
        "positive_days_7d": positive,
    }
