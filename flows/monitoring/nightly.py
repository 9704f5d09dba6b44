"""Keep each scored night's inputs (features and predictions) for monitoring to read.

Called by the scoring step, so monitoring compares exactly what the model saw and never
rebuilds features.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forewarn.features.atomic import write_parquet_atomic
from forewarn.flows.monitoring.paths import MonitoringPaths

KEPT_SCORE_COLUMNS = ("p_fail", "rul_hours", "status", "risk_model_version", "rul_model_version")


def night_inputs(snapshot: pl.DataFrame, scores: pl.DataFrame) -> pl.DataFrame:
    """The snapshot with the night's predictions and model versions joined on ``asset_id``."""
    keep = [c for c in KEPT_SCORE_COLUMNS if c in scores.columns]
    extra = scores.select("asset_id", *keep)
    return snapshot.drop([c for c in keep if c in snapshot.columns]).join(
        extra, on="asset_id", how="left"
    )


def save_night_inputs(snapshot: pl.DataFrame, scores: pl.DataFrame, home: Path) -> Path:
    """Write tonight's inputs atomically under ``<home>/monitoring/nights/as_of=…``."""
    frame = night_inputs(snapshot, scores)
    return write_parquet_atomic(frame, MonitoringPaths(home).night_inputs(frame["as_of"][0]))
