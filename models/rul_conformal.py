"""Which rows calibrate the RUL interval: cross-conformal over folds of assets.

Choice and why: the quantile boosters are calibrated on *out-of-fold* rows. The RUL
training assets are split into ``folds`` groups by a seeded hash; for each group the
two quantile boosters are refit on the other groups and the group's rows are scored,
so every training row gets a conformity score from boosters that never saw its asset
(``models.intervals``). The offsets then widen the bounds of the model fitted on all
rows (which is at least as accurate as the fold models, so the coverage errs on the
safe side: the cross-fit "CV+" argument of Barber et al., 2021).

A split-conformal calibration window in time was measured against this and rejected
for the default: a window of snapshots whose capped RUL is known, placed before the
RUL validation window with a cap-long gap on each side, needs ``3 x rul_cap +
validation + calibration`` of history (270 days on the default experiment; the demo's
fleet has 240) and takes those rows away from the boosters. Cross-fitting uses every
row, works for a time split and for a split by assets alike, and its folds never put
one asset on both sides (snapshots of one asset are near copies, the reason
in-sample intervals cover 0.93 instead of 0.80). What it does not see is drift over
time; the RUL validation window does, and training warns when the coverage there is
off by more than ``COVERAGE_TOLERANCE``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from forewarn.models.intervals import IntervalCalibration, conformity_scores
from forewarn.models.rul import RulModel

COVERAGE_TOLERANCE = 0.1
"""Validation coverage further than this from the nominal coverage triggers a warning."""


def asset_folds(assets: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold index per row: assets ordered by a seeded hash, dealt round-robin, so folds
    differ by at most one asset and one asset never spans two folds."""
    unique = sorted(set(np.asarray(assets).astype(str).tolist()))
    ranked = sorted(unique, key=lambda a: hashlib.sha256(f"{seed}:{a}".encode()).hexdigest())
    fold_of = {a: i % folds for i, a in enumerate(ranked)}
    return np.array([fold_of[a] for a in np.asarray(assets).astype(str)], dtype=np.int64)


def cross_conformal(
    model: RulModel,
    x: np.ndarray,
    y: np.ndarray,
    assets: np.ndarray,
    groups: np.ndarray | None,
    folds: int,
) -> IntervalCalibration | None:
    """Interval offsets from out-of-fold conformity scores; None if there are fewer
    assets than folds (then the interval stays uncalibrated and training says so).

    Args:
        model: the fitted RUL model (its settings and encoder are reused).
        x: the encoded training rows (as passed to ``fit_encoded``).
        y: their capped targets.
        assets: each row's asset id (the folds group by it).
        groups: each row's interval group (asset type), or None for one pooled offset.
        folds: number of asset folds (>= 2).
    """
    if folds < 2 or len(set(np.asarray(assets).tolist())) < folds:
        return None
    fold = asset_folds(assets, folds, model.seed)
    scores = np.empty(len(y), dtype=np.float64)
    for k in range(folds):
        out = fold == k
        boosters = model.quantile_boosters(x[~out], y[~out])
        low, high = model.raw_bounds(boosters, x[out])
        scores[out] = conformity_scores(low, high, y[out])
    coverage = model.quantiles[1] - model.quantiles[0]
    method = f"cross-conformal, {folds} asset folds"
    return IntervalCalibration.fit(scores, groups, coverage, method=method)


def coverage_warning(metrics: dict[str, float], nominal: float) -> str | None:
    """A warning when the validation coverage is off by more than the tolerance."""
    got = metrics.get("interval_coverage")
    if got is None or np.isnan(got) or abs(got - nominal) <= COVERAGE_TOLERANCE:
        return None
    side = "too narrow" if got < nominal else "too wide"
    width = metrics.get("interval_width_hours", float("nan"))
    return (
        f"WARNING: RUL interval covers {got:.2f} of validation rows against a nominal "
        f"{nominal:.2f} ({side}; mean width {width:.1f} h): do not read it as a "
        f"{nominal:.0%} interval; the held-out assets may differ from the training ones "
        "(more assets, or model.rul_interval_folds, help)"
    )
