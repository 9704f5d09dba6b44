"""The quality gate: NaN grades, constant models and models that lose to their baselines
never become champion, first or not."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import polars as pl
import pytest

from forewarn.models.config import LightGBMParams
from forewarn.models.gate import gate_problems, graded_on, risk_problems, rul_problems
from forewarn.models.promotion import decide
from forewarn.models.training import TrainingResult, train_models
from tests.models.conftest import FEATURES, small_config

CONSTANT = LightGBMParams(n_estimators=20, min_child_samples=100_000, num_threads=1)
WEAK = LightGBMParams(n_estimators=1, num_leaves=2, learning_rate=0.01, num_threads=1)


@pytest.fixture(scope="module")
def constant(snapshots: pl.DataFrame) -> TrainingResult:
    # Leaves bigger than the frame: one leaf, one prediction for every row (what
    # min_child_samples = 200/500 did on 602 rows).
    return train_models(snapshots, FEATURES, small_config(lightgbm=CONSTANT, cv_folds=0))


def test_a_good_model_passes_and_the_first_one_is_promoted(trained: TrainingResult) -> None:
    assert risk_problems(trained) == [] and rul_problems(trained) == []
    assert decide("risk", trained, None, None).promoted
    graded = graded_on(trained)["risk"]
    assert graded["rows"] == trained.metrics["data.validation_rows"] > 0
    assert graded["failures"] == trained.metrics["risk.lightgbm.events"] > 0
    assert graded["end"] == trained.split.validation.end.isoformat()


def test_a_constant_model_is_held_back_even_as_the_first(constant: TrainingResult) -> None:
    problems = risk_problems(constant)
    assert "cannot rank assets: validation ROC-AUC 0.500" in problems[0]
    assert "min_child_samples (now 100000)" in problems[0]
    decision = decide("risk", constant, None, None)
    assert not decision.promoted and decision.gate == tuple(problems)
    assert decision.reason.startswith("quality gate failed: it cannot rank assets")
    assert "predicts the same RUL" in rul_problems(constant)[0]
    assert not decide("rul", constant, None, None).promoted


def test_a_model_that_loses_to_the_logistic_baseline_is_held_back(
    snapshots: pl.DataFrame,
) -> None:
    by_pr_auc = {"promotion_metric": "pr_auc", "tie_break_metric": "roc_auc", "cv_folds": 0}
    weak = train_models(snapshots, FEATURES, small_config(lightgbm=WEAK, **by_pr_auc))
    assert weak.metrics["risk.lightgbm.pr_auc"] < weak.metrics["risk.logistic.pr_auc"]
    problems = risk_problems(weak)
    assert any("does not beat the logistic baseline on pr_auc" in p for p in problems)
    assert not decide("risk", weak, None, None).promoted


def test_no_failure_in_the_validation_window_gives_nan_and_no_champion(
    snapshots: pl.DataFrame,
) -> None:
    last = snapshots["as_of"].max()
    quiet = snapshots.with_columns(
        pl.when(pl.col("as_of") > last - timedelta(days=45))
        .then(False)
        .otherwise(pl.col("fails_within_7d"))
        .alias("fails_within_7d")
    )
    result = train_models(quiet, FEATURES, small_config(cv_folds=0))
    assert math.isnan(result.metrics["risk.lightgbm.roc_auc"])
    (problem,) = risk_problems(result)
    assert "validation metrics are NaN: the validation window holds no failure" in problem
    assert f"{int(result.metrics['data.validation_rows']):,} validation snapshots" in problem
    assert not decide("risk", result, None, None).promoted


def test_a_nan_rul_grade_is_held_back(trained: TrainingResult) -> None:
    metrics = {**trained.metrics, "rul.lightgbm.mae_capped": math.nan}
    (problem,) = gate_problems("rul", replace(trained, metrics=metrics))
    assert "its validation mae_capped is NaN" in problem and "[model] rul_cap" in problem


def test_a_tie_on_the_promotion_metric_is_decided_by_the_tie_break(
    trained: TrainingResult,
) -> None:
    metrics = dict(trained.metrics)
    metrics["risk.logistic.event_recall"] = metrics["risk.lightgbm.event_recall"]
    metrics["risk.logistic.pr_auc"] = metrics["risk.lightgbm.pr_auc"] + 0.01
    (problem,) = risk_problems(replace(trained, metrics=metrics))
    assert "does not beat the logistic baseline on event_recall" in problem
    assert "tie-break pr_auc" in problem
