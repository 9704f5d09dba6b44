"""Champion/challenger decisions, as pure functions of models and a validation frame.

A challenger replaces the champion only if it wins on the *same* recent window:
the champion is re-scored on the new run's validation rows, because metrics logged
months ago were measured on a different fleet state and are not comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from forewarn.models.champion import FeatureMismatchError, check_features
from forewarn.models.evaluation import risk_eval, rul_eval
from forewarn.models.gate import gate_problems
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel
from forewarn.models.selection import is_better
from forewarn.models.training import TrainingResult


@dataclass(frozen=True)
class PromotionDecision:
    """What happened to one registered model's ``champion`` alias, and why."""

    task: str
    promoted: bool
    reason: str
    metric: str
    challenger_score: float
    champion_score: float | None = None
    previous_champion: str | None = None
    gate: tuple[str, ...] = ()
    """Why the model failed the quality gate (``models.gate``); empty when it passed."""


def rescore(champion: RiskModel | RulModel, result: TrainingResult) -> dict[str, float] | None:
    """The champion's metrics on the new run's validation rows.

    Returns:
        The metrics, or ``None`` if the champion cannot score these rows (its
        features are missing, or it forecasts a different horizon).
    """
    frame = result.validation if isinstance(champion, RiskModel) else result.rul_validation
    try:
        check_features(frame, champion.feature_cols, strict=False)
    except FeatureMismatchError:
        return None
    if isinstance(champion, RiskModel):
        if champion.horizon != result.horizon:
            return None
        return risk_eval(
            frame, champion.predict_proba(frame), result.label_col, result.cfg, result.horizon
        ).metrics
    return rul_eval(frame, champion, result.cfg.time_unit_hours())


def decide(
    task: str,
    result: TrainingResult,
    champion: RiskModel | RulModel | None,
    champion_version: str | None,
) -> PromotionDecision:
    """Promote when the model passes the quality gate and there is no champion, or when
    it beats the champion.

    A model that fails the gate (``models.gate``: NaN grade, constant, or not better than
    its baselines) is never promoted, first or not. Risk uses ``promotion_metric`` with
    ``tie_break_metric``; RUL uses ``rul_promotion_metric``. An incomparable champion
    (other features or horizon) is kept: switching models silently across feature specs
    is how skew creeps into production; promote by hand (``forewarn promote``) when that
    is intended.
    """
    cfg = result.cfg
    metric, tie = (
        (cfg.promotion_metric, cfg.tie_break_metric)
        if task == "risk"
        else (cfg.rul_promotion_metric, None)
    )
    ours = result.model_metrics(task)
    score = ours.get(metric, math.nan)
    problems = tuple(gate_problems(task, result))
    if problems:
        reason = "quality gate failed: " + "; ".join(problems)
        return PromotionDecision(
            task, False, reason, metric, score, None, champion_version, problems
        )
    if champion is None:
        return PromotionDecision(task, True, "no champion yet", metric, score)
    theirs = rescore(champion, result)
    if theirs is None:
        reason = (
            "champion cannot score this validation frame (different features or "
            "horizon); kept; to promote it anyway, set the alias 'champion' on this "
            "version (README: Experiments)"
        )
        return PromotionDecision(task, False, reason, metric, score, None, champion_version)
    won = is_better(ours, theirs, metric, tie)
    verdict = "beats" if won else "does not beat"
    reason = (
        f"challenger {verdict} champion v{champion_version} on {metric} "
        f"({score:.4g} vs {theirs.get(metric, math.nan):.4g})"
    )
    if tie is not None:
        reason += (
            f"; tie-break {tie} {ours.get(tie, math.nan):.4g} vs {theirs.get(tie, math.nan):.4g}"
        )
    return PromotionDecision(task, won, reason, metric, score, theirs.get(metric), champion_version)
