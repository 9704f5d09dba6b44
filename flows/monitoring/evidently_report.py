"""Evidently at the boundary: Polars in, pandas for Evidently, plain results and HTML out.

The methods and per-column thresholds are passed explicitly (see ``drift_stats``), so
Evidently never picks a test by sample size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from forewarn.flows.monitoring.config import DriftConfig


@dataclass(frozen=True)
class ColumnDrift:
    """One column's Evidently result."""

    column: str
    method: str
    score: float
    threshold: float

    @property
    def drifted(self) -> bool:
        return not math.isnan(self.score) and self.score >= self.threshold


def _usable(reference: pl.DataFrame, current: pl.DataFrame, columns: list[str]) -> list[str]:
    """Columns with values on both sides (Evidently cannot compare an all-null column)."""
    ref = reference.select(pl.col(c).is_not_null().any() for c in columns).row(0)
    cur = current.select(pl.col(c).is_not_null().any() for c in columns).row(0)
    return [c for c, a, b in zip(columns, ref, cur, strict=True) if a and b]


def _pandas(frame: pl.DataFrame, numeric: list[str], categorical: list[str]):
    cols = [pl.col(c).cast(pl.Float64) for c in numeric]
    cols += [pl.col(c).cast(pl.String).fill_null("(missing)") for c in categorical]
    return frame.select(cols).to_pandas()


def run_drift(
    reference: pl.DataFrame,
    current: pl.DataFrame,
    numeric: list[str],
    categorical: list[str],
    limits: dict[str, float],
    cfg: DriftConfig,
    html: Path | None = None,
) -> list[ColumnDrift]:
    """Compare ``current`` with ``reference`` using Evidently's ``DataDriftPreset``.

    Args:
        reference: reference sample (features and predictions).
        current: tonight's snapshot with predictions.
        numeric: numeric columns; each gets ``limits[column]`` (else ``cfg.threshold``).
        categorical: categorical columns, judged with ``cfg.categorical_threshold``.
        limits: calibrated thresholds of the fleet scope.
        cfg: methods and default thresholds.
        html: where to save Evidently's HTML report (None: not saved).

    Returns:
        One result per compared column (all-null columns are left out).
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numeric = _usable(reference, current, numeric)
    categorical = _usable(reference, current, categorical)
    per_column = {c: float(limits.get(c, cfg.threshold)) for c in numeric}
    per_column |= {c: cfg.categorical_threshold for c in categorical}
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    preset = DataDriftPreset(
        columns=numeric + categorical,
        num_method=cfg.numeric_method,
        cat_method=cfg.categorical_method,
        per_column_threshold=per_column,
        threshold=cfg.threshold,
    )
    snapshot = Report([preset], include_tests=False).run(
        current_data=Dataset.from_pandas(_pandas(current, numeric, categorical), definition),
        reference_data=Dataset.from_pandas(_pandas(reference, numeric, categorical), definition),
    )
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save_html(str(html))
    return parse(snapshot.dict())


def parse(summary: dict) -> list[ColumnDrift]:
    """The per-column ``ValueDrift`` results of an Evidently snapshot dict."""
    out = []
    for metric in summary.get("metrics", []):
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        value = metric.get("value")
        score = float(value) if isinstance(value, int | float) else math.nan
        out.append(
            ColumnDrift(
                config["column"], str(config.get("method")), score, float(config["threshold"])
            )
        )
    return out
