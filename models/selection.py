"""Comparing models by a configured metric: one rule for CV selection and promotion."""

from __future__ import annotations

import math

from forewarn.models.config import LOWER_IS_BETTER

TOLERANCE = 1e-9


def _oriented(metrics: dict[str, float], name: str) -> float:
    value = metrics.get(name, math.nan)
    if value is None or math.isnan(value):
        return -math.inf
    return -value if name in LOWER_IS_BETTER else value


def is_better(
    new: dict[str, float], old: dict[str, float], metric: str, tie_break: str | None = None
) -> bool:
    """True if ``new`` strictly beats ``old`` on ``metric``, or ties and wins ``tie_break``.

    Direction follows the metric (Brier, RMSE: lower wins). A missing or NaN value
    loses to any number, so a model that could not be scored is never promoted.
    """
    a, b = _oriented(new, metric), _oriented(old, metric)
    if a > b + TOLERANCE:
        return True
    if a < b - TOLERANCE or tie_break is None:
        return False
    return _oriented(new, tie_break) > _oriented(old, tie_break) + TOLERANCE
