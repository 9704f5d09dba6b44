"""Drift verdicts per scope (the fleet, each asset type, each plant) and the night's summary.

Pure: frames in, plain data out. The same statistic judges the fleet and each group,
because a line of forty drifting machines barely moves a fleet of thousands; Evidently
renders the fleet's report with the same method and thresholds (``assess``). Method and
thresholds: see ``drift_stats``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import polars as pl

from forewarn.flows.monitoring.config import DriftConfig
from forewarn.flows.monitoring.drift_stats import Reference, as_matrix, noise_floor, thresholds

FLEET = "fleet"
TOP_FEATURES = 25


@dataclass(frozen=True)
class Scope:
    """A slice of the fleet judged on its own: everything, or one value of a context column."""

    name: str
    column: str | None = None
    value: str | None = None

    def select(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``frame`` inside this scope."""
        if self.column is None:
            return frame
        return frame.filter(pl.col(self.column) == self.value)


def scopes(frame: pl.DataFrame, groups: tuple[str, ...]) -> list[Scope]:
    """The fleet, then every value of each group column present in ``frame``."""
    out = [Scope(FLEET)]
    for col in groups:
        if col in frame.columns:
            values = frame[col].drop_nulls().unique().sort().to_list()
            out += [Scope(f"{col}={v}", col, v) for v in values]
    return out


def calibrate(
    reference: pl.DataFrame,
    nights: pl.DataFrame,
    numeric: list[str],
    cfg: DriftConfig,
) -> pl.DataFrame:
    """Per scope and column: the training noise floor and the drift threshold.

    Args:
        reference: the reference sample.
        nights: whole cross-sections of a few training nights (``reference.calibration_nights``).
        numeric: numeric columns judged (features and predictions).
        cfg: drift settings.

    Returns:
        ``scope, column, floor, threshold``; one row per scope and column.
    """
    parts = []
    for scope in scopes(reference, cfg.groups):
        ref = Reference(as_matrix(scope.select(reference), numeric))
        floor = noise_floor(ref, scope.select(nights), numeric)
        parts.append(
            pl.DataFrame(
                {
                    "scope": [scope.name] * len(numeric),
                    "column": numeric,
                    "floor": floor,
                    "threshold": thresholds(floor, cfg.threshold, cfg.noise_margin),
                },
                schema={
                    "scope": pl.String,
                    "column": pl.String,
                    "floor": pl.Float64,
                    "threshold": pl.Float64,
                },
            )
        )
    return pl.concat(parts)


def thresholds_for(
    table: pl.DataFrame, scope: str, columns: list[str], default: float
) -> np.ndarray:
    """Thresholds of ``columns`` in ``scope``; ``default`` for a scope unseen in training."""
    found = dict(table.filter(pl.col("scope") == scope).select("column", "threshold").iter_rows())
    return np.array([found.get(c, default) for c in columns], dtype=float)


def sensor_of(feature: str) -> str:
    """The sensor (or feature family) a feature name belongs to: ``temperature_c__mean_7d``."""
    return feature.split("__", 1)[0] if "__" in feature else "events"


def drifting_sensors(drifted: list[str], columns: list[str], share: float) -> list[str]:
    """Sensors whose share of drifted features reaches ``share``, most affected first."""
    total: dict[str, int] = {}
    for c in columns:
        total[sensor_of(c)] = total.get(sensor_of(c), 0) + 1
    hit: dict[str, int] = {}
    for c in drifted:
        hit[sensor_of(c)] = hit.get(sensor_of(c), 0) + 1
    ratio = {s: hit[s] / total[s] for s in hit}
    return [s for s, r in sorted(ratio.items(), key=lambda kv: -kv[1]) if r >= share]


@dataclass(frozen=True)
class ScopeDrift:
    """One scope's verdict: how many rows, which features drifted, which sensors."""

    scope: str
    rows: int
    judged: bool
    share: float
    alarm: bool
    sensors: list[str] = field(default_factory=list)
    drifted: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready, with the drifted features cut to the strongest ``TOP_FEATURES``."""
        out = asdict(self)
        out["n_drifted"] = len(self.drifted)
        out["drifted"] = self.drifted[:TOP_FEATURES]
        return out


def verdict(
    scope: str,
    rows: int,
    columns: list[str],
    scores: np.ndarray,
    limits: np.ndarray,
    cfg: DriftConfig,
) -> ScopeDrift:
    """Turn per-column distances and thresholds into a scope verdict.

    A column with no data on either side (NaN distance) is not counted either way.
    """
    known = ~np.isnan(scores)
    hit = known & (np.nan_to_num(scores, nan=0.0) >= limits)
    share = float(hit.sum() / known.sum()) if known.any() else 0.0
    order = np.argsort(-np.where(hit, scores / limits, -np.inf), kind="stable")
    drifted = [
        {
            "column": columns[i],
            "score": round(float(scores[i]), 4),
            "threshold": round(float(limits[i]), 4),
        }
        for i in order
        if hit[i]
    ]
    names = [d["column"] for d in drifted]
    return ScopeDrift(
        scope=scope,
        rows=rows,
        judged=True,
        share=round(share, 4),
        alarm=share >= cfg.alarm_share,
        sensors=drifting_sensors(
            names, [c for c, k in zip(columns, known, strict=True) if k], cfg.sensor_share
        ),
        drifted=drifted,
    )


def scope_references(
    reference: pl.DataFrame, features: list[str], groups: tuple[str, ...]
) -> dict[str, Reference]:
    """Each scope's reference quantiles, computed once (they outlive any one night)."""
    return {
        s.name: Reference(as_matrix(s.select(reference), features))
        for s in scopes(reference, groups)
    }


def group_drift(
    reference: pl.DataFrame | dict[str, Reference],
    current: pl.DataFrame,
    features: list[str],
    table: pl.DataFrame,
    cfg: DriftConfig,
) -> list[ScopeDrift]:
    """Verdicts for every group scope (not the fleet, which Evidently judges).

    ``reference`` is the reference sample, or its ``scope_references`` for ``features``.
    """
    refs = reference if isinstance(reference, dict) else None
    out = []
    for scope in scopes(current, cfg.groups)[1:]:
        cur = scope.select(current)
        if cur.height < cfg.min_group_rows:
            out.append(ScopeDrift(scope.name, cur.height, False, 0.0, False))
            continue
        if refs is not None:
            ref = refs.get(scope.name) or Reference(np.empty((0, len(features))))
        else:
            ref = Reference(as_matrix(scope.select(reference), features))
        scores = ref.distance(as_matrix(cur, features))
        limits = thresholds_for(table, scope.name, features, math.inf)
        out.append(verdict(scope.name, cur.height, features, scores, limits, cfg))
    return out


def missing_rates(reference: pl.DataFrame, current: pl.DataFrame, columns: list[str]) -> dict:
    """Null shares tonight vs the reference: the overall rate and the largest increases."""
    if not columns or current.height == 0:
        return {"current": 0.0, "reference": 0.0, "increased": []}
    cur = current.select(pl.col(c).is_null().mean() for c in columns).row(0)
    ref = reference.select(pl.col(c).is_null().mean() for c in columns).row(0)
    rises = sorted(
        (
            {"column": c, "current": round(a, 4), "reference": round(b, 4)}
            for c, a, b in zip(columns, cur, ref, strict=True)
            if a - b > 0.01
        ),
        key=lambda d: d["reference"] - d["current"],
    )
    return {
        "current": round(float(np.mean(cur)), 4),
        "reference": round(float(np.mean(ref)), 4),
        "increased": rises[:TOP_FEATURES],
    }
