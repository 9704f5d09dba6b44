"""Hand-built score frames for the serving tests (imported by the test modules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from forewarn.serving.schema import SCORE_SCHEMA

NIGHT = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)


def night(offset_days: int) -> datetime:
    """The night ``offset_days`` after the reference night (negative: before)."""
    return NIGHT + timedelta(days=offset_days)


def scores(
    p_fail: dict[str, float | None],
    as_of: datetime = NIGHT,
    status: dict[str, str] | None = None,
    drivers: Sequence[str] = ("Vibration rose 30% over 7 days",),
    **overrides: dict[str, object],
) -> pl.DataFrame:
    """A score frame with one row per asset; ``p_fail`` None means unscorable.

    Args:
        p_fail: asset id -> probability.
        as_of: the night.
        status: asset id -> status for rows that are not plain ``scored``.
        drivers: top drivers given to every scorable row.
        overrides: column -> {asset id -> value} for any other score column
            (plant defaults to ``North``, line to ``<plant>-L1``).
    """
    status = status or {}
    ids = list(p_fail)

    def col(name: str, default: Callable[[str], object]) -> list[object]:
        given = overrides.get(name, {})
        return [given.get(a, default(a)) for a in ids]

    def state(a: str) -> str:
        return status.get(a, "scored" if p_fail[a] is not None else "unscorable")

    data = {
        "as_of": [as_of] * len(ids),
        "asset_id": ids,
        "asset_type": col("asset_type", lambda a: "pump"),
        "plant": col("plant", lambda a: "North"),
        "line": col("line", lambda a: f"{overrides.get('plant', {}).get(a, 'North')}-L1"),
        "p_fail": [p_fail[a] for a in ids],
        "p_raw": col("p_raw", lambda a: p_fail[a]),
        "rul_hours": col("rul_hours", lambda a: None if p_fail[a] is None else 100.0),
        "rul_low_hours": col("rul_low_hours", lambda a: None if p_fail[a] is None else 60.0),
        "rul_high_hours": col("rul_high_hours", lambda a: None if p_fail[a] is None else 150.0),
        "rul_censored": col("rul_censored", lambda a: None if p_fail[a] is None else False),
        "rul_cap_hours": col("rul_cap_hours", lambda a: 1440.0),
        "likely_component": col("likely_component", lambda a: None),
        "likely_component_share": col("likely_component_share", lambda a: None),
        "component_risk": col("component_risk", lambda a: []),
        "top_drivers": col("top_drivers", lambda a: [] if p_fail[a] is None else list(drivers)),
        "data_freshness_hours": col("data_freshness_hours", lambda a: 1.0),
        "status": [state(a) for a in ids],
        "status_reason": col(
            "status_reason",
            lambda a: "no telemetry in window" if state(a) == "unscorable" else None,
        ),
        "risk_model_version": col("risk_model_version", lambda a: "risk-3"),
        "rul_model_version": col("rul_model_version", lambda a: "rul-2"),
        "horizon_hours": col("horizon_hours", lambda a: 168.0),
        "scored_at": [as_of + timedelta(hours=1)] * len(ids),
    }
    return pl.DataFrame(data, schema=SCORE_SCHEMA)
