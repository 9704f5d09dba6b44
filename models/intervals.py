"""Out-of-sample calibration of the RUL interval: conformalized quantile regression.

Why: quantile boosters fitted on the training rows cover their own rows (0.93 at a
nominal 0.80 on C-MAPSS) but not new ones (0.54): snapshots of one asset are near
copies, so the boosters learn each training asset's life. Conformalized quantile
regression (Romano, Patterson & Candès, 2019) fixes the coverage with one number per
group: on rows the boosters never saw, the conformity score of a row is
``E = max(low - y, y - high)`` (how far the truth lies outside the interval, negative
inside it), and the interval becomes ``[low - Q, high + Q]`` with ``Q`` the
``ceil((n + 1) * coverage) / n`` empirical quantile of ``E``. If the rows are
exchangeable with tomorrow's, the widened interval covers the truth with probability
at least ``coverage``; a negative ``Q`` narrows an interval that was too wide.

Groups (Mondrian conformal): one ``Q`` per asset type with at least ``min_rows``
calibration rows, and a pooled ``Q`` for the rest, so a type whose lives are harder to
foresee gets wider intervals instead of borrowing the fleet's average.

Where the rows come from is the trainer's choice (``models.rul_conformal``); this
module is the arithmetic and its state (a handful of numbers stored with the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_GROUP_ROWS = 200
"""Calibration rows an asset type needs for its own offset (else it uses the pooled one)."""


def conformity_scores(low: np.ndarray, high: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``max(low - y, y - high)`` per row: > 0 outside the interval, <= 0 inside."""
    return np.maximum(np.asarray(low) - y, np.asarray(y) - np.asarray(high)).astype(np.float64)


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The finite-sample-corrected ``coverage`` quantile of ``scores``.

    Returns ``inf`` when there are too few rows for the requested coverage (the
    ``ceil((n + 1) * coverage)``-th smallest score does not exist): the interval is then
    unbounded (clipped to ``[0, cap]`` by the model), never silently too narrow.
    """
    values = np.sort(np.asarray(scores, dtype=np.float64)[~np.isnan(scores)])
    n = values.size
    k = math.ceil((n + 1) * coverage)
    if n == 0 or k > n:
        return math.inf
    return float(values[k - 1])


@dataclass
class IntervalCalibration:
    """Additive offsets for the quantile bounds, per group and pooled.

    Attributes:
        coverage: the nominal coverage (``high - low`` quantile levels).
        pooled: offset for groups without their own.
        offsets: group (asset type) → offset.
        rows: calibration rows behind each offset (``"*"`` = pooled).
        method: how the calibration rows were obtained (for the record).
    """

    coverage: float
    pooled: float
    offsets: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    method: str = "cross-conformal"

    @classmethod
    def fit(
        cls,
        scores: np.ndarray,
        groups: np.ndarray | None,
        coverage: float,
        min_rows: int = MIN_GROUP_ROWS,
        method: str = "cross-conformal",
    ) -> IntervalCalibration:
        """Offsets from out-of-sample conformity scores (``conformity_scores``)."""
        scores = np.asarray(scores, dtype=np.float64)
        out = cls(coverage, conformal_quantile(scores, coverage), {}, {"*": int(scores.size)})
        out.method = method
        if groups is None:
            return out
        labels = np.asarray(groups).astype(str)
        for g in sorted(set(labels.tolist())):
            mine = scores[labels == g]
            if mine.size >= min_rows:
                out.offsets[g] = conformal_quantile(mine, coverage)
                out.rows[g] = int(mine.size)
        return out

    def offset_for(self, groups: np.ndarray | None, n: int) -> np.ndarray:
        """One offset per row: its group's, else the pooled one."""
        if groups is None or not self.offsets:
            return np.full(n, self.pooled)
        labels = np.asarray(groups).astype(str)
        return np.array([self.offsets.get(g, self.pooled) for g in labels], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (``inf`` is written as ``None``)."""

        def enc(v: float) -> float | None:
            return None if math.isinf(v) else v

        return {
            "coverage": self.coverage,
            "pooled": enc(self.pooled),
            "offsets": {k: enc(v) for k, v in self.offsets.items()},
            "rows": self.rows,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> IntervalCalibration:
        """Rebuild from :meth:`to_dict` output."""

        def dec(v: float | None) -> float:
            return math.inf if v is None else float(v)

        return cls(
            float(state["coverage"]),
            dec(state["pooled"]),
            {k: dec(v) for k, v in state["offsets"].items()},
            {k: int(v) for k, v in state.get("rows", {}).items()},
            str(state.get("method", "cross-conformal")),
        )
