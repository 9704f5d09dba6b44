"""Champion/challenger decisions without MLflow: re-scoring and incomparable champions."""

from __future__ import annotations

import polars as pl

from forewarn.models.promotion import decide, rescore
from forewarn.models.risk import RiskModel
from forewarn.models.training import TrainingResult
from tests.models.conftest import FEATURES, small_config


def _risk(snapshots: pl.DataFrame, features: list[str], horizon: str = "7d") -> RiskModel:
    known = snapshots.filter(pl.col("fails_within_7d").is_not_null())
    params = small_config().lightgbm
    return RiskModel(features, params, horizon=horizon).fit(known, known["fails_within_7d"])


def test_first_model_is_promoted(trained: TrainingResult) -> None:
    decision = decide("risk", trained, None, None)
    assert decision.promoted and decision.reason == "no champion yet"
    assert decision.challenger_score == trained.metrics["risk.lightgbm.event_recall"]


def test_champion_is_rescored_on_the_new_validation_rows(
    trained: TrainingResult, snapshots: pl.DataFrame
) -> None:
    weak = _risk(snapshots, ["temperature__mean_7d"])  # pure noise feature
    scores = rescore(weak, trained)
    assert scores is not None and scores["pr_auc"] < 0.3
    decision = decide("risk", trained, weak, "4")
    assert decision.promoted and decision.previous_champion == "4"
    assert decision.champion_score == scores["event_recall"]
    assert not decide("rul", trained, trained.rul, "4").promoted  # a tie is not a win


def test_incomparable_champions_are_kept(trained: TrainingResult, snapshots: pl.DataFrame) -> None:
    other_features = _risk(snapshots.with_columns(pl.lit(1.0).alias("extra")), [*FEATURES, "extra"])
    other_horizon = _risk(snapshots, FEATURES, horizon="3d")
    for champion in (other_features, other_horizon):
        decision = decide("risk", trained, champion, "9")
        assert not decision.promoted and "cannot score" in decision.reason
        assert "set the alias 'champion' on this version" in decision.reason  # says how
        assert decision.champion_score is None
