"""Fit an experiment to a dataset's profile: the logic of ``forewarn config suggest``.

Pure: a ``DataProfile`` (features/profile.py) in, a ``Suggestion`` out, rendered as a
commented TOML experiment. Every choice is a rule a data scientist can read in the
output's comments, scaled to what the data holds:

- sensors: every numeric column but constant or near-constant ones and the regime column;
- windows, snapshot spacing, baseline: fractions of the span, multiples of the sampling;
- validation and calibration windows: the most recent spans holding enough failures,
  leaving the training period most of the history (labels need ``2 x gap`` between them);
- LightGBM leaf sizes: from the labelled rows and failures the training period will hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from forewarn.features.durations import parse_duration
from forewarn.features.profile import DataProfile, SensorProfile

H = 3600
D = 86400
LADDER = (
    60,
    300,
    600,
    900,
    1800,
    *(h * H for h in (1, 2, 3, 4, 6, 8, 12)),
    *(d * D for d in (1, 2, 3, 4, 5, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 365)),
)
"""Round durations the suggestion picks from (seconds)."""

NEAR_CONSTANT_SHARE = 0.97
"""A sensor whose most frequent value holds this share of readings carries no signal."""
REGIME_MAX_LEVELS = 6
"""A whole-numbered column with 2..6 values is an operating mode, not a measurement."""
FEW_FAILURES = 20
"""Below this many validation failures, recall ties are broken by ROC-AUC, not PR-AUC."""
MAX_SNAPSHOTS = 1_500_000
"""Training snapshots the suggestion aims to stay under (memory and boosting time)."""


def fmt(seconds: float) -> str:
    """A duration string in the largest whole unit: 86400 -> "1d", 7200 -> "2h"."""
    s = round(seconds)
    for unit, size in (("d", D), ("h", H), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def up(target: float, step: int = 1) -> int:
    """The smallest round duration >= ``target`` that is a multiple of ``step``."""
    for value in LADDER:
        if value >= target and value % step == 0:
            return value
    return int(math.ceil(target / step) * step)


def down(target: float, step: int = 1) -> int:
    """The largest round duration <= ``target`` that is a multiple of ``step`` (>= step)."""
    best = step
    for value in LADDER:
        if value <= target and value % step == 0:
            best = max(best, value)
    return best


@dataclass(frozen=True)
class Choice:
    """One key of the experiment, with the reason shown next to it."""

    key: str
    value: object
    why: str = ""


@dataclass(frozen=True)
class Suggestion:
    """A fitted experiment: sections of choices, header notes and warnings."""

    name: str
    sections: dict[str, list[Choice]]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def values(self) -> dict[str, dict[str, object]]:
        """The experiment as a plain mapping (what the TOML holds)."""
        out: dict[str, dict[str, object]] = {}
        for section, choices in self.sections.items():
            node = out
            for part in section.split("."):
                node = node.setdefault(part, {})  # type: ignore[assignment]
            node.update({c.key: c.value for c in choices})
        return out


def classify_sensors(
    sensors: tuple[SensorProfile, ...],
) -> tuple[list[str], str | None, list[str]]:
    """Split telemetry columns into sensors, a regime column and dropped columns (why)."""
    kept, dropped, regime = [], [], None
    for s in sensors:
        if s.readings == 0:
            dropped.append(f"{s.name} (no readings)")
        elif s.uniques <= 1 or s.std == 0.0:
            dropped.append(f"{s.name} (constant)")
        elif s.top_share >= NEAR_CONSTANT_SHARE:
            dropped.append(
                f"{s.name} (near-constant: {s.top_share:.1%} of readings hold one value)"
            )
        elif regime is None and s.whole and 2 <= s.uniques <= REGIME_MAX_LEVELS:
            regime = s.name
        else:
            kept.append(s.name)
    return kept, regime, dropped


def _failures_in(times: tuple[datetime, ...], start: datetime, end: datetime) -> int:
    return sum(1 for t in times if start < t <= end)


@dataclass(frozen=True)
class _Split:
    validation: int
    calibration: int
    val_failures: int
    cal_failures: int
    train_end: datetime
    train_failures: int


def plan_windows(p: DataProfile, horizon: int, snap: int, min_failures: int) -> _Split:
    """Validation then calibration windows, each grown from a share of the span until it
    holds ``min_failures`` failures (the training step refuses a window without any),
    but never so far that the training period keeps less than about a third of it."""
    span, gap = p.span_s, horizon
    # The last labelled snapshot: a full horizon before the end, or the end itself when
    # assets run to failure (every snapshot up to the failure has a known label).
    run_to_failure = p.ends_at_failure >= 0.5
    last = p.end if run_to_failure else p.end - timedelta(seconds=horizon)

    def grow(end: datetime, share: float, cap: float) -> tuple[int, int]:
        size = max(up(span * share, snap), 2 * snap)
        while True:
            n = _failures_in(
                p.failures, end - timedelta(seconds=size), end + timedelta(seconds=horizon)
            )
            if n >= min_failures or size >= span * cap:
                return _round_days(size, snap), n
            size += snap * max(1, int(span * 0.02 // snap))

    val, nv = grow(last, 0.15, 0.3)
    cal_end = last - timedelta(seconds=val + gap)
    cal, nc = grow(cal_end, 0.1, 0.25)
    train_end = cal_end - timedelta(seconds=cal + gap)
    nt = _failures_in(p.failures, p.start, train_end + timedelta(seconds=horizon))
    return _Split(val, cal, nv, nc, train_end, nt)


def _round_days(size: int, snap: int) -> int:
    """Whole days once a window passes two days (``"19d"``, not ``"436h"``)."""
    return int(math.ceil(size / D) * D) if size >= 2 * D and D % snap == 0 else size


def training_rows(p: DataProfile, train_end: datetime, snap: int) -> int:
    """Snapshots the training period will hold: each asset, while observed, every ``snap``."""
    total = 0.0
    for first, last in p.spans:
        total += max(0.0, (min(last, train_end) - first).total_seconds()) / snap + 1
    return int(total)


def lightgbm(rows: int, positives: int, what: str) -> list[Choice]:
    """Leaf sizes that fit the rows: a leaf must be able to hold a share of the failures
    (min_child_samples = 200 on 600 rows gives a constant model)."""
    mcs = max(5, min(200, rows // 100, max(positives // 3, 5)))
    leaves = max(4, min(15, rows // (10 * mcs)))
    return [
        Choice("num_leaves", leaves, f"{what}: ~{rows:,} rows, ~{positives:,} positive"),
        Choice("learning_rate", 0.05),
        Choice("n_estimators", 300),
        Choice("min_child_samples", mcs, "about 1 % of the rows, and a third of the failures"),
        Choice("feature_fraction", 0.5),
        Choice("bagging_fraction", 0.8),
        Choice("bagging_freq", 1),
        Choice("lambda_l2", 10.0 if rows > 20_000 else 1.0),
        Choice("num_threads", 1, "shared cores: one thread is fastest under contention"),
    ]


def rul_lightgbm(rows: int) -> list[Choice]:
    """RUL regression leaves: about 1 % of the training rows (every row has a target)."""
    mcs = max(5, min(500, rows // 100))
    return [
        Choice("num_leaves", max(4, min(15, rows // (10 * mcs))), f"RUL: ~{rows:,} rows"),
        Choice("learning_rate", 0.05),
        Choice("n_estimators", 200),
        Choice("min_child_samples", mcs, "about 1 % of the rows"),
        Choice("feature_fraction", 0.5),
        Choice("lambda_l2", 10.0 if rows > 20_000 else 1.0),
        Choice("num_threads", 1),
    ]


def default_horizon(p: DataProfile) -> int:
    """A week, or a twelfth of the span on short histories (room for both slices)."""
    return max(down(min(7 * D, p.span_s / 12)), up(2 * p.interval_s))


def snapshot_step(p: DataProfile, horizon: int) -> int:
    """About 400 snapshots per asset (at most daily), never finer than the sampling,
    fewer when the fleet is big, and at least two per horizon."""
    target = max(p.interval_s, min(p.span_s / 400, D), p.assets * p.span_s / MAX_SNAPSHOTS)
    step = up(target)
    return step if step * 2 <= horizon else down(horizon / 2)


def window_set(p: DataProfile, snap: int) -> list[int]:
    """Short, medium and long windows: a sixth of the span (at most 30 days), a quarter of
    that (at most a week), a quarter again (at most a day), each at least two readings."""
    long = down(min(30 * D, p.span_s / 6), snap)
    medium = down(min(7 * D, long / 4), snap)
    short = max(down(min(D, medium / 4), snap), up(2 * p.interval_s, snap))
    return sorted({w for w in (short, medium, long) if w >= short})


def suggest(p: DataProfile, horizon: str | None = None, name: str = "suggested") -> Suggestion:
    """Fit an experiment to ``p`` (see the module note for the rules).

    Args:
        p: the dataset's profile.
        horizon: the failure horizon to predict (default: ``default_horizon``).
        name: the experiment's name (MLflow experiment).

    Raises:
        ValueError: the data cannot train any experiment (no usable sensor, no failure,
            or a history shorter than twenty readings); the message says what is missing.
    """
    if p.span_s < 20 * p.interval_s:
        raise ValueError(
            f"the telemetry spans {fmt(p.span_s)} ({p.start:%Y-%m-%d %H:%M} to "
            f"{p.end:%Y-%m-%d %H:%M}), under twenty readings of {fmt(p.interval_s)}: "
            "collect more history before training"
        )
    sensors, regime, dropped = classify_sensors(p.sensors)
    if not sensors:
        raise ValueError("no telemetry column varies: every sensor is constant or empty")
    if not p.failures:
        raise ValueError("the events table holds no failure: there is nothing to learn from")
    hz = int(parse_duration(horizon).total_seconds()) if horizon else default_horizon(p)
    snap = snapshot_step(p, hz)
    windows = window_set(p, snap)
    min_failures = max(3, min(10, round(0.1 * len(p.failures))))
    split = plan_windows(p, hz, snap, min_failures)
    cap = down(min(60 * D, p.span_s / 5), snap)
    room = p.span_s - hz - split.validation
    if 2 * cap >= room * 0.8:
        cap = down(room * 0.4 / 1, snap)
    rows = training_rows(p, split.train_end, snap)
    positives = min(rows, split.train_failures * max(1, hz // snap))
    warnings = _warnings(p, split, min_failures, hz)
    return Suggestion(
        name=name,
        sections={
            "features": _features(p, sensors, regime, dropped, windows, snap),
            "labels": _labels(p, hz),
            "model": _model(p, split, hz, cap, rows),
            "model.lightgbm": lightgbm(_booster_rows(rows, positives), positives, "risk"),
            "model.rul_lightgbm": rul_lightgbm(rows),
        },
        notes=_notes(p, snap, split, rows, positives, hz),
        warnings=warnings,
    )


def _booster_rows(rows: int, positives: int) -> int:
    return positives + int((rows - positives) * _negative_rate(rows))


def _negative_rate(rows: int) -> float:
    return 0.25 if rows > 50_000 else 1.0


def _features(
    p: DataProfile,
    sensors: list[str],
    regime: str | None,
    dropped: list[str],
    windows: list[int],
    snap: int,
) -> list[Choice]:
    codes = [c for c, _ in p.alarm_codes[:20]]
    components = [c for c, _ in p.components[:20]]
    run_to_failure = p.ends_at_failure >= 0.5
    out = [
        Choice("sensors", sensors, "left out: " + ", ".join(dropped) if dropped else ""),
        Choice(
            "windows", [fmt(w) for w in windows], "a day / a week / a month, scaled to the span"
        ),
        Choice("stats", ["mean", "std", "min", "max", "last", "slope", "count", "ewma"]),
        Choice("snapshot_every", fmt(snap), f"readings every {fmt(_minutes(p.interval_s))}"),
        Choice("life_window", True),
        Choice("life_resets", ["failure", "maintenance"]),
        Choice("baseline_span", fmt(windows[len(windows) // 2]), "early life = healthy baseline"),
        Choice(
            "fleet_norm",
            not run_to_failure,
            f"{p.ends_at_failure:.0%} of assets end at a failure (run to failure): "
            "same-time fleet peers are at other life stages"
            if run_to_failure
            else "compare each asset with its type's peers",
        ),
    ]
    if regime is not None:
        out.append(Choice("regime_column", regime, "few whole-number levels: an operating mode"))
    out += [
        Choice(
            "alarm_codes", codes, "most frequent alarm codes" if codes else "no alarm in events"
        ),
        Choice("alarm_windows", [fmt(w) for w in windows[:2]]),
        Choice(
            "components",
            components,
            "components with maintenance events" if components else "no maintenance component",
        ),
        Choice("freshness", True),
    ]
    return out


def _labels(p: DataProfile, hz: int) -> list[Choice]:
    comps = [c for c, t in p.failure_components.items() if len(t) >= 3]
    return [
        Choice("horizon", fmt(hz), "predict a failure within this span"),
        Choice("downtime", fmt(max(60, down(min(D, hz / 4)))), "snapshots skipped after a failure"),
        Choice("components", comps, "per-component labels: components with >= 3 failures"),
    ]


def _model(p: DataProfile, split: _Split, hz: int, cap: int, rows: int) -> list[Choice]:
    lead = down(hz / 6) if down(hz / 6) < hz else max(60, hz // 2)
    return [
        Choice("seed", 42),
        Choice(
            "calibration",
            "platt" if split.cal_failures < 20 else "isotonic",
            f"{split.cal_failures} failures in the calibration window",
        ),
        Choice("negative_sample_rate", _negative_rate(rows), f"~{rows:,} training snapshots"),
        Choice(
            "validation_window",
            fmt(split.validation),
            f"latest snapshots, graded: {split.val_failures} failures",
        ),
        Choice(
            "calibration_window",
            fmt(split.calibration),
            f"before validation (+ a gap of one horizon): {split.cal_failures} failures",
        ),
        Choice("holdout_assets", 0.0),
        Choice(
            "cv_folds", 0, "one LightGBM setting; add [[model.candidates]] and folds to compare"
        ),
        Choice("inspection_budget", 0.01),
        Choice("lead_time", fmt(lead), "a flag counts only this long before the failure"),
        Choice("rul_cap", fmt(cap), "RUL target cap: about a fifth of the span (<= 60 days)"),
        *_promotion(split.val_failures),
    ]


def _promotion(failures: int) -> list[Choice]:
    """Promote on event recall (failures flagged in time within the budget: the planners'
    question). On a handful of validation failures recall moves in steps of 1/N and
    often ties a baseline; ROC-AUC, the order of every snapshot, then breaks the tie."""
    if failures >= FEW_FAILURES:
        return [Choice("promotion_metric", "event_recall"), Choice("tie_break_metric", "pr_auc")]
    why = f"{failures} validation failures: recall moves in steps of 1/{max(failures, 1)}"
    return [
        Choice("promotion_metric", "event_recall"),
        Choice("tie_break_metric", "roc_auc", why + "; ties go to the better ranking"),
    ]


def _notes(
    p: DataProfile, snap: int, split: _Split, rows: int, positives: int, hz: int
) -> list[str]:
    return [
        f"{p.assets:,} assets, {p.start:%Y-%m-%d %H:%M} to {p.end:%Y-%m-%d %H:%M} UTC "
        f"({_span_text(p.span_s)}), "
        f"readings every {fmt(_minutes(p.interval_s))} (median per asset)",
        f"{len(p.failures):,} failures, {p.maintenance:,} maintenance events, "
        f"{sum(n for _, n in p.alarm_codes):,} coded alarms",
        f"training period ends {split.train_end:%Y-%m-%d %H:%M}: ~{rows:,} snapshots every "
        f"{fmt(snap)}, ~{positives:,} of them within {fmt(hz)} of {split.train_failures} failures",
    ]


def _span_text(seconds: float) -> str:
    return f"{seconds / D:.1f} days" if seconds >= 2 * D else f"{seconds / H:.0f} hours"


def _warnings(p: DataProfile, split: _Split, need: int, hz: int) -> list[str]:
    out = []
    if split.val_failures < need or split.cal_failures < need:
        out.append(
            f"only {split.val_failures} failures in the validation window and "
            f"{split.cal_failures} in the calibration window (aim: {need} each): "
            "metrics will be noisy; more history or assets would help"
        )
    if split.train_failures < 3:
        out.append(
            f"the training period holds {split.train_failures} failures: too few to learn "
            f"from; try a shorter horizon than {fmt(hz)} or more history"
        )
    return out


def _minutes(seconds: float) -> float:
    """Irregular sampling reads better to the minute ("100m", not "5996s")."""
    return max(60, round(seconds / 60) * 60) if seconds >= 60 else seconds
