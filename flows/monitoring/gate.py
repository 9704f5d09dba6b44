"""The retraining gate: a policy in config decides when monitoring runs the training flow.

Three reasons, any of which retrains: a drift alarm (any detector, any judged scope) on N
consecutive nights, realised event recall below a floor, or a champion older than a
maximum age. Retraining only produces a challenger; the existing promotion gate decides
whether it becomes champion. A challenger that loses re-validates the champion on recent
data, so the age clock restarts at the last retraining too: otherwise an old champion that
keeps winning would be retrained every night.
Every night's decision, retrain or not, is recorded with its reasons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from forewarn.features.durations import parse_duration
from forewarn.flows.monitoring.config import GateConfig


@dataclass(frozen=True)
class GateDecision:
    """One night's decision and the evidence behind it."""

    as_of: str
    retrain: bool
    reasons: list[str] = field(default_factory=list)
    drift_streak: int = 0
    recall: float | None = None
    model_age_days: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def drift_streak(alarms: list[bool]) -> int:
    """How many of the latest nights (last = tonight) in a row raised a drift alarm."""
    streak = 0
    for alarm in reversed(alarms):
        if not alarm:
            break
        streak += 1
    return streak


def decide(
    as_of: datetime,
    alarms: list[bool],
    recall: float | None,
    model_created: datetime | None,
    cfg: GateConfig,
    last_retrained: datetime | None = None,
) -> GateDecision:
    """Apply the policy to tonight's evidence.

    Args:
        as_of: tonight.
        alarms: drift alarm of each monitored night since the last retraining, oldest
            first, tonight last.
        recall: realised event recall pooled over failure events (None: too few matured
            failures to judge).
        model_created: the end of the champion's training window (or, unknown that, when
            it was registered; None: unknown).
        cfg: the policy.
        last_retrained: the night of the last retraining (None: never); the age counts
            from the later of this and ``model_created``.
    """
    streak = drift_streak(alarms)
    reasons = []
    if streak >= cfg.drift_nights:
        reasons.append(f"drift alarm for {streak} consecutive nights (policy: {cfg.drift_nights})")
    if recall is not None and recall < cfg.min_recall:
        reasons.append(f"realised event recall {recall:.2f} < floor {cfg.min_recall:.2f}")
    age = None
    clock = [t for t in (model_created, last_retrained) if t is not None]
    if clock:
        age = (as_of - max(clock)).total_seconds() / 86400
        limit = parse_duration(cfg.max_model_age).total_seconds() / 86400
        if age > limit:
            since = "trained or re-validated" if last_retrained is not None else "trained"
            reasons.append(f"champion last {since} {age:.0f} days ago (max {cfg.max_model_age})")
    return GateDecision(
        as_of=as_of.isoformat(),
        retrain=bool(reasons),
        reasons=reasons or ["no retraining condition met"],
        drift_streak=streak,
        recall=recall,
        model_age_days=None if age is None else round(age, 2),
    )
