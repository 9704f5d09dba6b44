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

from dataclasses import dataclass, field

from forewarn.features.durations import parse_duration
from forewarn.features.profile import DataProfile
from forewarn.features.suggest_rules import (
    FEW_FAILURES,
    Choice,
    D,
    H,
    Split,
    classify_sensors,
    default_horizon,
    down,
    fmt,
    lightgbm,
    plan_windows,
    rul_lightgbm,
    snapshot_step,
    training_rows,
    window_set,
)

__all__ = ["Choice", "Suggestion", "classify_sensors", "fmt", "suggest"]


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


def _model(p: DataProfile, split: Split, hz: int, cap: int, rows: int) -> list[Choice]:
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
    p: DataProfile, snap: int, split: Split, rows: int, positives: int, hz: int
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


def _warnings(p: DataProfile, split: Split, need: int, hz: int) -> list[str]:
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
